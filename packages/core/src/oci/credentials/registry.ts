/**
 * The registry of credential providers: each factory looks at what the caller was given (explicit username and
 * password, the environment) and returns a provider, or undefined when it has nothing to offer. The composition root
 * chains them in registration order: the first provider with credentials for a registry host wins
 * (docs/architecture.md "How to add a registry provider").
 */
import type { CredentialProvider } from '../../base/index.js';
import { ChainCredentials } from './chain.js';
import { DockerConfigCredentials } from './docker-config.js';
import { GitHubTokenCredentials } from './github-token.js';
import { gitlabCiCredentials } from './gitlab-ci.js';
import { StaticCredentials } from './static.js';

export interface CredentialContext {
  /** The registry hosts of this run (explicit credentials apply to these only). */
  registries: string[];
  env: Record<string, string | undefined>;
  /** Explicit credentials (action inputs registry-username/-password, CLI --creds or D2_REGISTRY_USERNAME/_PASSWORD). */
  username?: string;
  password?: string;
  /**
   * The cloud registries of the run (cloud.ts): first in the chain, and for a cloud host it returns credentials or
   * throws, so no other source (registry-password, the workflow token, the Docker config) is used for that host.
   */
  cloud?: CredentialProvider;
}

export type CredentialProviderFactory = (ctx: CredentialContext) => CredentialProvider | undefined;

/** The run's cloud registries (provider aws/gcp/azure/auto). */
const cloud: CredentialProviderFactory = (ctx) => ctx.cloud;

/** Explicit username and password, for the registries of this run only. */
const explicit: CredentialProviderFactory = ({ registries, username, password }) =>
  username && password ? new StaticCredentials(Object.fromEntries([...new Set(registries)].map((r) => [r, { username, password }]))) : undefined;

/** A password without a username is the workflow token: used for ghcr.io only, never sent to another registry. */
const ghcrToken: CredentialProviderFactory = ({ env, username, password }) =>
  !username && password ? new GitHubTokenCredentials({ token: password, actor: env.GITHUB_ACTOR }) : undefined;

/** GitLab CI: the job's CI_REGISTRY_USER/CI_REGISTRY_PASSWORD for CI_REGISTRY. */
const gitlabCi: CredentialProviderFactory = ({ env }) => gitlabCiCredentials(env);

const dockerConfig: CredentialProviderFactory = ({ env }) => new DockerConfigCredentials({ env });

/** In order of precedence. */
export const CREDENTIAL_PROVIDERS: ReadonlyMap<string, CredentialProviderFactory> = new Map<string, CredentialProviderFactory>([
  ['cloud', cloud],
  ['static', explicit],
  ['ghcr-token', ghcrToken],
  ['gitlab-ci', gitlabCi],
  ['docker-config', dockerConfig],
]);

/** Every registered provider that applies to `ctx`, chained: the first with credentials for a host wins. */
export function credentialChain(ctx: CredentialContext, providers: ReadonlyMap<string, CredentialProviderFactory> = CREDENTIAL_PROVIDERS): CredentialProvider {
  return new ChainCredentials([...providers.values()].map((factory) => factory(ctx)));
}
