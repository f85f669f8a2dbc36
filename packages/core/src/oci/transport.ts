/**
 * One HTTP exchange over node:http / node:https (docs/registry-client.md, "Why our own client": faster than fetch for
 * blob bodies, no undici start-up cost, works the same on Node 20 and 24). Keep-alive agents, request bodies from a
 * Buffer or a file (both replayable), and response bodies read into memory with a cap, streamed to a file with a running
 * sha256, or discarded. No auth, redirects or retries here: client.ts does those.
 *
 * Every exchange has three clocks (docs/registry-client.md "Deadlines and the time limit"): an inactivity timeout on
 * the socket; a deadline for the whole exchange (connect, request body, headers, response body), extended for large
 * bodies at MIN_TRANSFER_RATE so a big blob moving at a sane speed is never cut; and the operation's time limit
 * (Budget), which cuts the exchange when it is spent and refuses to start one after. Whichever comes first ends the
 * exchange with a RequestTimeoutError naming the method, path and host (never the query: upload URLs carry state).
 *
 * Proxies (proxy.ts chooses one per request URL): a plain-http target goes to an http proxy as an absolute-form
 * request; an https target goes through a CONNECT tunnel, TLS end to end with the registry. Proxy credentials come
 * from the proxy URL and are sent as `Proxy-Authorization` to the proxy only. One keep-alive agent per
 * (proxy, target origin).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { RequestTimeoutError, type TimeoutKind } from '../util/index.js';
import type { ProxyResolver, ProxyRoute } from './proxy.js';
import type { Budget } from './types.js';

export interface FileBody {
  path: string;
  size: number;
}

export interface WireRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: Buffer | FileBody;
  /** Socket inactivity timeout. */
  timeoutMs: number;
  /**
   * Deadline for the whole exchange in ms (default DEFAULT_REQUEST_DEADLINE_MS), plus the time the request body and
   * the response's Content-Length take at MIN_TRANSFER_RATE.
   */
  deadlineMs?: number;
  /** The operation's time limit: the exchange is cut when it is spent, and never starts after. */
  budget?: Budget;
}

/** What to do with a 2xx body. Non-2xx bodies are always buffered (capped at `errorLimit`). */
export type Sink = { kind: 'buffer'; limit: number } | { kind: 'file'; path: string } | { kind: 'none' };

export interface WireResponse {
  status: number;
  headers: IncomingHttpHeaders;
  url: URL;
  body: Buffer;
  /** For a file sink: sha256 and size of what was written. */
  file?: { digest: string; size: number };
}

/** A transport failure (no HTTP response): reset, refused, timeout, DNS. */
export class NetworkError extends Error {
  constructor(message: string, readonly errno?: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'NetworkError';
  }
}

/** A response body over its limit. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`response body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** The proxy refused the request or the tunnel (e.g. 407 Proxy Authentication Required), or could not be reached. */
export class ProxyError extends Error {
  constructor(message: string, readonly proxy: string, readonly status?: number, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'ProxyError';
  }
}

/** The User-Agent of d2's registry requests (and of its Sigstore requests, sigstore-fetch.ts). */
export const DEFAULT_USER_AGENT = 'd2-actions (+https://github.com/controlplaneio-fluxcd/d2-actions)';

export const METADATA_LIMIT = 4 * 1024 * 1024;

/** Default deadline of one exchange (before the allowance for large bodies). */
export const DEFAULT_REQUEST_DEADLINE_MS = 120_000;

/** Slowest transfer a body is allowed (bytes per second): each MiB of body adds one second to the deadline. */
export const MIN_TRANSFER_RATE = 1024 * 1024;

function transferMs(bytes: number): number {
  return Number.isFinite(bytes) && bytes > 0 ? Math.ceil((bytes / MIN_TRANSFER_RATE) * 1000) : 0;
}

const AGENT_OPTIONS = { keepAlive: true, maxSockets: 16 };

