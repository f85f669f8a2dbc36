/**
 * RegistryClient: a focused OCI Distribution client (docs/registry-client.md). No maintained npm package covers
 * push, tag, list, pull, referrers and auth for every target registry ("Why our own client"), so we own this one. It
 * follows oras-go's designs: monolithic POST-then-PUT uploads, HEAD-before-upload dedup, blobs before
 * manifests with bounded concurrency (3), scope hints and single-flight tokens (auth.ts), the referrers probe with the
 * `sha256-<hex>` fallback index, 4 MiB metadata cap, retries with backoff on 408/429/5xx and network errors.
 */
import { createHash } from 'node:crypto';
import { stat, unlink } from 'node:fs/promises';
import { mapLimit, MediaType, type RetryOptions } from '../base/index.js';
import { InputError } from '../errors.js';
import { AuthManager, type TokenFetch } from './auth.js';
import { parseChallenge, repositoryScope } from './challenge.js';
import { ChainCredentials, DockerConfigCredentials } from './credentials/index.js';
import { parseErrorBody, RegistryError, RegistryErrorCode, isNotFound } from './errors.js';
import { referrersIndexBytes } from './referrers-index.js';
import { isLoopback, referrersTag, validateDigest, validateRepository, validateTag } from './references.js';
import { ProxyResolver, type ProxyOptions } from './proxy.js';
import { RequestTimeoutError } from '../util/index.js';
import { BodyTooLargeError, DEFAULT_REQUEST_DEADLINE_MS, METADATA_LIMIT, NetworkError, ProxyError, Transport, type FileBody, type Sink, type WireResponse } from './transport.js';
import type { BlobSource, Budget, CredentialProvider, Descriptor, Logger, ManifestBytes, Repository } from './types.js';

// The media types are declared once, in the lower layer; the client's API keeps exporting them by name.
export { MediaType };

/** Every manifest type we read; distribution 2.8 answers 404 for an OCI manifest without it. */
export const MANIFEST_ACCEPT = [MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList].join(', ');

const ZERO_DIGEST = `sha256:${'0'.repeat(64)}`;

export type { RetryOptions } from '../base/index.js';

export interface RegistryClientOptions {
  /** Default: docker's lookup (DOCKER_AUTH_CONFIG, DOCKER_CONFIG/config.json with helpers) from `env`. */
  credentials?: CredentialProvider;
  /** Environment for the default credentials (default process.env). */
  env?: Record<string, string | undefined>;
  /** config.json directory for the default credentials (default $DOCKER_CONFIG or ~/.docker). */
  dockerConfigDir?: string;
  /** Plain HTTP for these registries (true: all). Loopback registries always use HTTP. */
  insecure?: boolean | string[];
  /** Parallel blob uploads (default 3, like dockerd, containerd and oras-go). */
  concurrency?: number;
  /** Default 5 attempts, back-off from 250 ms doubling to 3000 ms (±10 % jitter), Retry-After capped at 10 000 ms. */
  retry?: RetryOptions;
  /** Socket inactivity timeout per request (default 60 000 ms). */
  timeoutMs?: number;
  /**
   * Deadline of one whole request: connect, request body, headers and response body (default 120 000 ms), plus one
   * second per MiB of body so a large blob at a sane speed is not cut. A stalled request is retried.
   */
  requestTimeoutMs?: number;
  /**
   * The time limit of the whole operation (an action run, a CLI command; TimeBudget in util/deadline.ts): a request
   * is cut when it is spent, and no retry starts that it could not cover. Default: none (the per-request deadline and
   * the retry count still bound every call).
   */
  budget?: Budget;
  /** Most pages a paginated listing (tags, referrers) follows before failing (default 1,000,000; never truncates). */
  maxPages?: number;
  userAgent?: string;
  logger?: Logger;
  /** Use the OAuth2 password grant for tokens (POST, falls back to GET on 404). Default false (GET, as docker). */
  oauth2?: boolean;
  /**
   * `post-put` (default): POST then PUT. `single-post`: POST ?digest= with the body, then PUT when the registry
   * answers 202 (distribution 2.8.2 does: it ignores the body).
   */
  uploadMode?: 'post-put' | 'single-post';
  /**
   * HTTP(S) proxy. Default: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (lower case first) from `env`. An object overrides
   * the environment; false disables proxying. Loopback registries are never proxied unless `proxy.loopback` says so.
   */
  proxy?: ProxyOptions | false;
}

