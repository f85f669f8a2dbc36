/**
 * `make-fetch-happen` as `@sigstore/sign` calls it, over the registry's transport (transport.ts): the bundles resolve
 * `@sigstore/sign`'s import of make-fetch-happen to this file (scripts/build-sigstore-fetch.mjs; docs/architecture.md,
 * "Signing's HTTP client").
 *
 * Why by hand: `@sigstore/sign` (external/fetch.js) sends each Fulcio, Rekor and TSA request as
 * `fetch(url, { method, headers, body, timeout, retry: false })` and retries by itself; of the response it reads `ok`,
 * `status`, `statusText`, `headers.get()`, `json()` and `buffer()`. make-fetch-happen brings about 660 KiB of code for
 * that (an HTTP cache, iconv-lite, SOCKS, glob) which a signed run loaded and evaluated at every start, about 60 ms.
 * Node's own fetch would not use HTTPS_PROXY, which make-fetch-happen does; the registry transport does, with
 * NO_PROXY, and gives each request a deadline. No redirects are followed (Fulcio, Rekor and TSAs answer directly): a
 * 3xx is a response that is not `ok`, which `@sigstore/sign` reports with its Location.
 */
import { STATUS_CODES } from 'node:http';
import { ProxyResolver } from './proxy.js';
import { DEFAULT_USER_AGENT, METADATA_LIMIT, Transport, type WireResponse } from './transport.js';

/** The request options `@sigstore/sign` passes. */
export interface SigstoreFetchOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Uint8Array;
  /** ms: the socket's inactivity timeout and the exchange's deadline. */
  timeout?: number;
  /** `@sigstore/sign` retries by itself and passes false; anything else is refused rather than ignored. */
  retry?: unknown;
}

/** The part of a fetch Response `@sigstore/sign` reads. */
export interface SigstoreFetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  buffer(): Promise<Buffer>;
}

/** make-fetch-happen's default when no timeout is given: none; here a deadline still applies. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** A fetch with its own transport: keep-alive connections and proxies from `env` (HTTPS_PROXY, HTTP_PROXY, NO_PROXY). */
export function createSigstoreFetch(env: Record<string, string | undefined> = process.env): (url: string | URL, opts?: SigstoreFetchOptions) => Promise<SigstoreFetchResponse> {
  let transport: Transport | undefined;
  return async (url, opts = {}) => {
    if (opts.retry !== undefined && opts.retry !== false && opts.retry !== 0) {
      throw new TypeError('sigstore fetch: retries belong to the caller (pass retry: false)');
    }
    transport ??= new Transport(DEFAULT_USER_AGENT, new ProxyResolver(undefined, env));
    const target = new URL(url);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = String(v);
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : Buffer.from(opts.body);
    const timeoutMs = opts.timeout && opts.timeout > 0 ? opts.timeout : DEFAULT_TIMEOUT_MS;
    const res = await transport.send({ method: (opts.method ?? 'GET').toUpperCase(), url: target, headers, body, timeoutMs, deadlineMs: timeoutMs }, { kind: 'buffer', limit: METADATA_LIMIT });
    return toResponse(res);
  };
}

function toResponse(res: WireResponse): SigstoreFetchResponse {
  const bytes = res.body;
  const header = (name: string): string | null => {
    const v = res.headers[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : String(v);
  };
  return {
    ok: res.status >= 200 && res.status < 300,
    status: res.status,
    statusText: STATUS_CODES[res.status] ?? '',
    headers: { get: header },
    json: async () => JSON.parse(bytes.toString('utf8')) as unknown,
    buffer: async () => bytes,
  };
}

/** What the bundles give `@sigstore/sign` for `require('make-fetch-happen')`: one fetch for the process. */
const sigstoreFetch = createSigstoreFetch();
export default sigstoreFetch;
