/**
 * Public types of the OCI Distribution client (packages/core/src/oci). Other domains (flux artifacts, signing,
 * image automation, the actions and the CLI) code against these; the implementation is RegistryClient.
 * Spec: ../shared/specs/oci-distribution.md.
 */

/** A parsed `[oci://]host[:port]/repo[:tag][@digest]` reference. */
export interface Reference {
  /** Registry host as used on the wire, e.g. `ghcr.io`, `registry-1.docker.io`, `127.0.0.1:5001`. */
  registry: string;
  /** Repository path, e.g. `org/app`, `library/alpine`. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** A repository on a registry (a Reference without tag/digest). */
export interface Repository {
  registry: string;
  repository: string;
  /** Plain HTTP for this registry even if it is not loopback (Flux `spec.insecure`, `--insecure`). */
  insecure?: boolean;
}

export interface Descriptor {
  mediaType: string;
  size: number;
  digest: string;
  annotations?: Record<string, string>;
  artifactType?: string;
}

/** A manifest (or index) exactly as stored: the bytes are never re-serialised. */
export interface ManifestBytes {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (docker config `identitytoken`, helper Username `<token>`). */
  identityToken?: string;
  /** Sent directly as Bearer (docker config `registrytoken`). */
  registryToken?: string;
}

export interface CredentialProvider {
  /** Credentials for a registry host (as in Reference.registry), or undefined for anonymous. */
  get(registry: string): Promise<Credentials | undefined>;
}

/** Blob content to push: bytes in memory, or a file on disk (streamed, replayable). */
export type BlobSource = { data: Buffer } | { path: string };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

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
