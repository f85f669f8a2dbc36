/**
 * RegistryClient: a focused OCI Distribution client (docs/registry-client.md). No maintained npm package covers
 * push, tag, list, pull, referrers and auth for every target registry ("Why our own client"), so we own this one. It
 * follows oras-go's designs: monolithic POST-then-PUT uploads, HEAD-before-upload dedup, blobs before
 * manifests with bounded concurrency (3), scope hints and single-flight tokens (auth.ts), the referrers probe with the
 * `sha256-<hex>` fallback index, 4 MiB metadata cap, retries with backoff on 408/429/5xx and network errors.
 *
 * This file is the API, one verb per method (as fluxcd/pkg/oci), with the manifest and tag verbs; blob transfer is in
 * blobs.ts, referrers and the fallback index in referrers.ts, and every request goes through engine.ts (HTTP, auth,
 * retries, pagination) over transport.ts and auth.ts.
 */
import { mapLimit, MediaType } from '../base/index.js';
import { InputError } from '../errors.js';
import { Blobs, type PushBlobOptions, type PushedBlob } from './blobs.js';
import { algorithmOf, baseType, header, isDigest, RegistryEngine, sha, type Ctx, type EngineOptions } from './engine.js';
import { isNotFound, RegistryError, RegistryErrorCode } from './errors.js';
import { Referrers, type FallbackIndexUpdate } from './referrers.js';
import { validateDigest, validateTag } from './references.js';
import type { TokenFetch } from './auth.js';
import type { WireResponse } from './transport.js';
import type { BlobSource, Descriptor, ManifestBytes, Repository } from './types.js';

// The media types are declared once, in the lower layer; the client's API keeps exporting them by name.
export { MediaType };
export type { RetryOptions } from '../base/index.js';
export type { PushBlobOptions, PushedBlob } from './blobs.js';
export type { FallbackIndexUpdate } from './referrers.js';

/** Every manifest type we read; distribution 2.8 answers 404 for an OCI manifest without it. */
export const MANIFEST_ACCEPT = [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList].join(', ');

/** The engine's options (engine.ts: credentials, transport, retries, time limits, proxy) and the verbs' own. */
export interface RegistryClientOptions extends EngineOptions {
  /** Parallel blob uploads (default 3, like dockerd, containerd and oras-go). */
  concurrency?: number;
  /**
   * `post-put` (default): POST then PUT. `single-post`: POST ?digest= with the body, then PUT when the registry
   * answers 202 (distribution 2.8.2 does: it ignores the body).
   */
  uploadMode?: 'post-put' | 'single-post';
}

/** Retries of a manifest PUT that the registry answered MANIFEST_BLOB_UNKNOWN for blobs it has (client.ts, blobRaceSettled). */
export const MANIFEST_BLOB_RETRIES = 3;
/** The first pause before the blobs are checked again: 100, 300, 900 ms. */
const MANIFEST_BLOB_SETTLE_MS = 100;

/** The blobs an image manifest references (config and layers); none for an index, or bytes that are not JSON. */
function referencedBlobs(manifest: Buffer): Set<string> {
  const out = new Set<string>();
  try {
    const m = JSON.parse(manifest.toString('utf8')) as { config?: { digest?: unknown }; layers?: { digest?: unknown }[] };
    for (const d of [m.config, ...(Array.isArray(m.layers) ? m.layers : [])]) if (d && typeof d.digest === 'string' && isDigest(d.digest)) out.add(d.digest);
  } catch {
    /* not JSON: the registry's answer stands */
  }
  return out;
}

export interface PushImageBlob {
  digest: string;
  size?: number;
  source: BlobSource;
}

export interface PushImageOptions {
  blobs: PushImageBlob[];
  manifest: { bytes: Buffer; mediaType: string };
  /** Tags to point at the manifest (validated before anything is sent); none: pushed by digest. */
  tags?: string[];
}

export class RegistryClient {
  private readonly engine: RegistryEngine;
  private readonly blobs: Blobs;
  private readonly referrersApi: Referrers;
  readonly concurrency: number;

  constructor(opts: RegistryClientOptions = {}) {
    this.engine = new RegistryEngine(opts);
    this.concurrency = Math.max(1, opts.concurrency ?? 3);
    this.blobs = new Blobs(this.engine, opts.uploadMode ?? 'post-put');
    this.referrersApi = new Referrers(this.engine, this);
  }

  /** Tokens fetched so far (registry + scopes, never the token), for diagnostics and tests. */
  get tokenFetches(): readonly TokenFetch[] {
    return this.engine.tokenFetches;
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.engine.close();
  }

