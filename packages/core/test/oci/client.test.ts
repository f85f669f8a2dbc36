/**
 * RegistryClient against the real sandbox registry (CNCF distribution 2.8.2) in all three auth modes, with skopeo as
 * the independent oracle: push/pull/tag/list round trips, skopeo copy round trip with
 * unchanged digests, the reverse direction, referrers fallback index, mounts, deletes, and per-mode
 * auth behaviour.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RegistryAuthMode, type SandboxRegistry } from '@d2/sandbox/registry';
import { InputError } from '../../src/errors.js';
import { RegistryClient, type RegistryClientOptions } from '../../src/oci/client.js';
import { DockerConfigCredentials, referrersIndexBytes, StaticCredentials } from '../../src/oci/index.js';
import { isNotFound, RegistryError } from '../../src/oci/errors.js';
import { readOciLayout } from '../../src/oci/layout.js';
import type { Repository } from '../../src/oci/types.js';
import { CaptureLogger, makeArtifact, OCI_INDEX, OCI_MANIFEST, sha256, skopeoOk, tempDir, writeLayout } from './helpers.js';

const MODES: RegistryAuthMode[] = ['anonymous', 'htpasswd', 'token'];

describe.each(MODES)('RegistryClient against distribution 2.8.2 (%s mode)', (mode) => {
  let reg: SandboxRegistry;
  let client: RegistryClient;
  let logger: CaptureLogger;
  let n = 0;
  const repo = (name = 'demo'): Repository => ({ registry: reg.host, repository: `flux/${name}-${n++}` });
  const creds = () => (mode === 'anonymous' ? [] : ['--creds', 'testuser:testpass']);
  const destCreds = () => (mode === 'anonymous' ? [] : ['--dest-creds', 'testuser:testpass']);
  const ref = (r: Repository, tag: string) => `docker://${r.registry}/${r.repository}:${tag}`;
  const newClient = (o: RegistryClientOptions = {}) =>
    new RegistryClient({ credentials: mode === 'anonymous' ? new StaticCredentials({}) : StaticCredentials.for(reg.host, { username: 'testuser', password: 'testpass' }), logger, ...o });

  beforeAll(async () => {
    reg = await startRegistry({ auth: mode });
    logger = new CaptureLogger();
    client = newClient();
  });
  afterAll(async () => {
    client?.close();
    await reg?.stop();
  });

  it('ping: GET /v2/ with authentication succeeds', async () => {
    await expect(client.ping(reg.host)).resolves.toBeUndefined();
  });

  it('pushes blobs then the manifest; skopeo reads the exact bytes and config (skopeo cross-checks)', async () => {
    const r = repo();
    const a = makeArtifact(50_000);
    const pushed = await client.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
    expect(pushed.digest).toBe(a.digest);
    expect(pushed.blobs.every((b) => b.uploaded)).toBe(true);
    const raw = await skopeoOk(['inspect', '--raw', '--tls-verify=false', ...creds(), ref(r, 'v1')]);
    expect(Buffer.from(raw).equals(a.manifest)).toBe(true);
    expect(await skopeoOk(['inspect', '--config', '--raw', '--tls-verify=false', ...creds(), ref(r, 'v1')])).toBe('{}');

    const m = await client.getManifest(r, 'v1');
    expect(m).toEqual({ bytes: a.manifest, digest: a.digest, mediaType: OCI_MANIFEST });
    expect(await client.headManifest(r, 'v1')).toEqual({ mediaType: OCI_MANIFEST, digest: a.digest, size: a.manifest.length });
    expect((await client.getManifest(r, a.digest)).bytes.equals(a.manifest)).toBe(true);
    expect((await client.fetchBlob(r, sha256(a.layer))).equals(a.layer)).toBe(true);
    const file = join(tempDir('blob'), 'layer');
    expect(await client.fetchBlobToFile(r, sha256(a.layer), file)).toEqual({ digest: sha256(a.layer), size: a.layer.length });
    expect(readFileSync(file).equals(a.layer)).toBe(true);
    expect(await client.blobExists(r, sha256(a.layer))).toBe(true);
    expect(await client.blobExists(r, sha256('nope'))).toBe(false);

    // A second push of the same artifact uploads nothing (HEAD dedup).
    const again = await client.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
    expect(again.blobs.map((b) => b.uploaded)).toEqual([false, false]);
  });

  it('tags by re-PUT of the exact bytes; listTags equals skopeo list-tags, sorted and de-duplicated', async () => {
    const r = repo();
    const a = makeArtifact();
    await client.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['zeta'] });
    expect(await client.tag(r, 'zeta', ['alpha', 'latest', 'v1.0.0', '1_x'])).toBe(a.digest);
    const ours = await client.listTags(r);
    expect(ours).toEqual(['1_x', 'alpha', 'latest', 'v1.0.0', 'zeta']);
    const theirs = JSON.parse(await skopeoOk(['list-tags', '--tls-verify=false', ...creds(), `docker://${r.registry}/${r.repository}`])) as { Tags: string[] };
    expect(new Set(theirs.Tags)).toEqual(new Set(ours));
    for (const t of ours) expect((await client.headManifest(r, t))?.digest).toBe(a.digest);
  });

  it('skopeo copy round trip keeps the digest: ours → oci layout → another repository', async () => {
    const r = repo('src');
    const a = makeArtifact(20_000, { artifactType: 'application/vnd.d2.test' });
    await client.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
    const layout = tempDir('copy');
    await skopeoOk(['copy', '--src-tls-verify=false', ...(mode === 'anonymous' ? [] : ['--src-creds', 'testuser:testpass']), ref(r, 'v1'), `oci:${layout}:v1`]);
    const dst = repo('dst');
    await skopeoOk(['copy', '--dest-tls-verify=false', ...destCreds(), `oci:${layout}:v1`, ref(dst, 'v1')]);
    expect((await client.headManifest(dst, 'v1'))?.digest).toBe(a.digest);
    // and our client can push skopeo's layout back
    const img = await readOciLayout(layout, 'v1');
    const back = repo('back');
    expect((await client.pushImage(back, { ...img, tags: ['v1'] })).digest).toBe(a.digest);
  });

  it('reverse direction: skopeo pushes, our client reads manifest, tags and blobs', async () => {
    const r = repo('rev');
    const a = makeArtifact(30_000);
    await skopeoOk(['copy', '--dest-tls-verify=false', ...destCreds(), `oci:${writeLayout(a)}:v1`, ref(r, 'v1')]);
    const m = await client.getManifest(r, 'v1');
    expect(m.digest).toBe(a.digest);
    expect(m.bytes.equals(a.manifest)).toBe(true);
    expect(await client.listTags(r)).toEqual(['v1']);
    expect((await client.fetchBlob(r, sha256(a.layer))).equals(a.layer)).toBe(true);
  });

  it('referrers: no API on 2.8.2 → the sha256-<hex> fallback index is maintained and read', async () => {
    const r = repo('ref');
    const a = makeArtifact();
    await client.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
    const subject = { mediaType: OCI_MANIFEST, digest: a.digest, size: a.manifest.length };
    expect(await client.referrersSupported(r)).toBe(false);
    expect(await client.referrers(r, a.digest)).toEqual([]);

    const empty = Buffer.from('{}');
    await client.pushBlob(r, { data: empty }, sha256(empty));
    const mk = (artifactType: string, payload: string) => {
      const p = Buffer.from(payload);
      return {
        payload: p,
        bytes: Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            artifactType,
            config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
            layers: [{ mediaType: 'application/json', digest: sha256(p), size: p.length }],
            subject,
            annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
          }),
        ),
      };
    };
    const one = mk('application/vnd.dev.sigstore.bundle.v0.3+json', '{"a":1}');
    const two = mk('application/spdx+json', '{"b":2}');
    for (const x of [one, two]) await client.pushBlob(r, { data: x.payload }, sha256(x.payload));
    const d1 = await client.pushReferrer(r, one.bytes, OCI_MANIFEST, subject);
    const d2 = await client.pushReferrer(r, two.bytes, OCI_MANIFEST, subject);
    await client.pushReferrer(r, one.bytes, OCI_MANIFEST, subject); // idempotent: listed once

    const all = await client.referrers(r, a.digest);
    // Listed in digest order: the index is written as cosign v3 writes it (test/oci/referrers-index.test.ts).
    expect(all.map((d) => d.digest)).toEqual([d1, d2].sort());
    expect(all.find((d) => d.digest === d1)).toMatchObject({ mediaType: OCI_MANIFEST, size: one.bytes.length, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' } });
    expect((await client.referrers(r, a.digest, 'application/spdx+json')).map((d) => d.digest)).toEqual([d2]);
    const tag = `sha256-${a.digest.slice(7)}`;
    const idx = await client.getManifest(r, tag);
    expect(idx.mediaType).toBe(OCI_INDEX);
    expect(idx.bytes.toString('utf8')).toBe(referrersIndexBytes(all).toString('utf8'));
    // skopeo sees the same index bytes under the fallback tag
    expect(sha256(await skopeoOk(['inspect', '--raw', '--tls-verify=false', ...creds(), ref(r, tag)]))).toBe(idx.digest);

    const removed = await client.updateFallbackIndex(r, a.digest, [], { remove: [d2], deleteSuperseded: true });
    expect(removed.changed).toBe(true);
    expect((await client.referrers(r, a.digest)).map((d) => d.digest)).toEqual([d1]);
    expect(await client.headManifest(r, idx.digest)).toBeUndefined();
  });

  it('refuses to treat a non-index under the fallback tag as the referrers index', async () => {
    const r = repo('refbad');
    const a = makeArtifact();
    await client.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: [`sha256-${a.digest.slice(7)}`] });
    await expect(client.referrers(r, a.digest)).rejects.toThrow(/not the OCI referrers fallback index/);
  });

  it('mounts across repositories (201) and falls back to uploading into the opened upload (202)', async () => {
    const src = repo('mnt-src');
    const a = makeArtifact();
    await client.pushImage(src, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
    const dst = repo('mnt-dst');
    expect(await client.mountBlob(dst, sha256(a.layer), src)).toBe(true);
    expect(await client.blobExists(dst, sha256(a.layer))).toBe(true);
    const other = Buffer.from('not in the source repository');
    expect(await client.mountBlob(dst, sha256(other), src, { data: other })).toBe(false);
    expect((await client.fetchBlob(dst, sha256(other))).equals(other)).toBe(true);
    const third = Buffer.from('no source given');
    expect(await client.mountBlob(dst, sha256(third), src)).toBe(false);
    expect(await client.blobExists(dst, sha256(third))).toBe(false);
  });

  it('deletes a manifest by digest; a missing manifest is undefined on HEAD and NotFound on GET', async () => {
    const r = repo('del');
    const a = makeArtifact();
    await client.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
    await client.deleteManifest(r, a.digest);
    expect(await client.headManifest(r, 'v1')).toBeUndefined();
    const err = await client.getManifest(r, 'v1').catch((e: unknown) => e);
    expect(isNotFound(err)).toBe(true);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(404);
    expect((err as RegistryError).registryCode).toBe('MANIFEST_UNKNOWN');
    expect((err as RegistryError).message).toContain(`${r.registry}/${r.repository}`);
  });

  it('single-POST upload mode: 2.8.2 answers 202 and discards the body, so the client PUTs it', async () => {
    const c = newClient({ uploadMode: 'single-post' });
    const r = repo('single');
    const blob = Buffer.from('single post body');
    expect(await c.pushBlob(r, { data: blob }, sha256(blob))).toEqual({ digest: sha256(blob), size: blob.length, uploaded: true });
    expect((await c.fetchBlob(r, sha256(blob))).equals(blob)).toBe(true);
    c.close();
  });

  it('pushes from a file source and rejects a wrong size before sending', async () => {
    const r = repo('file');
    const dir = writeLayout(makeArtifact(10_000));
    const img = await readOciLayout(dir);
    expect(img.blobs.every((b) => 'path' in b.source)).toBe(true);
    expect((await client.pushImage(r, { ...img, tags: ['v1'] })).digest).toBe(img.descriptor.digest);
    await expect(client.pushBlob(r, img.blobs[1].source, img.blobs[1].digest, 1)).rejects.toBeInstanceOf(InputError);
  });

  it('rejects bad tags and repositories before any request', async () => {
    const quiet = new CaptureLogger();
    const c = newClient({ logger: quiet });
    const a = makeArtifact();
    await expect(c.putManifest({ registry: reg.host, repository: 'flux/x' }, '1.0.0+build', a.manifest, OCI_MANIFEST)).rejects.toThrow(/contains '\+'/);
    await expect(c.pushImage({ registry: reg.host, repository: 'flux/x' }, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['ok', 'bad/tag'] })).rejects.toBeInstanceOf(InputError);
    await expect(c.listTags({ registry: reg.host, repository: 'Org/Repo' })).rejects.toThrow(/upper-case/);
    await expect(c.putManifest({ registry: reg.host, repository: 'flux/x' }, sha256('other'), a.manifest, OCI_MANIFEST)).rejects.toThrow(/do not match the digest/);
    expect(quiet.lines).toEqual([]);
    c.close();
  });

  if (mode !== 'anonymous') {
    it('a wrong password fails with the registry error and a hint; the secret is never logged', async () => {
      const log = new CaptureLogger();
      const c = new RegistryClient({ credentials: StaticCredentials.for(reg.host, { username: 'testuser', password: 'wrong-secret-pw' }), logger: log, retry: { attempts: 2, baseMs: 1 } });
      const err = (await c.pushBlob(repo('wrong'), { data: Buffer.from('x') }, sha256('x')).catch((e: unknown) => e)) as RegistryError;
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.status).toBe(401);
      expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
      expect(err.hint).toMatch(/credentials|docker login/);
      expect(err.message).not.toContain('wrong-secret-pw');
      expect(log.lines.join('\n')).not.toMatch(/wrong-secret-pw|d3Jvbmctc2VjcmV0LXB3/);
      await expect(c.ping(reg.host)).rejects.toMatchObject({ status: 401 });
      c.close();
    });

    it("the read-only user's push is refused (htpasswd: 403 DENIED; token: 401 insufficient_scope); its pulls work", async () => {
      const src = repo('ro');
      const a = makeArtifact();
      await client.pushImage(src, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
      const reader = new RegistryClient({ credentials: StaticCredentials.for(reg.host, { username: 'reader', password: 'readpass' }) });
      expect((await reader.getManifest(src, 'v1')).digest).toBe(a.digest);
      const err = (await reader.pushImage(repo('ro-dst'), { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] }).catch((e: unknown) => e)) as RegistryError;
      expect(err).toBeInstanceOf(RegistryError);
      if (mode === 'htpasswd') {
        expect(err.status).toBe(403);
        expect(err.registryCode).toBe('DENIED');
        expect(err.code).toBe('REGISTRY_DENIED');
      } else {
        expect(err.status).toBe(401);
        expect(err.errors.map((e) => e.code)).toContain('INSUFFICIENT_SCOPE');
        expect(err.hint).toMatch(/lack the needed rights/);
      }
      reader.close();
    });

    it('reads credentials from a docker config file (DOCKER_CONFIG) and pushes', async () => {
      const dir = reg.dockerConfigDir();
      const c = new RegistryClient({ env: { DOCKER_CONFIG: dir } });
      const r = repo('dockercfg');
      const a = makeArtifact();
      expect((await c.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] })).digest).toBe(a.digest);
      expect(await new DockerConfigCredentials({ configDir: dir }).get(reg.host)).toEqual({ username: 'testuser', password: 'testpass' });
      c.close();
    });

    it('never logs a credential or token while pushing and pulling', async () => {
      const log = new CaptureLogger();
      const c = newClient({ logger: log });
      const r = repo('nolog');
      const a = makeArtifact();
      await c.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
      await c.getManifest(r, 'v1');
      const text = log.lines.join('\n');
      expect(log.lines.length).toBeGreaterThan(3);
      expect(text).not.toContain('testpass');
      expect(text).not.toContain(Buffer.from('testuser:testpass').toString('base64'));
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no JWT
      c.close();
    });
  }

  if (mode === 'token') {
    it('one artifact push costs exactly one token fetch per repository (scope hints + single-flight)', async () => {
      const c = newClient();
      const before = reg.tokenServer!.issued;
      const r = repo('tokens');
      const blobs = [makeArtifact(1000), makeArtifact(2000), makeArtifact(3000)].flatMap((x) => x.blobs.slice(1));
      const a = makeArtifact();
      await c.pushImage(r, { blobs: [...a.blobs, ...blobs], manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1', 'latest'] });
      const issued = reg.tokenServer!.log.slice(before);
      expect(issued).toHaveLength(1);
      expect(issued[0].granted).toEqual([{ type: 'repository', name: r.repository, actions: ['pull', 'push'] }]);
      expect(c.tokenFetches).toHaveLength(1);
      // a second repository costs one more
      const r2 = repo('tokens');
      await c.pushImage(r2, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
      expect(reg.tokenServer!.issued - before).toBe(2);
      c.close();
    });

    it('anonymous clients get pull-only tokens: pulls work, pushes fail with a clear error', async () => {
      const r = repo('anonpull');
      const a = makeArtifact();
      await client.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
      const anon = new RegistryClient({ credentials: new StaticCredentials({}) });
      expect((await anon.getManifest(r, 'v1')).digest).toBe(a.digest);
      await expect(anon.pushBlob(r, { data: Buffer.from('y') }, sha256('y'))).rejects.toMatchObject({ status: 401 });
      anon.close();
    });

    it('OAuth2: an identity token (refresh token) is exchanged with grant_type=refresh_token', async () => {
      const form = new URLSearchParams({ grant_type: 'password', username: 'testuser', password: 'testpass', client_id: 't', service: 'test-registry', access_type: 'offline' });
      const { request } = await import('node:http');
      const refresh = await new Promise<string>((resolve, reject) => {
        const req = request(reg.tokenServer!.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
          let s = '';
          res.on('data', (c: Buffer) => (s += c.toString()));
          res.on('end', () => resolve((JSON.parse(s) as { refresh_token: string }).refresh_token));
        });
        req.on('error', reject);
        req.end(form.toString());
      });
      const before = reg.tokenServer!.issued;
      const c = new RegistryClient({ credentials: StaticCredentials.for(reg.host, { identityToken: refresh }) });
      const r = repo('oauth');
      const a = makeArtifact();
      await c.pushImage(r, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
      const issued = reg.tokenServer!.log.slice(before);
      expect(issued).toHaveLength(1);
      expect(issued[0]).toMatchObject({ method: 'POST', grantType: 'refresh_token', user: 'testuser' });
      expect(c.tokenFetches[0].method).toBe('POST');

      // The OAuth2 password grant (opt-in) works as well.
      const p = newClient({ oauth2: true });
      await p.listTags(r);
      expect(reg.tokenServer!.log.at(-1)).toMatchObject({ method: 'POST', grantType: 'password' });
      c.close();
      p.close();
    });
  }
});
