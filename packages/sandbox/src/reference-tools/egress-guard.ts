import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One refused attempt to reach a non-loopback host. */
export interface EgressAttempt {
  method: string;
  target: string;
}

/**
 * A forward proxy on 127.0.0.1 that refuses everything (403 for plain requests, 403 for CONNECT) and records the
 * target. Used as HTTP(S)_PROXY for the reference tools so any internet access is refused and visible.
 */
export interface EgressGuard {
  url: string;
  readonly attempts: EgressAttempt[];
  stop(): Promise<void>;
}

export async function startEgressGuard(): Promise<EgressGuard> {
  const attempts: EgressAttempt[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    attempts.push({ method: req.method ?? 'GET', target: req.url ?? '' });
    req.resume();
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('d2 sandbox: internet access is disabled for reference tools\n');
  });
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    attempts.push({ method: 'CONNECT', target: req.url ?? '' });
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