  /** GET /v2/ with authentication: throws when the registry is unreachable or refuses the credentials. */
  async ping(registry: string | Repository): Promise<void> {
    const repo: Repository = typeof registry === 'string' ? { registry, repository: '' } : { ...registry, repository: '' };
    const ctx: Ctx = { op: 'ping', repo, scopes: [] };
    await this.engine.request(ctx, 'GET', new URL(`${this.engine.origin(repo)}/v2/`), [200]);
  }

  async blobExists(repo: Repository, digest: string): Promise<boolean> {
    return this.blobs.exists(repo, digest);
  }

  /**
   * Pushes a blob unless the repository has it (HEAD first): POST an upload, then one monolithic PUT with `digest`
   * (chunked uploads are broken on some registries). The pair is retried as a unit: an upload Location is single-use state.
   * `opts.dedup: false` uploads without the HEAD: a round trip less for a small blob that is almost always new (a
   * signature image's), an upload of a few bytes more when the registry had it after all.
   */
  async pushBlob(repo: Repository, source: BlobSource, digest: string, size?: number, opts?: PushBlobOptions): Promise<PushedBlob> {
    return this.blobs.push(repo, source, digest, size, opts);
  }

  /**
   * Cross-repository mount: true when mounted (201). A 202 opens an ordinary upload: with `source` the
   * blob is uploaded into it, otherwise it is cancelled; either way false. Different registries: false.
   */
  async mountBlob(repo: Repository, digest: string, fromRepo: Repository | string, source?: BlobSource): Promise<boolean> {
    return this.blobs.mount(repo, digest, fromRepo, source);
  }

  /** GET a blob into memory; the digest is verified. Redirects are followed without credentials off-origin. */
  async fetchBlob(repo: Repository, digest: string): Promise<Buffer> {
    return this.blobs.fetch(repo, digest);
  }

  /** GET a blob into a file (streamed, sha256 verified; the file is removed on mismatch). */
  async fetchBlobToFile(repo: Repository, digest: string, path: string): Promise<{ digest: string; size: number }> {
    return this.blobs.fetchToFile(repo, digest, path);
  }

  private checkReference(reference: string): void {
    if (isDigest(reference)) validateDigest(reference);
    else validateTag(reference);
  }

