/**
 * The sandbox registry in its three auth modes, proved with skopeo as an independent client
 * (docs/registry-client.md "Sandbox"): an authenticated push succeeds, a wrong password fails with the registry's error, a read-only user's push fails.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type SandboxRegistry } from '../src/registry.js';

const tmp = mkdtempSync(join(tmpdir(), 'd2-registry-test-'));
const emptyAuthFile = join(tmp, 'empty-auth.json');
writeFileSync(emptyAuthFile, '{"auths":{}}');

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** A small hand-built OCI layout with Flux media types; returns its dir and manifest digest. */
function writeLayout(): { dir: string; manifestDigest: string } {
  const dir = mkdtempSync(join(tmp, 'layout-'));
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer) => {
    const d = sha256(b);
    writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), b);
    return d;
  };
  const config = Buffer.from('{}');
  const layer = randomBytes(2048);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.flux.config.v1+json', size: config.length, digest: put(config) },
      layers: [{ mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', size: layer.length, digest: put(layer) }],
      annotations: { 'org.opencontainers.image.source': 'https://example.invalid/test' },
    }),
  );
  const manifestDigest = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', size: manifest.length, digest: manifestDigest, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
    }),
  );
  return { dir, manifestDigest };
}

/**
 * Runs skopeo asynchronously: the token server and the htpasswd read-only gate run in this process, so a
 * synchronous spawn would deadlock them.
 */
function skopeo(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('skopeo', args, { encoding: 'utf8', env: { ...process.env, REGISTRY_AUTH_FILE: emptyAuthFile, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ status, out: stdout, err: stderr });
    });
  });
}

function push(reg: SandboxRegistry, layout: string, repo: string, creds?: string, extra: string[] = []) {
  const args = ['copy', '--dest-tls-verify=false', ...extra];
  if (creds) args.push('--dest-creds', creds);
  return skopeo([...args, `oci:${layout}:v1`, `docker://${reg.host}/${repo}:v1`]);
}

function inspectRaw(reg: SandboxRegistry, repo: string, creds?: string) {
  return skopeo(['inspect', '--raw', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), `docker://${reg.host}/${repo}:v1`]);
}

function httpJson(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, json, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sandbox registry: anonymous mode', () => {
  let reg: SandboxRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous' });
  });
  afterAll(() => reg?.stop());

  it('listens on 127.0.0.1 and answers GET /v2/ with 200', async () => {
    expect(reg.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(reg.url).toBe(`http://${reg.host}`);
    const r = await httpJson('GET', `${reg.url}/v2/`);
    expect(r.status).toBe(200);
  });

  it('skopeo pushes without credentials and reads the exact manifest back', async () => {
    const { dir, manifestDigest } = writeLayout();
    const r = await push(reg, dir, 'flux/anon');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const raw = await inspectRaw(reg, 'flux/anon');
    expect(raw.status).toBe(0);
    expect(sha256(Buffer.from(raw.out))).toBe(manifestDigest);
  });

  it('has storage.delete enabled (DELETE of a manifest by digest → 202)', async () => {
    const { dir, manifestDigest } = writeLayout();
    expect((await push(reg, dir, 'flux/del')).status).toBe(0);
    const r = await httpJson('DELETE', `${reg.url}/v2/flux/del/manifests/${manifestDigest}`);
    expect(r.status).toBe(202);
  });
});

describe('sandbox registry: htpasswd mode (Basic auth)', () => {
  let reg: SandboxRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'htpasswd' });
  });
  afterAll(() => reg?.stop());

  it('challenges with Basic realm="basic-realm"', async () => {
    const r = await httpJson('GET', `${reg.url}/v2/`);
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Basic realm="basic-realm"');
  });

  it('an authenticated push succeeds (skopeo --dest-creds)', async () => {
    const { dir, manifestDigest } = writeLayout();
    const r = await push(reg, dir, 'flux/basic', 'testuser:testpass');
    expect(r.status, r.err).toBe(0);
    const raw = await inspectRaw(reg, 'flux/basic', 'testuser:testpass');
    expect(sha256(Buffer.from(raw.out))).toBe(manifestDigest);
  });

  it('a wrong password fails with the registry error', async () => {
    const { dir } = writeLayout();
    const r = await push(reg, dir, 'flux/basic-wrong', 'testuser:nope');
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/unauthorized: authentication required/);
  });

  it('the read-only user can pull but its push is denied', async () => {
    const { dir } = writeLayout();
    expect((await push(reg, dir, 'flux/ro-src', 'testuser:testpass')).status).toBe(0);
    expect((await inspectRaw(reg, 'flux/ro-src', 'reader:readpass')).status).toBe(0);
    const r = await push(reg, writeLayout().dir, 'flux/ro', 'reader:readpass');
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/denied/i);
  });

  it('writes a docker config that skopeo accepts (--authfile)', async () => {
    const cfg = reg.dockerConfigDir();
    const { dir, manifestDigest } = writeLayout();
    const r = await push(reg, dir, 'flux/authfile', undefined, ['--authfile', join(cfg, 'config.json')]);
    expect(r.status, r.err).toBe(0);
    expect(sha256(Buffer.from((await inspectRaw(reg, 'flux/authfile', 'testuser:testpass')).out))).toBe(manifestDigest);
  });

  it('hands out relative upload Locations (http.relativeurls)', async () => {
    const auth = `Basic ${Buffer.from('testuser:testpass').toString('base64')}`;
    const r = await httpJson('POST', `${reg.url}/v2/flux/rel/blobs/uploads/`, '', { authorization: auth });
    expect(r.status).toBe(202);
    expect(String(r.headers.location)).toMatch(/^\/v2\/flux\/rel\/blobs\/uploads\//);
  });
});

