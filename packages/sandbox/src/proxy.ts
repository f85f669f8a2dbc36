/**
 * A small forward proxy for tests, on 127.0.0.1 only: absolute-form plain-http requests and CONNECT tunnels, with
 * optional Basic proxy auth (407 + Proxy-Authenticate). It only ever connects to loopback: a target host is either a
 * loopback address or mapped by `hosts` (e.g. `registry.example.test` → 127.0.0.1, so an "https registry" can be
 * simulated behind a local TLS server); anything else gets 502 and no traffic. Each request is logged with its method
 * and target and whether it carried Proxy-Authorization, never the value.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ForwardProxyOptions {
  /** Require these Basic credentials (407 otherwise). */
  auth?: { username: string; password: string };
  /** Host names the proxy resolves itself, to a loopback address (e.g. { 'registry.example.test': '127.0.0.1' }). */
  hosts?: Record<string, string>;
}

export interface ForwardProxyRequest {
  /** GET, PUT, …, or CONNECT. */
  method: string;
  /** Absolute URL for plain-http requests, host:port for CONNECT. */
  target: string;
  /** Status the proxy answered itself or relayed (200 for an established tunnel). */
  status?: number;
  /** Whether Proxy-Authorization was sent (never its value). */
  proxyAuthorization: boolean;
}

export interface ForwardProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT */
  host: string;
  log: ForwardProxyRequest[];
  stop(): Promise<void>;
}

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|localhost|\[?::1\]?)$/i;

export async function startForwardProxy(opts: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const log: ForwardProxyRequest[] = [];
  const sockets = new Set<Socket | Duplex>();
  const expected = opts.auth ? `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}` : undefined;

  /** The loopback address for a host, or undefined (never leave the machine). */
  const resolve = (host: string): string | undefined => {
    const h = host.replace(/^\[|\]$/g, '').toLowerCase();
    const mapped = opts.hosts?.[h];
    if (mapped !== undefined) return LOOPBACK.test(mapped) ? mapped : undefined;
    if (!LOOPBACK.test(h)) return undefined;
    return h === 'localhost' ? '127.0.0.1' : h;
  };
  const authorized = (req: IncomingMessage) => expected === undefined || req.headers['proxy-authorization'] === expected;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry: ForwardProxyRequest = { method: req.method ?? '', target: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'] !== undefined };
    log.push(entry);
    const reply = (status: number, headers: Record<string, string> = {}) => {
      entry.status = status;
      req.resume();
      res.writeHead(status, { 'content-length': '0', ...headers }).end();
    };
    if (!authorized(req)) return reply(407, { 'proxy-authenticate': 'Basic realm="d2-sandbox-proxy"' });
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      return reply(400);
    }
    const address = target.protocol === 'http:' ? resolve(target.hostname) : undefined;
    if (!address) return reply(502);
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest({ host: address, port: Number(target.port || 80), method: req.method, path: `${target.pathname}${target.search}`, headers }, (up) => {
      entry.status = up.statusCode;
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => (res.headersSent ? res.destroy() : reply(502)));
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    const entry: ForwardProxyRequest = { method: 'CONNECT', target: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'] !== undefined };
    log.push(entry);
    const refuse = (status: number, text: string, extra = '') => {
      entry.status = status;
      client.end(`HTTP/1.1 ${status} ${text}\r\n${extra}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (!authorized(req)) return refuse(407, 'Proxy Authentication Required', 'Proxy-Authenticate: Basic realm="d2-sandbox-proxy"\r\n');
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    const address = m ? resolve(m[1]) : undefined;
    if (!m || !address) return refuse(502, 'Bad Gateway');
    const upstream = connect(Number(m[2]), address.replace(/^\[|\]$/g, ''), () => {
      entry.status = 200;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => (entry.status === 200 ? client.destroy() : refuse(502, 'Bad Gateway')));
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    log,
    stop: () =>
      new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
}
