/**
 * Registry push bench (docs/registry-client.md "Benchmark"): the same Flux-style artifact
 * (20 MB random gzip-like layer, `{}` config) pushed from one OCI layout to the same local anonymous distribution 2.8.2
 * by our RegistryClient and by `skopeo copy oci:<layout>:v1 docker://…`, a fresh repository every run, skopeo's
 * blob-info cache deleted before each run (otherwise it mounts instead of uploading). Reported: our push in-process,
 * our push as a whole Node process (this bundle re-run with --push), skopeo as a whole process, and the ratios.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../packages/core/src/oci/client.js';
import { readOciLayout } from '../packages/core/src/oci/layout.js';
import { startRegistry } from '../packages/sandbox/src/registry.js';
import { fmtMs, ratio, timeAsync, timeCommand, writeSection } from './harness.js';

const LAYER_BYTES = 20 * 1000 * 1000;
const RUNS = 7;
const BLOB_INFO_CACHE = '/var/lib/containers/cache/blob-info-cache-v1.boltdb';

function sha256(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function writeLayout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'd2-bench-registry-'));
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer) => {
    writeFileSync(join(dir, 'blobs', 'sha256', sha256(b).slice(7)), b);
    return sha256(b);
  };
  const config = Buffer.from('{}');
  const layer = randomBytes(LAYER_BYTES);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.cncf.flux.config.v1+json', size: config.length, digest: put(config) },
      layers: [{ mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', size: layer.length, digest: put(layer) }],
      annotations: { 'org.opencontainers.image.source': 'https://example.invalid/bench', 'org.opencontainers.image.revision': 'main@sha1:0000000000000000000000000000000000000000' },
    }),
  );
  const digest = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', size: manifest.length, digest, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }));
  return dir;
}

async function pushLayout(client: RegistryClient, layout: string, host: string, repository: string): Promise<string> {
  const img = await readOciLayout(layout, 'v1');
  return (await client.pushImage({ registry: host, repository }, { ...img, tags: ['v1'] })).digest;
}

/** Child mode: `node registry.bench.cjs --push <layout> <host> <repository>` = one whole-process push. */
async function childPush(): Promise<void> {
  const [layout, host, repository] = process.argv.slice(3);
  const client = new RegistryClient({ credentials: { get: () => Promise.resolve(undefined) } });
  await pushLayout(client, layout, host, repository);
  client.close();
}

async function main(): Promise<void> {
  const layout = writeLayout();
  const reg = await startRegistry({ auth: 'anonymous' });
  const self = __filename;
  let n = 0;
  const fresh = (who: string) => `bench/${who}-${process.pid}-${n++}`;
  const clearCache = () => rmSync(BLOB_INFO_CACHE, { force: true });
  try {
    const client = new RegistryClient({ credentials: { get: () => Promise.resolve(undefined) } });
    const inProcess = await timeAsync(() => pushLayout(client, layout, reg.host, fresh('ours')), RUNS, 1);
    client.close();
    const oursProcess = timeCommand(`"${process.execPath}" "${self}" --push "${layout}" ${reg.host} bench/ours-proc-$(date +%s%N)`, RUNS, 1);
    const skopeo = timeCommand(`skopeo copy -q --dest-tls-verify=false oci:${layout}:v1 docker://${reg.host}/bench/skopeo-$(date +%s%N):v1`, RUNS, 1, clearCache);

    const md = [
      '## Registry push (our RegistryClient vs skopeo copy)',
      '',
      `Push of one Flux-style artifact (20 MB random layer + \`{}\` config + manifest) from an OCI layout to CNCF distribution 2.8.2 on 127.0.0.1 (anonymous), a fresh repository each run; skopeo's blob-info cache is deleted before each skopeo run so it uploads instead of mounting. bench/registry.bench.ts.`,
      '',
      '| Case | Median (min–max) | Ratio vs skopeo |',
      '|---|---|---|',
      `| ours, in-process (RegistryClient.pushImage, file sources) | ${fmtMs(inProcess)} | ${ratio(inProcess, skopeo)} |`,
      `| ours, whole process (node + bundle + push) | ${fmtMs(oursProcess)}${oursProcess.peakRssMiB ? `, peak RSS ${oursProcess.peakRssMiB.toFixed(0)} MiB` : ''} | ${ratio(oursProcess, skopeo)} |`,
      `| skopeo copy, whole process | ${fmtMs(skopeo)}${skopeo.peakRssMiB ? `, peak RSS ${skopeo.peakRssMiB.toFixed(0)} MiB` : ''} | 1.00× |`,
      '',
      'Node start-up is a fixed cost skopeo does not pay; the in-process line is what an action step spends on the push itself.',
    ].join('\n');
    writeSection('registry', md);
    console.log(md);
  } finally {
    await reg.stop();
    rmSync(layout, { recursive: true, force: true });
  }
}

(process.argv[2] === '--push' ? childPush() : main()).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
