/**
 * Differential tests for the registry client: the real ORAS CLI is the
 * oracle. ORAS pushes and our client pulls, and the reverse; `oras manifest fetch`, `oras repo tags` and
 * `oras discover` (referrers API or the `sha256-<hex>` fallback tag schema) see what our client wrote. Runs in
 * anonymous and htpasswd modes (credentials from DOCKER_CONFIG for ORAS, from the same docker config for us).
 *
 * The RegistryClient (@d2/core/oci) is written against the API that @d2/core/sign's SignatureRegistry
 * names (pushBlob, putManifest, getManifest, headManifest, fetchBlob, referrers) plus listTags; until it lands these
 * fail (see PendingModule). The oracle self-checks (ORAS against skopeo, ORAS against flux) run now.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { OrasCli, startEgressGuard, toolEnv, type EgressGuard, type OrasDiscovery } from '@d2/sandbox/reference-tools';
import { describeConformance, itWith, PendingModule, prng, sha256, tempDir } from './helpers.js';

interface Repository {
  registry: string;
  repository: string;
}
interface Descriptor {
  mediaType: string;
  size: number;
  digest: string;
  annotations?: Record<string, string>;
  artifactType?: string;
}

/** What the suite expects from RegistryClient. Adapt makeClient() and the calls below if the real API differs. */
interface Client {
  pushBlob(repo: Repository, source: { data: Buffer } | { path: string }, digest: string, size?: number): Promise<unknown>;
  putManifest(repo: Repository, reference: string, bytes: Buffer, mediaType: string): Promise<string>;
  getManifest(repo: Repository, reference: string): Promise<{ bytes: Buffer; mediaType: string; digest: string }>;
  headManifest(repo: Repository, reference: string): Promise<Descriptor | undefined>;
  fetchBlob(repo: Repository, digest: string): Promise<Buffer>;
  referrers(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]>;
  listTags(repo: Repository): Promise<string[]>;
}
interface OciApi {
  RegistryClient: new (opts?: { insecure?: boolean; dockerConfigDir?: string; env?: Record<string, string | undefined> }) => Client;
}

const oci = await PendingModule.probe<OciApi>('@d2/core/oci', 'packages/core/src/oci/index.ts', ['RegistryClient']);

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY = { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 };

