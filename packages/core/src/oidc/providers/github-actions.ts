import { githubIdentityProvider, type IdentityProvider } from './github.js';

type Env = Record<string, string | undefined>;

/** The workflow's OIDC token (the job has `permissions: id-token: write`), fetched when the signer asks for it. */
export function githubActionsIdentityProvider(env: Env): IdentityProvider | undefined {
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) return undefined;
  return githubIdentityProvider({ env });
}
