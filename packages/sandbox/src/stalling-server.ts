/**
 * Servers that never finish an answer, for deadline tests, on 127.0.0.1 only:
 *  - `trickle`: answers every request with an HTTP response whose header block never ends, one byte every
 *    `intervalMs` (so a socket inactivity timer restarts on each byte and never fires);
 *  - `silent`: accepts the connection, reads the request and never writes a byte.
 * Every request's first line (method and path, never headers) is logged. `stop()` destroys the open sockets.
 */
import { createServer, type Socket } from 'node:net';
import { listenLoopback } from './process.js';

export interface StallingServerOptions {
  mode: 'trickle' | 'silent';
  /** Trickle: one byte every this many ms (default 500). */
  intervalMs?: number;
}

export interface StallingServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT */
  host: string;
  /** `METHOD /path` of every request seen (request lines only). */
  requests: string[];
  /** Bytes written to clients so far (trickle). */
  readonly bytesSent: number;
  stop(): Promise<void>;
}

/** The start of a response whose header section never ends (a header value that keeps growing). */
const PREFIX = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Trickle: ';

export async function startStallingServer(opts: StallingServerOptions): Promise<StallingServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: string[] = [];
  const interval = opts.intervalMs ?? 500;
  let bytesSent = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    let head = '';
    let started = false;
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      if (head.length < 8192) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n');
        if (end > 0 && !started) requests.push(head.slice(0, end).replace(/ HTTP\/\d(\.\d)?$/, ''));
      }
      if (started || opts.mode === 'silent') return;
      started = true;
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed) {
          clearInterval(timer);
          timers.delete(timer);
          return;
        }
        socket.write(i < PREFIX.length ? PREFIX[i] : 'a');
        i++;
        bytesSent++;
      }, interval);
      timers.add(timer);
    });
  });
  const port = await listenLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    get bytesSent() {
      return bytesSent;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