function targetPort(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

/**
 * An https agent whose sockets are TLS sessions inside a CONNECT tunnel through `route` to `target`. The class is
 * defined on first use: extending `https.Agent` when the module loads would load Node's TLS stack at every start, a
 * run that fails an input check included (docs/architecture.md "Action start-up").
 */
let tunnelAgentClass: ReturnType<typeof defineTunnelAgent> | undefined;
function tunnelAgent(route: ProxyRoute, target: URL): HttpAgent {
  tunnelAgentClass ??= defineTunnelAgent();
  return new tunnelAgentClass(route, target);
}

function defineTunnelAgent() {
  return class TunnelAgent extends HttpsAgent {
    constructor(private readonly route: ProxyRoute, private readonly target: URL) {
      super(AGENT_OPTIONS);
    }

    override createConnection(options: ConnectionOptions, callback?: (err: Error | null, stream: Duplex) => void): undefined {
      const cb = callback ?? (() => undefined);
      const timeoutMs = options.timeout ?? 60_000; // the request's inactivity timeout (Transport.send passes it)
      const authority = `${this.target.hostname}:${targetPort(this.target)}`; // hostname keeps IPv6 brackets
      const headers: Record<string, string> = { host: authority };
      if (this.route.authorization) headers['proxy-authorization'] = this.route.authorization;
      const proxy = this.route.url;
      const connectReq = (proxy.protocol === 'https:' ? httpsRequest : httpRequest)({
        host: proxy.hostname.replace(/^\[|\]$/g, ''),
        port: targetPort(proxy),
        method: 'CONNECT',
        path: authority,
        headers,
        agent: false,
      });
      let done = false;
      const finish = (err: Error | null, socket?: Duplex) => {
        if (done) return;
        done = true;
        if (err) cb(err, undefined as unknown as Duplex);
        else if (socket) cb(null, socket);
      };
      connectReq.setTimeout(timeoutMs, () => connectReq.destroy(new NetworkError(`no answer from proxy ${this.route.display} to CONNECT ${authority} for ${timeoutMs} ms`, 'ETIMEDOUT')));
      connectReq.on('connect', (res: IncomingMessage, socket, head: Buffer) => {
        connectReq.setTimeout(0);
        const code = res.statusCode ?? 0;
        if (code < 200 || code >= 300) {
          socket.destroy();
          finish(new ProxyError(`proxy ${this.route.display} answered ${res.statusCode ?? 0} ${res.statusMessage ?? ''} to CONNECT ${authority}`.trim(), this.route.display, res.statusCode));
          return;
        }
        if (head.length) socket.unshift(head);
        finish(null, tlsConnect({ ...options, socket }));
      });
      connectReq.on('error', (e) => finish(proxyNetworkError(e, this.route)));
      connectReq.end();
      return undefined;
    }
  }
}

function proxyNetworkError(err: unknown, route: ProxyRoute): Error {
  const e = toNetworkError(err);
  if (e instanceof RequestTimeoutError) return e;
  if (e instanceof NetworkError && !e.message.includes(route.display)) return new NetworkError(`${e.message} (via proxy ${route.display})`, e.errno, { cause: err });
  return e;
}

export class Transport {
  /**
   * Created by the first request of their protocol: an https agent loads Node's TLS stack, an http agent its HTTP
   * stack, neither of which a run that stops at an input check needs (docs/architecture.md "Action start-up").
   */
  private httpAgent: HttpAgent | undefined;
  private httpsAgent: HttpsAgent | undefined;
  /** Keep-alive agents per (proxy, target origin). */
  private readonly proxied = new Map<string, HttpAgent>();

  constructor(private readonly userAgent: string, private readonly proxies?: ProxyResolver) {}

  close(): void {
    this.httpAgent?.destroy();
    this.httpsAgent?.destroy();
    for (const a of this.proxied.values()) a.destroy();
    this.proxied.clear();
  }

  /** The proxy a request to `url` goes through (undefined: direct). */
  proxyFor(url: URL): ProxyRoute | undefined {
    return this.proxies?.resolve(url);
  }

  private agentFor(route: ProxyRoute, target: URL): HttpAgent {
    const key = `${route.display}|${route.authorization ?? ''}|${target.origin}`;
    let agent = this.proxied.get(key);
    if (!agent) {
      if (target.protocol === 'https:') agent = tunnelAgent(route, target);
      else agent = route.url.protocol === 'https:' ? new HttpsAgent(AGENT_OPTIONS) : new HttpAgent(AGENT_OPTIONS);
      this.proxied.set(key, agent);
    }
    return agent;
  }

  send(req: WireRequest, sink: Sink, errorLimit = METADATA_LIMIT): Promise<WireResponse> {
    const isHttps = req.url.protocol === 'https:';
    const route = this.proxyFor(req.url);
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...req.headers };
    const body = req.body;
    const bodyBytes = body === undefined ? 0 : Buffer.isBuffer(body) ? body.length : body.size;
    if (body !== undefined) headers['content-length'] = String(bodyBytes);
    else if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') headers['content-length'] = '0';
    const timeout = (kind: TimeoutKind, ms: number) => new RequestTimeoutError(kind, req.method, req.url.host, req.url.pathname, ms, req.budget);

    const started = Date.now();
    const budgetLeft = req.budget ? req.budget.remainingMs() : Infinity;
    if (budgetLeft <= 0) return Promise.reject(timeout('budget', 0));
    const budgetAt = started + budgetLeft;
    let allowedMs = (req.deadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS) + transferMs(bodyBytes);

    return new Promise<WireResponse>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let response: IncomingMessage | undefined;
      const settle = () => {
        settled = true;
        clearTimeout(timer);
      };
      const fail = (err: unknown) => {
        if (settled) return;
        settle();
        reject(route ? proxyNetworkError(err, route) : toNetworkError(err));
      };
      const onResponse = (res: IncomingMessage) => {
        response = res;
        const status = res.statusCode ?? 0;
        if (route && status === 407) {
          // Only a proxy answers 407 (RFC 9110, section 15.5.8); the tunnel case is handled in TunnelAgent.
          res.resume();
          fail(new ProxyError(`proxy ${route.display} answered 407 Proxy Authentication Required`, route.display, 407));
          return;
        }
        const ok = status >= 200 && status < 300;
        const done = (r: Omit<WireResponse, 'status' | 'headers' | 'url'>) => {
          if (settled) return;
          settle();
          resolve({ status, headers: res.headers, url: req.url, ...r });
        };
        if (req.method === 'HEAD' || (ok && sink.kind === 'none') || (status >= 300 && status < 400)) {
          res.resume();
          res.on('end', () => done({ body: Buffer.alloc(0) }));
          res.on('error', fail);
          return;
        }
        // A large body gets time to arrive: its Content-Length extends the deadline.
        const length = Number(res.headers['content-length']);
        if (length > 0) {
          allowedMs += transferMs(length);
          arm();
        }
        if (ok && sink.kind === 'file') {
          const hash = createHash('sha256');
          let size = 0;
          res.on('data', (c: Buffer) => {
            hash.update(c);
            size += c.length;
          });
          pipeline(res, createWriteStream(sink.path)).then(
            () => done({ body: Buffer.alloc(0), file: { digest: `sha256:${hash.digest('hex')}`, size } }),
            fail,
          );
          return;
        }
        const limit = ok && sink.kind === 'buffer' ? sink.limit : errorLimit;
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (c: Buffer) => {
          total += c.length;
          if (total > limit) {
            if (ok) {
              res.destroy();
              if (!settled) {
                settle();
                reject(new BodyTooLargeError(limit));
              }
            }
            return; // error bodies: keep what fits, drop the rest
          }
          chunks.push(c);
        });
        res.on('end', () => done({ body: Buffer.concat(chunks) }));
        res.on('error', fail);
      };
      let request: ReturnType<typeof httpRequest>;
      if (!route) request = (isHttps ? httpsRequest : httpRequest)(req.url, { method: req.method, headers, agent: isHttps ? (this.httpsAgent ??= new HttpsAgent(AGENT_OPTIONS)) : (this.httpAgent ??= new HttpAgent(AGENT_OPTIONS)) }, onResponse);
      else if (isHttps) request = httpsRequest(req.url, { method: req.method, headers, agent: this.agentFor(route, req.url), timeout: req.timeoutMs }, onResponse);
      else {
        // Absolute-form request to the proxy (RFC 9112, section 3.2.2); Host stays the registry's.
        const h: Record<string, string> = { ...headers, host: req.url.host };
        if (route.authorization) h['proxy-authorization'] = route.authorization;
        request = (route.url.protocol === 'https:' ? httpsRequest : httpRequest)(
          { host: route.url.hostname.replace(/^\[|\]$/g, ''), port: targetPort(route.url), path: req.url.href, method: req.method, headers: h, agent: this.agentFor(route, req.url) },
          onResponse,
        );
      }
      /** (Re)arms the whole-exchange timer: the earlier of the deadline and the time limit. */
      function arm(): void {
        clearTimeout(timer);
        if (settled) return;
        const deadlineAt = started + allowedMs;
        const byBudget = budgetAt < deadlineAt;
        timer = setTimeout(
          () => {
            fail(byBudget ? timeout('budget', budgetLeft) : timeout('deadline', allowedMs));
            request.destroy();
            response?.destroy();
          },
          // setTimeout takes at most 2^31-1 ms (a larger delay would fire at once): a huge Content-Length is clamped.
          Math.min(2 ** 31 - 1, Math.max(0, Math.min(deadlineAt, budgetAt) - Date.now())),
        );
      }
      arm();
      request.setTimeout(req.timeoutMs, () => request.destroy(timeout('inactivity', req.timeoutMs)));
      request.on('error', fail);
      if (body === undefined) request.end();
      else if (Buffer.isBuffer(body)) request.end(body);
      else {
        const stream = createReadStream(body.path);
        stream.on('error', (e) => {
          request.destroy();
          fail(e);
        });
        request.on('close', () => stream.destroy());
        stream.pipe(request);
      }
    });
  }
}

function toNetworkError(err: unknown): Error {
  if (err instanceof RequestTimeoutError || err instanceof NetworkError || err instanceof BodyTooLargeError || err instanceof ProxyError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.syscall !== 'open' && e.code !== 'ENOENT' && e.code !== 'EACCES') {
    return new NetworkError(`${e.code}${e.message && !e.message.includes(e.code) ? `: ${e.message}` : e.message ? ` (${e.message})` : ''}`, e.code, { cause: err });
  }
  if (e instanceof Error && /socket hang up|aborted/i.test(e.message)) return new NetworkError(e.message, 'ECONNRESET', { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}
