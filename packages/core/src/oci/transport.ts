/**
 * One HTTP exchange over node:http / node:https (oci-distribution.md §4 "HTTP stack": faster than fetch for blob
 * bodies, no undici start-up cost, works the same on Node 20 and 24). Keep-alive agents, an inactivity timeout per
 * request, request bodies from a Buffer or a file (both replayable), and response bodies read into memory with a cap,
 * streamed to a file with a running sha256, or discarded. No auth, redirects or retries here: client.ts does those.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';

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

export const METADATA_LIMIT = 4 * 1024 * 1024;

export class Transport {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  private readonly https = new HttpsAgent({ keepAlive: true, maxSockets: 16 });

  constructor(private readonly userAgent: string) {}

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }

  send(req: WireRequest, sink: Sink, errorLimit = METADATA_LIMIT): Promise<WireResponse> {
    const isHttps = req.url.protocol === 'https:';
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...req.headers };
    const body = req.body;
    if (body !== undefined) headers['content-length'] = String(Buffer.isBuffer(body) ? body.length : body.size);
    else if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') headers['content-length'] = '0';

    return new Promise<WireResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        reject(toNetworkError(err));
      };
      const request = (isHttps ? httpsRequest : httpRequest)(
        req.url,
        { method: req.method, headers, agent: isHttps ? this.https : this.http },
        (res: IncomingMessage) => {
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          const done = (r: Omit<WireResponse, 'status' | 'headers' | 'url'>) => {
            if (settled) return;
            settled = true;
            resolve({ status, headers: res.headers, url: req.url, ...r });
          };
          if (req.method === 'HEAD' || (ok && sink.kind === 'none') || (status >= 300 && status < 400)) {
            res.resume();
            res.on('end', () => done({ body: Buffer.alloc(0) }));
            res.on('error', fail);
            return;
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
                  settled = true;
                  reject(new BodyTooLargeError(limit));
                }
              }
              return; // error bodies: keep what fits, drop the rest
            }
            chunks.push(c);
          });
          res.on('end', () => done({ body: Buffer.concat(chunks) }));
          res.on('error', fail);
        },
      );
      request.setTimeout(req.timeoutMs, () => request.destroy(new NetworkError(`no response activity for ${req.timeoutMs} ms`, 'ETIMEDOUT')));
      request.on('error', fail);
      if (body === undefined) request.end();
      else if (Buffer.isBuffer(body)) request.end(body);
      else {
        const stream = createReadStream(body.path);
        stream.on('error', (e) => {
          request.destroy();
          fail(e);
        });
        stream.pipe(request);
      }
    });
  }
}

function toNetworkError(err: unknown): Error {
  if (err instanceof NetworkError || err instanceof BodyTooLargeError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.syscall !== 'open' && e.code !== 'ENOENT' && e.code !== 'EACCES') {
    return new NetworkError(`${e.code}${e.message && !e.message.includes(e.code) ? `: ${e.message}` : e.message ? ` (${e.message})` : ''}`, e.code, { cause: err });
  }
  if (e instanceof Error && /socket hang up|aborted/i.test(e.message)) return new NetworkError(e.message, 'ECONNRESET', { cause: err });
  return err instanceof Error ? err : new Error(String(err));
}