  /**
   * PUT a manifest: the exact bytes, Content-Type = mediaType, the returned Docker-Content-Digest checked against
   * sha256 of the bytes. Returns the digest.
   */
  async putManifest(repo: Repository, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    this.engine.check(repo);
    this.checkReference(reference);
    if (!mediaType) throw new InputError('putManifest needs the manifest media type (Content-Type must equal its mediaType)');
    const digest = sha(bytes);
    if (isDigest(reference) && sha(bytes, algorithmOf(reference)) !== reference) {
      throw new InputError(`manifest bytes do not match the digest ${reference} they are pushed under`, 'push by the digest of the exact bytes, never of re-serialised JSON');
    }
    const ctx = this.engine.ctx(`push manifest ${reference}`, repo, ['pull', 'push']);
    const put = () => this.engine.request(ctx, 'PUT', this.engine.url(repo, `manifests/${reference}`), [200, 201, 202, 204], { body: bytes, headers: { 'content-type': mediaType } });
    let res: WireResponse;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await put();
        break;
      } catch (e) {
        if (!(await this.blobRaceSettled(ctx, e, bytes, attempt))) throw e;
      }
    }
    const got = header(res, 'docker-content-digest');
    if (got && algorithmOf(got) === 'sha256' && got !== digest) {
      throw new RegistryError({ registry: repo.registry, repository: repo.repository, operation: ctx.op, status: res.status, code: RegistryErrorCode.DigestMismatch, message: `${ctx.op}: the registry reports ${got}, but the bytes sent hash to ${digest}` });
    }
    return digest;
  }

  /**
   * After a manifest PUT answered MANIFEST_BLOB_UNKNOWN: true (after a pause) unless a HEAD made a moment later
   * answers 404 for a blob it named, so the PUT is worth another attempt; false when a blob is really missing, or
   * after {@link MANIFEST_BLOB_RETRIES} retries. A registry can miss a blob it has: distribution 2.8's filesystem driver
   * rewrites a repository's blob link in place when a concurrent push commits the same blob (the Flux config blob
   * every artifact shares, two releases of one component), and a manifest PUT that reads the link meanwhile finds
   * it empty (docs/registry-client.md, "A blob the registry has but cannot find").
   */
  private async blobRaceSettled(ctx: Ctx, e: unknown, manifest: Buffer, attempt: number): Promise<boolean> {
    if (!(e instanceof RegistryError) || e.status !== 400 || attempt > MANIFEST_BLOB_RETRIES) return false;
    const named = e.errors.filter((x) => x.code === 'MANIFEST_BLOB_UNKNOWN' || x.code === 'BLOB_UNKNOWN');
    if (named.length === 0) return false;
    const referenced = referencedBlobs(manifest);
    // Only blobs this manifest references, named by the registry (in `detail`: a string on distribution, an object on
    // some others), or all of them when it names none.
    const digests = named.map((x) => /sha(?:256|384|512):[0-9a-f]+/.exec(x.detail ?? '')?.[0]).filter((d): d is string => d !== undefined);
    if (digests.some((d) => !referenced.has(d))) return false;
    const check = digests.length > 0 ? [...new Set(digests)] : [...referenced];
    if (check.length === 0) return false;
    const why = `${check.join(', ')} may be hidden by a concurrent push of the same blob: retried unless the registry then answers 404 for ${check.length === 1 ? 'it' : 'one of them'}`;
    await this.engine.pauseBeforeRetry(ctx, e, MANIFEST_BLOB_SETTLE_MS * 3 ** (attempt - 1), `attempt ${attempt + 1}/${MANIFEST_BLOB_RETRIES + 1}`, why);
    // A 404 is the registry's definite answer: the blob is missing, and the PUT's error stands. A HEAD that fails
    // otherwise (2.8 answers 500 when it reads the same half-written link) settles nothing: the PUT decides again.
    const present = await Promise.all(check.map((d) => this.blobs.exists(ctx.repo, d).catch(() => undefined)));
    return !present.includes(false);
  }

  /** GET a manifest or index (full Accept list, 4 MiB cap). Throws a REGISTRY_NOT_FOUND RegistryError when missing. */
  async getManifest(repo: Repository, reference: string): Promise<ManifestBytes> {
    this.engine.check(repo);
    this.checkReference(reference);
    const ctx = this.engine.ctx(`get manifest ${reference}`, repo, ['pull']);
    const res = await this.engine.request(ctx, 'GET', this.engine.url(repo, `manifests/${reference}`), [200], { headers: { accept: MANIFEST_ACCEPT } });
    const bytes = res.body;
    const digest = sha(bytes);
    const expected = isDigest(reference) ? reference : header(res, 'docker-content-digest');
    if (expected && sha(bytes, algorithmOf(expected)) !== expected) throw this.engine.mismatch(ctx, expected, sha(bytes, algorithmOf(expected)));
    return { bytes, digest, mediaType: this.manifestType(res, bytes) };
  }

  private manifestType(res: WireResponse, bytes?: Buffer): string {
    const ct = baseType(header(res, 'content-type'));
    if (ct && ct !== 'application/json' && ct !== 'application/octet-stream' && ct !== 'text/plain') return ct;
    if (bytes) {
      try {
        const m = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
        if (typeof m.mediaType === 'string') return m.mediaType;
        return Array.isArray(m.manifests) ? MediaType.OciIndex : MediaType.OciManifest;
      } catch {
        /* not JSON */
      }
    }
    return ct;
  }

  /** HEAD a manifest: its descriptor, or undefined on 404 (the cheap way to resolve a tag to a digest). */
  async headManifest(repo: Repository, reference: string): Promise<Descriptor | undefined> {
    this.engine.check(repo);
    this.checkReference(reference);
    const ctx = this.engine.ctx(`check manifest ${reference}`, repo, ['pull']);
    const res = await this.engine.request(ctx, 'HEAD', this.engine.url(repo, `manifests/${reference}`), [200, 404], { headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return undefined;
    const digest = header(res, 'docker-content-digest');
    const size = Number(header(res, 'content-length'));
    if (!digest || !Number.isFinite(size)) {
      // Old registries omit the digest on HEAD: fall back to GET and hash.
      try {
        const m = await this.getManifest(repo, reference);
        return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    }
    return { mediaType: this.manifestType(res), digest, size };
  }

  /** Points more tags at a manifest: PUT of the exact bytes under each tag (no blobs move). Returns the digest. */
  async tag(repo: Repository, fromReference: string, tags: string[]): Promise<string> {
    this.engine.check(repo);
    for (const t of tags) validateTag(t);
    const m = await this.getManifest(repo, fromReference);
    for (const t of tags) await this.putManifest(repo, t, m.bytes, m.mediaType);
    return m.digest;
  }

  /**
   * All tags: follows every `Link: <…>; rel="next"` page (relative or absolute; a loop or more than `maxPages` pages
   * is an error, never a partial list), then sorts and de-duplicates client-side (distribution 2.8.2 returns them
   * unsorted and unpaginated). Memory: one array holding each tag string once, sorted and
   * de-duplicated in place (bench/tag-listing.bench.ts).
   */
  async listTags(repo: Repository, opts: { pageSize?: number } = {}): Promise<string[]> {
    this.engine.check(repo);
    const ctx = this.engine.ctx('list tags', repo, ['pull']);
    const first = this.engine.url(repo, 'tags/list');
    if (opts.pageSize) first.searchParams.set('n', String(opts.pageSize));
    // Each page's parsed array is kept as is, then copied once into an array of the exact size (no growth copies).
    const pages: (string[] | undefined)[] = [];
    let total = 0;
    for await (const res of this.engine.pages(ctx, first)) {
      let page: { tags?: unknown };
      try {
        page = JSON.parse(res.body.toString('utf8')) as { tags?: unknown };
      } catch {
        throw new RegistryError({ registry: repo.registry, repository: repo.repository, operation: ctx.op, status: res.status, code: RegistryErrorCode.Protocol, message: `${ctx.op}: the registry answered with something that is not JSON` });
      }
      if (!Array.isArray(page.tags)) continue;
      const list = page.tags as unknown[];
      const strings = list.every((t) => typeof t === 'string') ? (list as string[]) : list.filter((t): t is string => typeof t === 'string');
      pages.push(strings);
      total += strings.length;
    }
    const tags: string[] = new Array<string>(total);
    let at = 0;
    for (let p = 0; p < pages.length; p++) {
      for (const t of pages[p] ?? []) tags[at++] = t;
      pages[p] = undefined;
    }
    tags.sort();
    let kept = 0;
    for (let i = 0; i < tags.length; i++) if (kept === 0 || tags[i] !== tags[kept - 1]) tags[kept++] = tags[i];
    tags.length = kept;
    return tags;
  }

  /**
   * Does the repository have the OCI 1.1 referrers API? Probed the oras-go way: GET the referrers of the
   * zero digest; 200 with the index Content-Type = yes; 404 = no, unless NAME_UNKNOWN (repository missing). Cached.
   */
  async referrersSupported(repo: Repository): Promise<boolean> {
    return this.referrersApi.supported(repo);
  }

  /** Referrers of a manifest: the referrers API when present, else the `sha256-<hex>` fallback index. */
  async referrers(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]> {
    return this.referrersApi.list(repo, digest, artifactType);
  }

  /**
   * Adds descriptors to (and removes digests from) the fallback index under `sha256-<hex>` (docs/signing.md, "The referrers fallback index"): read, or
   * start an empty index on 404; add what is not listed (written as cosign v3 writes it: referrers-index.ts); PUT; read back, and redo the read-modify-write if a
   * concurrent writer dropped our change (2.8.2 ignores If-Match, so a conditional PUT does not help). Push referrers before the index.
   */
  async updateFallbackIndex(repo: Repository, subjectDigest: string, add: Descriptor[], opts: { remove?: string[]; deleteSuperseded?: boolean } = {}): Promise<FallbackIndexUpdate> {
    return this.referrersApi.updateFallbackIndex(repo, subjectDigest, add, opts);
  }

  /**
   * Pushes a referrer manifest (one with `subject`) by digest, then maintains the fallback index unless the
   * repository has the referrers API (probed, never assumed from an OCI-Subject header, which some registries send without the API). Returns its digest.
   */
  async pushReferrer(repo: Repository, manifestBytes: Buffer, mediaType: string, subject: Descriptor): Promise<string> {
    return this.referrersApi.push(repo, manifestBytes, mediaType, subject);
  }

  /** DELETE a manifest by digest (distribution refuses tag deletion). */
  async deleteManifest(repo: Repository, digest: string): Promise<void> {
    this.engine.check(repo);
    validateDigest(digest);
    const ctx = this.engine.ctx(`delete manifest ${digest}`, repo, ['delete']);
    await this.engine.request(ctx, 'DELETE', this.engine.url(repo, `manifests/${digest}`), [200, 202, 204]);
  }

  /**
   * Pushes an image/artifact: blobs first (bounded parallel, HEAD dedup), then the manifest under each tag (or by
   * digest), so nothing ever points at a missing blob. Tags are validated before any request. Returns the digest.
   */
  async pushImage(repo: Repository, img: PushImageOptions): Promise<{ digest: string; blobs: PushedBlob[] }> {
    this.engine.check(repo);
    const tags = img.tags ?? [];
    for (const t of tags) validateTag(t);
    for (const b of img.blobs) validateDigest(b.digest);
    const blobs = await mapLimit(img.blobs, this.concurrency, (b) => this.pushBlob(repo, b.source, b.digest, b.size));
    const digest = sha(img.manifest.bytes);
    if (tags.length === 0) await this.putManifest(repo, digest, img.manifest.bytes, img.manifest.mediaType);
    for (const t of tags) await this.putManifest(repo, t, img.manifest.bytes, img.manifest.mediaType);
    return { digest, blobs };
  }
}
