/**
 * Referrers (docs/registry-client.md, "Referrers"): the OCI 1.1 referrers API, probed once per repository, and without
 * it the `sha256-<hex>` fallback index (read; written through referrers-index.ts, read back, redone when a concurrent
 * writer dropped the change).
 */
import { MediaType } from '../base/index.js';
import { InputError } from '../errors.js';
import { baseType, header, sha, sleep, type Ctx, type RegistryEngine } from './engine.js';
import { isNotFound, parseErrorBody, RegistryError, RegistryErrorCode } from './errors.js';
import { referrersIndexBytes } from './referrers-index.js';
import { referrersTag, validateDigest } from './references.js';
import type { Descriptor, ManifestBytes, Repository } from './types.js';

const ZERO_DIGEST = `sha256:${'0'.repeat(64)}`;

export interface FallbackIndexUpdate {
  /** The fallback tag, `sha256-<hex>`. */
  tag: string;
  /** Digest of the index now under the tag. */
  digest: string;
  changed: boolean;
}

/** The manifest verbs the fallback index is read and written with (the RegistryClient's). */
export interface ManifestStore {
  getManifest(repo: Repository, reference: string): Promise<ManifestBytes>;
  putManifest(repo: Repository, reference: string, bytes: Buffer, mediaType: string): Promise<string>;
  deleteManifest(repo: Repository, digest: string): Promise<void>;
}

export class Referrers {
  private readonly capability = new Map<string, boolean>();

  constructor(
    private readonly engine: RegistryEngine,
    private readonly manifests: ManifestStore,
  ) {}

  /** `RegistryClient.referrersSupported`. */
  async supported(repo: Repository): Promise<boolean> {
    this.engine.check(repo);
    const key = `${repo.registry}/${repo.repository}`;
    const known = this.capability.get(key);
    if (known !== undefined) return known;
    const ctx = this.engine.ctx('probe referrers API', repo, ['pull']);
    const res = await this.engine.retrying(ctx, async () => {
      const r = await this.engine.send(ctx, 'GET', this.engine.url(repo, `referrers/${ZERO_DIGEST}`), { headers: { accept: MediaType.OciIndex } });
      if (r.status === 401 || r.status === 403 || r.status === 408 || r.status === 429 || r.status >= 500) throw this.engine.fail(ctx, r);
      return r;
    });
    if (res.status === 200 && baseType(header(res, 'content-type')) === MediaType.OciIndex) {
      this.capability.set(key, true);
      return true;
    }
    const nameUnknown = res.status === 404 && parseErrorBody(res.body).errors.some((e) => e.code === 'NAME_UNKNOWN');
    if (!nameUnknown) this.capability.set(key, false);
    return false;
  }

  /** `RegistryClient.referrers`. */
  async list(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]> {
    this.engine.check(repo);
    validateDigest(digest);
    const filter = (list: Descriptor[]) => (artifactType ? list.filter((d) => d.artifactType === artifactType) : list);
    // Before the repository's first probe, the fallback index is read while the API is probed (registries without the
    // API, GHCR among them, then answer in one round trip; with the API the read is one request of waste).
    const fallback = this.capability.has(`${repo.registry}/${repo.repository}`) ? undefined : this.readFallbackIndex(repo, digest);
    fallback?.catch(() => undefined); // awaited below when the API is missing; not an unhandled rejection otherwise
    if (await this.supported(repo)) {
      const ctx = this.engine.ctx(`list referrers of ${digest}`, repo, ['pull']);
      const first = this.engine.url(repo, `referrers/${digest}`);
      if (artifactType) first.searchParams.set('artifactType', artifactType);
      const out: Descriptor[] = [];
      for await (const res of this.engine.pages(ctx, first, { accept: MediaType.OciIndex })) out.push(...this.indexManifests(ctx, res.body));
      return filter(out);
    }
    const index = await (fallback ?? this.readFallbackIndex(repo, digest));
    return filter(index?.manifests ?? []);
  }

