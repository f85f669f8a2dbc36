/**
 * OCI references: `[oci://]host[:port]/repo[:tag][@digest]`, the grammar of the distribution spec. Everything here is validated
 * before any request is made, with errors that say what is wrong and how to fix it.
 *
 * Written by hand: the grammar is a handful of regular expressions from the distribution spec, and the npm packages
 * that parse Docker references are either unmaintained or do not give actionable errors.
 */
import { DOCKER_HUB_CREDENTIALS_KEY, DOCKER_HUB_HOST, hostOf, isDockerHub, isLoopback } from '../base/index.js';

export { hostOf, isLoopback };
import { clip, InputError } from '../errors.js';
import { hasUrlCredentials, redactUrl } from '../util/index.js';
import type { Reference, Repository } from './types.js';

/** distribution-spec repository name grammar: lowercase path components separated by `/`, each `[a-z0-9]+` joined by `.`, `_`, `__` or dashes. */
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const REPOSITORY_RE = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
/** distribution-spec tag grammar. */
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** OCI image-spec digest grammar; sha256/sha512 must be lowercase hex of the right length. */
const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const HOST_RE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;

export { DOCKER_HUB_CREDENTIALS_KEY, DOCKER_HUB_HOST, isDockerHub };

/** Validates a tag (`[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`); `what` names the input in the error. */
export function validateTag(tag: string, what = 'tag'): void {
  if (TAG_RE.test(tag)) return;
  const shown = `${what} '${clip(tag)}'`;
  if (tag === '') throw new InputError(`${what} is empty`, 'OCI tags are 1-128 characters of [a-zA-Z0-9_.-], e.g. v1.2.3 or latest');
  if (tag.length > 128) throw new InputError(`${shown} is ${tag.length} characters long; OCI tags are at most 128`, 'shorten the tag (e.g. use a short commit SHA)');
  if (tag.includes('+')) {
    throw new InputError(
      `${shown} contains '+', which OCI tags do not allow (semver build metadata is not a legal tag; registries answer 400 or 404)`,
      `replace '+' with '-' or '_', e.g. '${clip(tag.replace(/\+/g, '-'))}'`,
    );
  }
  if (tag.includes('/')) throw new InputError(`${shown} contains '/', which OCI tags do not allow`, `replace '/' with '-', e.g. '${clip(tag.replace(/\//g, '-'))}' (a branch name like feature/x needs this)`);
  if (/^[.-]/.test(tag)) throw new InputError(`${shown} starts with '${tag[0]}'; OCI tags must start with a letter, digit or '_'`, `e.g. 'v${clip(tag.replace(/^[.-]+/, ''))}'`);
  const bad = [...new Set(tag.replace(/[a-zA-Z0-9._-]/g, ''))].join('');
  throw new InputError(`${shown} contains characters OCI tags do not allow: ${JSON.stringify(clip(bad))}`, 'OCI tags are 1-128 characters of [a-zA-Z0-9_.-] and do not start with . or -');
}

/** Validates a repository path (lowercase OCI name grammar). `registry` is only used to word the error. */
export function validateRepository(repository: string, registry?: string, what = 'repository'): void {
  const full = registry ? `${registry}/${repository}` : repository;
  if (repository === '') throw new InputError(`${what} '${clip(full)}' has no repository path`, 'use e.g. ghcr.io/<owner>/<name>');
  if (/[A-Z]/.test(repository)) {
    const fixed = registry ? `${registry}/${repository.toLowerCase()}` : repository.toLowerCase();
    throw new InputError(
      `${what} '${clip(full)}' contains upper-case letters; OCI names must be lowercase`,
      `use ${clip(fixed)} (\${{ github.repository }} can contain capitals: lower-case it)`,
    );
  }
  if (full.length > 255) throw new InputError(`${what} '${clip(full)}' is ${full.length} characters long; registries accept at most 255`, 'use a shorter name');
  if (!REPOSITORY_RE.test(repository)) {
    let why = 'it must be lowercase path components of [a-z0-9] joined by ., _, __ or -, separated by /';
    if (/\/\/|^\/|\/$/.test(repository)) why = 'it has an empty path component (a leading, trailing or double /)';
    else if (/(^|\/)[._-]|[._-](\/|$)/.test(repository)) why = 'a path component starts or ends with a separator (. _ -)';
    else if (/[^a-z0-9._/-]/.test(repository)) why = `it contains ${JSON.stringify(clip([...new Set(repository.replace(/[a-z0-9._/-]/g, ''))].join('')))}`;
    throw new InputError(`${what} '${clip(full)}' is not a valid OCI repository name: ${why}`, 'use e.g. ghcr.io/<owner>/<name> with lowercase letters, digits, and . _ - inside components');
  }
}

