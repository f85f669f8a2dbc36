import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * cosign (3.0.x and 2.x) requests certificates with Fulcio's legacy v1 API (`POST /api/v1/signingCert`, body
 * `{"publicKey":{"content":<base64 PEM>},"signedEmailAddress":<base64>}`, Bearer token; answer 201 with the PEM chain
 * and an `SCT` header, fulcio `pkg/api/client.go`), while `@sigstore/mock` serves only the v2 API
 * (`/api/v2/signingCert`, JSON in and out). This loopback bridge translates one request shape into the other; the
 * certificate is still issued by the stand-in's CA (with its embedded SCT, hence an empty `SCT` header). Written by
 * hand because no library offers a v1 front for the mock.
 */
export interface FulcioV1Bridge {
  url: string;
  /** Certificates issued through the bridge. */
  readonly issued: number;
  stop(): Promise<void>;
}

export async function startFulcioV1Bridge(fulcioV2URL: string): Promise<FulcioV1Bridge> {
  let issued = 0;
  const target = new URL('/api/v2/signingCert', fulcioV2URL);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error(`startFulcioV1Bridge: ${fulcioV2URL} is not a loopback URL`);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const fail = (status: number, msg: string): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: status, message: msg }));
        };
        if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/api/v1/signingCert') return fail(404, `no such endpoint: ${req.method} ${req.url}`);
        const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
        if (!token) return fail(401, 'missing bearer token');
        let v1: { publicKey?: { content?: string; algorithm?: string }; signedEmailAddress?: string };
        try {
          v1 = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof v1;
        } catch {
          return fail(400, 'body is not JSON');
        }
        if (!v1.publicKey?.content) return fail(400, 'publicKey.content is required (CSR requests are not bridged)');
        const v2 = {
          credentials: { oidcIdentityToken: token },
          publicKeyRequest: {
            publicKey: { algorithm: v1.publicKey.algorithm ?? 'ECDSA', content: Buffer.from(v1.publicKey.content, 'base64').toString('utf8') },
            proofOfPossession: v1.signedEmailAddress ?? '',
          },
        };
        const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(v2) });
        const text = await upstream.text();
        if (upstream.status !== 201) return fail(upstream.status, text);
        const body = JSON.parse(text) as {
          signedCertificateEmbeddedSct?: { chain?: { certificates?: string[] } };
          signedCertificateDetachedSct?: { chain?: { certificates?: string[] }; signedCertificateTimestamp?: string };
        };
        const signed = body.signedCertificateEmbeddedSct ?? body.signedCertificateDetachedSct;
        const chain = signed?.chain?.certificates ?? [];
        if (chain.length === 0) return fail(502, 'upstream answered without a certificate chain');
        issued++;
        res.writeHead(201, { 'content-type': 'application/pem-certificate-chain', SCT: body.signedCertificateDetachedSct?.signedCertificateTimestamp ?? '' });
        res.end(chain.map((c) => (c.endsWith('\n') ? c : c + '\n')).join(''));
      })().catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(err instanceof Error ? err.message : String(err));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get issued() {
      return issued;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
