/**
 * `spec.image` of an ImageRepository, validated and canonicalised as image-reflector-controller does
 * (`internal/registry/helper.go` `ParseImageReference` over go-containerregistry `name.ParseReference`): no URL scheme, no tag or digest, lowercase repository, Docker Hub defaults (`alpine` →
 * `index.docker.io/library/alpine`, `docker.io` → `index.docker.io`).
 *
 * Written here rather than reusing the OCI client's reference parser because these are GGCR's rules and Flux's
 * messages ("should not include URL scheme", "should not include a tag"), which a general `[oci://]host/repo:tag`
 * parser does not reproduce.
 */
import { InputError } from '../../errors.js';

/** GGCR `name.DefaultRegistry`. */
export const DEFAULT_REGISTRY = 'index.docker.io';
const DEFAULT_REGISTRY_ALIAS = 'docker.io';
const REPOSITORY_CHARS = /^[a-z0-9_\-./]+$/;
const TAG_CHARS = /^[A-Za-z0-9_\-.]+$/;
const SHA256_HEX = /^[a-f0-9]{64}$/;

/** A validated `spec.image`. */
export interface ImageName {
  /** `spec.image` verbatim: what `latestRef.name` and the setters use (never canonicalised). */
  image: string;
  /** GGCR `RegistryStr()`, e.g. `index.docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** GGCR `RepositoryStr()`, with `library/` for single Docker Hub names. */
  repository: string;
  /** `status.canonicalImageName` (GGCR `ref.Context().String()`). */
  canonicalName: string;
  /** `spec.insecure`. */
  insecure: boolean;
  /** GGCR `Registry.Scheme()`: http for insecure, localhost:*, *.localhost, loopback and RFC 1918 hosts. */
  scheme: 'http' | 'https';
}

/** An invalid `spec.image` (Flux: stall `ImageURLInvalid`). */
export class ImageNameError extends InputError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'ImageNameError';
  }
}

function runeCount(s: string): number {
  return [...s].length;
}

