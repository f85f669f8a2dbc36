/**
 * The `provider` selection of the actions and the CLI (docs/cloud-registries.md): which cloud registry provider
 * (aws/, gcp/, azure/ beside this file) obtains the credentials of a registry host, from the workflow's OIDC token or
 * the ambient cloud credentials. A cloud host never falls back to another credential source: its provider returns
 * credentials or throws.
 */
import type { CredentialProvider, Credentials } from '../../base/index.js';
import { D2Error, InputError, clip } from '../../errors.js';
import { awsCredentialFactory } from './aws/index.js';
import { azureCredentials } from './azure/index.js';
import { gcpCredentials } from './gcp/index.js';
import type { CloudCredentialContext, CloudCredentialFactory, CloudCredentialProvider, CloudProviderName, ProviderSetting } from './cloud-context.js';
import { convertToHostname, empty } from './shared/common.js';

export const PROVIDER_SETTINGS: readonly ProviderSetting[] = Object.freeze(['generic', 'aws', 'gcp', 'azure', 'auto']);

/**
 * The cloud registry providers of this build, by name: each folder beside this file exports one factory and adds one
 * line here (docs/architecture.md "How to add a registry provider"). A provider missing from the map is refused by
 * name ("not available in this build") before any request.
 */
export const CLOUD_PROVIDERS: ReadonlyMap<CloudProviderName, CloudCredentialFactory> = new Map<CloudProviderName, CloudCredentialFactory>([
  ['aws', awsCredentialFactory],
  ['gcp', gcpCredentials],
  ['azure', azureCredentials],
]);

/** The `provider` input / `--provider` flag; `what` names it in the error. */
export function parseProviderSetting(value: string | undefined, what: string): ProviderSetting {
  const v = (value ?? '').trim() || 'generic';
  if (!(PROVIDER_SETTINGS as readonly string[]).includes(v)) {
    throw new InputError(`${what} must be one of ${PROVIDER_SETTINGS.join(', ')}; got '${clip(v)}'`, 'generic uses registry-username/registry-password or the Docker config; auto picks the cloud by the registry host');
  }
  return v as ProviderSetting;
}

/** The host without a port (IPv6 keeps its brackets). */
function hostOf(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(0, registry.indexOf(']') + 1);
  const i = registry.lastIndexOf(':');
  return i >= 0 ? registry.slice(0, i) : registry;
}

const CLOUD_HOSTS: ReadonlyArray<[CloudProviderName, RegExp]> = [
  // <account>.dkr.ecr.<region>.amazonaws.com, and ECR Public.
  ['aws', /^[a-z0-9][a-z0-9-]*\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$/],
  ['aws', /^public\.ecr\.aws$/],
  // Artifact Registry (<location>-docker.pkg.dev) and Container Registry (gcr.io, <region>.gcr.io).
  ['gcp', /^[a-z0-9-]+-docker\.pkg\.dev$/],
  ['gcp', /^(?:[a-z0-9-]+\.)*gcr\.io$/],
  // ACR, with the sovereign-cloud suffixes (China, Germany, US Government) that Flux and the kubelet accept.
  ['azure', /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.azurecr\.(?:io|cn|de|us)$/],
];

/** The cloud whose registry host pattern `registry` matches (`auto`), or undefined for any other registry. */
export function cloudOfHost(registry: string): CloudProviderName | undefined {
  const h = hostOf(convertToHostname(registry));
  return CLOUD_HOSTS.find(([, re]) => re.test(h))?.[0];
}

/**
 * The cloud provider for `registry` under `setting`, or undefined for generic. An explicit cloud that does not match
 * the host (the host is another cloud's registry) is an input error.
 */
export function cloudFor(setting: ProviderSetting, registry: string, what = 'provider'): CloudProviderName | undefined {
  if (setting === 'generic') return undefined;
  const detected = cloudOfHost(registry);
  if (setting === 'auto') return detected;
  if (detected && detected !== setting) {
    throw new InputError(
      `${what} '${setting}' does not match registry '${clip(registry)}', which is a ${detected} registry`,
      `set ${what} to ${detected} (with its inputs), or to auto to pick the provider by host`,
    );
  }
  return setting;
}

