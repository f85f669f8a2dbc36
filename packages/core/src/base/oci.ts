/** The data shapes of the OCI Distribution API that every domain shares (docs/registry-client.md). */

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

/** Blob content to push: bytes in memory, or a file on disk (streamed, replayable). */
export type BlobSource = { data: Buffer } | { path: string };
