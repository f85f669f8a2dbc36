/**
 * Reliability: the real sandbox registry behind
 * the fault-injecting proxy (@d2/sandbox/fault-proxy). Pushes survive 429 + Retry-After, 503s, a connection reset
 * mid-upload and slow responses with bounded retries; a permanent 500 fails fast with a clear error; a failed push
 * never leaves a manifest that points at missing blobs; redirects to another origin carry no credentials.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '@d2/sandbox/fault-proxy';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { RegistryClient, type RegistryClientOptions } from '../../src/oci/client.js';
import { StaticCredentials } from '../../src/oci/index.js';
import { RegistryError } from '../../src/oci/errors.js';
import type { Repository } from '../../src/oci/types.js';
import { CaptureLogger, makeArtifact, OCI_MANIFEST, sha256 } from './helpers.js';

describe('RegistryClient through a fault-injecting proxy (anonymous registry)', () => {
  let reg: SandboxRegistry;
  let proxy: FaultProxy;
  let n = 0;
  const repo = (): Repository => ({ registry: proxy.host, repository: `faults/r${n++}` });
  const direct = (r: Repository): Repository => ({ ...r, registry: reg.host });
  const make = (o: RegistryClientOptions = {}) => new RegistryClient({ retry: { attempts: 5, baseMs: 20, maxMs: 200 }, ...o });

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous' });
    proxy = await startFaultProxy(reg.url);
  });
  afterEach(() => proxy.clearFaults());
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  const push = (c: RegistryClient, r: Repository, a = makeArtifact(100_000)) => c.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] }).then((x) => ({ ...x, a }));

  it('429 with Retry-After on manifest PUTs: waits as told, then succeeds', async () => {
    const log = new CaptureLogger();
    const c = make({ logger: log });
    const rule = proxy.addFault({ method: 'PUT', path: /\/manifests\//, times: 2, action: { status: 429, retryAfter: 1 } });
    const r = repo();
    const { digest, a } = await push(c, r);
    expect(digest).toBe(a.digest);
    expect(rule.hits).toBe(2);
    expect(log.lines.filter((l) => /retrying in 1000 ms/.test(l))).toHaveLength(2);
    expect((await c.headManifest(direct(r), 'v1'))?.digest).toBe(a.digest);
    c.close();
  });

  it('pushBlob asks first whether the repository has the blob, unless told not to (dedup: false uploads at once)', async () => {
    const c = make();
    const r = repo();
    const blob = Buffer.from(`a small blob ${Date.now()}`);
    const heads = () => proxy.log.filter((e) => e.method === 'HEAD' && e.path.includes(`/v2/${r.repository}/blobs/`)).length;
    expect(await c.pushBlob(r, { data: blob }, sha256(blob), blob.length, { dedup: false })).toMatchObject({ uploaded: true });
    expect(heads()).toBe(0);
    expect((await c.fetchBlob(direct(r), sha256(blob))).equals(blob)).toBe(true);
    expect(await c.pushBlob(r, { data: blob }, sha256(blob), blob.length)).toMatchObject({ uploaded: false });
    expect(heads()).toBe(1);
    c.close();
  });

  it('before the first probe of a repository, the referrers fallback index is read while the API is probed', async () => {
    // A registry without the referrers API whose probe answers only once the fallback read has arrived (or after 2 s).
    let fallbackWhileProbing = false;
    let fallbackArrived: () => void = () => undefined;
    const arrived = new Promise<void>((r) => (fallbackArrived = r));
    const notFound = (res: import('node:http').ServerResponse, code: string) => {
      if (res.headersSent) return;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code, message: 'not found' }] }));
    };
    const server = createServer((req, res) => {
      const url = req.url ?? '';
      if (url.includes('/referrers/')) {
        const late = setTimeout(() => notFound(res, 'NOT_FOUND'), 2000);
        void arrived.then(() => {
          clearTimeout(late);
          if (!res.headersSent) fallbackWhileProbing = true;
          notFound(res, 'NOT_FOUND');
        });
        return;
      }
      if (url.includes('/manifests/sha256-')) fallbackArrived();
      if (url === '/v2/') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      }
      notFound(res, 'MANIFEST_UNKNOWN');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const c = make();
      const r = { registry: `127.0.0.1:${(server.address() as AddressInfo).port}`, repository: 'faults/no-referrers-api' };
      expect(await c.referrers(r, sha256('a subject'))).toEqual([]);
      expect(fallbackWhileProbing).toBe(true);
      c.close();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('caps a huge Retry-After', async () => {
    const log = new CaptureLogger();
    const c = make({ logger: log, retry: { attempts: 3, baseMs: 20, maxMs: 200, retryAfterMaxMs: 50 } });
    proxy.addFault({ method: 'HEAD', path: /\/blobs\//, times: 1, action: { status: 429, retryAfter: 3600 } });
    await push(c, repo());
    expect(log.lines.some((l) => /retrying in 50 ms/.test(l))).toBe(true);
    c.close();
  });

  it('503 on uploads and HEADs: bounded retries, then success', async () => {
    const c = make();
    const post = proxy.addFault({ method: 'POST', path: /\/blobs\/uploads\//, times: 2, action: { status: 503 } });
    const head = proxy.addFault({ method: 'HEAD', times: 1, action: { status: 503 } });
    const r = repo();
    const { a } = await push(c, r);
    expect(post.hits).toBe(2);
    expect(head.hits).toBe(1);
    expect((await c.fetchBlob(direct(r), sha256(a.layer))).equals(a.layer)).toBe(true);
    c.close();
  });

  it('a connection reset mid-upload restarts the upload (POST + PUT) and the blob arrives intact', async () => {
    const c = make();
    const cut = proxy.addFault({ method: 'PUT', path: /\/blobs\/uploads\//, times: 1, action: { reset: 'mid-upload' } });
    const r = repo();
    const { a } = await push(c, r, makeArtifact(2_000_000));
    expect(cut.hits).toBe(1);
    const posts = proxy.log.filter((e) => e.method === 'POST' && e.path.startsWith(`/v2/${r.repository}/blobs/uploads/`));
    expect(posts.length).toBe(3); // two blobs + one restarted upload
    expect((await c.fetchBlob(direct(r), sha256(a.layer))).equals(a.layer)).toBe(true);
    c.close();
  });

  it('a connection reset before any response is retried', async () => {
    const c = make();
    proxy.addFault({ method: 'GET', path: /\/tags\/list/, times: 2, action: { reset: 'before' } });
    const r = repo();
    await push(c, r);
    expect(await c.listTags(r)).toEqual(['v1']);
    c.close();
  });

  it('a slow response beyond the per-request timeout is abandoned and retried', async () => {
    const log = new CaptureLogger();
    const c = make({ timeoutMs: 300, logger: log });
    const r = repo();
    await push(c, r);
    const slow = proxy.addFault({ method: 'GET', path: /\/manifests\/v1/, times: 1, action: { delayMs: 1500 } });
    expect((await c.getManifest(r, 'v1')).mediaType).toBe(OCI_MANIFEST);
    expect(slow.hits).toBe(1);
    expect(log.lines.some((l) => /no response activity for 300 ms/.test(l))).toBe(true);
    c.close();
  });

  it('a permanent 500 on the manifest PUT fails fast (one retry) with a clear error; the blobs are there, no manifest', async () => {
    const c = make();
    const rule = proxy.addFault({ method: 'PUT', path: /\/manifests\//, action: { status: 500, body: '{"errors":[{"code":"UNKNOWN","message":"unknown error","detail":{"Err":"boom"}}]}' } });
    const r = repo();
    const a = makeArtifact();
    const err = (await c.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] }).catch((e: unknown) => e)) as RegistryError;
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.status).toBe(500);
    expect(err.code).toBe('REGISTRY_SERVER_ERROR');
    expect(err.operation).toBe('push manifest v1');
    expect(err.message).toBe(`push manifest v1 on ${r.registry}/${r.repository} failed (HTTP 500): UNKNOWN: unknown error ({"Err":"boom"})`);
    expect(rule.hits).toBe(2);
    expect(await c.headManifest(direct(r), 'v1')).toBeUndefined();
    for (const b of a.blobs) expect(await c.blobExists(direct(r), b.digest)).toBe(true);
    c.close();
  });

  it('a permanent 503 is retried a bounded number of times', async () => {
    const c = make({ retry: { attempts: 4, baseMs: 5, maxMs: 20 } });
    const rule = proxy.addFault({ method: 'GET', path: /\/tags\/list/, action: { status: 503 } });
    await expect(c.listTags(repo())).rejects.toMatchObject({ status: 503, code: 'REGISTRY_SERVER_ERROR' });
    expect(rule.hits).toBe(4);
    c.close();
  });

  it('nothing points at missing blobs: when a blob upload fails for good, the manifest is never PUT', async () => {
    const c = make({ retry: { attempts: 2, baseMs: 5, maxMs: 20 } });
    const r = repo();
    proxy.addFault({ method: 'PUT', path: /\/blobs\/uploads\//, skip: 1, action: { status: 500 } });
    const a = makeArtifact();
    await expect(c.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] })).rejects.toMatchObject({ status: 500 });
    expect(proxy.log.some((e) => e.method === 'PUT' && e.path.startsWith(`/v2/${r.repository}/manifests/`))).toBe(false);
    expect(await c.headManifest(direct(r), 'v1')).toBeUndefined();
    c.close();
  });

  it('4xx errors are not retried', async () => {
    const c = make();
    const r = repo();
    const a = makeArtifact();
    // A manifest whose blobs were never pushed: 400 MANIFEST_BLOB_UNKNOWN, once.
    const err = (await c.putManifest(r, 'v1', a.manifest, OCI_MANIFEST).catch((e: unknown) => e)) as RegistryError;
    expect(err.status).toBe(400);
    expect(err.registryCode).toBe('MANIFEST_BLOB_UNKNOWN');
    expect(err.hint).toMatch(/push every blob before the manifest/);
    expect(proxy.log.filter((e) => e.method === 'PUT' && e.path === `/v2/${r.repository}/manifests/v1`)).toHaveLength(1);
    c.close();
  });
});

describe('redirects never carry credentials to another origin', () => {
  let reg: SandboxRegistry;
  let proxy: FaultProxy;
  let cdn: Server;
  const cdnSeen: { path: string; authorization: boolean }[] = [];
  const blobs = new Map<string, Buffer>();

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'htpasswd' });
    proxy = await startFaultProxy(reg.url);
    // Stands in for S3/CDN blob storage (cannot run here): serves blob bytes by digest and records Authorization.
    cdn = createServer((req, res) => {
      cdnSeen.push({ path: req.url ?? '', authorization: req.headers.authorization !== undefined });
      const data = blobs.get((req.url ?? '').split('/').pop() ?? '');
      if (req.headers.authorization) {
        res.writeHead(400);
        res.end('Only one auth mechanism allowed');
        return;
      }
      res.writeHead(data ? 200 : 404);
      res.end(data);
    });
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    await proxy?.stop();
    await new Promise<void>((r) => cdn?.close(() => r()));
    await reg?.stop();
  });

  it('follows a 307 to another origin without Authorization, and verifies the digest', async () => {
    const c = new RegistryClient({ credentials: StaticCredentials.for(proxy.host, { username: 'testuser', password: 'testpass' }) });
    const repo = { registry: proxy.host, repository: 'flux/redirect' };
    const a = makeArtifact();
    await c.pushImage(repo, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
    const cdnPort = (cdn.address() as AddressInfo).port;
    blobs.set(sha256(a.layer), a.layer);
    proxy.addFault({ method: 'GET', path: /\/blobs\/sha256:/, action: { redirect: ({ path }) => `http://127.0.0.1:${cdnPort}/storage/${path.split('/').pop() ?? ''}` } });
    expect((await c.fetchBlob(repo, sha256(a.layer))).equals(a.layer)).toBe(true);
    // the registry hop was authenticated, the CDN hop was not
    expect(proxy.log.filter((e) => e.fault?.startsWith('redirect')).every((e) => e.authorization)).toBe(true);
    expect(cdnSeen).toEqual([{ path: `/storage/${sha256(a.layer)}`, authorization: false }]);

    // A CDN serving different bytes is caught by the digest check.
    blobs.set(sha256(a.layer), Buffer.from('tampered'));
    await expect(c.fetchBlob(repo, sha256(a.layer))).rejects.toMatchObject({ code: 'REGISTRY_DIGEST_MISMATCH' });
    c.close();
  });
});
