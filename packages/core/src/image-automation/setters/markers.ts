/**
 * Setter definitions and `$imagepolicy` marker parsing (docs/image-automation.md, "Setters"; IAC internal/update/setters.go,
 * filter.go; kyaml fieldmeta.Read).
 */
import { D2Error } from '../../errors.js';
import type { LatestRef, PolicySetterSource } from './types.js';

export const SETTER_SHORTHAND = '$imagepolicy';
/** kyaml's long form: `{"$ref": "#/definitions/io.k8s.cli.setters.<name>"}`. */
export const SETTER_REF_PREFIX = '#/definitions/io.k8s.cli.setters.';

/** `latestRef.String()`: `name:tag` or `name:tag@digest`. */
export function latestRefString(ref: LatestRef): string {
  return ref.digest ? `${ref.name}:${ref.tag}@${ref.digest}` : `${ref.name}:${ref.tag}`;
}

// go-containerregistry name.ParseReference(…, WeakValidation): repository path lowercase [a-z0-9._/-] components
// after an optional registry host, tag [\w][\w.-]{0,127}, digest algorithm:hex. Weak validation fills defaults
// (docker.io, latest), so only the characters are checked here.
const REPO_RE = /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/|localhost(?::[0-9]+)?\/|\[[0-9a-fA-F:]+\](?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** Throws like IAC when a latestRef cannot be parsed as an image reference (the whole update fails). */
export function validateLatestRef(policy: string, ref: LatestRef): void {
  const s = latestRefString(ref);
  const ok = REPO_RE.test(ref.name) && TAG_RE.test(ref.tag) && (!ref.digest || DIGEST_RE.test(ref.digest));
  if (!ok) {
    throw new D2Error(`encountered invalid image ref "${s}" for ImagePolicy ${policy}`, {
      code: 'SETTER_INVALID_REF',
      hint: 'check spec.image of the ImageRepository (lowercase repository, no tag) and the elected tag',
    });
  }
}

/**
 * The four setters of each policy with a latestRef: `ns:name`, `ns:name:tag`, `ns:name:name`,
 * `ns:name:digest` (the digest setter writes "" without a digest). Policies without a latestRef define nothing.
 */
export function defineSetters(policies: readonly PolicySetterSource[]): Map<string, string> {
  const setters = new Map<string, string>();
  for (const p of policies) {
    if (!p.latestRef) continue;
    const base = `${p.namespace}:${p.name}`;
    validateLatestRef(`${p.namespace}/${p.name}`, p.latestRef);
    setters.set(base, latestRefString(p.latestRef));
    setters.set(`${base}:tag`, p.latestRef.tag);
    setters.set(`${base}:name`, p.latestRef.name);
    setters.set(`${base}:digest`, p.latestRef.digest ?? '');
  }
  return setters;
}

/**
 * The setter a comment names, or undefined. `comment` is the raw comment text starting at `#`. All leading `#` are
 * stripped (Go strings.TrimLeft); the rest must be one JSON object: either every value a string (or null, which Go
 * decodes into a string as "") with `"$imagepolicy"` equal to a defined setter, or (kyaml's schema form) a `"$ref"`
 * string `#/definitions/io.k8s.cli.setters.<defined setter>`. Anything else is silently not a marker.
 */
export function markerSetter(comment: string, setters: ReadonlyMap<string, string>): string | undefined {
  const body = comment.replace(/^#+/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const obj = parsed as Record<string, unknown>;
  const allStrings = Object.values(obj).every((v) => typeof v === 'string' || v === null);
  const short = obj[SETTER_SHORTHAND];
  if (allStrings && typeof short === 'string' && short !== '' && setters.has(short)) return short;
  const ref = obj.$ref;
  if (typeof ref === 'string' && ref.startsWith(SETTER_REF_PREFIX)) {
    const name = ref.slice(SETTER_REF_PREFIX.length);
    if (setters.has(name)) return name;
  }
  return undefined;
}
