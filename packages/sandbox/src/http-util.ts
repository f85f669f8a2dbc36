/**
 * Small HTTP pieces the sandbox's servers share: the request body as one Buffer, a JSON answer, and the verbatim
 * pass-through to a server on 127.0.0.1 (status and raw headers as the upstream sent them, 502 when it is not there).
 */
import { request, type IncomingMessage, type ServerResponse } from 'node:http';

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** Forwards `req` as it is (method, path, headers, body) to 127.0.0.1:`port` and relays the answer to `res`. */
export function passThrough(req: IncomingMessage, res: ServerResponse, port: number): void {
  const up = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (ures) => {
    res.writeHead(ures.statusCode ?? 502, ures.rawHeaders);
    ures.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(up);
}
