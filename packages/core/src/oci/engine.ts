/**
 * The HTTP, auth and retry engine of the registry client (docs/registry-client.md): one logical request through the
 * transport (transport.ts) with auth (auth.ts: challenge → token → retry once), redirects without cross-origin
 * credentials, registry warnings, error translation (RegistryError), retries with back-off inside the time limit, and
 * paginated listings. The verbs (client.ts, blobs.ts, referrers.ts) are written on top of it; nothing else is exported.
 */
import { createHash } from 'node:crypto';
import type { RetryOptions } from '../base/index.js';
import { InputError } from '../errors.js';
import { RequestTimeoutError } from '../util/index.js';
import { AuthManager, type TokenFetch } from './auth.js';
import { parseChallenge, repositoryScope } from './challenge.js';
import { ChainCredentials, DockerConfigCredentials } from './credentials/index.js';
import { parseErrorBody, RegistryError, RegistryErrorCode } from './errors.js';
import { ProxyResolver, type ProxyOptions } from './proxy.js';
import { isLoopback, validateRepository } from './references.js';
import { BodyTooLargeError, DEFAULT_REQUEST_DEADLINE_MS, DEFAULT_USER_AGENT, METADATA_LIMIT, NetworkError, ProxyError, Transport, type FileBody, type Sink, type WireResponse } from './transport.js';
import type { Budget, CredentialProvider, Logger, Repository } from './types.js';

/** The options of the engine: every RegistryClientOptions but the verbs' own (concurrency, uploadMode). */
export interface EngineOptions {
  /** Default: docker's lookup (DOCKER_AUTH_CONFIG, DOCKER_CONFIG/config.json with helpers) from `env`. */
  credentials?: CredentialProvider;
  /** Environment for the default credentials (default process.env). */
  env?: Record<string, string | undefined>;
  /** config.json directory for the default credentials (default $DOCKER_CONFIG or ~/.docker). */
  dockerConfigDir?: string;
  /** Plain HTTP for these registries (true: all). Loopback registries always use HTTP. */
  insecure?: boolean | string[];
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
   * HTTP(S) proxy. Default: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (lower case first) from `env`. An object overrides
   * the environment; false disables proxying. Loopback registries are never proxied unless `proxy.loopback` says so.
   */
  proxy?: ProxyOptions | false;
}

/** What a request is for: the operation (in messages), the repository and the token scopes it needs. */
export interface Ctx {
  op: string;
  repo: Repository;
  scopes: string[];
}

export interface SendOptions {
  headers?: Record<string, string>;
  body?: Buffer | FileBody;
  sink?: Sink;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function sha(bytes: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export function algorithmOf(digest: string): string {
  return digest.slice(0, digest.indexOf(':'));
}

export function baseType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export function header(res: WireResponse, name: string): string | undefined {
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

export function isDigest(reference: string): boolean {
  return reference.includes(':');
}

export class RegistryEngine {
  private readonly transport: Transport;
  private readonly auth: AuthManager;
  readonly logger?: Logger;
  private readonly timeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly budget?: Budget;
  private readonly maxPages: number;
  private readonly retry: Required<RetryOptions>;
  private readonly insecure: boolean | string[];
  private readonly warned = new Set<string>();

  constructor(opts: EngineOptions = {}) {
    this.logger = opts.logger;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_DEADLINE_MS;
    this.budget = opts.budget;
    this.maxPages = opts.maxPages ?? 1_000_000;
    this.retry = { attempts: 5, baseMs: 250, maxMs: 3000, factor: 2, retryAfterMaxMs: 10_000, ...opts.retry };
    this.insecure = opts.insecure ?? false;
    const proxies = new ProxyResolver(opts.proxy, opts.env ?? process.env);
    this.transport = new Transport(opts.userAgent ?? DEFAULT_USER_AGENT, proxies);
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

  /** Tokens fetched so far (registry + scopes, never the token). */
  get tokenFetches(): readonly TokenFetch[] {
    return this.auth.fetches;
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.transport.close();
  }

  private isInsecure(registry: string): boolean {
    if (this.insecure === true) return true;
    return Array.isArray(this.insecure) && this.insecure.some((r) => r.toLowerCase() === registry.toLowerCase());
  }

  origin(repo: Repository): string {
    const http = repo.insecure === true || isLoopback(repo.registry) || this.isInsecure(repo.registry);
    return `${http ? 'http' : 'https'}://${repo.registry}`;
  }

  url(repo: Repository, path: string): URL {
    return new URL(`${this.origin(repo)}/v2/${repo.repository}/${path}`);
  }

  check(repo: Repository): void {
    if (!repo.registry || /[/\s@]/.test(repo.registry)) throw new InputError(`registry '${repo.registry}' is not a host[:port]`, 'use e.g. ghcr.io or 127.0.0.1:5001');
    validateRepository(repo.repository, repo.registry);
  }

  ctx(op: string, repo: Repository, actions: string[], extraScopes: string[] = []): Ctx {
    return { op, repo, scopes: [repositoryScope(repo.repository, actions), ...extraScopes] };
  }

  /** One logical request: auth (challenge → token → retry once), redirects without cross-origin credentials. */
  async send(ctx: Ctx, method: string, url: URL, o: SendOptions = {}): Promise<WireResponse> {
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
  fail(ctx: Ctx, res: WireResponse): RegistryError {
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

  async retrying<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const delay = this.retryDelay(e, attempt);
        if (delay === undefined) throw e;
        await this.pauseBeforeRetry(ctx, e, delay, `attempt ${attempt + 1}/${this.retry.attempts}`);
      }
    }
  }

  /**
   * Waits `delay` before another attempt after the failure `e`, saying so: or throws `e` (saying why) when the time
   * limit leaves no room for it. For the verbs' own retries of answers the engine treats as final.
   */
  async pauseBeforeRetry(ctx: Ctx, e: unknown, delay: number, which: string, why?: string): Promise<void> {
    if (this.budget && this.budget.remainingMs() <= delay) throw this.noTimeToRetry(e, this.budget);
    this.logger?.warn(`${ctx.op} on ${ctx.repo.registry}/${ctx.repo.repository}: ${e instanceof Error ? e.message : String(e)}${why ? ` (${why})` : ''}; retrying in ${delay} ms (${which})`);
    await sleep(delay);
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
  async *pages(ctx: Ctx, first: URL, headers?: Record<string, string>): AsyncGenerator<WireResponse> {
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
  async request(ctx: Ctx, method: string, url: URL, ok: number[], o: SendOptions = {}): Promise<WireResponse> {
    return this.retrying(ctx, async () => {
      const res = await this.send(ctx, method, url, o);
      if (!ok.includes(res.status)) throw this.fail(ctx, res);
      return res;
    });
  }

  /** The content of `ctx`'s response does not hash to the digest asked for. */
  mismatch(ctx: Ctx, expected: string, got: string): RegistryError {
    return new RegistryError({ registry: ctx.repo.registry, repository: ctx.repo.repository, operation: ctx.op, code: RegistryErrorCode.DigestMismatch, message: `${ctx.op}: content digest is ${got}, expected ${expected}`, hint: 'the registry or a proxy served different bytes; retry, and report it if it persists' });
  }
}
