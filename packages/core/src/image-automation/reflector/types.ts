/**
 * ImageRepository as written in git (IRC `api/v1/imagerepository_types.go`) and the registry
 * operations the reflector needs.
 */
import type { Repository } from '../../base/index.js';

export type ImageRepositoryProvider = 'generic' | 'aws' | 'azure' | 'gcp';

/** `spec` of an ImageRepository (the fields the reflector and the automation use). */
export interface ImageRepositorySpec {
  /** Repository without tag or digest, e.g. `ghcr.io/stefanprodan/podinfo`. */
  image: string;
  /** Go RE2 regexes; a tag matching any is dropped. Default (also for `[]`): `["^.*\\.sig$"]`. At most 25. */
  exclusionList?: string[];
  /** Plain HTTP registry. */
  insecure?: boolean;
  /** Default `generic`; aws/azure/gcp: the run's credentials come from that cloud's provider (docs/cloud-registries.md). */
  provider?: ImageRepositoryProvider;
  /** docker-registry Secret name (credentials are supplied to the Action/CLI separately). */
  secretRef?: { name: string };
  certSecretRef?: { name: string };
  proxySecretRef?: { name: string };
  serviceAccountName?: string;
  interval?: string;
  timeout?: string;
  suspend?: boolean;
}

/** A parsed ImageRepository object. */
export interface ImageRepository {
  apiVersion: string;
  kind: 'ImageRepository';
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  spec: ImageRepositorySpec;
}

/** The repository argument the reflector passes to the registry client. */
export interface ScanRepository extends Repository {
  /** `spec.insecure`: the registry is plain HTTP (GGCR `name.Insecure`). */
  insecure?: boolean;
  /** `spec.provider`: the cloud whose workload identity reads this registry (docs/cloud-registries.md); default generic. */
  provider?: ImageRepositoryProvider;
}

/**
 * What the reflector needs from the registry client (`RegistryClient` in @d2/core/oci satisfies it structurally):
 * all tags following every `Link` page, and a manifest HEAD with all manifest and index media types accepted.
 */
export interface TagLister {
  /** Every tag (never a partial list). The caller owns the array: the scan filters and sorts it in place. */
  listTags(repo: ScanRepository): Promise<string[]>;
}

export interface ManifestHeader {
  /** Undefined when the tag does not exist. */
  headManifest(repo: ScanRepository, reference: string): Promise<{ digest: string } | undefined>;
}

export type ReflectorRegistry = TagLister & ManifestHeader;

/** `status.lastScanResult` + `canonicalImageName`, with the stored tags. */
export interface ScanResult {
  /** `index.docker.io/library/alpine` for `alpine`. */
  canonicalImageName: string;
  /** The stored tags: exclusions applied, descending byte order (what every policy sees). */
  tags: string[];
  /** The first 10 stored tags. */
  latestTags: string[];
  tagCount: number;
  /** Tags dropped by the exclusion list, in listing order. */
  excluded: string[];
}
