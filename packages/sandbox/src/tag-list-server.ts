/**
 * A registry stub on 127.0.0.1 that serves a very long tag list, for pagination tests and benchmarks. It stands in
 * for the `GET /v2/<name>/tags/list` pagination of the distribution spec: each page holds `pageSize` tags and a
 * `Link: <…>; rel="next"` header to the next page (distribution uses `?n=&last=<tag>`; this stub uses
 * `?n=&page=<k>` so it can generate millions of tags without storing them). Also answers `GET /v2/` and
 * `HEAD|GET /v2/<name>/manifests/<tag>` (a digest derived from the tag) so an image scan can reflect digests.
 * Nothing is stored: tag i is `tag(i)`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenLoopback } from './process.js';

export interface TagListServerOptions {
  /** Repository name served, e.g. `acme/app`. */
  repository: string;
  /** Number of tags. */
  count: number;
  /** Tags per page (default 20). */
  pageSize?: number;
  /** Tag i (default `1.0.<i>`). */
  tag?: (i: number) => string;
  /** Link URLs: relative (default) or absolute. */
  absoluteLinks?: boolean;
  /** Make page `at` link back to page `to` (a pagination loop) instead of to the next page. */
  loop?: { at: number; to: number };
}

export interface TagListServer {
  url: string;
  host: string;
  /** Tag-list pages served. */
  readonly pagesServed: number;
  /** Number of pages in the whole list. */
  readonly pages: number;
  stop(): Promise<void>;
}

export async function startTagListServer(opts: TagListServerOptions): Promise<TagListServer> {
  const pageSize = opts.pageSize ?? 20;
  const tag = opts.tag ?? ((i: number) => `1.0.${i}`);
  const pages = Math.ceil(opts.count / pageSize);
  const listPath = `/v2/${opts.repository}/tags/list`;
  const manifestPrefix = `/v2/${opts.repository}/manifests/`;
  const sockets = new Set<Socket>();
  let pagesServed = 0;
  let origin = '';

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (url.pathname === listPath && req.method === 'GET') {
      const page = Number(url.searchParams.get('page') ?? '0');
      if (!Number.isInteger(page) || page < 0 || page >= Math.max(1, pages)) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"code":"PAGINATION_NUMBER_INVALID","message":"bad page"}]}');
        return;
      }
      pagesServed++;
      const tags: string[] = [];
      for (let i = page * pageSize; i < Math.min(opts.count, (page + 1) * pageSize); i++) tags.push(tag(i));
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const next = opts.loop && page === opts.loop.at ? opts.loop.to : page + 1 < pages ? page + 1 : undefined;
      if (next !== undefined) {
        const path = `${listPath}?n=${pageSize}&page=${next}`;
        headers.link = `<${opts.absoluteLinks ? origin : ''}${path}>; rel="next"`;
      }
      res.writeHead(200, headers).end(JSON.stringify({ name: opts.repository, tags }));
      return;
    }
    if (url.pathname.startsWith(manifestPrefix) && (req.method === 'HEAD' || req.method === 'GET')) {
      const reference = decodeURIComponent(url.pathname.slice(manifestPrefix.length));
      const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2 }, layers: [], annotations: { tag: reference } }));
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'content-length': String(body.length),
        'docker-content-digest': `sha256:${createHash('sha256').update(body).digest('hex')}`,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
  };

  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listenLoopback(server);
  origin = `http://127.0.0.1:${port}`;
  return {
    url: origin,
    host: `127.0.0.1:${port}`,
    get pagesServed() {
      return pagesServed;
    },
    pages,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
