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
export { fileIdentityProvider, ID_TOKEN_FILE_ENV, readIdToken } from './providers/file.js';
export { githubActionsIdentityProvider } from './providers/github-actions.js';
export { GITLAB_COM_ISSUER, GITLAB_ID_TOKENS_SNIPPET, assertPublicFulcioAcceptsGitLab, gitlabMissingIdTokenError, isGitLabCi } from './providers/gitlab.js';
export { audienceTokenSource, missingCloudIdTokenError } from './audience.js';
export type { AudienceTokenSource } from './audience.js';
