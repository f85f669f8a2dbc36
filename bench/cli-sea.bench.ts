/**
 * The installed d2: the single-file executable (packages/cli/dist/d2-linux-x64, `pnpm build:sea`) and the npm
 * package's bundle (packages/cli/dist/npm) — start-up of `d2 version` and a small `d2 build`, whole processes,
 * interleaved round by round with a bare `node -e 0`, and the sizes users download. docs/cli.md "Installing d2".
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { interleavedRounds, runMeasured, summarize, writeSection, type ProcessSample } from './harness.js';

const root = process.env.D2_ROOT ?? process.cwd();
const ROUNDS = 15;
const WARMUP = 2;

interface Case {
  name: string;
  cmd: string;
  args: string[];
}

function runOnce(c: Case, cwd: string): ProcessSample {
  const { sample, result: r } = runMeasured(c.cmd, c.args, { cwd });
  if (r.status !== 0) throw new Error(`${c.name} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return sample;
}

const MiB = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}

function main(): void {
  for (const flag of ['--sea', '--cli-package']) {
    const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), flag, '--quiet'], { cwd: root, encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`scripts/build.mjs ${flag} failed: ${b.stderr}`);
  }
  const dist = join(root, 'packages', 'cli', 'dist');
  const sea = join(dist, 'd2-linux-x64');
  const npm = join(dist, 'npm', 'd2.cjs');
  const work = mkdtempSync(join(tmpdir(), 'd2-bench-sea-'));
  mkdirSync(join(work, 'comp'));
  for (let i = 0; i < 20; i++) writeFileSync(join(work, 'comp', `cm-${i}.yaml`), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\ndata:\n  n: "${i}"\n`);
  const packDir = join(work, 'pack');
  mkdirSync(packDir);
  execFileSync('pnpm', ['pack', '--pack-destination', packDir], { cwd: join(root, 'packages', 'cli'), stdio: 'ignore' });
  const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'));

  const cases: Case[] = [
    { name: '`node -e 0`', cmd: process.execPath, args: ['-e', '0'] },
    { name: '`d2 version`, npm package (node d2.cjs)', cmd: process.execPath, args: [npm, 'version'] },
    { name: '`d2-linux-x64 version` (single binary)', cmd: sea, args: ['version'] },
    { name: '`d2 build comp`, npm package', cmd: process.execPath, args: [npm, 'build', 'comp'] },
    { name: '`d2-linux-x64 build comp`', cmd: sea, args: ['build', 'comp'] },
  ];
  const loadBefore = loadavg()[0];
  const samples = interleavedRounds(cases, ROUNDS, WARMUP, (c) => runOnce(c, work));
  const stat = (name: string) => summarize(samples.get(name) ?? []);
  const base = stat(cases[0].name);
  const rows = cases.map((c) => {
    const s = stat(c.name);
    const cpu = s.cpu === undefined ? '–' : `${s.cpu.toFixed(0)} ms (${base.cpu ? (s.cpu / base.cpu).toFixed(2) : '–'}×)`;
    return `| ${c.name} | ${s.wall.toFixed(1)} ms (min ${s.min.toFixed(1)}) | ${(s.wall / base.wall).toFixed(2)}× | ${cpu} | ${s.rss === undefined ? '–' : `${s.rss.toFixed(0)} MiB`} |`;
  });
  const sizes = [
    `| \`d2-linux-x64\` (single binary) | ${MiB(statSync(sea).size)} | Node ${process.versions.node} (${MiB(statSync(process.execPath).size)}) + the CLI script (${MiB(statSync(join(dist, 'sea', 'd2.cjs')).size)}) with V8's code cache |`,
    `| npm tarball \`${tarball ?? '?'}\` | ${tarball ? MiB(statSync(join(packDir, tarball)).size) : '–'} | gzip of the installed files |`,
    `| installed npm package (dist/npm) | ${MiB(dirBytes(join(dist, 'npm')))} | d2.cjs + d2.mjs + chunks/ + LICENSE; needs Node.js >= 20 |`,
  ];
  rmSync(work, { recursive: true, force: true });
  writeSection(
    'cli-sea',
    `## Installed d2: single binary and npm package (bench/cli-sea.bench.ts)

Whole processes, ${ROUNDS} interleaved rounds after ${WARMUP} warm-up rounds; medians, min in brackets. Load average
(1 min) ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end of the run. Ratios are ÷ \`node -e 0\`.
CPU = user + system time from GNU time (10 ms resolution). \`comp\` is a directory of 20 small YAML files. The npm
package's \`d2.cjs\` keeps V8's compile cache in the user's cache directory (warm after the first round); the single
binary carries V8's code cache for its script in the executable.

| Case | Wall time | Ratio | CPU (ratio) | Peak RSS |
|---|---|---|---|---|
${rows.join('\n')}

| Artifact | Size | What is in it |
|---|---|---|
${sizes.join('\n')}
`,
  );
}

main();
