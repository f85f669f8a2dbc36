import type { BlobSource, Descriptor, Logger, ManifestBytes, Repository } from '../base/index.js';
import type { BuildOptions, BuiltArtifact } from '../flux/index.js';
import type { AttestationResult, AttestContext } from '../attest/index.js';
import type { SignResult } from '../sign/index.js';

/**
 * The part of RegistryClient (@d2/core/oci) that publishing uses; RegistryClient satisfies it structurally.
 */
export interface PublishRegistry {
  pushBlob(repo: Repository, source: BlobSource, digest: string, size?: number): Promise<unknown>;
  putManifest(repo: Repository, reference: string, bytes: Buffer, mediaType: string): Promise<string>;
  getManifest(repo: Repository, reference: string): Promise<ManifestBytes>;
  headManifest(repo: Repository, reference: string): Promise<Descriptor | undefined>;
  fetchBlobToFile(repo: Repository, digest: string, path: string): Promise<unknown>;
  /** Referrers of a digest (referrers API or the `sha256-<hex>` fallback index). */
  referrers(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]>;
}

/** Signs a pushed manifest digest (ArtifactSigner satisfies it). */
export interface DigestSigner {
  readonly format: 'legacy' | 'bundle' | 'both';
  /** `subject`: the manifest's descriptor when the caller has just pushed it (the signer then does not ask the registry). */
  sign(repo: Repository, digest: string, subject?: Descriptor): Promise<SignResult>;
}

/** Attaches (and verifies) the attestations of a pushed, signed digest (the attest domain's Attestor satisfies it). */
export interface DigestAttestor {
  attest(ctx: AttestContext): Promise<AttestationResult[]>;
}

/** Verifies a signature right after signing (throws when Flux would not accept it). */
export type DigestVerifier = (repo: Repository, digest: string, signed: SignResult) => Promise<void>;

/** One artifact to publish. */
export interface PublishTarget {
  /** Component name (matrix entry), when publishing components. */
  component?: string;
  /** `host/repo` without tag or digest (validated before anything is built). */
  repository: string;
  /** Directory or file to package (absolute, or relative to the cwd). */
  path: string;
  /** Path as the user wrote it (for reports). */
  displayPath?: string;
}

export interface PublishOptions {
  /** Compare with the artifact at this tag by content; equal → nothing pushed, tags moved to the existing digest. */
  diffTag?: string;
  /** Tags to point at the result (besides diffTag). With neither, `latest` (Flux's default). */
  tags?: string[];
  build: BuildOptions;
  /** Builds an artifact (default `buildArtifact`, on the main thread; `BuildPool.build` builds on worker threads). */
  builder?: (path: string, opts: BuildOptions) => Promise<BuiltArtifact>;
  signer?: DigestSigner;
  verifier?: DigestVerifier;
  /** Runs after the signature (and its verification), before any tag moves; a failure moves no tag. */
  attestor?: DigestAttestor;
  /** The release version (release-artifact): SBOM metadata. */
  version?: string;
  /**
   * Called after the build and the comparison, before anything is written: a guard may throw to refuse the publish
   * (release-artifact's immutable versions and downgrade protection).
   */
  guard?: (ctx: GuardContext) => Promise<void>;
  /**
   * Moves the tags once the artifact is pushed and signed (default: moveTags, which re-PUTs the manifest under every
   * tag that does not point at the digest yet). release-artifact replaces it with its checked moves.
   */
  moveTags?: (ctx: MoveContext) => Promise<TagMoveResult>;
  logger?: Logger;
}

/** What a tag mover gets: the digest the tags should point at and the registry operations on this repository. */
export interface MoveContext {
  repo: Repository;
  /** The digest every tag should point at (pushed, and signed when signing). */
  digest: string;
  /** The tags to move, in order (diffTag first). */
  tags: string[];
  /** The digest a tag points at now (HEAD), or undefined when it does not exist. */
  head(tag: string): Promise<string | undefined>;
  /** The artifact a tag points at (manifest and annotations; no layer download). */
  inspect(tag: string): Promise<RemoteArtifact | undefined>;
  /** PUTs the manifest under the tag; fails when the registry resolves the tag to another digest. */
  put(tag: string): Promise<void>;
  logger: Logger;
}

export interface TagMoveResult {
  /** Tags whose target changed in this run. */
  movedTags: string[];
  /** Tags that point at the digest after the run. */
  tags: string[];
}

export interface RemoteArtifact {
  /** The tag or digest that was resolved. */
  reference: string;
  digest: string;
  manifest: ManifestBytes;
  layerDigest?: string;
  /** sha256 of the uncompressed tar of layers[0], when the artifact has a gzip layer. */
  tarDigest?: string;
  annotations: Record<string, string>;
}

export interface GuardContext {
  repo: Repository;
  built: { tarDigest: string; manifestDigest: string; annotations: Record<string, string> };
  /** The artifact at diffTag, if any. */
  current?: RemoteArtifact;
  /** Content of `current` equals the built artifact. */
  unchanged: boolean;
  /** Reads another tag's artifact (for guards that look at e.g. latest-stable). */
  inspect(reference: string): Promise<RemoteArtifact | undefined>;
}

export interface PublishResult {
  component?: string;
  /** `host/repo`. */
  repository: string;
  path: string;
  /** true when a new manifest was pushed. */
  pushed: boolean;
  /** The digest every tag now points at. */
  digest: string;
  /** `host/repo@digest`. */
  digestUrl: string;
  /** Tags that point at digest after the run. */
  tags: string[];
  /** Tags whose target changed in this run. */
  movedTags: string[];
  layerDigest: string;
  tarDigest: string;
  /** Compressed layer size in bytes. */
  size: number;
  files: number;
  signature?: SignResult;
  /** The content was signed earlier (unchanged artifact with an existing signature). */
  alreadySigned?: boolean;
  /** The attestations of the digest (new ones and those already attached by the same identity). */
  attestations?: AttestationResult[];
}

export interface ComponentFailure {
  component?: string;
  repository: string;
  path: string;
  error: Error;
}

export interface PublishAllResult {
  results: PublishResult[];
  failures: ComponentFailure[];
}
