/** A plain HTTP server on 127.0.0.1 that records every request (a stand-in Receiver, webhook or API endpoint). */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingServer {
  /** http://127.0.0.1:<port> */
  base: string;
  /** Drops open connections and closes the server. */
  stop(): Promise<void>;
}

/** Hands each request and its whole body to `record`, then answers 200 with no body. */
export async function startRecordingServer(record: (req: IncomingMessage, body: string) => void | Promise<void>): Promise<RecordingServer> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      void (async () => {
        await record(req, body);
        res.writeHead(200).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
