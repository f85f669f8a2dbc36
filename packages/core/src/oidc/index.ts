export {
  GITHUB_ACTIONS_ISSUER,
  SIGSTORE_AUDIENCE,
  assertIdTokenAvailable,
  decodeJwtClaims,
  expectedSignerIdentity,
  githubIdentityProvider,
  isPrivateRepository,
} from './github.js';
export type { IdentityProvider } from './github.js';