/** Validates a digest (`algorithm:encoded`; sha256 = 64 lowercase hex, sha512 = 128). */
export function validateDigest(digest: string, what = 'digest'): void {
  const ok =
    DIGEST_RE.test(digest) &&
    (digest.startsWith('sha256:') ? /^sha256:[a-f0-9]{64}$/.test(digest) : digest.startsWith('sha512:') ? /^sha512:[a-f0-9]{128}$/.test(digest) : true);
  if (!ok) throw new InputError(`${what} '${clip(digest)}' is not a valid digest`, 'a digest looks like sha256:<64 lowercase hex characters>');
}

/** Does the first path component name a registry (docker's rule: contains . or :, or is localhost)? */
function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

export interface ParseReferenceOptions {
  /** Name of the input for error messages (default `reference`). */
  what?: string;
}

/**
 * Refuses a reference with credentials (`oci://user:token@host/…`, `token@host/…`) before anything else looks at it;
 * the error shows it redacted.
 */
export function refuseCredentials(input: string, what = 'reference'): void {
  if (hasUrlCredentials(input)) {
    throw new InputError(
      `${what} '${redactUrl(input.trim())}' must not contain credentials`,
      'remove them and pass the registry credentials separately (registry-username/registry-password, --creds, or the docker config)',
    );
  }
}

/**
 * Parses `[oci://]host[:port]/repo[:tag][@digest]` and validates every part. A reference without a registry host
 * means Docker Hub (`registry-1.docker.io`, one-component names get `library/`), as with docker and Flux.
 */
export function parseReference(input: string, opts: ParseReferenceOptions = {}): Reference {
  const what = opts.what ?? 'reference';
  let s = input.trim();
  if (s === '') throw new InputError(`${what} is empty`, 'use e.g. ghcr.io/<owner>/<name>:<tag>');
  refuseCredentials(s, what);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(s);
  if (scheme) {
    if (scheme[1].toLowerCase() !== 'oci') {
      throw new InputError(`${what} '${clip(input)}' starts with '${scheme[0]}'; only oci:// (or no scheme) is accepted`, `use '${clip(s.slice(scheme[0].length))}' or 'oci://${clip(s.slice(scheme[0].length))}'`);
    }
    s = s.slice(scheme[0].length);
  }
  let digest: string | undefined;
  const at = s.indexOf('@');
  if (at >= 0) {
    digest = s.slice(at + 1);
    s = s.slice(0, at);
    validateDigest(digest, `digest in ${what} '${clip(input)}'`);
  }
  let tag: string | undefined;
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > slash) {
    tag = s.slice(colon + 1);
    s = s.slice(0, colon);
    validateTag(tag, `tag in ${what} '${clip(input)}'`);
  }
  let registry: string;
  let repository: string;
  const first = s.indexOf('/');
  if (first > 0 && looksLikeHost(s.slice(0, first))) {
    registry = s.slice(0, first);
    repository = s.slice(first + 1);
    if (!HOST_RE.test(registry)) throw new InputError(`${what} '${clip(input)}' has an invalid registry host '${clip(registry)}'`, 'use e.g. ghcr.io, registry.example.com:5000 or 127.0.0.1:5001');
    registry = registry.toLowerCase();
  } else {
    if (first < 0 && looksLikeHost(s) && s.includes('.')) {
      throw new InputError(`${what} '${clip(input)}' names a registry but no repository`, `use '${clip(s)}/<owner>/<name>'`);
    }
    registry = 'docker.io';
    repository = s;
  }
  if (isDockerHub(registry)) {
    registry = DOCKER_HUB_HOST;
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  validateRepository(repository, registry === DOCKER_HUB_HOST ? 'docker.io' : registry, what);
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** `host/repo[:tag][@digest]` (Docker Hub keeps its wire host, registry-1.docker.io). */
export function formatReference(ref: Reference | (Repository & { tag?: string; digest?: string })): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The fallback tag for referrers of a digest (docs/signing.md, "The referrers fallback index"): `<alg>-<hex>`, truncated, illegal chars → `-`. */
export function referrersTag(digest: string): string {
  const i = digest.indexOf(':');
  const alg = digest.slice(0, i).slice(0, 32).replace(/[^a-zA-Z0-9._-]/g, '-');
  const hex = digest.slice(i + 1).slice(0, 64).replace(/[^a-zA-Z0-9._-]/g, '-');
  return `${alg}-${hex}`;
}