function randomBytes(seed: number, n: number): Buffer {
  const r = prng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

for (const mode of ['anonymous', 'htpasswd'] as const) {
  describeConformance(`conformance: registry client vs ORAS (${mode})`, ['oras'], (tools) => {
    let guard: EgressGuard;
    let registry: SandboxRegistry;
    let oras: OrasCli;
    let dockerConfigDir: string | undefined;
    let n = 0;
    const repoName = (): string => `conformance/${mode}/r${n++}`;

    function makeClient(): Client {
      const { RegistryClient } = oci.get();
      return new RegistryClient({ insecure: true, env: { DOCKER_CONFIG: dockerConfigDir } });
    }

    /** Pushes files with ORAS (one layer each, titled), returns the manifest digest and the files. */
    async function orasPush(ref: string, seed: number): Promise<{ digest: string; files: Map<string, Buffer> }> {
      const dir = tempDir('oras-push');
      const files = new Map<string, Buffer>([
        ['small.txt', Buffer.from(`hello ${seed}\n`)],
        ['random.bin', randomBytes(seed, 300_000)],
        ['ünïcode-name.yaml', Buffer.from('kind: Unicode\n')],
      ]);
      for (const [name, data] of files) writeFileSync(join(dir, name), data);
      const r = await oras.push(ref, [...files.keys()].map((path) => ({ path, mediaType: 'application/vnd.d2.test.v1' })), {
        cwd: dir,
        artifactType: 'application/vnd.d2.test.artifact',
        annotations: { 'org.opencontainers.image.source': 'https://github.com/example/repo?a=1&b=<2>' },
      });
      return { digest: r.digest, files };
    }

    beforeAll(async () => {
      guard = await startEgressGuard();
      registry = await startRegistry({ auth: mode });
      dockerConfigDir = mode === 'htpasswd' ? registry.dockerConfigDir() : undefined;
      oras = new OrasCli(tools.oras, toolEnv({ egress: guard, dockerConfigDir }));
    });

    afterAll(async () => {
      await registry?.stop();
      await guard?.stop();
    });

    it('oracle self-check: what oras pushes, skopeo reads byte for byte (independent implementations agree)', async () => {
      const ref = `${registry.host}/${repoName()}:v1`;
      const pushed = await orasPush(ref, 1);
      const fetched = await oras.manifestFetch(ref);
      expect(sha256(fetched)).toBe(pushed.digest);
      const skopeoArgs = ['inspect', '--raw', '--tls-verify=false', ...(mode === 'htpasswd' ? ['--creds', 'testuser:testpass'] : []), `docker://${ref}`];
      // Async on purpose: in htpasswd mode the sandbox's read-only gate runs in this process, so a sync exec would deadlock.
      const { stdout: viaSkopeo } = await promisify(execFile)('skopeo', skopeoArgs, { env: { ...process.env, HOME: tempDir('skopeo-home') }, encoding: 'buffer', timeout: 60_000 });
      expect(Buffer.compare(viaSkopeo, fetched)).toBe(0);
    });

    itWith([oci], 'ORAS pushes, our client pulls: manifest bytes, digest and every layer blob', async () => {
      const repository = repoName();
      const repo = { registry: registry.host, repository };
      const pushed = await orasPush(`${registry.host}/${repository}:v1`, 2);
      const client = makeClient();
      const m = await client.getManifest(repo, 'v1');
      expect(m.digest).toBe(pushed.digest);
      expect(sha256(m.bytes)).toBe(pushed.digest);
      expect(m.mediaType).toBe(MANIFEST);
      expect(Buffer.compare(m.bytes, await oras.manifestFetch(`${registry.host}/${repository}@${pushed.digest}`))).toBe(0);
      const manifest = JSON.parse(m.bytes.toString('utf8')) as { layers: Descriptor[] };
      expect(manifest.layers).toHaveLength(pushed.files.size);
      for (const layer of manifest.layers) {
        const title = layer.annotations?.['org.opencontainers.image.title'] ?? '';
        const blob = await client.fetchBlob(repo, layer.digest);
        expect(sha256(blob), title).toBe(sha256(pushed.files.get(title) ?? Buffer.alloc(0)));
      }
      const head = await client.headManifest(repo, 'v1');
      expect(head).toMatchObject({ digest: pushed.digest, size: m.bytes.length, mediaType: MANIFEST });
      expect(await client.headManifest(repo, 'missing')).toBeUndefined();
    });

    itWith([oci], 'our client pushes, ORAS reads: oras manifest fetch is byte-identical, oras pull extracts the files, oras repo tags lists every tag', async () => {
      const repository = repoName();
      const repo = { registry: registry.host, repository };
      const client = makeClient();
      const files = new Map<string, Buffer>([['a.yaml', Buffer.from('kind: A\n')], ['big.bin', randomBytes(3, 2_500_000)]]);
      const layers: Descriptor[] = [];
      for (const [name, data] of files) {
        const digest = sha256(data);
        await client.pushBlob(repo, { data }, digest, data.length);
        layers.push({ mediaType: 'application/vnd.d2.test.v1', digest, size: data.length, annotations: { 'org.opencontainers.image.title': name } });
      }
      await client.pushBlob(repo, { data: Buffer.from('{}') }, EMPTY.digest, 2);
      // Go-style compact JSON with an escaped '&' in an annotation: the bytes must survive untouched.
      const bytes = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, artifactType: 'application/vnd.d2.test.artifact', config: EMPTY, layers, annotations: { 'org.opencontainers.image.source': 'https://x/?a=1\u0026b=2' } })
          .replace(/&/g, '\\u0026'),
      );
      const digest = await client.putManifest(repo, 'v1', bytes, MANIFEST);
      expect(digest).toBe(sha256(bytes));
      for (const tag of ['v2', 'latest', 'x_y.z-1']) await client.putManifest(repo, tag, bytes, MANIFEST);

      const fetched = await oras.manifestFetch(`${registry.host}/${repository}:v1`);
      expect(Buffer.compare(fetched, bytes)).toBe(0);
      expect(await oras.manifestDescriptor(`${registry.host}/${repository}:latest`)).toMatchObject({ digest, size: bytes.length, mediaType: MANIFEST });

      const out = tempDir('oras-pull');
      mkdirSync(out, { recursive: true });
      await oras.pull(`${registry.host}/${repository}:v2`, out);
      for (const [name, data] of files) expect(sha256(readFileSync(join(out, name))), name).toBe(sha256(data));

      const orasTags = await oras.repoTags(`${registry.host}/${repository}`);
      const ours = await client.listTags(repo);
      expect(new Set(orasTags)).toEqual(new Set(['v1', 'v2', 'latest', 'x_y.z-1']));
      expect([...ours].sort()).toEqual([...orasTags].sort());
    });

    itWith([oci], 'referrers: oras attach → our client lists the referrer; our fallback index → oras discover sees it', async () => {
      const repository = repoName();
      const repo = { registry: registry.host, repository };
      const subject = await orasPush(`${registry.host}/${repository}:v1`, 4);
      const client = makeClient();

      // ORAS writes a referrer (distribution 2.8.2 has no referrers API: ORAS maintains the sha256-<hex> fallback index).
      const dir = tempDir('oras-attach');
      writeFileSync(join(dir, 'sbom.json'), '{"sbom":true}\n');
      const attached = await oras.attach(`${registry.host}/${repository}@${subject.digest}`, 'application/vnd.d2.test.sbom', [{ path: 'sbom.json' }], dir);
      const seen = await client.referrers(repo, subject.digest);
      expect(seen.map((d) => d.digest)).toContain(attached.digest);
      expect(seen.find((d) => d.digest === attached.digest)?.artifactType).toBe('application/vnd.d2.test.sbom');
      expect((await client.referrers(repo, subject.digest, 'application/vnd.other')).map((d) => d.digest)).not.toContain(attached.digest);

      // We write a referrer manifest and the fallback index (as our signer does for bundles), ORAS discovers it.
      const payload = Buffer.from('{"d2":"referrer"}');
      await client.pushBlob(repo, { data: payload }, sha256(payload), payload.length);
      await client.pushBlob(repo, { data: Buffer.from('{}') }, EMPTY.digest, 2);
      const subjectDesc = { mediaType: MANIFEST, digest: subject.digest, size: (await oras.manifestFetch(`${registry.host}/${repository}@${subject.digest}`)).length };
      const refBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, artifactType: 'application/vnd.d2.test.ours', config: EMPTY, layers: [{ mediaType: 'application/json', digest: sha256(payload), size: payload.length }], subject: subjectDesc }));
      const refDigest = await client.putManifest(repo, sha256(refBytes), refBytes, MANIFEST);
      const fallbackTag = subject.digest.replace(':', '-');
      const current = JSON.parse((await client.getManifest(repo, fallbackTag)).bytes.toString('utf8')) as { manifests: Descriptor[] };
      const index = { schemaVersion: 2, mediaType: INDEX, manifests: [...current.manifests, { mediaType: MANIFEST, digest: refDigest, size: refBytes.length, artifactType: 'application/vnd.d2.test.ours' }] };
      await client.putManifest(repo, fallbackTag, Buffer.from(JSON.stringify(index)), INDEX);

      const discovered: OrasDiscovery = await oras.discover(`${registry.host}/${repository}@${subject.digest}`);
      const list = discovered.referrers ?? discovered.manifests ?? [];
      expect(list.map((d) => d.digest).sort()).toEqual([attached.digest, refDigest].sort());
      expect(list.find((d) => d.digest === refDigest)?.artifactType).toBe('application/vnd.d2.test.ours');
    });

    it('no reference-tool run tried to reach the internet', () => {
      expect(guard.attempts).toEqual([]);
    });
  });
}
