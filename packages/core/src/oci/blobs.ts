/**
 * Blob transfer (docs/registry-client.md): HEAD dedup, monolithic POST-then-PUT (or single POST) uploads retried as a
 * unit, cross-repository mounts, and downloads verified against their digest, in memory or streamed to a file.
 */
import { stat, unlink } from 'node:fs/promises';
import { MediaType } from '../base/index.js';
import { InputError } from '../errors.js';
import { repositoryScope } from './challenge.js';
import { algorithmOf, header, sha, type Ctx, type RegistryEngine } from './engine.js';
import { RegistryError, RegistryErrorCode } from './errors.js';
import { validateDigest, validateRepository } from './references.js';
import type { FileBody, WireResponse } from './transport.js';
import type { BlobSource, Repository } from './types.js';

/** The result of a blob push. */
export interface PushedBlob {
  digest: string;
  size: number;
  /** false when the registry already had it (HEAD dedup). */
  uploaded: boolean;
  /** true when it came by cross-repository mount. */
  mounted?: boolean;
}

/** How a blob is pushed. */
export interface PushBlobOptions {
  /** HEAD the blob first and skip the upload when the repository has it (default true). */
  dedup?: boolean;
}

export class Blobs {
  constructor(
    private readonly engine: RegistryEngine,
    private readonly uploadMode: 'post-put' | 'single-post',
  ) {}

  /** `RegistryClient.blobExists`. */
  async exists(repo: Repository, digest: string): Promise<boolean> {
    this.engine.check(repo);
    validateDigest(digest);
    return this.existsIn(this.engine.ctx(`check blob ${digest}`, repo, ['pull']), digest);
  }

  private async existsIn(ctx: Ctx, digest: string): Promise<boolean> {
    const res = await this.engine.request(ctx, 'HEAD', this.engine.url(ctx.repo, `blobs/${digest}`), [200, 404]);
    return res.status === 200;
  }

  /** `RegistryClient.pushBlob`. */
  async push(repo: Repository, source: BlobSource, digest: string, size?: number, opts: PushBlobOptions = {}): Promise<PushedBlob> {
    this.engine.check(repo);
    validateDigest(digest);
    const body = await this.bodyOf(source, size);
    const length = Buffer.isBuffer(body) ? body.length : body.size;
    const ctx = this.engine.ctx(`push blob ${digest}`, repo, ['pull', 'push']);
    if ((opts.dedup ?? true) && (await this.existsIn(ctx, digest))) {
      this.engine.logger?.debug(`blob ${digest} exists in ${repo.registry}/${repo.repository}: skipped`);
      return { digest, size: length, uploaded: false };
    }
    await this.engine.retrying(ctx, () => this.upload(ctx, digest, body));
    return { digest, size: length, uploaded: true };
  }

  private async upload(ctx: Ctx, digest: string, body: Buffer | FileBody): Promise<void> {
    const start = this.engine.url(ctx.repo, 'blobs/uploads/');
    let res: WireResponse;
    if (this.uploadMode === 'single-post') {
      start.searchParams.set('digest', digest);
      res = await this.engine.send(ctx, 'POST', start, { body, headers: { 'content-type': MediaType.OctetStream } });
      if (res.status === 201) return this.checkBlobDigest(ctx, res, digest);
    } else {
      res = await this.engine.send(ctx, 'POST', start);
    }
    if (res.status !== 202) throw this.engine.fail(ctx, res);
    await this.putUpload(ctx, res, digest, body);
  }

  /** PUT the whole body to the upload Location of `res` (relative Locations resolve against the final URL). */
  private async putUpload(ctx: Ctx, res: WireResponse, digest: string, body: Buffer | FileBody): Promise<void> {
    const location = header(res, 'location');
    if (!location) throw new RegistryError({ registry: ctx.repo.registry, repository: ctx.repo.repository, operation: ctx.op, status: res.status, code: RegistryErrorCode.Protocol, message: `${ctx.op}: the registry opened an upload without a Location header` });
    const loc = new URL(location, res.url);
    // Append by hand: re-serialising the query could re-encode distribution's _state HMAC parameter.
    const put = new URL(`${loc.href}${loc.search ? '&' : '?'}digest=${encodeURIComponent(digest)}`);
    const done = await this.engine.send(ctx, 'PUT', put, { body, headers: { 'content-type': MediaType.OctetStream } });
    if (done.status !== 201 && done.status !== 204) throw this.engine.fail(ctx, done);
    this.checkBlobDigest(ctx, done, digest);
  }

