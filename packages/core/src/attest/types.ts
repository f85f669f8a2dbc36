import type { Descriptor, Logger, ManifestBytes, Repository } from '../base/index.js';
import type { AttestedStatement, StatementToSign } from '../sign/index.js';

/** The attestation kinds a publish can attach (the `attestations` input, `--attestations`). */
export type AttestationType = 'provenance' | 'sbom' | 'vex';
export const ATTESTATION_TYPES: readonly AttestationType[] = ['provenance', 'sbom', 'vex'];

export type SbomFormat = 'cyclonedx' | 'spdx';
export const SBOM_FORMATS: readonly SbomFormat[] = ['cyclonedx', 'spdx'];
export const DEFAULT_SBOM_FORMAT: SbomFormat = 'cyclonedx';

/** SLSA provenance v1 (the predicate of `actions/attest-build-provenance`). */
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** The build type of a GitHub Actions workflow run (SLSA build type `workflow/v1`). */
export const GITHUB_WORKFLOW_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';
export const CYCLONEDX_PREDICATE_TYPE = 'https://cyclonedx.org/bom';
export const SPDX_PREDICATE_TYPE = 'https://spdx.dev/Document';
/** OpenVEX v0.2.0: the predicate type of a `vex` attestation and the `@context` of the document. */
export const OPENVEX_PREDICATE_TYPE = 'https://openvex.dev/ns/v0.2.0';

/**
 * What the SBOM generator (the `sbom` domain) offers, declared here by its consumer so that attestations compile and
 * are tested without it; the composition root passes the real one in.
 */
/** The SBOM of `dir`; the ignore rules are the build's, so that the SBOM lists exactly the artifact's files. */
export type SbomGenerator = (opts: { dir: string; name: string; version?: string; format: SbomFormat; ignorePaths?: readonly string[]; sourceignore?: boolean }) => Promise<{ predicateType: string; predicate: unknown }>;

/** The attestations of a publish, parsed and validated before anything is sent. */
export interface AttestationConfig {
  types: AttestationType[];
  sbomFormat: SbomFormat;
  /** Absolute path of the OpenVEX document (with `vex`); read and validated when the config is made. */
  vexPath?: string;
  /** The validated OpenVEX document. */
  vex?: Record<string, unknown>;
}

/** The part of the signer that attests (ArtifactSigner satisfies it). */
export interface StatementSigner {
  readonly format: 'legacy' | 'bundle' | 'both';
  /** `opts.subject`: the manifest's descriptor when the caller has just pushed it (not asked of the registry again). */
  attest(repo: Repository, digest: string, statements: StatementToSign[], opts: { legacy: boolean; subject?: Descriptor }): Promise<AttestedStatement[]>;
}

/** The registry reads of the idempotence check (RegistryClient satisfies it). */
export interface AttestationRegistry {
  getManifest(repo: Repository, reference: string): Promise<ManifestBytes>;
  fetchBlob(repo: Repository, digest: string): Promise<Buffer>;
  referrers(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]>;
}

/** One attestation of an artifact, written in this run (the signer's AttestedStatement) or found already attached. */
export interface AttestationResult extends AttestedStatement {
  type: AttestationType;
  /** true when an attestation of this predicate type by the same identity was already attached (nothing was added). */
  existing: boolean;
}

/** What the publish pipeline hands the attestor for one artifact. */
export interface AttestContext {
  repo: Repository;
  digest: string;
  /** The packaged directory (or file): the SBOM describes it. */
  path: string;
  /** The release version, when there is one (SBOM metadata). */
  version?: string;
  /** The build's ignore rules (the SBOM lists the files the artifact holds). */
  ignorePaths?: readonly string[];
  sourceignore?: boolean;
  /** The manifest's descriptor when the caller has just pushed it (the signer does not ask the registry for it). */
  subject?: Descriptor;
  logger: Logger;
}
