/**
 * A blob the registry has but cannot find (docs/registry-client.md, "A blob the registry has but cannot find"). Every
 * Flux artifact has the same config blob, so two pushes into one repository (two releases of a component, two
 * push-artifact runs) upload it concurrently; CNCF distribution's filesystem driver rewrites the repository's link to
 * the blob in place on every commit, and a manifest PUT that reads the link meanwhile answers 400
 * MANIFEST_BLOB_UNKNOWN for a blob that exists. A run that failed there left no tag moved, but failed for nothing.
 *
 * The guarantee: a manifest PUT answered MANIFEST_BLOB_UNKNOWN is retried only when a HEAD made a moment later finds
 * every blob it named, and a blob that is really missing still fails at once, with its hint. Real parts: the real
 * registry (the race is the registry's own), and a fault proxy (a real HTTP server) for the missing-blob case.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLUX_CONFIG, FLUX_CONFIG_DIGEST, FLUX_CONFIG_MEDIA_TYPE } from '@d2/core/flux';
import { MANIFEST_BLOB_RETRIES, RegistryClient, RegistryError } from '@d2/core/oci';
import { startFaultProxy, startRegistry, type SandboxRegistry } from '@d2/sandbox';

let registry: SandboxRegistry;
beforeAll(async () => {
  registry = await startRegistry({ auth: 'anonymous' });
});
afterAll(async () => {
  await registry?.stop();
});

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** A Flux-shaped manifest: the shared Flux config blob and one layer. */
function manifestOf(layer: Buffer): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: FLUX_CONFIG_MEDIA_TYPE, digest: FLUX_CONFIG_DIGEST, size: FLUX_CONFIG.length },
      layers: [{ mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', digest: sha(layer), size: layer.length }],
    }),
  );
}

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { debug() {}, info() {}, warn: (m: string) => warnings.push(m) } };
}

