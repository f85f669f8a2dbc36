/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of a real sandbox service (normally the registry), for
 * reliability tests (docs/registry-client.md, "Tests"): answer with a status (429 + Retry-After, 503, permanent 500), reset the
 * connection (before forwarding, or mid-upload after part of the request body went upstream), delay a response, or
 * redirect. Requests that match no rule are forwarded unchanged, Host header included, so the registry's absolute
 * Location headers point back at the proxy.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenLoopback } from './process.js';

export type FaultAction =
  | { status: number; retryAfter?: string | number; body?: string; headers?: Record<string, string> }
  | { reset: 'before' | 'mid-upload' }
  | { delayMs: number }
  | { redirect: string | ((req: { method: string; path: string }) => string); redirectStatus?: number };

export interface FaultRule {
  /** Matches the request method (e.g. PUT). Default: any. */
  method?: string;
  /** Matches the request path and query. Default: any. */
  path?: RegExp;
  /** Let the first `skip` matching requests through (default 0). */
  skip?: number;
  /** Affect this many matching requests, then pass them through (default: all = permanent). */
  times?: number;
  action: FaultAction;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  /** The fault applied, if any (e.g. `status 429`, `reset mid-upload`, `delay 2000`). */
  fault?: string;
  /** Status sent to the client (undefined after a reset). */
  status?: number;
  /** Whether the request carried an Authorization header (never its value). */
  authorization: boolean;
}

export interface FaultProxy {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT */
  host: string;
  log: ProxiedRequest[];
  /** Adds a rule (checked in order); returns it so tests can inspect `hits`. */
  addFault(rule: FaultRule): FaultRule & { hits: number };
  clearFaults(): void;
  stop(): Promise<void>;
}

interface ActiveRule extends FaultRule {
  hits: number;
  seen: number;
}

function describe(a: FaultAction): string {
  if ('status' in a) return `status ${a.status}`;
  if ('reset' in a) return `reset ${a.reset}`;
  if ('delayMs' in a) return `delay ${a.delayMs}`;
  return `redirect ${a.redirectStatus ?? 307}`;
}

/** Starts a fault proxy forwarding to `target` (e.g. registry.url). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: ActiveRule[] = [];
  const log: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();

  const pick = (method: string, path: string): ActiveRule | undefined => {
    for (const r of rules) {
      if (r.method && r.method.toUpperCase() !== method) continue;
      if (r.path && !r.path.test(path)) continue;
      r.seen++;
      if (r.seen <= (r.skip ?? 0)) continue;
      if (r.times !== undefined && r.hits >= r.times) continue;
      r.hits++;
      return r;
    }
    return undefined;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, entry: ProxiedRequest, cutAfterBytes?: number) => {
    const up = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (ures) => {
      entry.status = ures.statusCode;
      res.writeHead(ures.statusCode ?? 502, ures.rawHeaders);
      ures.pipe(res);
    });
    up.on('error', () => {
      if (!res.headersSent && !res.destroyed) {
        entry.status = 502;
        res.writeHead(502);
      }
      res.end();
    });
    if (cutAfterBytes === undefined) {
      req.pipe(up);
      return;
    }
    let sent = 0;
    req.on('data', (chunk: Buffer) => {
      if (sent >= cutAfterBytes) return;
      const part = chunk.subarray(0, cutAfterBytes - sent);
      sent += part.length;
      up.write(part);
      if (sent >= cutAfterBytes) {
        // Part of the body reached the registry; now cut both connections.
        up.destroy();
        req.socket.destroy();
      }
    });
    req.on('end', () => {
      if (sent < cutAfterBytes) {
        up.destroy();
        req.socket.destroy();
      }
    });
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const entry: ProxiedRequest = { method, path, authorization: req.headers.authorization !== undefined };
    log.push(entry);
    const rule = pick(method, path);
    if (!rule) return forward(req, res, entry);
    const a = rule.action;
    entry.fault = describe(a);
    if ('status' in a) {
      req.resume();
      req.on('end', () => {
        entry.status = a.status;
        const headers: Record<string, string> = { 'content-type': 'application/json', ...a.headers };
        if (a.retryAfter !== undefined) headers['retry-after'] = String(a.retryAfter);
        res.writeHead(a.status, headers);
        res.end(a.body ?? JSON.stringify({ errors: [{ code: a.status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', message: `injected ${a.status}` }] }));
      });
      return;
    }
    if ('reset' in a) {
      if (a.reset === 'before') {
        req.socket.destroy();
        return;
      }
      const length = Number(req.headers['content-length'] ?? 0);
      return forward(req, res, entry, Math.max(1, Math.floor(length / 2)));
    }
    if ('delayMs' in a) {
      req.pause();
      const timer = setTimeout(() => {
        if (req.socket.destroyed) return;
        req.resume();
        forward(req, res, entry);
      }, a.delayMs);
      req.socket.once('close', () => clearTimeout(timer));
      return;
    }
    req.resume();
    req.on('end', () => {
      const location = typeof a.redirect === 'function' ? a.redirect({ method, path }) : a.redirect;
      entry.status = a.redirectStatus ?? 307;
      res.writeHead(entry.status, { location });
      res.end();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listenLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    log,
    addFault(rule: FaultRule) {
      const active: ActiveRule = { ...rule, hits: 0, seen: 0 };
      rules.push(active);
      return active;
    },
    clearFaults() {
      rules.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
