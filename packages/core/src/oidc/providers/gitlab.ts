import { InputError } from '../../errors.js';
import { decodeJwtClaims } from './github.js';

type Env = Record<string, string | undefined>;

/**
 * GitLab CI identities (docs/gitlab.md "Keyless signing"): a job declares `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`
 * and gets a JWT whose `ci_config_ref_uri` claim becomes the certificate identity `https://<ci_config_ref_uri>`; the
 * certificate issuer is the token's `iss`, `https://gitlab.com` on gitlab.com.
 */
export const GITLAB_COM_ISSUER = 'https://gitlab.com';

/** The lines a GitLab job needs for keyless signing. */
export const GITLAB_ID_TOKENS_SNIPPET = 'id_tokens:\n  SIGSTORE_ID_TOKEN:\n    aud: sigstore';

export function isGitLabCi(env: Env): boolean {
  return env.GITLAB_CI === 'true';
}

/** The error when a GitLab job signs without an ID token. */
export function gitlabMissingIdTokenError(): InputError {
  return new InputError(
    'keyless signing in GitLab CI needs the job’s ID token in SIGSTORE_ID_TOKEN, and this job has none',
    `add to the job:\n${GITLAB_ID_TOKENS_SNIPPET}`,
  );
}

/**
 * Public-good Fulcio accepts GitLab tokens from gitlab.com only: a token from a self-managed instance is refused
 * before anything is pushed, with the way to a private Sigstore. Tokens of other issuers pass (Fulcio decides).
 */
export function assertPublicFulcioAcceptsGitLab(token: string): void {
  const claims = decodeJwtClaims(token);
  if (typeof claims.ci_config_ref_uri !== 'string' || claims.iss === GITLAB_COM_ISSUER) return;
  throw new InputError(
    `the ID token comes from the self-managed GitLab instance ${String(claims.iss)}, which the public Sigstore (Fulcio) does not accept`,
    'run a private Sigstore that trusts your instance and pass --fulcio-url, --rekor-url and --trusted-root (docs/gitlab.md "Self-managed GitLab")',
  );
}
