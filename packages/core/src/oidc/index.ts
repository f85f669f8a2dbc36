export {
  GITHUB_ACTIONS_ISSUER,
  SIGSTORE_AUDIENCE,
  assertIdTokenAvailable,
  decodeJwtClaims,
  expectedSignerIdentity,
  githubIdentityProvider,
  isPrivateRepository,
  missingIdTokenError,
} from './providers/github.js';
export type { IdentityProvider } from './providers/github.js';
export { IDENTITY_PROVIDERS, resolveIdentityProvider } from './identity.js';
export type { IdentityProviderFactory } from './identity.js';
export { envIdentityProvider } from './providers/env.js';
export { githubActionsIdentityProvider } from './providers/github-actions.js';