describe('sandbox registry: token mode', () => {
  let reg: SandboxRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'token' });
  });
  afterAll(() => reg?.stop());

  it('challenges with a Bearer realm pointing at the token server', async () => {
    const r = await httpJson('GET', `${reg.url}/v2/flux/x/manifests/v1`);
    expect(r.status).toBe(401);
    expect(String(r.headers['www-authenticate'])).toBe(`Bearer realm="${reg.tokenServer?.url}",service="test-registry",scope="repository:flux/x:pull"`);
  });

  it('an authenticated push succeeds and every token issuance is logged', async () => {
    const before = reg.tokenServer?.issued ?? 0;
    const { dir, manifestDigest } = writeLayout();
    const r = await push(reg, dir, 'flux/token', 'testuser:testpass');
    expect(r.status, r.err).toBe(0);
    const raw = await inspectRaw(reg, 'flux/token', 'testuser:testpass');
    expect(sha256(Buffer.from(raw.out))).toBe(manifestDigest);
    const ts = reg.tokenServer;
    expect(ts).toBeDefined();
    expect(ts!.issued).toBeGreaterThan(before);
    const pushes = ts!.log.slice(before).filter((e) => e.granted.some((g) => g.name === 'flux/token' && g.actions.includes('push')));
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.every((e) => e.user === 'testuser')).toBe(true);
  });

  it('a wrong password fails with the token server error', async () => {
    const r = await push(reg, writeLayout().dir, 'flux/token-wrong', 'testuser:nope');
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/invalid username or password/);
  });

  it("the read-only user's push fails with insufficient_scope / denied, pull works", async () => {
    const r = await push(reg, writeLayout().dir, 'flux/token-ro', 'reader:readpass');
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/denied: requested access to the resource is denied/);
    const last = reg.tokenServer!.log.filter((e) => e.user === 'reader').at(-1);
    expect(last?.granted.every((g) => g.actions.every((a) => a === 'pull'))).toBe(true);
    expect((await inspectRaw(reg, 'flux/token', 'reader:readpass')).status).toBe(0);
  });

  it('anonymous callers get pull only', async () => {
    const r = await httpJson('GET', `${reg.tokenServer!.url}?service=test-registry&scope=${encodeURIComponent('repository:flux/token:pull,push')}`);
    expect(r.status).toBe(200);
    expect(reg.tokenServer!.log.at(-1)).toMatchObject({ user: 'anonymous', granted: [{ type: 'repository', name: 'flux/token', actions: ['pull'] }] });
    const m = await httpJson('GET', `${reg.url}/v2/flux/token/manifests/v1`, undefined, {
      authorization: `Bearer ${String(r.json.token)}`,
      accept: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect(m.status).toBe(200);
  });

  it('OAuth2 POST: grant_type=password with access_type=offline, then refresh_token', async () => {
    const form = (f: Record<string, string>) => new URLSearchParams(f).toString();
    const h = { 'content-type': 'application/x-www-form-urlencoded' };
    const first = await httpJson('POST', reg.tokenServer!.url, form({ grant_type: 'password', username: 'testuser', password: 'testpass', client_id: 'd2', service: 'test-registry', scope: 'repository:flux/a:pull,push repository:flux/b:pull', access_type: 'offline' }), h);
    expect(first.status).toBe(200);
    expect(typeof first.json.refresh_token).toBe('string');
    expect(reg.tokenServer!.log.at(-1)?.granted).toEqual([
      { type: 'repository', name: 'flux/a', actions: ['pull', 'push'] },
      { type: 'repository', name: 'flux/b', actions: ['pull'] },
    ]);
    const second = await httpJson('POST', reg.tokenServer!.url, form({ grant_type: 'refresh_token', refresh_token: String(first.json.refresh_token), client_id: 'd2', service: 'test-registry', scope: 'repository:flux/a:push' }), h);
    expect(second.status).toBe(200);
    expect(reg.tokenServer!.log.at(-1)).toMatchObject({ method: 'POST', grantType: 'refresh_token', user: 'testuser' });
    const bad = await httpJson('POST', reg.tokenServer!.url, form({ grant_type: 'refresh_token', refresh_token: 'nope', client_id: 'd2', service: 'test-registry' }), h);
    expect(bad.status).toBe(401);
    const noClient = await httpJson('POST', reg.tokenServer!.url, form({ grant_type: 'password', username: 'testuser', password: 'testpass', service: 'test-registry' }), h);
    expect(noClient.status).toBe(400);
  });
});

describe('sandbox registry: lifecycle', () => {
  it('stop() ends the registry process and removes its temp dir', async () => {
    const reg = await startRegistry({ auth: 'token' });
    const url = reg.url;
    const ts = reg.tokenServer!.url;
    await reg.stop();
    await expect(httpJson('GET', `${url}/v2/`)).rejects.toThrow();
    await expect(httpJson('GET', ts)).rejects.toThrow();
    const { existsSync } = await import('node:fs');
    expect(existsSync(reg.workDir)).toBe(false);
  });
});