/** The result of a blob push. */
export interface PushedBlob {
  digest: string;
  size: number;
  /** false when the registry already had it (HEAD dedup). */
  uploaded: boolean;
  /** true when it came by cross-repository mount. */
  mounted?: boolean;
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

export interface FallbackIndexUpdate {
  /** The fallback tag, `sha256-<hex>`. */
  tag: string;
  /** Digest of the index now under the tag. */
  digest: string;
  changed: boolean;
}

interface Ctx {
  op: string;
  repo: Repository;
  scopes: string[];
}

interface SendOptions {
  headers?: Record<string, string>;
  body?: Buffer | FileBody;
  sink?: Sink;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function sha(bytes: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

function algorithmOf(digest: string): string {
  return digest.slice(0, digest.indexOf(':'));
}

function baseType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function header(res: WireResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After: seconds or an HTTP date. */
function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

/** `Link: <url>; rel="next"` → the next URL (resolved against the current one). */
function nextLink(res: WireResponse): URL | undefined {
  const raw = res.headers.link;
  const values = Array.isArray(raw) ? raw : raw ? [raw] : [];
  for (const v of values) {
    for (const part of v.split(/,(?=\s*<)/)) {
      const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
      if (m && /rel\s*=\s*"?next"?/i.test(m[2])) return new URL(m[1], res.url);
    }
  }
  return undefined;
}

function isDigest(reference: string): boolean {
  return reference.includes(':');
}

export class RegistryClient {
  private readonly transport: Transport;
  private readonly auth: AuthManager;
  private readonly logger?: Logger;
  private readonly timeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly budget?: Budget;
  private readonly maxPages: number;
  private readonly retry: Required<RetryOptions>;
  private readonly insecure: boolean | string[];
  readonly concurrency: number;
  private readonly uploadMode: 'post-put' | 'single-post';
  private readonly referrersCapability = new Map<string, boolean>();
  private readonly warned = new Set<string>();

  constructor(opts: RegistryClientOptions = {}) {
    this.logger = opts.logger;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_DEADLINE_MS;
    this.budget = opts.budget;
    this.maxPages = opts.maxPages ?? 1_000_000;
    this.retry = { attempts: 5, baseMs: 250, maxMs: 3000, factor: 2, retryAfterMaxMs: 10_000, ...opts.retry };
    this.insecure = opts.insecure ?? false;
    this.concurrency = Math.max(1, opts.concurrency ?? 3);
    this.uploadMode = opts.uploadMode ?? 'post-put';
    const proxies = new ProxyResolver(opts.proxy, opts.env ?? process.env);
    this.transport = new Transport(opts.userAgent ?? 'd2-actions (+https://github.com/controlplaneio-fluxcd/d2-actions)', proxies);
    const credentials = opts.credentials ?? new ChainCredentials([new DockerConfigCredentials({ env: opts.env, configDir: opts.dockerConfigDir })]);
    this.auth = new AuthManager({
      credentials,
      transport: this.transport,
      logger: opts.logger,
      timeoutMs: this.timeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
      budget: this.budget,
      oauth2Password: opts.oauth2,
      insecure: (r) => this.isInsecure(r),
    });
  }

  /** Tokens fetched so far (registry + scopes, never the token), for diagnostics and tests. */
  get tokenFetches(): readonly TokenFetch[] {
    return this.auth.fetches;
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.transport.close();
  }

  // ---------------------------------------------------------------- plumbing

  private isInsecure(registry: string): boolean {
    if (this.insecure === true) return true;
    return Array.isArray(this.insecure) && this.insecure.some((r) => r.toLowerCase() === registry.toLowerCase());
  }

  private origin(repo: Repository): string {
    const http = repo.insecure === true || isLoopback(repo.registry) || this.isInsecure(repo.registry);
    return `${http ? 'http' : 'https'}://${repo.registry}`;
  }

  private url(repo: Repository, path: string): URL {
    return new URL(`${this.origin(repo)}/v2/${repo.repository}/${path}`);
  }

  private check(repo: Repository): void {
    if (!repo.registry || /[/\s@]/.test(repo.registry)) throw new InputError(`registry '${repo.registry}' is not a host[:port]`, 'use e.g. ghcr.io or 127.0.0.1:5001');
    validateRepository(repo.repository, repo.registry);
  }

  private ctx(op: string, repo: Repository, actions: string[], extraScopes: string[] = []): Ctx {
    return { op, repo, scopes: [repositoryScope(repo.repository, actions), ...extraScopes] };
  }

  /** One logical request: auth (challenge → token → retry once), redirects without cross-origin credentials. */
  private async send(ctx: Ctx, method: string, url: URL, o: SendOptions = {}): Promise<WireResponse> {
    const registryOrigin = new URL(this.origin(ctx.repo)).origin;
    let headers = { ...o.headers };
    let body = o.body;
    let hops = 0;
    for (;;) {
      const sameOrigin = url.origin === registryOrigin;
      const wire = async (authorization: string | undefined) => {
        const h = authorization ? { ...headers, authorization } : headers;
        const res = await this.transport.send(
          { method, url, headers: h, body, timeoutMs: this.timeoutMs, deadlineMs: this.requestTimeoutMs, budget: this.budget },
          o.sink ?? { kind: 'buffer', limit: METADATA_LIMIT },
        );
        const via = this.transport.proxyFor(url);
        this.logger?.debug(`${method} ${url.origin}${url.pathname}${via ? ` via proxy ${via.display}` : ''} → ${res.status}`);
        return res;
      };
      let res: WireResponse;
      try {
        const authorization = sameOrigin ? await this.auth.preemptive(ctx.repo.registry, ctx.scopes) : undefined;
        res = await wire(authorization);
        if (res.status === 401 && sameOrigin) {
          const again = await this.auth.onChallenge(ctx.repo.registry, parseChallenge(res.headers['www-authenticate']), ctx.scopes, authorization);
          if (again) res = await wire(again);
        }
      } catch (e) {
        throw this.wrap(ctx, e);
      }
      const loc = header(res, 'location');
      if ([301, 302, 303, 307, 308].includes(res.status) && loc) {
        if (++hops > 10) throw new RegistryError({ registry: ctx.repo.registry, repository: ctx.repo.repository, operation: ctx.op, status: res.status, code: RegistryErrorCode.Protocol, message: `${ctx.op}: too many redirects` });
        const next = new URL(loc, url);
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method !== 'GET' && method !== 'HEAD')) {
          method = method === 'HEAD' ? 'HEAD' : 'GET';
          body = undefined;
          headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^content-/i.test(k)));
        }
        // Credentials are attached per hop, only for the registry's own origin: no credentials reach S3 or a CDN.
        url = next;
        continue;
      }
      this.warnings(res);
      return res;
    }
  }

