/**
 * HTTP(S) proxy support (registry-client.md "Proxies"): the real sandbox registry (distribution 2.8.2) behind the
 * sandbox forward proxy (@d2/sandbox/proxy). Its log proves which requests went through it. The https case uses a
 * local TLS server with a self-signed cert for `registry.example.test`, which only the proxy resolves (to
 * 127.0.0.1), in front of the same registry: the client speaks TLS end to end through a CONNECT tunnel. The cert is
 * trusted with tls.setDefaultCACertificates (Node ≥ 22.19 / 24.5), restored afterwards. Node 20 lacks it: there the
 * tunnel tests run with NODE_TLS_REJECT_UNAUTHORIZED=0 for this file's process only (the tunnel and TLS inside it are
 * still exercised, certificate verification is not).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { promisify } from 'node:util';
import { startFaultProxy, type FaultProxy } from '@d2/sandbox/fault-proxy';
import { startForwardProxy, type ForwardProxy } from '@d2/sandbox/proxy';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/oci/client.js';
import { StaticCredentials } from '../../src/oci/index.js';
import { RegistryError, RegistryErrorCode } from '../../src/oci/errors.js';
import { ProxyResolver } from '../../src/oci/proxy.js';
import { CaptureLogger, OCI_MANIFEST, makeArtifact, sha256, tempDir } from './helpers.js';

const retry = { attempts: 3, baseMs: 10, maxMs: 50 };

describe('ProxyResolver: environment and NO_PROXY rules', () => {
  const r = (env: Record<string, string>) => new ProxyResolver(undefined, env);
  const via = (res: ProxyResolver, url: string) => res.resolve(new URL(url))?.display;

  it('HTTPS_PROXY for https targets, HTTP_PROXY for http targets, lower case first', () => {
    const res = r({ HTTPS_PROXY: 'http://upper:3128', https_proxy: 'lower:3129', HTTP_PROXY: 'http://plain:8080' });
    expect(via(res, 'https://ghcr.io/v2/')).toBe('http://lower:3129');
    expect(via(res, 'http://registry.internal:5000/v2/')).toBe('http://plain:8080');
    expect(via(r({ HTTPS_PROXY: 'http://p:1' }), 'http://registry.internal/v2/')).toBeUndefined();
  });

  it('NO_PROXY: *, host, .suffix, suffix, :port, IP literals and CIDR', () => {
    const env = { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'exact.io, .sub.io,domain.io ,example.com:5000,10.1.2.3,[2001:db8::1],192.168.0.0/16' };
    const res = r(env);
    expect(via(res, 'https://exact.io/')).toBeUndefined();
    expect(via(res, 'https://a.exact.io/')).toBeUndefined();
    expect(via(res, 'https://sub.io/')).toBe('http://p:1'); // `.sub.io` only matches subdomains
    expect(via(res, 'https://x.sub.io/')).toBeUndefined();
    expect(via(res, 'https://domain.io/')).toBeUndefined();
    expect(via(res, 'https://x.y.domain.io/')).toBeUndefined();
    expect(via(res, 'https://notdomain.io/')).toBe('http://p:1');
    expect(via(res, 'https://example.com:5000/')).toBeUndefined();
    expect(via(res, 'https://example.com/')).toBe('http://p:1');
    expect(via(res, 'https://10.1.2.3/')).toBeUndefined();
    expect(via(res, 'https://10.1.2.4/')).toBe('http://p:1');
    expect(via(res, 'https://[2001:db8::1]:443/')).toBeUndefined();
    expect(via(res, 'https://192.168.7.9/')).toBeUndefined();
    expect(via(r({ HTTPS_PROXY: 'http://p:1', no_proxy: '*' }), 'https://ghcr.io/')).toBeUndefined();
  });

  it('loopback is direct unless the proxy option lists it; false and an explicit option override the environment', () => {
    expect(via(r({ HTTP_PROXY: 'http://p:1' }), 'http://127.0.0.1:5000/v2/')).toBeUndefined();
    expect(via(r({ HTTP_PROXY: 'http://p:1' }), 'http://localhost:5000/v2/')).toBeUndefined();
    expect(via(new ProxyResolver({ url: 'http://p:1', loopback: ['127.0.0.1:5000'] }, {}), 'http://127.0.0.1:5000/v2/')).toBe('http://p:1');
    expect(via(new ProxyResolver({ url: 'http://p:1', loopback: ['127.0.0.1:5000'] }, {}), 'http://127.0.0.1:5001/v2/')).toBeUndefined();
    expect(via(new ProxyResolver({ url: 'http://p:1', loopback: true }, {}), 'http://localhost:5001/v2/')).toBe('http://p:1');
    expect(via(new ProxyResolver(false, { HTTPS_PROXY: 'http://p:1' }), 'https://ghcr.io/')).toBeUndefined();
    expect(via(new ProxyResolver({ url: 'http://q:2' }, { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }), 'https://ghcr.io/')).toBe('http://q:2');
  });

  it('proxy credentials become Proxy-Authorization and are not part of the displayed proxy; bad URLs are input errors', () => {
    const route = new ProxyResolver({ url: 'http://us%40er:p%3Ass@proxy:3128' }, {}).resolve(new URL('https://ghcr.io/'));
    expect(route?.display).toBe('http://proxy:3128');
    expect(route?.authorization).toBe(`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    expect(() => new ProxyResolver(undefined, { HTTPS_PROXY: 'socks5://proxy:1080' })).toThrow(/HTTPS_PROXY.*socks5/);
  });
});

describe('registry traffic through an http proxy (absolute-form requests)', () => {
  let reg: SandboxRegistry;
  let proxy: ForwardProxy;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token' });
    proxy = await startForwardProxy();
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('push, pull and list go through the proxy, token fetches too', async () => {
    const logger = new CaptureLogger();
    const c = new RegistryClient({ proxy: { url: proxy.url, loopback: true }, credentials: StaticCredentials.for(reg.host, { username: 'testuser', password: 'testpass' }), logger, retry });
    const repo = { registry: reg.host, repository: 'flux/proxied' };
    const a = makeArtifact(200_000);
    const before = proxy.log.length;
    const pushed = await c.pushImage(repo, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1', 'v2'] });
    expect(pushed.digest).toBe(a.digest);
    expect((await c.getManifest(repo, 'v1')).bytes.equals(a.manifest)).toBe(true);
    const dir = tempDir('proxy');
    const layer = a.blobs[1];
    const file = await c.fetchBlobToFile(repo, layer.digest, join(dir, 'layer'));
    expect(sha256(readFileSync(join(dir, 'layer')))).toBe(layer.digest);
    expect(file).toBeDefined();
    expect(await c.listTags(repo)).toEqual(['v1', 'v2']);
    // A file body through the proxy, into another repository (so the HEAD dedup does not skip it).
    const fromFile = await c.pushBlob({ ...repo, repository: 'flux/proxied-file' }, { path: join(dir, 'layer') }, layer.digest);
    expect(fromFile).toMatchObject({ digest: layer.digest, size: layer.size, uploaded: true });
    c.close();

    const seen = proxy.log.slice(before);
    const targets = seen.map((e) => `${e.method} ${e.target}`);
    expect(targets).toContain(`PUT ${reg.url}/v2/flux/proxied/manifests/v1`);
    expect(targets).toContain(`GET ${reg.url}/v2/flux/proxied/blobs/${layer.digest}`);
    expect(targets).toContain(`GET ${reg.url}/v2/flux/proxied/tags/list`);
    expect(seen.some((e) => e.method === 'POST' && e.target.startsWith(`${reg.url}/v2/flux/proxied/blobs/uploads/`))).toBe(true);
    expect(seen.some((e) => e.method === 'PUT' && e.target.startsWith(`${reg.url}/v2/flux/proxied-file/blobs/uploads/`))).toBe(true);
    expect(seen.some((e) => e.target.startsWith(reg.tokenServer?.url ?? 'no token server'))).toBe(true);
    expect(logger.lines.some((l) => l.includes(`via proxy ${proxy.url}`))).toBe(true);
  });

  it('NO_PROXY bypass: a matching host:port goes direct, another port still goes through the proxy', async () => {
    const repo = { registry: reg.host, repository: 'flux/direct' };
    const a = makeArtifact(1000);
    const credentials = StaticCredentials.for(reg.host, { username: 'testuser', password: 'testpass' });
    const before = proxy.log.length;
    const direct = new RegistryClient({ proxy: { url: proxy.url, loopback: true, noProxy: [reg.host, '127.0.0.1:1'] }, credentials, retry });
    await direct.pushImage(repo, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
    direct.close();
    // The token server is on another port of 127.0.0.1: not in NO_PROXY, so only its requests may pass the proxy.
    expect(proxy.log.slice(before).filter((e) => e.target.startsWith(`${reg.url}/`))).toEqual([]);

    const otherPort = new RegistryClient({ proxy: { url: proxy.url, loopback: true, noProxy: ['127.0.0.1:1'] }, credentials, retry });
    expect((await otherPort.getManifest(repo, 'v1')).digest).toBe(a.digest);
    otherPort.close();
    expect(proxy.log.slice(before).some((e) => e.target === `${reg.url}/v2/flux/direct/manifests/v1`)).toBe(true);
  });

  it('loopback registries ignore HTTP_PROXY from the environment by default', async () => {
    const before = proxy.log.length;
    const c = new RegistryClient({ env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url }, credentials: StaticCredentials.for(reg.host, { username: 'testuser', password: 'testpass' }), retry });
    await c.ping(reg.host);
    c.close();
    expect(proxy.log.length).toBe(before);
  });
});

describe('proxy authentication (407)', () => {
  const secret = 'pr0xy:s3cret@!';
  let reg: SandboxRegistry;
  let proxy: ForwardProxy;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous' });
    proxy = await startForwardProxy({ auth: { username: 'proxyuser', password: secret } });
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('without credentials: a RegistryError that names the proxy and the fix, not retried', async () => {
    const logger = new CaptureLogger();
    const c = new RegistryClient({ proxy: { url: proxy.url, loopback: true }, logger, retry });
    const before = proxy.log.length;
    const err = await c.listTags({ registry: reg.host, repository: 'flux/none' }).catch((e: unknown) => e);
    c.close();
    expect(err).toBeInstanceOf(RegistryError);
    const re = err as RegistryError;
    expect(re.status).toBe(407);
    expect(re.code).toBe(RegistryErrorCode.Unauthorized);
    expect(re.message).toContain(`proxy ${proxy.url}`);
    expect(re.hint).toMatch(/HTTPS_PROXY=http:\/\/user:password@/);
    expect(proxy.log.slice(before).map((e) => e.status)).toEqual([407]);
  });

  it('with credentials in the proxy URL: works, and the credentials appear in no log line or error', async () => {
    const logger = new CaptureLogger();
    const url = new URL(proxy.url);
    url.username = 'proxyuser';
    url.password = encodeURIComponent(secret);
    const c = new RegistryClient({ proxy: { url: url.href, loopback: true }, logger, retry });
    const repo = { registry: reg.host, repository: 'flux/authproxy' };
    const a = makeArtifact(5000);
    const before = proxy.log.length;
    await c.pushImage(repo, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
    const err = await c.getManifest(repo, 'missing').catch((e: unknown) => e);
    c.close();
    const seen = proxy.log.slice(before);
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.every((e) => e.proxyAuthorization && e.status !== 407)).toBe(true);
    const text = [...logger.lines, String(err), (err as RegistryError).hint ?? ''].join('\n');
    expect(text).toContain('via proxy');
    for (const s of [secret, encodeURIComponent(secret), Buffer.from(`proxyuser:${secret}`).toString('base64'), 'proxyuser']) expect(text).not.toContain(s);
  });
});

describe('redirects re-evaluate NO_PROXY for the new host', () => {
  let reg: SandboxRegistry;
  let fault: FaultProxy;
  let proxy: ForwardProxy;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous' });
    fault = await startFaultProxy(reg.url);
    proxy = await startForwardProxy();
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await fault?.stop();
    await reg?.stop();
  });

  it('a blob redirected to a NO_PROXY host is fetched directly, the registry itself through the proxy', async () => {
    const repo = { registry: fault.host, repository: 'flux/redirected' };
    const c = new RegistryClient({ proxy: { url: proxy.url, loopback: true, noProxy: ['localhost'] }, retry });
    const a = makeArtifact(3000);
    await c.pushImage(repo, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST } });
    const regPort = new URL(reg.url).port;
    fault.addFault({ method: 'GET', path: /\/blobs\/sha256:/, action: { redirect: ({ path }) => `http://localhost:${regPort}${path}` } });
    const before = proxy.log.length;
    const layer = a.blobs[1];
    expect(sha256(await c.fetchBlob(repo, layer.digest))).toBe(layer.digest);
    c.close();
    const targets = proxy.log.slice(before).map((e) => e.target);
    expect(targets).toContain(`${fault.url}/v2/flux/redirected/blobs/${layer.digest}`);
    expect(targets.some((t) => t.includes('localhost'))).toBe(false);
    expect(fault.log.some((e) => e.fault?.startsWith('redirect'))).toBe(true);
  });
});

const canTrust = typeof tls.setDefaultCACertificates === 'function';

describe('https registry through a CONNECT tunnel (TLS end to end)', () => {
  const name = 'registry.example.test';
  let reg: SandboxRegistry;
  let proxy: ForwardProxy;
  let authProxy: ForwardProxy;
  let tlsServer: tls.Server;
  let registry: string;
  const savedCAs = canTrust ? tls.getCACertificates('default') : [];
  const savedReject = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous', relativeUrls: true });
    const dir = tempDir('proxy-tls');
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    if (canTrust) tls.setDefaultCACertificates([...savedCAs, cert]);
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const regPort = Number(new URL(reg.url).port);
    // TLS terminator in front of the plain-http sandbox registry.
    tlsServer = tls.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (s) => {
      const up = netConnect(regPort, '127.0.0.1');
      s.pipe(up).pipe(s);
      s.on('error', () => up.destroy());
      up.on('error', () => s.destroy());
    });
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
    registry = `${name}:${(tlsServer.address() as AddressInfo).port}`;
    proxy = await startForwardProxy({ hosts: { [name]: '127.0.0.1' } });
    authProxy = await startForwardProxy({ hosts: { [name]: '127.0.0.1' }, auth: { username: 'u', password: 'tunnel-secret' } });
  }, 60_000);
  afterAll(async () => {
    if (canTrust) tls.setDefaultCACertificates(savedCAs);
    else if (savedReject === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = savedReject;
    await proxy?.stop();
    await authProxy?.stop();
    await new Promise<void>((r) => (tlsServer ? tlsServer.close(() => r()) : r()));
    await reg?.stop();
  });

  it('HTTPS_PROXY from the environment: CONNECT to host:port, then push/pull/list over TLS inside the tunnel', async () => {
    const c = new RegistryClient({ env: { HTTPS_PROXY: proxy.url, NO_PROXY: 'other.test' }, retry });
    const repo = { registry, repository: 'flux/tls' };
    const a = makeArtifact(100_000);
    const pushed = await c.pushImage(repo, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
    expect(pushed.digest).toBe(a.digest);
    expect(sha256(await c.fetchBlob(repo, a.blobs[1].digest))).toBe(a.blobs[1].digest);
    expect(await c.listTags(repo)).toEqual(['v1']);
    c.close();
    expect(proxy.log.length).toBeGreaterThan(0);
    // Only tunnels: the proxy never sees a request line, so the registry traffic was TLS inside CONNECT.
    expect(proxy.log.every((e) => e.method === 'CONNECT' && e.target === registry && e.status === 200)).toBe(true);
    // Keep-alive: far fewer tunnels than requests.
    expect(proxy.log.length).toBeLessThan(6);
  });

  it('a CONNECT answered with 407 is a clear RegistryError; with credentials the tunnel is opened', async () => {
    const bare = new RegistryClient({ env: { HTTPS_PROXY: authProxy.url }, retry });
    const err = await bare.listTags({ registry, repository: 'flux/tls' }).catch((e: unknown) => e);
    bare.close();
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(407);
    expect((err as RegistryError).message).toContain(`proxy ${authProxy.url} answered 407`);
    expect(authProxy.log.map((e) => e.status)).toEqual([407]);

    const url = new URL(authProxy.url);
    url.username = 'u';
    url.password = 'tunnel-secret';
    const logger = new CaptureLogger();
    const ok = new RegistryClient({ env: { https_proxy: url.href }, logger, retry });
    expect(await ok.listTags({ registry, repository: 'flux/tls' })).toEqual(['v1']);
    ok.close();
    expect(authProxy.log.at(-1)).toMatchObject({ method: 'CONNECT', target: registry, status: 200, proxyAuthorization: true });
    expect(logger.lines.join('\n')).not.toContain('tunnel-secret');
  });
});

describe('a silent or unreachable proxy', () => {
  it('times out the CONNECT (inactivity timeout) and reports a network error naming the proxy, retried a bounded number of times', async () => {
    const held: Socket[] = [];
    const silent = createNetServer((sock) => {
      held.push(sock); // accept, never answer
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const proxyUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const c = new RegistryClient({ env: { HTTPS_PROXY: proxyUrl }, timeoutMs: 150, retry: { attempts: 2, baseMs: 10, maxMs: 20 } });
      const err = await c.listTags({ registry: 'registry.example.test', repository: 'flux/x' }).catch((e: unknown) => e);
      c.close();
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as RegistryError).code).toBe(RegistryErrorCode.Network);
      expect((err as RegistryError).message).toContain(`no answer from proxy ${proxyUrl} to CONNECT registry.example.test:443`);
      expect(held.length).toBe(2);
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
