/**
 * The plain configuration of a publish (push, release, sign), shared by the GitHub Actions adapter (action/publish.ts)
 * and the CLI: named defaults, the CI defaults of the artifact's source and revision, and release planning. No I/O.
 */
import type { AttestationConfig } from '../attest/index.js';
import { InputError } from '../errors.js';
import { parseProviderSetting, type CloudInputs, type ProviderSetting } from '../oci/index.js';
import { DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, SIGNATURE_FORMATS, type SignatureFormat } from '../base/index.js';
import { parseReleaseRef, type ParsedRelease, type ReleaseMode } from './release.js';
import { validateTags } from './targets.js';

type Env = Record<string, string | undefined>;

export { DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, SIGNATURE_FORMATS };
/** The `.sig` tag every Flux version verifies. */
export const DEFAULT_SIGNATURE_FORMAT: SignatureFormat = 'legacy';
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_VERSION_TAG = '{version}';
export const DEFAULT_STABLE_TAG = 'latest-stable';

/** Keyless signing, and the verification of the new signature as Flux would do it. */
export interface SigningConfig {
  format: SignatureFormat;
  fulcioURL: string;
  rekorURL: string;
  tsaURL?: string;
  /** trusted_root.json for the verification after signing (default: the public-good TUF root). */
  trustedRoot?: string;
  verifyAfterSign: boolean;
}

/** The `provider` input or flag and the provider inputs (docs/cloud-registries.md). */
export interface CloudConfig {
  setting: ProviderSetting;
  inputs: CloudInputs;
}

/** The provider inputs of the actions, and the CLI flags of the same names. */
export const CLOUD_INPUT_NAMES = [
  'aws-role-arn',
  'aws-region',
  'aws-session-name',
  'gcp-workload-identity-provider',
  'gcp-service-account',
  'azure-client-id',
  'azure-tenant-id',
] as const;

/**
 * The CloudConfig from the `provider` value and the provider inputs (`get` returns an input's value, empty or undefined
 * when unset); `flag` renders an input's name in errors (`provider`, `--provider`). A provider input given with
 * `provider: generic` is refused: it would be silently ignored (not with `forScans`, where an ImageRepository's
 * `spec.provider` uses them).
 */
export function cloudConfig(provider: string | undefined, get: (name: (typeof CLOUD_INPUT_NAMES)[number]) => string | undefined, createRepository: boolean, flag: (name: string) => string = (n) => n, forScans = false): CloudConfig {
  const setting = parseProviderSetting(provider, flag('provider'));
  const v = (name: (typeof CLOUD_INPUT_NAMES)[number]): string | undefined => get(name)?.trim() || undefined;
  const inputs: CloudInputs = {
    awsRoleArn: v('aws-role-arn'),
    awsRegion: v('aws-region'),
    awsSessionName: v('aws-session-name'),
    createRepository,
    gcpWorkloadIdentityProvider: v('gcp-workload-identity-provider'),
    gcpServiceAccount: v('gcp-service-account'),
    azureClientId: v('azure-client-id'),
    azureTenantId: v('azure-tenant-id'),
  };
  if (setting === 'generic' && !forScans) {
    const given = CLOUD_INPUT_NAMES.filter((n) => v(n) !== undefined);
    if (createRepository) given.push('create-repository' as never);
    if (given.length > 0) {
      throw new InputError(`${given.map(flag).join(', ')} ${given.length === 1 ? 'is' : 'are'} set, but ${flag('provider')} is generic`, `set ${flag('provider')} to aws, gcp, azure or auto (docs/cloud-registries.md)`);
    }
  }
  return { setting, inputs };
}

export interface PublishConfig {
  /** The cloud registry provider and its inputs; undefined = generic. */
  cloud?: CloudConfig;
  /** Undefined: no signing. */
  signing?: SigningConfig;
  /** Undefined: no attestations (they need signing: parseAttestationConfig refuses them without it). */
  attestations?: AttestationConfig;
  /** Registries spoken to over plain HTTP (loopback registries always are). */
  insecure?: string[];
}

/** A signature format from user input; `what` names the flag or input in the error. */
export function parseSignatureFormat(value: string | undefined, what: string): SignatureFormat {
  const format = value ?? DEFAULT_SIGNATURE_FORMAT;
  if (!(SIGNATURE_FORMATS as readonly string[]).includes(format)) throw new InputError(`${what} must be legacy, bundle or both, got '${format}'`);
  return format as SignatureFormat;
}

/**
 * `org.opencontainers.image.source` from the CI environment: the GitHub repository URL (the distribution action's
 * rule), else GitLab CI's project URL.
 */
export function ciSource(env: Env): string | undefined {
  if (env.GITHUB_REPOSITORY) return `${(env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '')}/${env.GITHUB_REPOSITORY}`;
  if (env.CI_PROJECT_URL) return env.CI_PROJECT_URL; // GitLab CI
  return undefined;
}

/** `org.opencontainers.image.revision` from the CI environment: `<ref>@sha1:<sha>` (GitHub Actions, else GitLab CI). */
export function ciRevision(env: Env): string | undefined {
  if (env.GITHUB_REF && env.GITHUB_SHA) return `${env.GITHUB_REF}@sha1:${env.GITHUB_SHA}`;
  if (env.CI_COMMIT_REF_NAME && env.CI_COMMIT_SHA) return `${env.CI_COMMIT_REF_NAME}@sha1:${env.CI_COMMIT_SHA}`;
  return undefined;
}

/**
 * GitLab CI: the project's container registry image (`CI_REGISTRY_IMAGE`), under which each component is
 * `<image>/<component>` (docs/gitlab.md "Defaults from the job").
 */
export function ciRegistryImage(env: Env): string | undefined {
  return env.GITLAB_CI === 'true' && env.CI_REGISTRY_IMAGE ? env.CI_REGISTRY_IMAGE.replace(/\/+$/, '') : undefined;
}

/** The release tag the CI run was started for: GitHub's `refs/tags/…` GITHUB_REF, else GitLab's CI_COMMIT_TAG. */
export function ciReleaseRef(env: Env): string | undefined {
  if (env.GITHUB_REF?.startsWith('refs/tags/')) return env.GITHUB_REF;
  if (env.GITLAB_CI === 'true' && env.CI_COMMIT_TAG) return `refs/tags/${env.CI_COMMIT_TAG}`;
  return undefined;
}

export interface ReleaseRequest {
  /** `refs/tags/<name>`. */
  ref: string;
  mode: ReleaseMode;
  /** The tag pattern (the caller applies defaultTagPattern(mode) when none is given). */
  tagPattern: string;
  /** Template with `{version}` / `{component}`; default DEFAULT_VERSION_TAG. */
  versionTag?: string;
  stableTag?: string;
}

export interface ReleasePlan {
  release: ParsedRelease;
  versionTag: string;
  stableTag: string;
  /** The default source path: the whole repository in fleet mode, else components/{component}. */
  defaultPath: string;
}

/** Parses the release ref and fills and validates the version and stable tags; nothing is sent. */
export function planRelease(req: ReleaseRequest): ReleasePlan {
  const release = parseReleaseRef(req.ref, req.tagPattern, req.mode);
  const fill = (t: string): string => t.split('{version}').join(release.version).split('{component}').join(release.component ?? '');
  const versionTag = fill(req.versionTag ?? DEFAULT_VERSION_TAG);
  const stableTag = req.stableTag ?? DEFAULT_STABLE_TAG;
  validateTags([versionTag, stableTag]);
  return { release, versionTag, stableTag, defaultPath: req.mode === 'fleet' ? '.' : 'components/{component}' };
}