/** GGCR `checkRegistry`: `url.Parse("//" + name).Host == name`. */
function validRegistry(name: string): boolean {
  if (name === '') return true;
  if (/[\x00-\x20\x7f@?#%/\\]/.test(name)) return false;
  let host = name;
  let port: string | undefined;
  if (name.startsWith('[')) {
    const close = name.indexOf(']');
    if (close < 0) return false;
    host = name.slice(1, close);
    const rest = name.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return false;
    port = rest === '' ? undefined : rest.slice(1);
    if (!/^[0-9a-fA-F:.]+$/.test(host)) return false;
  } else {
    const colon = name.lastIndexOf(':');
    if (colon >= 0) {
      host = name.slice(0, colon);
      port = name.slice(colon + 1);
    }
    // Go's host unescaping allows sub-delims and a few more; everything else (spaces, `{`, `|`, `^`) is invalid.
    if (!/^(?:[A-Za-z0-9\-._~!$&'()*+,;=[\]<>"]|[^\x00-\x7f])*$/.test(host)) return false;
  }
  return port === undefined || /^[0-9]*$/.test(port);
}

interface Repo {
  registry: string;
  repository: string;
}

/** GGCR `NewRepository` (weak validation). */
function newRepository(name: string): Repo {
  if (name.length === 0) throw new Error('a repository name must be specified');
  let registry = '';
  let repo = name;
  const slash = name.indexOf('/');
  if (slash >= 0) {
    const maybeRegistry = name.slice(0, slash);
    if (maybeRegistry === 'localhost' || /[.:]/.test(maybeRegistry)) {
      registry = maybeRegistry;
      repo = name.slice(slash + 1);
    }
  }
  const n = runeCount(repo);
  if (n < 1 || n > 255) throw new Error(`repository must be between 1 and 255 characters in length: ${repo}`);
  if (!REPOSITORY_CHARS.test(repo)) {
    throw new Error(`repository can only contain the characters \`abcdefghijklmnopqrstuvwxyz0123456789_-./\`: ${repo}`);
  }
  if (!validRegistry(registry)) throw new Error(`registries must be valid RFC 3986 URI authorities: ${registry}`);
  if (registry === '' || registry === DEFAULT_REGISTRY_ALIAS) registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repo.includes('/')) repo = `library/${repo}`;
  return { registry, repository: repo };
}

/** GGCR `NewTag`: the repository part of `name` (a tag is split off when the last `:` part has no `/`). */
function newTag(name: string): Repo {
  const parts = name.split(':');
  let base = name;
  if (parts.length > 1 && !parts[parts.length - 1].includes('/')) {
    base = parts.slice(0, -1).join(':');
    const tag = parts[parts.length - 1];
    if (tag === '') throw new Error(`${name} must specify a tag name after the colon`);
    const n = runeCount(tag);
    if (n < 1 || n > 128) throw new Error(`tag must be between 1 and 128 characters in length: ${tag}`);
    if (!TAG_CHARS.test(tag)) throw new Error(`tag can only contain the characters \`abcdefghijklmnopqrstuvwxyz0123456789_-.ABCDEFGHIJKLMNOPQRSTUVWXYZ\`: ${tag}`);
  }
  return newRepository(base);
}

/** GGCR `NewDigest`. */
function newDigest(name: string): Repo {
  const parts = name.split('@');
  if (parts.length !== 2) throw new Error(`a digest must contain exactly one '@' separator: ${name}`);
  const [base, dig] = parts;
  if (!dig.startsWith('sha256:') || !SHA256_HEX.test(dig.slice(7))) throw new Error(`unsupported digest: ${dig}`);
  let repoBase = base;
  try {
    const t = newTag(base);
    repoBase = `${t.registry}/${t.repository}`;
  } catch {
    // as GGCR: fall back to the text before '@'
  }
  return newRepository(repoBase);
}

function schemeOf(registry: string, insecure: boolean): 'http' | 'https' {
  if (insecure) return 'http';
  const ip = registry.split(':')[0];
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip)?.slice(1).map(Number);
  if (octets && octets.every((o) => o <= 255)) {
    const [a, b] = octets;
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'http';
  }
  if (registry.startsWith('localhost:')) return 'http';
  if (/\.localhost(?::\d{1,5})?$/.test(registry)) return 'http';
  if (/^127\.0\.0\.1(?::\d{1,5})?$/.test(registry)) return 'http';
  if (/^(::1|\[::1\](?::\d{1,5})?)$/.test(registry)) return 'http';
  return 'https';
}

/**
 * IRC `registry.ParseImageReference(spec.image, spec.insecure)`: validates `spec.image` and returns its registry,
 * repository and canonical name. Throws ImageNameError with Flux's messages.
 */
export function parseImageName(image: string, insecure = false): ImageName {
  const schemeParts = image.split('://');
  if (schemeParts.length > 1) {
    throw new ImageNameError(
      `image '${image}' should not include URL scheme; remove '${schemeParts[0]}://'`,
      'spec.image is a repository such as ghcr.io/org/app (set spec.insecure: true for a plain-HTTP registry)',
    );
  }
  let repo: Repo;
  try {
    repo = newTag(image);
  } catch (tagErr) {
    try {
      repo = newDigest(image);
    } catch {
      const detail = tagErr instanceof Error ? tagErr.message : String(tagErr);
      throw new ImageNameError(
        `could not parse reference: ${image}`,
        `${detail}; spec.image must be a lowercase repository such as ghcr.io/org/app, without tag or digest`,
      );
    }
  }
  const rest = image.startsWith(repo.registry) ? image.slice(repo.registry.length) : image;
  const colonParts = rest.split(':');
  if (colonParts.length > 1) {
    throw new ImageNameError(
      `image '${image}' should not include a tag; remove ':${colonParts[1]}'`,
      'the ImagePolicy chooses the tag; spec.image names the repository only',
    );
  }
  return {
    image,
    registry: repo.registry,
    repository: repo.repository,
    canonicalName: `${repo.registry}/${repo.repository}`,
    insecure,
    scheme: schemeOf(repo.registry, insecure),
  };
}
