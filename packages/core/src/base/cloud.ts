/**
 * The seam of the cloud registry providers (packages/core/src/oci/credentials/cloud-context.ts re-exports it): what a
 * provider folder (oci/credentials/aws/, gcp/, azure/) is given and returns. In the lower layer so that a provider
 * imports only base/, errors.ts and util/ (docs/architecture.md "How to add a registry provider").
 */
import type { CredentialProvider } from './seams.js';
import type { TimeBudget } from '../util/index.js';

export type CloudProviderName = 'aws' | 'gcp' | 'azure';
/** The `provider` input / `--provider` flag. */
export type ProviderSetting = 'generic' | 'auto' | CloudProviderName;

/** An OIDC ID token for `audience` (GitHub Actions: the id-token endpoint with `&audience=`). */
export type AudienceTokenSource = (audience: string) => Promise<string>;

/** The provider inputs of the actions (kebab-case there, `--aws-role-arn` etc. on the CLI). */
export interface CloudInputs {
  awsRoleArn?: string;
  awsRegion?: string;
  awsSessionName?: string;
  createRepository?: boolean;
  gcpWorkloadIdentityProvider?: string;
  gcpServiceAccount?: string;
  azureClientId?: string;
  azureTenantId?: string;
}

export interface CloudCredentialContext {
  /** The registry host this provider serves (as in Reference.registry). */
  registry: string;
  inputs: CloudInputs;
  /** The process environment (ambient credentials, endpoint overrides); never read process.env directly. */
  env: Record<string, string | undefined>;
  /** Undefined when no OIDC token can be had here: then only ambient credentials, else an input error. */
  idToken?: AudienceTokenSource;
  /** Called with every secret obtained (tokens, passwords), before anything could print it. */
  mask: (secret: string) => void;
  budget?: TimeBudget;
  /** Warnings for the run's log (e.g. tags that cannot be moved). */
  warn?: (message: string) => void;
}

/**
 * Validates the inputs and the environment synchronously (an input error naming the missing input, before any
 * request) and returns a provider that obtains credentials on first use, once per run and registry.
 */
export type CloudCredentialFactory = (ctx: CloudCredentialContext) => CredentialProvider;

/**
 * What a provider may offer beyond credentials (optional): the registry-side checks a push needs before anything is
 * sent, e.g. ECR's repositories, which a push does not create. `repository` is the path without the host.
 */
export interface CloudCredentialProvider extends CredentialProvider {
  ensureRepository?(registry: string, repository: string): Promise<void>;
}
