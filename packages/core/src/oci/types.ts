/**
 * Public types of the OCI Distribution client (packages/core/src/oci). Other domains (flux artifacts, signing,
 * image automation, the actions and the CLI) code against these; the implementation is RegistryClient.
 * Spec: ../shared/specs/oci-distribution.md. The data shapes other domains share (Repository, Descriptor, ManifestBytes,
 * BlobSource) and the Logger live in the lower layer (base/) and are re-exported here.
 */
export type { BlobSource, Descriptor, Logger, ManifestBytes, Repository } from '../base/index.js';

/** A parsed `[oci://]host[:port]/repo[:tag][@digest]` reference. */
export interface Reference {
  /** Registry host as used on the wire, e.g. `ghcr.io`, `registry-1.docker.io`, `127.0.0.1:5001`. */
  registry: string;
  /** Repository path, e.g. `org/app`, `library/alpine`. */
  repository: string;
  tag?: string;
  digest?: string;
}

export type { Credentials, CredentialProvider } from '../base/index.js';

/**
 * The time limit of a whole operation (an action run, a CLI command), shared by every request and retry; TimeBudget
 * (util/deadline.ts) is one.
 */
export interface Budget {
  /** Milliseconds left (0 when spent). */
  remainingMs(): number;
  /** Where the limit comes from and its size, e.g. `--timeout 10m`, for error messages. */
  describe(): string;
}
