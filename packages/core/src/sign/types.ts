import type { BlobSource, Descriptor, Logger, ManifestBytes, Repository, RetryOptions, SignatureFormat } from '../base/index.js';
export type { SignatureFormat } from '../base/index.js';
import type { IdentityProvider } from '../oidc/index.js';
import { D2Error } from '../errors.js';

/**
 * The part of `RegistryClient` (@d2/core/oci) that signing and verification use. `RegistryClient` satisfies it
 * structurally; tests may pass any implementation.
 */
export interface SignatureRegistry {
  /** `opts.dedup: false`: upload without asking first whether the repository has the blob (RegistryClient honours it). */
  pushBlob(repo: Repository, source: BlobSource, digest: string, size?: number, opts?: { dedup?: boolean }): Promise<unknown>;
  putManifest(repo: Repository, reference: string, bytes: Buffer, mediaType: string): Promise<string>;
  /** Throws a D2Error with code `REGISTRY_NOT_FOUND` when the manifest does not exist (RegistryClient does). */
  getManifest(repo: Repository, reference: string): Promise<ManifestBytes>;
  /** undefined when the manifest does not exist. */
  headManifest(repo: Repository, reference: string): Promise<Descriptor | undefined>;
  fetchBlob(repo: Repository, digest: string): Promise<Buffer>;
  /** Referrers of `digest`: the referrers API, else the fallback tag index `sha256-<hex>` (empty when neither exists). */
  referrers(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]>;
  /**
   * Optional (RegistryClient has it): PUT a referrer manifest by digest and maintain the fallback index when the
   * registry has no referrers API. Without it, the signer does the same with the methods above.
   */
  pushReferrer?(repo: Repository, manifestBytes: Buffer, mediaType: string, subject: Descriptor): Promise<string>;
}

/** A manifest by tag, or undefined when the registry does not have it (one GET; the not-found contract above). */
export async function manifestIfAny(registry: Pick<SignatureRegistry, 'getManifest'>, repo: Repository, reference: string): Promise<ManifestBytes | undefined> {
  return registry.getManifest(repo, reference).catch((err: unknown) => {
    if (err instanceof D2Error && err.code === 'REGISTRY_NOT_FOUND') return undefined;
    throw err;
  });
}

export { DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, SIGNATURE_FORMATS } from '../base/index.js';

export type { RetryOptions } from '../base/index.js';

export interface ArtifactSignerOptions {
  registry: SignatureRegistry;
  /** Default https://fulcio.sigstore.dev */
  fulcioURL?: string;
  /** Rekor API v1 base URL (pinned: the legacy format needs a SET, which only API v1 gives). Default https://rekor.sigstore.dev */
  rekorURL?: string;
  /** Optional RFC 3161 timestamp authority (adds the `rfc3161timestamp` annotation / bundle timestamps). */
  tsaURL?: string;
  /** Default `legacy`. */
  format?: SignatureFormat;
  /** Default: GitHub Actions OIDC (`core.getIDToken('sigstore')`) or `SIGSTORE_ID_TOKEN`. Called lazily per signature. */
  identityProvider?: IdentityProvider;
  /** Retries of Fulcio, Rekor and TSA calls. Default 4 attempts, back-off from 500 ms doubling to 5000 ms. */
  retry?: RetryOptions;
  /** Per-request timeout for Fulcio/Rekor/TSA. Default 15000 ms. */
  timeoutMs?: number;
  /**
   * Rekor entry kind for the DSSE bundle. Default `dsse` (what cosign writes). The @sigstore/mock stand-in stores `dsse`
   * proposals unrewritten, which do not verify: use `intoto` against it.
   */
  dsseEntryType?: 'dsse' | 'intoto';
  logger?: Logger;
  /** Environment for the private-repository check (GITHUB_EVENT_PATH). Default process.env. */
  env?: Record<string, string | undefined>;
  /** Clock for the referrer's `org.opencontainers.image.created`. */
  now?: () => Date;
}

export interface SignResult {
  /** `registry/repo:sha256-<hex>.sig` (legacy/both) or `registry/repo@<referrer digest>` (bundle). */
  signature: string;
  /** Rekor log index of the legacy signature's entry (or of the bundle's entry for `bundle`). */
  rekorLogIndex: number;
  /** The certificate SAN, e.g. https://github.com/org/repo/.github/workflows/push.yaml@refs/heads/main */
  certificateIdentity: string;
  certificateOidcIssuer: string;
  /** `registry/repo@sha256:…` of the bundle referrer manifest (bundle/both). */
  bundleReferrer?: string;
  format: SignatureFormat;
}

/** An in-toto statement to sign as an attestation: its exact bytes and its predicate type. */
export interface StatementToSign {
  predicateType: string;
  statement: Buffer;
}

/** One attestation written by ArtifactSigner.attest. */
export interface AttestedStatement {
  predicateType: string;
  /** `registry/repo@<referrer digest>` of the bundle referrer. */
  referrer: string;
  referrerDigest: string;
  rekorLogIndex: number;
  certificateIdentity: string;
  certificateOidcIssuer: string;
  /** `registry/repo:sha256-<hex>.att` when the legacy layout was written too. */
  legacyTag?: string;
}
