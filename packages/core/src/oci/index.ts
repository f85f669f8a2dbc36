export * from './types.js';
export { parseReference, refuseCredentials, formatReference, validateTag, validateRepository, validateDigest, isLoopback, isDockerHub, referrersTag, DOCKER_HUB_HOST, DOCKER_HUB_CREDENTIALS_KEY } from './references.js';
export type { ParseReferenceOptions } from './references.js';
export {
  StaticCredentials,
  DockerConfigCredentials,
  ChainCredentials,
  GitHubTokenCredentials,
  parseDockerAuthConfig,
  runCredentialHelper,
  credentialKey,
  convertToHostname,
  CREDENTIAL_PROVIDERS,
  credentialChain,
  CLOUD_PROVIDERS,
  CloudCredentials,
  PROVIDER_SETTINGS,
  cloudFor,
  cloudOfHost,
  parseProviderSetting,
} from './credentials/index.js';
export type {
  CredentialContext,
  CredentialProviderFactory,
  DockerConfigCredentialsOptions,
  AudienceTokenSource,
  CloudCredentialContext,
  CloudCredentialFactory,
  CloudCredentialProvider,
  CloudCredentialsOptions,
  CloudInputs,
  CloudProviderName,
  ProviderSetting,
} from './credentials/index.js';
export { parseChallenge, bearerOf, mergeScopes, repositoryScope } from './challenge.js';
export type { Challenge, BearerChallenge } from './challenge.js';
export { RegistryError, RegistryErrorCode, isNotFound, parseErrorBody } from './errors.js';
export type { RegistryErrorDetail, RegistryErrorInit } from './errors.js';
export { RegistryClient, MediaType, MANIFEST_ACCEPT, MANIFEST_BLOB_RETRIES } from './client.js';
export type { RegistryClientOptions, RetryOptions, PushedBlob, PushBlobOptions, PushImageBlob, PushImageOptions, FallbackIndexUpdate } from './client.js';
export { addToReferrersIndex, referrersIndexBytes } from './referrers-index.js';
export type { TokenFetch } from './auth.js';
export { readOciLayout } from './layout.js';
export type { LayoutImage } from './layout.js';
export { ProxyResolver } from './proxy.js';
export type { ProxyOptions, ProxyRoute } from './proxy.js';