function notAvailable(cloud: CloudProviderName, registry?: string): InputError {
  return new InputError(
    `provider '${cloud}'${registry ? ` (registry '${clip(registry)}')` : ''} is not available in this build`,
    'use provider: generic with registry-username/registry-password, or a build of D2 Actions that includes this provider',
  );
}

export interface CloudCredentialsOptions extends Omit<CloudCredentialContext, 'registry'> {
  setting: ProviderSetting;
  /** Default CLOUD_PROVIDERS. */
  providers?: ReadonlyMap<CloudProviderName, CloudCredentialFactory>;
  /** Names the setting in errors (`provider`, `--provider`). */
  what?: string;
}

/**
 * The credentials of the cloud registries of a run: a host is assigned its provider up front (`use`, which checks the
 * inputs and the environment and throws an input error before any request), or, under `auto`, when first asked for.
 * For a cloud host `get` returns credentials or throws, so a chain behind it is never consulted for that host.
 */
export class CloudCredentials implements CredentialProvider {
  private readonly hosts = new Map<string, { cloud: CloudProviderName; provider: CredentialProvider }>();

  constructor(private readonly opts: CloudCredentialsOptions) {
    // An explicit provider this build lacks is refused now, even before a host needs it (e2e-update's scans).
    const s = opts.setting;
    if (s !== 'generic' && s !== 'auto' && !(opts.providers ?? CLOUD_PROVIDERS).has(s)) throw notAvailable(s);
  }

  get setting(): ProviderSetting {
    return this.opts.setting;
  }

  /**
   * Assigns `registry` its provider: `name` (an ImageRepository's `spec.provider`) or else the setting. Returns the
   * cloud, or undefined when the host stays generic.
   */
  use(registry: string, name?: ProviderSetting): CloudProviderName | undefined {
    const key = convertToHostname(registry);
    const known = this.hosts.get(key);
    const explicit = name && name !== 'generic' && name !== 'auto' ? name : undefined;
    const cloud = explicit ? cloudFor(explicit, registry, 'spec.provider') : cloudFor(name === 'auto' ? 'auto' : this.opts.setting, registry, this.opts.what);
    if (!cloud) return known?.cloud;
    if (known) {
      if (known.cloud !== cloud) throw new InputError(`registry '${clip(registry)}' is given two providers, ${known.cloud} and ${cloud}`, 'use one provider per registry host');
      return cloud;
    }
    const factory = (this.opts.providers ?? CLOUD_PROVIDERS).get(cloud);
    if (!factory) throw notAvailable(cloud, registry);
    const { setting: _s, providers: _p, what: _w, ...ctx } = this.opts;
    this.hosts.set(key, { cloud, provider: factory({ ...ctx, registry }) });
    return cloud;
  }

  /** Whether `registry` is served by a cloud provider. */
  isCloud(registry: string): boolean {
    return this.hosts.has(convertToHostname(registry));
  }

  /** The provider-side checks before a push (ECR: the repository exists, or is created), for cloud hosts. */
  async ensureRepositories(repositories: readonly string[]): Promise<void> {
    for (const full of repositories) {
      const i = full.indexOf('/');
      if (i < 0) continue;
      const entry = this.hosts.get(convertToHostname(full.slice(0, i)));
      const provider = entry?.provider as CloudCredentialProvider | undefined;
      if (provider?.ensureRepository) await provider.ensureRepository(full.slice(0, i), full.slice(i + 1));
    }
  }

  async get(registry: string): Promise<Credentials | undefined> {
    const key = convertToHostname(registry);
    if (!this.hosts.has(key) && this.opts.setting === 'auto') this.use(registry);
    const entry = this.hosts.get(key);
    if (!entry) return undefined;
    const creds = await entry.provider.get(registry);
    if (empty(creds)) {
      throw new D2Error(`the ${entry.cloud} provider returned no credentials for ${clip(registry)}`, {
        code: 'REGISTRY_UNAUTHORIZED',
        hint: 'a cloud registry never falls back to registry-password or the Docker config; check the provider inputs',
      });
    }
    return creds;
  }
}
