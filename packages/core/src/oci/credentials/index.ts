export { convertToHostname, credentialKey } from './common.js';
export { StaticCredentials } from './static.js';
export { GitHubTokenCredentials } from './github-token.js';
export { ChainCredentials } from './chain.js';
export { DockerConfigCredentials, parseDockerAuthConfig, runCredentialHelper } from './docker-config.js';
export type { DockerConfigCredentialsOptions } from './docker-config.js';
export { CREDENTIAL_PROVIDERS, credentialChain } from './registry.js';
export type { CredentialContext, CredentialProviderFactory } from './registry.js';