  private checkBlobDigest(ctx: Ctx, res: WireResponse, digest: string): void {
    const got = header(res, 'docker-content-digest');
    if (got && algorithmOf(got) === algorithmOf(digest) && got !== digest) {
      throw new RegistryError({ registry: ctx.repo.registry, repository: ctx.repo.repository, operation: ctx.op, status: res.status, code: RegistryErrorCode.DigestMismatch, message: `${ctx.op}: the registry stored ${got}, expected ${digest}` });
    }
  }

  /** `RegistryClient.mountBlob`. */
  async mount(repo: Repository, digest: string, fromRepo: Repository | string, source?: BlobSource): Promise<boolean> {
    this.engine.check(repo);
    validateDigest(digest);
    const from: Repository = typeof fromRepo === 'string' ? { registry: repo.registry, repository: fromRepo } : fromRepo;
    if (from.registry !== repo.registry) return false;
    validateRepository(from.repository, from.registry);
    const body = source ? await this.bodyOf(source) : undefined;
    const ctx = this.engine.ctx(`mount blob ${digest}`, repo, ['pull', 'push'], [repositoryScope(from.repository, ['pull'])]);
    return this.engine.retrying(ctx, async () => {
      const url = this.engine.url(repo, 'blobs/uploads/');
      url.searchParams.set('mount', digest);
      url.searchParams.set('from', from.repository);
      const res = await this.engine.send(ctx, 'POST', url);
      if (res.status === 201) {
        this.checkBlobDigest(ctx, res, digest);
        return true;
      }
      if (res.status !== 202) throw this.engine.fail(ctx, res);
      if (body) {
        await this.putUpload(ctx, res, digest, body);
      } else {
        const loc = header(res, 'location');
        if (loc) await this.engine.send(ctx, 'DELETE', new URL(loc, res.url)).catch(() => undefined);
      }
      return false;
    });
  }

  /** `RegistryClient.fetchBlob`. */
  async fetch(repo: Repository, digest: string): Promise<Buffer> {
    this.engine.check(repo);
    validateDigest(digest);
    const ctx = this.engine.ctx(`fetch blob ${digest}`, repo, ['pull']);
    return this.engine.retrying(ctx, async () => {
      const res = await this.engine.send(ctx, 'GET', this.engine.url(repo, `blobs/${digest}`), { sink: { kind: 'buffer', limit: Number.MAX_SAFE_INTEGER } });
      if (res.status !== 200) throw this.engine.fail(ctx, res);
      const got = sha(res.body, algorithmOf(digest));
      if (got !== digest) throw this.engine.mismatch(ctx, digest, got);
      return res.body;
    });
  }

  /** `RegistryClient.fetchBlobToFile`. */
  async fetchToFile(repo: Repository, digest: string, path: string): Promise<{ digest: string; size: number }> {
    this.engine.check(repo);
    validateDigest(digest);
    if (algorithmOf(digest) !== 'sha256') throw new InputError(`fetchBlobToFile supports sha256 digests only, got ${digest}`);
    const ctx = this.engine.ctx(`fetch blob ${digest}`, repo, ['pull']);
    return this.engine.retrying(ctx, async () => {
      const res = await this.engine.send(ctx, 'GET', this.engine.url(repo, `blobs/${digest}`), { sink: { kind: 'file', path } });
      if (res.status !== 200 || !res.file) throw this.engine.fail(ctx, res);
      if (res.file.digest !== digest) {
        await unlink(path).catch(() => undefined);
        throw this.engine.mismatch(ctx, digest, res.file.digest);
      }
      return res.file;
    });
  }

  private async bodyOf(source: BlobSource, size?: number): Promise<Buffer | FileBody> {
    if ('data' in source) {
      if (size !== undefined && size !== source.data.length) throw new InputError(`blob size ${size} does not match the data (${source.data.length} bytes)`);
      return source.data;
    }
    const st = await stat(source.path);
    if (size !== undefined && size !== st.size) throw new InputError(`blob size ${size} does not match ${source.path} (${st.size} bytes)`);
    return { path: source.path, size: st.size };
  }
}
