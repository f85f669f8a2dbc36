/**
 * Ready-to-paste Flux `OCIRepository.spec.verify` blocks for a keyless signature (docs/signing.md, "Identity matching"
 * and "GitHub Actions identities"). Regexes are Go RE2 (Flux and cosign use Go's regexp): anchored, with every metacharacter
 * escaped by RE2's own QuoteMeta (re2js `RE2JS.quote`).
 */
import { RE2JS } from 're2js';
import { stringify } from 'yaml';

/** `^<escaped>$` for an exact string. */
export function exactRegExp(s: string): string {
  return `^${RE2JS.quote(s)}$`;
}

/**
 * A subject regex that accepts every run of the same workflow file on the same kind of ref: for a tag
 * `refs/tags/<component>/v1.2.3` → `…@refs/tags/<component>/.*$`; for `refs/tags/v1.2.3` → `…@refs/tags/.*$`;
 * branches and other refs stay exact (a signature from another branch should not pass).
 */
export function generalisedIdentityRegExp(identity: string): string {
  const at = identity.lastIndexOf('@refs/');
  if (at < 0) return exactRegExp(identity);
  const ref = identity.slice(at + 1);
  if (!ref.startsWith('refs/tags/')) return exactRegExp(identity);
  const tag = ref.slice('refs/tags/'.length);
  const dir = tag.includes('/') ? tag.slice(0, tag.lastIndexOf('/') + 1) : '';
  return `^${RE2JS.quote(`${identity.slice(0, at)}@refs/tags/${dir}`)}.*$`;
}

export interface FluxVerifyOptions {
  /** Use this subject regex instead of the exact identity (e.g. from {@link generalisedIdentityRegExp}). */
  subjectRegExp?: string;
  /** Flux ≥ 2.9: name of a Secret holding `trusted_root.json` (a private Sigstore instance). */
  trustedRootSecretRef?: string;
}

/**
 * The `verify:` block for an OCIRepository: `provider: cosign` with ONE `matchOIDCIdentity` entry (Flux ≥ 2.8 rejects
 * several on the bundle path; docs/signing.md, "Identity matching").
 */
export function fluxVerifyBlock(identity: string, issuer: string, opts: FluxVerifyOptions = {}): string {
  const verify: Record<string, unknown> = {
    provider: 'cosign',
    matchOIDCIdentity: [{ issuer: exactRegExp(issuer), subject: opts.subjectRegExp ?? exactRegExp(identity) }],
  };
  if (opts.trustedRootSecretRef) verify.trustedRootSecretRef = { name: opts.trustedRootSecretRef };
  return stringify({ verify }, { lineWidth: 0 });
}
