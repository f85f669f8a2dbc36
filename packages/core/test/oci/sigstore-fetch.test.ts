/**
 * The fetch the bundles give `@sigstore/sign` instead of make-fetch-happen (packages/core/src/oci/sigstore-fetch.ts):
 * what `@sigstore/sign` reads of a response, a deadline per request, and HTTP_PROXY, against real local
 * servers (node:http, and the sandbox forward proxy, @d2/sandbox/proxy, which maps `sigstore.example.test` to
 * 127.0.0.1). That @sigstore/sign itself signs through it is shown by the bundle tests (test/build/bundle-plugins.test.ts,
 * and every signing test of the committed action bundles against the Sigstore stand-in).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startForwardProxy, type ForwardProxy } from '@d2/sandbox/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigstoreFetch } from '../../src/oci/sigstore-fetch.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

describe('sigstore fetch (make-fetch-happen as @sigstore/sign uses it)', () => {
  let server: Server;
  let base: string;
  let port: number;
  let handler: Handler = (_q, _b, res) => res.end();
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
        handler(req, body, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends the method, headers and body, and answers what @sigstore/sign reads: ok, status, statusText, headers.get, json, buffer', async () => {
    handler = (_q, body, res) => {
      res.writeHead(201, { 'content-type': 'application/json', location: '/api/v1/log/entries/abc' });
      res.end(JSON.stringify({ echoed: JSON.parse(body.toString('utf8')) as unknown }));
    };
    const fetch = createSigstoreFetch({});
    const res = await fetch(`${base}/api/v2/signingCert`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'User-Agent': 'sigstore-js/test' }, body: JSON.stringify({ a: 1 }), timeout: 5000, retry: false });
    expect(res.ok).toBe(true);
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Created');
    expect(res.headers.get('Location')).toBe('/api/v1/log/entries/abc');
    expect(res.headers.get('x-missing')).toBeNull();
    expect(await res.json()).toEqual({ echoed: { a: 1 } });
    expect((await res.buffer()).toString('utf8')).toBe(JSON.stringify({ echoed: { a: 1 } }));
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({ method: 'POST', url: '/api/v2/signingCert', body: '{"a":1}' });
    expect(last.headers['content-type']).toBe('application/json');
    expect(last.headers['user-agent']).toBe('sigstore-js/test');
  });

  it('a 5xx is a response that is not ok, with its body (the caller decides to retry)', async () => {
    handler = (_q, _b, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"message":"try later"}');
    };
    const res = await createSigstoreFetch({})(`${base}/api/v1/log/entries`, { method: 'POST', body: '{}', retry: false });
    expect(res.ok).toBe(false);
    expect(res.status).toBe(503);
    expect(res.statusText).toBe('Service Unavailable');
    expect(await res.json()).toEqual({ message: 'try later' });
  });

  it('every request has a deadline: a server that never answers fails the request after the timeout', async () => {
    handler = () => undefined; // never answers
    const started = Date.now();
    await expect(createSigstoreFetch({})(`${base}/api/v1/timestamp`, { method: 'POST', body: 'x', timeout: 300, retry: false })).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses retry options: retries belong to @sigstore/sign', async () => {
    await expect(createSigstoreFetch({})(`${base}/x`, { retry: { retries: 2 } })).rejects.toThrow(/retry: false/);
  });

  describe('through a proxy', () => {
    let proxy: ForwardProxy;
    beforeAll(async () => {
      proxy = await startForwardProxy({ hosts: { 'sigstore.example.test': '127.0.0.1' } });
    });
    afterAll(async () => {
      await proxy.stop();
    });

    it('HTTP_PROXY carries the request (the proxy rules of the registry client: a loopback target goes direct)', async () => {
      handler = (_q, _b, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      };
      const target = `http://sigstore.example.test:${port}/api/v2/signingCert`;
      const res = await createSigstoreFetch({ HTTP_PROXY: proxy.url })(target, { method: 'POST', body: '{}', retry: false });
      expect(await res.json()).toEqual({ ok: true });
      expect(proxy.log.map((e) => `${e.method} ${e.target}`)).toContain(`POST ${target}`);
      const before = proxy.log.length;
      expect((await createSigstoreFetch({ HTTP_PROXY: proxy.url })(`${base}/api/v2/signingCert`, { method: 'POST', body: '{}', retry: false })).ok).toBe(true);
      expect(proxy.log.length).toBe(before);
    });
  });
});