describe('manifest PUT against a concurrent push of the same blob', () => {
  it('every manifest lands while another writer keeps committing the shared config blob (the registry is seen to miss it)', async () => {
    const repo = { registry: registry.host, repository: 'race/shared-config' };
    const { warnings, logger } = recordingLogger();
    // The engine never retries a 400: only the manifest verb's own retry can save a PUT here. (The pusher keeps the
    // engine's retries for what a loaded machine may throw at it otherwise; the next test shows a 500 on the blob
    // check's HEAD settling nothing without them.)
    const writer = new RegistryClient({ retry: { attempts: 1 } });
    const pusher = new RegistryClient({ logger });
    await writer.pushBlob(repo, { data: FLUX_CONFIG }, FLUX_CONFIG_DIGEST);
    let stop = false;
    let commits = 0;
    // The other push: its uploads of the config blob commit again and again (dedup off, as two runs that both HEADed
    // 404). Its own failures are not what is tested here: it only has to keep committing.
    const other = (async () => {
      while (!stop) {
        await writer.pushBlob(repo, { data: FLUX_CONFIG }, FLUX_CONFIG_DIGEST, undefined, { dedup: false }).then(
          () => commits++,
          () => undefined,
        );
      }
    })();
    const failures: string[] = [];
    let pushed = 0;
    const raceSeen = () => warnings.filter((w) => /concurrent push of the same blob/.test(w)).length;
    try {
      // Until the registry has missed the blob at least twice (about 1.7 times a second on 2 cores), at most 40 s.
      const until = Date.now() + 40_000;
      while (raceSeen() + failures.length < 2 && Date.now() < until) {
        const layer = Buffer.from(`layer ${pushed}`);
        await pusher.pushBlob(repo, { data: layer }, sha(layer));
        const m = manifestOf(layer);
        try {
          await pusher.putManifest(repo, sha(m), m, OCI_MANIFEST);
        } catch (e) {
          failures.push(e instanceof Error ? e.message : String(e));
        }
        pushed++;
      }
    } finally {
      stop = true;
      await other;
    }
    expect(failures, failures.join('\n')).toEqual([]);
    // The race happened (else this test proves nothing), and each time the PUT was retried: no HEAD answered 404.
    expect(raceSeen(), `${pushed} manifests, ${commits} concurrent commits`).toBeGreaterThanOrEqual(2);
    for (const w of warnings.filter((x) => x.startsWith('push manifest'))) expect(w).toMatch(new RegExp(`MANIFEST_BLOB_UNKNOWN[\\s\\S]*${FLUX_CONFIG_DIGEST}[\\s\\S]*retrying in \\d+ ms \\(attempt [2-${MANIFEST_BLOB_RETRIES + 1}]/`));
  }, 90_000);

  it('a blob that is really missing fails at once: one PUT, one HEAD of the named blob, the registry error and its hint', async () => {
    const repo = 'race/missing';
    const layer = Buffer.from('never pushed');
    const m = manifestOf(layer);
    const proxy = await startFaultProxy(registry.url);
    try {
      const client = new RegistryClient({});
      await client.pushBlob({ registry: proxy.host, repository: repo }, { data: FLUX_CONFIG }, FLUX_CONFIG_DIGEST);
      proxy.log.length = 0;
      const err = await client.putManifest({ registry: proxy.host, repository: repo }, sha(m), m, OCI_MANIFEST).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      const re = err as RegistryError;
      expect(re.errors.map((x) => x.code)).toContain('MANIFEST_BLOB_UNKNOWN');
      expect(re.message).toContain(sha(layer));
      expect(re.hint).toMatch(/push every blob before the manifest/);
      expect(proxy.log.map((l) => `${l.method} ${l.path.replace(/sha256:[0-9a-f]{64}/, '<d>')}`)).toEqual([
        `PUT /v2/${repo}/manifests/<d>`,
        `HEAD /v2/${repo}/blobs/<d>`,
      ]);
      expect(proxy.log[1]?.path).toContain(sha(layer));
    } finally {
      await proxy.stop();
    }
  });

  it('a HEAD that fails with 500 (the half-written link read again) settles nothing: the PUT decides again and lands', async () => {
    const repo = 'race/head-500';
    const layer = Buffer.from('pushed layer, head 500');
    const m = manifestOf(layer);
    const proxy = await startFaultProxy(registry.url);
    try {
      const client = new RegistryClient({ retry: { attempts: 1 } });
      const target = { registry: proxy.host, repository: repo };
      await client.pushBlob(target, { data: FLUX_CONFIG }, FLUX_CONFIG_DIGEST);
      await client.pushBlob(target, { data: layer }, sha(layer));
      // distribution 2.8's answers, as it gives them while another commit rewrites the link.
      proxy.addFault({
        method: 'PUT',
        path: /\/manifests\//,
        times: 1,
        action: { status: 400, body: JSON.stringify({ errors: [{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content' }, { code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: FLUX_CONFIG_DIGEST }] }) },
      });
      proxy.addFault({ method: 'HEAD', path: /\/blobs\//, times: 1, action: { status: 500, body: JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'unknown error', detail: 'invalid checksum digest format' }] }) } });
      proxy.log.length = 0;
      expect(await client.putManifest(target, sha(m), m, OCI_MANIFEST)).toBe(sha(m));
      expect(proxy.log.map((l) => `${l.method} ${l.status}`)).toEqual(['PUT 400', 'HEAD 500', 'PUT 201']);
      expect(proxy.log[1]?.path).toContain(FLUX_CONFIG_DIGEST);
    } finally {
      await proxy.stop();
    }
  });

  it('an answer naming a blob the manifest does not reference is final (no HEAD, no retry)', async () => {
    const repo = 'race/foreign';
    const layer = Buffer.from('pushed layer');
    const m = manifestOf(layer);
    const proxy = await startFaultProxy(registry.url);
    try {
      const client = new RegistryClient({});
      const target = { registry: proxy.host, repository: repo };
      await client.pushBlob(target, { data: FLUX_CONFIG }, FLUX_CONFIG_DIGEST);
      await client.pushBlob(target, { data: layer }, sha(layer));
      const foreign = sha(Buffer.from('not in this manifest'));
      proxy.addFault({
        method: 'PUT',
        path: /\/manifests\//,
        times: 1,
        action: { status: 400, body: JSON.stringify({ errors: [{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: foreign }] }) },
      });
      proxy.log.length = 0;
      const err = await client.putManifest(target, sha(m), m, OCI_MANIFEST).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect(proxy.log.map((l) => l.method)).toEqual(['PUT']);
    } finally {
      await proxy.stop();
    }
  });
});