  private warnings(res: WireResponse): void {
    const raw = res.headers.warning;
    for (const w of Array.isArray(raw) ? raw : raw ? [raw] : []) {
      const m = /^\s*299\s+\S+\s+"((?:[^"\\]|\\.)*)"/.exec(w);
      if (m && !this.warned.has(m[1])) {
        this.warned.add(m[1]);
        this.logger?.warn(`registry warning: ${m[1]}`);
      }
    }
  }

  private wrap(ctx: Ctx, e: unknown): unknown {
    const where = { registry: ctx.repo.registry, repository: ctx.repo.repository, operation: ctx.op };
    if (e instanceof RequestTimeoutError) {
      return new RegistryError({
        ...where,
        code: RegistryErrorCode.Timeout,
        message: `${ctx.op} on ${ctx.repo.registry}/${ctx.repo.repository} failed: ${e.message}`,
        hint:
          e.kind === 'budget'
            ? `the whole run may take at most ${e.budget?.describe() ?? 'its time limit'}: raise it if ${e.host} is only slow, or find out why it stalls (registry health, proxy, network)`
            : `${e.host} is too slow or stalls; check it and the network (proxy, firewall); stalled requests are retried while the time limit lasts`,
        cause: e,
      });
    }
    if (e instanceof NetworkError) {
      return new RegistryError({ ...where, code: RegistryErrorCode.Network, message: `${ctx.op} on ${ctx.repo.registry}/${ctx.repo.repository} failed: network error ${e.message}`, hint: 'check that the registry is reachable (URL, proxy, firewall); transient errors are retried', cause: e });
    }
    if (e instanceof ProxyError) {
      const auth = e.status === 407;
      return new RegistryError({
        ...where,
        code: auth ? RegistryErrorCode.Unauthorized : e.status !== undefined && e.status >= 500 ? RegistryErrorCode.Network : RegistryErrorCode.Denied,
        status: e.status,
        message: `${ctx.op} on ${ctx.repo.registry}/${ctx.repo.repository} failed: ${e.message}`,
        hint: auth
          ? 'the proxy needs credentials: put them in the proxy URL, e.g. HTTPS_PROXY=http://user:password@proxy:3128 (percent-encode special characters)'
          : `check the proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY or the proxy option); add ${ctx.repo.registry} to NO_PROXY if it must be reached directly`,
        cause: e,
      });
    }
    if (e instanceof BodyTooLargeError) {
      return new RegistryError({ ...where, code: RegistryErrorCode.TooLarge, message: `${ctx.op} on ${ctx.repo.registry}/${ctx.repo.repository}: the response exceeds ${e.limit} bytes (manifests and indexes are capped at 4 MiB)`, cause: e });
    }
    return e;
  }

  /** A RegistryError from a response (status, registry error codes, challenge error, Retry-After). */
  private fail(ctx: Ctx, res: WireResponse): RegistryError {
    const parsed = parseErrorBody(res.body);
    const errors = [...parsed.errors];
    const challenge = parseChallenge(res.headers['www-authenticate']);
    if (res.status === 401 && challenge?.params.error) errors.push({ code: challenge.params.error.toUpperCase(), message: `token lacks ${challenge.params.scope ?? 'the needed scope'}` });
    return new RegistryError({
      registry: ctx.repo.registry,
      repository: ctx.repo.repository,
      operation: ctx.op,
      status: res.status,
      errors,
      body: parsed.text,
      retryAfterMs: retryAfterMs(header(res, 'retry-after')),
    });
  }

  /** Delay before the next attempt, or undefined when `e` is final. */
  private retryDelay(e: unknown, attempt: number): number | undefined {
    if (attempt >= this.retry.attempts) return undefined;
    if (!(e instanceof RegistryError)) return undefined;
    const s = e.status;
    if (e.cause instanceof RequestTimeoutError && e.cause.kind === 'budget') return undefined;
    const transient = e.code === RegistryErrorCode.Network || e.code === RegistryErrorCode.Timeout || s === 408 || s === 429 || (s !== undefined && s >= 502) || (s === 500 && attempt < 2);
    if (!transient) return undefined;
    // A plain 500 is often a client bug (2.8.2 answers 500 to a wrong PATCH Content-Type): one retry only, so a permanent 500 fails fast.
    if (e.retryAfterMs !== undefined) return Math.min(e.retryAfterMs, this.retry.retryAfterMaxMs);
    const base = Math.min(this.retry.maxMs, this.retry.baseMs * this.retry.factor ** (attempt - 1));
    return Math.round(base * (0.9 + Math.random() * 0.2));
  }

  private async retrying<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const delay = this.retryDelay(e, attempt);
        if (delay === undefined) throw e;
        if (this.budget && this.budget.remainingMs() <= delay) throw this.noTimeToRetry(e, this.budget);
        this.logger?.warn(`${ctx.op} on ${ctx.repo.registry}/${ctx.repo.repository}: ${e instanceof Error ? e.message : String(e)}; retrying in ${delay} ms (attempt ${attempt + 1}/${this.retry.attempts})`);
        await sleep(delay);
      }
    }
  }

  /** `e` (a retryable RegistryError), saying that the time limit leaves no room for another attempt. */
  private noTimeToRetry(e: unknown, budget: Budget): unknown {
    if (!(e instanceof RegistryError)) return e;
    return new RegistryError({
      registry: e.registry,
      repository: e.repository,
      operation: e.operation,
      status: e.status,
      errors: e.errors,
      code: e.code,
      hint: e.hint ?? `the whole run may take at most ${budget.describe()}; raise it if the registry is only slow`,
      message: `${e.message}; not retried: the time limit (${budget.describe()}) leaves no time for another attempt`,
      cause: e,
    });
  }

  /**
   * GET every page of a paginated listing, following `Link: <…>; rel="next"`. Never stops early: a page that links
   * back to one already read (a loop) or more than `maxPages` pages is an error, not a partial list. The time limit
   * bounds the whole walk.
   */
  private async *pages(ctx: Ctx, first: URL, headers?: Record<string, string>): AsyncGenerator<WireResponse> {
    const seen = new Set<string>();
    for (let url: URL | undefined = first; url; ) {
      const where = { registry: ctx.repo.registry, repository: ctx.repo.repository, operation: ctx.op, code: RegistryErrorCode.Protocol };
      if (seen.has(url.href)) {
        throw new RegistryError({
          ...where,
          message: `${ctx.op} on ${ctx.repo.registry}/${ctx.repo.repository}: the registry's pagination loops (page ${seen.size + 1} is ${url.pathname} again, already read); refusing to use a partial list`,
          hint: 'the registry paginates incorrectly (its Link header points back to an earlier page): report it to the registry operator',
        });
      }
      if (seen.size >= this.maxPages) {
        throw new RegistryError({
          ...where,
          message: `${ctx.op} on ${ctx.repo.registry}/${ctx.repo.repository}: more than ${this.maxPages.toLocaleString('en-US')} pages; refusing to use a partial list`,
          hint: 'the listing is larger than the page cap (maxPages): prune the repository, or raise the cap',
        });
      }
      seen.add(url.href);
      const res: WireResponse = await this.request(ctx, 'GET', url, [200], headers ? { headers } : {});
      yield res;
      url = nextLink(res);
    }
  }

  /** send + expect a status in `ok`, with retries (the body must be replayable: Buffer or file). */
  private async request(ctx: Ctx, method: string, url: URL, ok: number[], o: SendOptions = {}): Promise<WireResponse> {
    return this.retrying(ctx, async () => {
      const res = await this.send(ctx, method, url, o);
      if (!ok.includes(res.status)) throw this.fail(ctx, res);
      return res;
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

  // ---------------------------------------------------------------- API

  /** GET /v2/ with authentication: throws when the registry is unreachable or refuses the credentials. */
  async ping(registry: string | Repository): Promise<void> {
    const repo: Repository = typeof registry === 'string' ? { registry, repository: '' } : { ...registry, repository: '' };
    const ctx: Ctx = { op: 'ping', repo, scopes: [] };
    await this.request(ctx, 'GET', new URL(`${this.origin(repo)}/v2/`), [200]);
  }

  async blobExists(repo: Repository, digest: string): Promise<boolean> {
    this.check(repo);
    validateDigest(digest);
    return this.blobExistsCtx(this.ctx(`check blob ${digest}`, repo, ['pull']), digest);
  }

  private async blobExistsCtx(ctx: Ctx, digest: string): Promise<boolean> {
    const res = await this.request(ctx, 'HEAD', this.url(ctx.repo, `blobs/${digest}`), [200, 404]);
    return res.status === 200;
  }

  /**
   * Pushes a blob unless the repository has it (HEAD first): POST an upload, then one monolithic PUT with `digest`
   * (chunked uploads are broken on some registries). The pair is retried as a unit: an upload Location is single-use state.
   */
  async pushBlob(repo: Repository, source: BlobSource, digest: string, size?: number): Promise<PushedBlob> {
    this.check(repo);
    validateDigest(digest);
    const body = await this.bodyOf(source, size);
    const length = Buffer.isBuffer(body) ? body.length : body.size;
    const ctx = this.ctx(`push blob ${digest}`, repo, ['pull', 'push']);
    if (await this.blobExistsCtx(ctx, digest)) {
      this.logger?.debug(`blob ${digest} exists in ${repo.registry}/${repo.repository}: skipped`);
      return { digest, size: length, uploaded: false };
    }
    await this.retrying(ctx, () => this.upload(ctx, digest, body));
    return { digest, size: length, uploaded: true };
  }

  private async upload(ctx: Ctx, digest: string, body: Buffer | FileBody): Promise<void> {
    const start = this.url(ctx.repo, 'blobs/uploads/');
    let res: WireResponse;
    if (this.uploadMode === 'single-post') {
      start.searchParams.set('digest', digest);
      res = await this.send(ctx, 'POST', start, { body, headers: { 'content-type': MediaType.OctetStream } });
      if (res.status === 201) return this.checkBlobDigest(ctx, res, digest);
    } else {
      res = await this.send(ctx, 'POST', start);
    }
    if (res.status !== 202) throw this.fail(ctx, res);
    await this.putUpload(ctx, res, digest, body);
  }

  /** PUT the whole body to the upload Location of `res` (relative Locations resolve against the final URL). */
  private async putUpload(ctx: Ctx, res: WireResponse, digest: string, body: Buffer | FileBody): Promise<void> {
    const location = header(res, 'location');
    if (!location) throw new RegistryError({ registry: ctx.repo.registry, repository: ctx.repo.repository, operation: ctx.op, status: res.status, code: RegistryErrorCode.Protocol, message: `${ctx.op}: the registry opened an upload without a Location header` });
    const loc = new URL(location, res.url);
    // Append by hand: re-serialising the query could re-encode distribution's _state HMAC parameter.
    const put = new URL(`${loc.href}${loc.search ? '&' : '?'}digest=${encodeURIComponent(digest)}`);
    const done = await this.send(ctx, 'PUT', put, { body, headers: { 'content-type': MediaType.OctetStream } });
    if (done.status !== 201 && done.status !== 204) throw this.fail(ctx, done);
    this.checkBlobDigest(ctx, done, digest);
  }

  private checkBlobDigest(ctx: Ctx, res: WireResponse, digest: string): void {
    const got = header(res, 'docker-content-digest');
    if (got && algorithmOf(got) === algorithmOf(digest) && got !== digest) {
      throw new RegistryError({ registry: ctx.repo.registry, repository: ctx.repo.repository, operation: ctx.op, status: res.status, code: RegistryErrorCode.DigestMismatch, message: `${ctx.op}: the registry stored ${got}, expected ${digest}` });
    }
  }

  /**
   * Cross-repository mount: true when mounted (201). A 202 opens an ordinary upload: with `source` the
   * blob is uploaded into it, otherwise it is cancelled; either way false. Different registries: false.
   */
  async mountBlob(repo: Repository, digest: string, fromRepo: Repository | string, source?: BlobSource): Promise<boolean> {
    this.check(repo);
    validateDigest(digest);
    const from: Repository = typeof fromRepo === 'string' ? { registry: repo.registry, repository: fromRepo } : fromRepo;
    if (from.registry !== repo.registry) return false;
    validateRepository(from.repository, from.registry);
    const body = source ? await this.bodyOf(source) : undefined;
    const ctx = this.ctx(`mount blob ${digest}`, repo, ['pull', 'push'], [repositoryScope(from.repository, ['pull'])]);
    return this.retrying(ctx, async () => {
      const url = this.url(repo, 'blobs/uploads/');
      url.searchParams.set('mount', digest);
      url.searchParams.set('from', from.repository);
      const res = await this.send(ctx, 'POST', url);
      if (res.status === 201) {
        this.checkBlobDigest(ctx, res, digest);
        return true;
      }
      if (res.status !== 202) throw this.fail(ctx, res);
      if (body) {
        await this.putUpload(ctx, res, digest, body);
      } else {
        const loc = header(res, 'location');
        if (loc) await this.send(ctx, 'DELETE', new URL(loc, res.url)).catch(() => undefined);
      }
      return false;
    });
  }

  /** GET a blob into memory; the digest is verified. Redirects are followed without credentials off-origin. */
  async fetchBlob(repo: Repository, digest: string): Promise<Buffer> {
    this.check(repo);
    validateDigest(digest);
    const ctx = this.ctx(`fetch blob ${digest}`, repo, ['pull']);
    return this.retrying(ctx, async () => {
      const res = await this.send(ctx, 'GET', this.url(repo, `blobs/${digest}`), { sink: { kind: 'buffer', limit: Number.MAX_SAFE_INTEGER } });
      if (res.status !== 200) throw this.fail(ctx, res);
      const got = sha(res.body, algorithmOf(digest));
      if (got !== digest) throw this.mismatch(ctx, digest, got);
      return res.body;
    });
  }

  /** GET a blob into a file (streamed, sha256 verified; the file is removed on mismatch). */
  async fetchBlobToFile(repo: Repository, digest: string, path: string): Promise<{ digest: string; size: number }> {
    this.check(repo);
    validateDigest(digest);
    if (algorithmOf(digest) !== 'sha256') throw new InputError(`fetchBlobToFile supports sha256 digests only, got ${digest}`);
    const ctx = this.ctx(`fetch blob ${digest}`, repo, ['pull']);
    return this.retrying(ctx, async () => {
      const res = await this.send(ctx, 'GET', this.url(repo, `blobs/${digest}`), { sink: { kind: 'file', path } });
      if (res.status !== 200 || !res.file) throw this.fail(ctx, res);
      if (res.file.digest !== digest) {
        await unlink(path).catch(() => undefined);
        throw this.mismatch(ctx, digest, res.file.digest);
      }
      return res.file;
    });
  }

  private mismatch(ctx: Ctx, expected: string, got: string): RegistryError {
    return new RegistryError({ registry: ctx.repo.registry, repository: ctx.repo.repository, operation: ctx.op, code: RegistryErrorCode.DigestMismatch, message: `${ctx.op}: content digest is ${got}, expected ${expected}`, hint: 'the registry or a proxy served different bytes; retry, and report it if it persists' });
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
    this.check(repo);
    this.checkReference(reference);
    if (!mediaType) throw new InputError('putManifest needs the manifest media type (Content-Type must equal its mediaType)');
    const digest = sha(bytes);
    if (isDigest(reference) && sha(bytes, algorithmOf(reference)) !== reference) {
      throw new InputError(`manifest bytes do not match the digest ${reference} they are pushed under`, 'push by the digest of the exact bytes, never of re-serialised JSON');
    }
    const ctx = this.ctx(`push manifest ${reference}`, repo, ['pull', 'push']);
    const res = await this.request(ctx, 'PUT', this.url(repo, `manifests/${reference}`), [200, 201, 202, 204], { body: bytes, headers: { 'content-type': mediaType } });
    const got = header(res, 'docker-content-digest');
    if (got && algorithmOf(got) === 'sha256' && got !== digest) {
      throw new RegistryError({ registry: repo.registry, repository: repo.repository, operation: ctx.op, status: res.status, code: RegistryErrorCode.DigestMismatch, message: `${ctx.op}: the registry reports ${got}, but the bytes sent hash to ${digest}` });
    }
    return digest;
  }

  /** GET a manifest or index (full Accept list, 4 MiB cap). Throws a REGISTRY_NOT_FOUND RegistryError when missing. */
  async getManifest(repo: Repository, reference: string): Promise<ManifestBytes> {
    this.check(repo);
    this.checkReference(reference);
    const ctx = this.ctx(`get manifest ${reference}`, repo, ['pull']);
    const res = await this.request(ctx, 'GET', this.url(repo, `manifests/${reference}`), [200], { headers: { accept: MANIFEST_ACCEPT } });
    const bytes = res.body;
    const digest = sha(bytes);
    const expected = isDigest(reference) ? reference : header(res, 'docker-content-digest');
    if (expected && sha(bytes, algorithmOf(expected)) !== expected) throw this.mismatch(ctx, expected, sha(bytes, algorithmOf(expected)));
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
    this.check(repo);
    this.checkReference(reference);
    const ctx = this.ctx(`check manifest ${reference}`, repo, ['pull']);
    const res = await this.request(ctx, 'HEAD', this.url(repo, `manifests/${reference}`), [200, 404], { headers: { accept: MANIFEST_ACCEPT } });
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
    this.check(repo);
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
    this.check(repo);
    const ctx = this.ctx('list tags', repo, ['pull']);
    const first = this.url(repo, 'tags/list');
    if (opts.pageSize) first.searchParams.set('n', String(opts.pageSize));
    // Each page's parsed array is kept as is, then copied once into an array of the exact size (no growth copies).
    const pages: (string[] | undefined)[] = [];
    let total = 0;
    for await (const res of this.pages(ctx, first)) {
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
    this.check(repo);
    const key = `${repo.registry}/${repo.repository}`;
    const known = this.referrersCapability.get(key);
    if (known !== undefined) return known;
    const ctx = this.ctx('probe referrers API', repo, ['pull']);
    const res = await this.retrying(ctx, async () => {
      const r = await this.send(ctx, 'GET', this.url(repo, `referrers/${ZERO_DIGEST}`), { headers: { accept: MediaType.OciIndex } });
      if (r.status === 401 || r.status === 403 || r.status === 408 || r.status === 429 || r.status >= 500) throw this.fail(ctx, r);
      return r;
    });
    if (res.status === 200 && baseType(header(res, 'content-type')) === MediaType.OciIndex) {
      this.referrersCapability.set(key, true);
      return true;
    }
    const nameUnknown = res.status === 404 && parseErrorBody(res.body).errors.some((e) => e.code === 'NAME_UNKNOWN');
    if (!nameUnknown) this.referrersCapability.set(key, false);
    return false;
  }

  /** Referrers of a manifest: the referrers API when present, else the `sha256-<hex>` fallback index. */
  async referrers(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]> {
    this.check(repo);
    validateDigest(digest);
    const filter = (list: Descriptor[]) => (artifactType ? list.filter((d) => d.artifactType === artifactType) : list);
    if (await this.referrersSupported(repo)) {
      const ctx = this.ctx(`list referrers of ${digest}`, repo, ['pull']);
      const first = this.url(repo, `referrers/${digest}`);
      if (artifactType) first.searchParams.set('artifactType', artifactType);
      const out: Descriptor[] = [];
      for await (const res of this.pages(ctx, first, { accept: MediaType.OciIndex })) out.push(...this.indexManifests(ctx, res.body));
      return filter(out);
    }
    const index = await this.readFallbackIndex(repo, digest);
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
      manifest = await this.getManifest(repo, tag);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const ctx = this.ctx(`read referrers index ${tag}`, repo, ['pull']);
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

  /**
   * Adds descriptors to (and removes digests from) the fallback index under `sha256-<hex>` (docs/signing.md, "The referrers fallback index"): read, or
   * start an empty index on 404; append what is not listed; PUT; read back, and redo the read-modify-write if a
   * concurrent writer dropped our change (2.8.2 ignores If-Match, so a conditional PUT does not help). Push referrers before the index.
   */
  async updateFallbackIndex(repo: Repository, subjectDigest: string, add: Descriptor[], opts: { remove?: string[]; deleteSuperseded?: boolean } = {}): Promise<FallbackIndexUpdate> {
    this.check(repo);
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
      const digest = await this.putManifest(repo, tag, bytes, MediaType.OciIndex);
      const after = await this.readFallbackIndex(repo, subjectDigest);
      const now = new Set((after?.manifests ?? []).map((d) => d.digest));
      const ok = add.every((d) => now.has(d.digest)) && [...remove].every((r) => !now.has(r));
      if (ok) {
        if (opts.deleteSuperseded && current && current.manifest.digest !== digest) {
          await this.deleteManifest(repo, current.manifest.digest).catch((e: unknown) => this.logger?.debug(`could not delete the superseded referrers index: ${e instanceof Error ? e.message : String(e)}`));
        }
        return { tag, digest, changed: true };
      }
      if (round >= 3) {
        throw new RegistryError({ registry: repo.registry, repository: repo.repository, operation: `update referrers index ${tag}`, code: RegistryErrorCode.Protocol, message: `the referrers index ${tag} kept changing under concurrent writers` });
      }
      await sleep(100 * round);
    }
  }

  /**
   * Pushes a referrer manifest (one with `subject`) by digest, then maintains the fallback index unless the
   * repository has the referrers API (probed, never assumed from an OCI-Subject header, which some registries send without the API). Returns its digest.
   */
  async pushReferrer(repo: Repository, manifestBytes: Buffer, mediaType: string, subject: Descriptor): Promise<string> {
    this.check(repo);
    validateDigest(subject.digest);
    let parsed: { artifactType?: unknown; config?: { mediaType?: unknown }; annotations?: unknown; subject?: { digest?: unknown } };
    try {
      parsed = JSON.parse(manifestBytes.toString('utf8')) as typeof parsed;
    } catch {
      throw new InputError('referrer manifest is not JSON');
    }
    if (parsed.subject?.digest !== subject.digest) throw new InputError(`referrer manifest's subject (${String(parsed.subject?.digest)}) is not ${subject.digest}`);
    const digest = await this.putManifest(repo, sha(manifestBytes), manifestBytes, mediaType);
    if (await this.referrersSupported(repo)) return digest;
    const artifactType = typeof parsed.artifactType === 'string' ? parsed.artifactType : typeof parsed.config?.mediaType === 'string' ? parsed.config.mediaType : undefined;
    const annotations = parsed.annotations && typeof parsed.annotations === 'object' ? (parsed.annotations as Record<string, string>) : undefined;
    const descriptor: Descriptor = { mediaType, digest, size: manifestBytes.length, ...(artifactType ? { artifactType } : {}), ...(annotations ? { annotations } : {}) };
    await this.updateFallbackIndex(repo, subject.digest, [descriptor]);
    return digest;
  }

  /** DELETE a manifest by digest (distribution refuses tag deletion). */
  async deleteManifest(repo: Repository, digest: string): Promise<void> {
    this.check(repo);
    validateDigest(digest);
    const ctx = this.ctx(`delete manifest ${digest}`, repo, ['delete']);
    await this.request(ctx, 'DELETE', this.url(repo, `manifests/${digest}`), [200, 202, 204]);
  }

  /**
   * Pushes an image/artifact: blobs first (bounded parallel, HEAD dedup), then the manifest under each tag (or by
   * digest), so nothing ever points at a missing blob. Tags are validated before any request. Returns the digest.
   */
  async pushImage(repo: Repository, img: PushImageOptions): Promise<{ digest: string; blobs: PushedBlob[] }> {
    this.check(repo);
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

