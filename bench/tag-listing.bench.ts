/**
 * Tag listing at scale (docs/registry-client.md "Tag listing"): a registry stub on 127.0.0.1
 * (packages/sandbox/src/tag-list-server.ts, a stand-in for `/v2/<name>/tags/list` pagination via `Link` headers)
 * serves 2,000,000 tags in pages of 1,000. Measured as whole processes, peak RSS by GNU time:
 *  - ours: RegistryClient.listTags + the ImageRepository scan (exclusion list, storage sort) + a semver election,
 *    i.e. what `d2 update` / e2e-update hold for one image;
 *  - skopeo list-tags (reference client), which only lists.
 * Memory, not speed, is the point; both are reported. Nothing is asserted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { PolicyElector } from '../packages/core/src/image-automation/policy/elect.js';
import { scanImageRepository } from '../packages/core/src/image-automation/reflector/scan.js';
import { RegistryClient } from '../packages/core/src/oci/client.js';
import { startTagListServer } from '../packages/sandbox/src/tag-list-server.js';
import { fmtMs, ratio, timeCommand, writeSection } from './harness.js';

const COUNT = 2_000_000;
const PAGE = 1000;
const RUNS = 3;

/**
 * Child mode: `node [--expose-gc] tag-listing.bench.cjs --scan <host>`: list, scan and elect once; prints the elected
 * tag and the heap still in use (after a full GC, when exposed) while the scan result is alive.
 */
async function childScan(): Promise<void> {
  const host = process.argv[3];
  const client = new RegistryClient({ credentials: { get: () => Promise.resolve(undefined) } });
  const scan = await scanImageRepository({ image: `${host}/acme/app`, insecure: true }, client);
  const elected = new PolicyElector({ imageRepositoryRef: { name: 'app' }, policy: { semver: { range: '>=1.0.0' } } }).elect(scan.tags, { presorted: true });
  client.close();
  if (scan.tagCount !== COUNT) throw new Error(`listed ${scan.tagCount} tags, expected ${COUNT}`);
  (globalThis as { gc?: () => void }).gc?.();
  const retainedMiB = process.memoryUsage().heapUsed / 2 ** 20;
  process.stdout.write(`${JSON.stringify({ elected: elected.tag, retainedMiB, tags: scan.tags.length })}\n`);
}

/** Server mode: `node tag-listing.bench.cjs --serve`: runs the stub (its own process: timeCommand blocks this one). */
async function serve(): Promise<void> {
  const server = await startTagListServer({ repository: 'acme/app', count: COUNT, pageSize: PAGE });
  process.stdout.write(`${server.host}\n`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

async function main(): Promise<void> {
  const self = __filename;
  const child = spawn(process.execPath, [self, '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const host = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').once('data', (d: string) => resolve(d.trim()));
      child.once('exit', (code) => reject(new Error(`stub server exited (${code})`)));
    });
    const ours = timeCommand(`"${process.execPath}" "${self}" --scan ${host} >/dev/null`, RUNS, 1);
    const skopeo = timeCommand(`skopeo list-tags --tls-verify=false docker://${host}/acme/app >/dev/null`, RUNS, 1);
    const once = spawnSync(process.execPath, ['--expose-gc', self, '--scan', host], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const heap = JSON.parse(once.stdout) as { elected: string; retainedMiB: number };
    const rss = (s: { peakRssMiB?: number }) => (s.peakRssMiB ? `${s.peakRssMiB.toFixed(0)} MiB` : 'n/a');
    const md = [
      '## Tag listing: 2,000,000 tags (ours: list + scan + elect; skopeo list-tags)',
      '',
      `A registry stub on 127.0.0.1 serves ${COUNT.toLocaleString('en-US')} tags (\`1.0.<i>\`) in pages of ${PAGE} linked by \`Link: <…>; rel="next"\` (packages/sandbox/src/tag-list-server.ts, a stand-in for distribution's tags/list pagination). Whole processes, peak RSS from GNU time. bench/tag-listing.bench.ts.`,
      '',
      '| Case | Median (min–max) | Peak RSS | Ratio vs skopeo (time) |',
      '|---|---|---|---|',
      `| ours: node + bundle, listTags + scanImageRepository + semver election | ${fmtMs(ours)} | ${rss(ours)} | ${ratio(ours, skopeo)} |`,
      `| skopeo list-tags (lists only) | ${fmtMs(skopeo)} | ${rss(skopeo)} | 1.00× |`,
      '',
      `Heap in use after a full GC with the scan result alive (ours): ${heap.retainedMiB.toFixed(0)} MiB for ${COUNT.toLocaleString('en-US')} tags (elected ${heap.elected}); each tag string is held once. Peak RSS is mostly V8 heap headroom.`,
    ].join('\n');
    writeSection('tag-listing', md);
    console.log(md);
  } finally {
    child.kill('SIGTERM');
  }
}

(process.argv[2] === '--scan' ? childScan() : process.argv[2] === '--serve' ? serve() : main()).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
