/**
 * The composition root of publishing, used by the actions (action/publish.ts) and the CLI alike: from a PublishConfig
 * and the caller's environment, the registry client, the keyless signer, the post-sign verifier and the attestor.
 */
import type { SbomGenerator } from '../attest/index.js';
import { InputError } from '../errors.js';
import { CloudCredentials, cloudOfHost, credentialChain, type CredentialProvider, type Logger, type RegistryClient } from '../oci/index.js';
import { audienceTokenSource, type IdentityProvider } from '../oidc/index.js';
import type { TimeBudget } from '../util/index.js';
import type { CloudConfig, PublishConfig } from './config.js';
import type { DigestAttestor, DigestSigner, DigestVerifier } from './types.js';

type Env = Record<string, string | undefined>;

export interface PublishDeps {
  env: Env;
  logger: Logger;
  credentials: CredentialProvider;
  budget: TimeBudget;
  /** The OIDC token source (oidc resolveIdentityProvider); needed only when signing. */
  identity?: IdentityProvider;
  /** The cloud registries (wireCredentials); their repositories are checked (ECR: exist or are created) before anything is pushed. */
  cloud?: CloudCredentials;
  /** The target repositories (`host/path`) of this run, for the cloud check. */
  repositories?: readonly string[];
  /** The error when signing is on and no identity is available (its hint names the caller's own switch). */
  missingIdentity?: () => Error;
  /** The SBOM generator (the sbom domain's generateSbom); needed only for `sbom` attestations. */
  sbom?: SbomGenerator;
}

export interface PublishWiring {
  client: RegistryClient;
  signer?: DigestSigner;
  verifier?: DigestVerifier;
  /** With attestations: attaches them after the signature, before the tags move. */
  attestor?: DigestAttestor;
}

function defaultMissingIdentity(): Error {
  return new InputError('keyless signing needs an OIDC identity token, and none is available', 'set SIGSTORE_ID_TOKEN or SIGSTORE_ID_TOKEN_FILE, or run inside GitHub Actions with `permissions: id-token: write`');
}

/**
 * The client, and with signing the signer and (unless turned off) the verifier. Everything that can be refused is
 * refused here, before anything is pushed: no OIDC identity, a bad Sigstore URL or signature format, an unreadable
 * trusted root.
 */
export async function wirePublish(config: PublishConfig, deps: PublishDeps): Promise<PublishWiring> {
  const wiring = await wireClientAndSigner(config, deps);
  if (deps.cloud && deps.repositories) await deps.cloud.ensureRepositories(deps.repositories);
  return wiring;
}

export interface CredentialsRequest {
  /** The registry hosts (or `host/path` repositories) this run talks to: a cloud provider is chosen for each now. */
  registries: readonly string[];
  env: Env;
  /** Explicit credentials (registry-username/-password, --creds, D2_REGISTRY_USERNAME/_PASSWORD). */
  username?: string;
  password?: string;
  cloud?: CloudConfig;
  /** Called with every token obtained, before anything could print it (actions: core.setSecret). */
  mask: (secret: string) => void;
  budget?: TimeBudget;
  logger?: Logger;
}

/**
 * The credentials of a run, shared by the actions and the CLI: the cloud provider of each registry host (inputs and
 * environment checked now: an input error before any request), then explicit credentials, the workflow token for
 * ghcr.io and the Docker config (oci/credentials/registry.ts). A cloud host gets its credentials from its provider
 * only. The OIDC token for a cloud's audience comes from the environment (oidc/audience.ts) and is masked.
 */
export function wireCredentials(req: CredentialsRequest): { credentials: CredentialProvider; cloud: CloudCredentials } {
  const cloud = new CloudCredentials({
    setting: req.cloud?.setting ?? 'generic',
    inputs: req.cloud?.inputs ?? {},
    env: req.env,
    idToken: audienceTokenSource(req.env, req.mask),
    mask: req.mask,
    budget: req.budget,
    warn: req.logger ? (m) => req.logger?.warn(m) : undefined,
  });
  const hosts = req.registries.map((r) => r.split('/')[0]);
  for (const host of new Set(hosts)) cloud.use(host);
  return { credentials: credentialChain({ registries: hosts, env: req.env, username: req.username, password: req.password, cloud }), cloud };
}

async function wireClientAndSigner(config: PublishConfig, deps: PublishDeps): Promise<PublishWiring> {
  const { logger } = deps;
  const signing = config.signing;
  if (signing && !deps.identity) throw (deps.missingIdentity ?? defaultMissingIdentity)();
  if (!signing && config.attestations) throw new InputError('attestations need signing: they are signed with the keyless identity of the signature', 'turn signing on, or remove the attestations');
  // The registry client is imported here, once every input is checked: a step that fails its checks does not load it
  // (docs/architecture.md, "Action start-up").
  const { RegistryClient } = await import('../oci/index.js');
  const client = new RegistryClient({ credentials: deps.credentials, logger, budget: deps.budget, ...(config.insecure?.length ? { insecure: config.insecure } : {}) });
  if (!signing) return { client };
  // The signer, the attestor and the verifier are wired by a module loaded only when signing is on (signing.ts), so
  // that a split bundle (the CLI) leaves what only they use out of a push without signing.
  const { wireSigning } = await import('./signing.js');
  return { client, ...(await wireSigning(client, signing, config.attestations, deps)) };
}

/**
 * The registry of an image scan with the cloud providers applied: an ImageRepository's `spec.provider` (aws, gcp,
 * azure) assigns its registry host that provider before the first request (an input error if its inputs are missing),
 * as Flux's image-reflector-controller does with workload identity. Without `spec.provider`, `auto` picks by host and
 * an explicit `provider` applies to the hosts of that cloud only.
 */
export function withScanProviders<R extends { listTags(repo: ScanTarget): Promise<string[]> }>(registry: R, cloud: CloudCredentials): R {
  return new Proxy(registry, {
    get(target, prop, receiver) {
      if (prop !== 'listTags') {
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      }
      return (repo: ScanTarget) => {
        if (repo.provider && repo.provider !== 'generic') cloud.use(repo.registry, repo.provider);
        // Without spec.provider, an explicit `provider` input applies to that cloud's own hosts only: a scan of
        // another registry (Docker Hub, ghcr.io) is never sent a cloud token.
        else if (cloud.setting === 'auto' || cloud.setting === cloudOfHost(repo.registry)) cloud.use(repo.registry);
        return target.listTags(repo);
      };
    },
  });
}

interface ScanTarget {
  registry: string;
  repository: string;
  provider?: 'generic' | 'aws' | 'gcp' | 'azure';
}