  private indexManifests(ctx: Ctx, bytes: Buffer): Descriptor[] {
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as { manifests?: unknown };
      return Array.isArray(parsed.manifests) ? (parsed.manifests as Descriptor[]) : [];
    } catch {
      throw new RegistryError({ registry: ctx.repo.registry, repository: ctx.repo.repository, operation: ctx.op, code: RegistryErrorCode.Protocol, message: `${ctx.op}: the index is not JSON` });
    }
  }

  private async readFallbackIndex(repo: Repository, subject: string): Promise<{ manifest: ManifestBytes; manifests: Descriptor[]; json: Record<string, unknown> } | undefined> {
    const tag = referrersTag(subject);
    let manifest: ManifestBytes;
    try {
      manifest = await this.manifests.getManifest(repo, tag);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const ctx = this.engine.ctx(`read referrers index ${tag}`, repo, ['pull']);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(manifest.bytes.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new RegistryError({ registry: repo.registry, repository: repo.repository, operation: ctx.op, code: RegistryErrorCode.Protocol, message: `${ctx.op}: tag ${tag} does not hold JSON` });
    }
    const type = typeof json.mediaType === 'string' ? json.mediaType : manifest.mediaType;
    if (type !== MediaType.OciIndex || !Array.isArray(json.manifests)) {
      throw new RegistryError({
        registry: repo.registry,
        repository: repo.repository,
        operation: ctx.op,
        code: RegistryErrorCode.Protocol,
        message: `tag ${tag} in ${repo.registry}/${repo.repository} holds a ${type || 'non-index manifest'}, not the OCI referrers fallback index`,
        hint: `the tag ${tag} is reserved for the referrers of ${subject}: move the other content elsewhere`,
      });
    }
    return { manifest, manifests: json.manifests as Descriptor[], json };
  }

  /** `RegistryClient.updateFallbackIndex`. */
  async updateFallbackIndex(repo: Repository, subjectDigest: string, add: Descriptor[], opts: { remove?: string[]; deleteSuperseded?: boolean } = {}): Promise<FallbackIndexUpdate> {
    this.engine.check(repo);
    validateDigest(subjectDigest);
    const tag = referrersTag(subjectDigest);
    const remove = new Set(opts.remove ?? []);
    for (let round = 1; ; round++) {
      const current = await this.readFallbackIndex(repo, subjectDigest);
      const manifests = (current?.manifests ?? []).filter((d) => !remove.has(d.digest));
      const listed = new Set(manifests.map((d) => d.digest));
      for (const d of add) if (!listed.has(d.digest)) manifests.push(d);
      const changed = manifests.length !== (current?.manifests.length ?? -1) || (current?.manifests ?? []).some((d, i) => manifests[i]?.digest !== d.digest);
      if (!changed && current) return { tag, digest: current.manifest.digest, changed: false };
      const bytes = referrersIndexBytes(manifests, current?.json);
      const digest = await this.manifests.putManifest(repo, tag, bytes, MediaType.OciIndex);
      const after = await this.readFallbackIndex(repo, subjectDigest);
      const now = new Set((after?.manifests ?? []).map((d) => d.digest));
      const ok = add.every((d) => now.has(d.digest)) && [...remove].every((r) => !now.has(r));
      if (ok) {
        if (opts.deleteSuperseded && current && current.manifest.digest !== digest) {
          await this.manifests.deleteManifest(repo, current.manifest.digest).catch((e: unknown) => this.engine.logger?.debug(`could not delete the superseded referrers index: ${e instanceof Error ? e.message : String(e)}`));
        }
        return { tag, digest, changed: true };
      }
      if (round >= 3) {
        throw new RegistryError({ registry: repo.registry, repository: repo.repository, operation: `update referrers index ${tag}`, code: RegistryErrorCode.Protocol, message: `the referrers index ${tag} kept changing under concurrent writers` });
      }
      await sleep(100 * round);
    }
  }

  /** `RegistryClient.pushReferrer`. */
  async push(repo: Repository, manifestBytes: Buffer, mediaType: string, subject: Descriptor): Promise<string> {
    this.engine.check(repo);
    validateDigest(subject.digest);
    let parsed: { artifactType?: unknown; config?: { mediaType?: unknown }; annotations?: unknown; subject?: { digest?: unknown } };
    try {
      parsed = JSON.parse(manifestBytes.toString('utf8')) as typeof parsed;
    } catch {
      throw new InputError('referrer manifest is not JSON');
    }
    if (parsed.subject?.digest !== subject.digest) throw new InputError(`referrer manifest's subject (${String(parsed.subject?.digest)}) is not ${subject.digest}`);
    const digest = await this.manifests.putManifest(repo, sha(manifestBytes), manifestBytes, mediaType);
    if (await this.supported(repo)) return digest;
    const artifactType = typeof parsed.artifactType === 'string' ? parsed.artifactType : typeof parsed.config?.mediaType === 'string' ? parsed.config.mediaType : undefined;
    const annotations = parsed.annotations && typeof parsed.annotations === 'object' ? (parsed.annotations as Record<string, string>) : undefined;
    const descriptor: Descriptor = { mediaType, digest, size: manifestBytes.length, ...(artifactType ? { artifactType } : {}), ...(annotations ? { annotations } : {}) };
    await this.updateFallbackIndex(repo, subject.digest, [descriptor]);
    return digest;
  }
}
