/**
 * OIDC ID tokens for an audience other than Sigstore's: what a cloud registry provider exchanges for registry
 * credentials (docs/cloud-registries.md "The OIDC token"). Inside GitHub Actions the workflow's id-token endpoint
 * with `&audience=<audience>`; elsewhere the identity provider of the environment (oidc/identity.ts), whose token
 * carries the audience its CI system minted it for. Every token is passed to `mask` before it is returned.
 */
import { InputError } from '../errors.js';
import { resolveIdentityProvider } from './identity.js';
import { fetchActionsIdToken } from './providers/github.js';

type Env = Record<string, string | undefined>;

/** An OIDC ID token for `audience` (the shape of oci/credentials CloudCredentialContext `idToken`). */
export type AudienceTokenSource = (audience: string) => Promise<string>;

/** The error of a job that asks for a cloud token without `permissions: id-token: write`. */
export function missingCloudIdTokenError(input: string): InputError {
  return new InputError(
    `${input} is set, but no OIDC token can be had here (ACTIONS_ID_TOKEN_REQUEST_URL is not set)`,
    "add `permissions: id-token: write` to the job (a reusable workflow's caller must grant it too); outside GitHub Actions set SIGSTORE_ID_TOKEN to a token minted for the cloud's audience",
  );
}

/**
 * The token source of this environment, or undefined when no OIDC token can be had (then a cloud provider uses
 * ambient credentials or fails with an input error). Tokens are cached per audience for the run.
 */
export function audienceTokenSource(env: Env, mask: (secret: string) => void): AudienceTokenSource | undefined {
  const cache = new Map<string, Promise<string>>();
  const once = (audience: string, get: () => Promise<string>): Promise<string> => {
    let p = cache.get(audience);
    if (!p) {
      p = get().then((token) => {
        mask(token);
        return token;
      });
      p.catch(() => cache.delete(audience));
      cache.set(audience, p);
    }
    return p;
  };
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    return (audience) => once(audience, () => fetchActionsIdToken(env, audience));
  }
  const identity = resolveIdentityProvider(env);
  if (!identity) return undefined;
  return (audience) => once(audience, () => identity.getToken());
}
