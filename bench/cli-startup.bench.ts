/**
 * CLI start-up: the built `d2` (packages/cli/dist/d2.cjs → d2.mjs + chunks/) against a bare `node -e 0`, whole
 * processes side by side in one run, interleaved round by round so that load on a shared machine hits every case
 * alike. Also measured in the same run: the previous packaging of the same sources — one CommonJS bundle whose entry
 * imports every command (built here into .reports/bench) — and d2 without V8's compile cache. docs/architecture.md
 * "CLI start-up" explains what each command loads.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { interleavedRounds, runMeasured, summarize, writeSection, type ProcessSample } from './harness.js';

const root = process.env.D2_ROOT ?? process.cwd();
const out = process.env.D2_BENCH_OUT ?? join(root, '.reports', 'bench');
const ROUNDS = 25;
const WARMUP = 3;

interface Case {
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

function runOnce(c: Case): ProcessSample {
  const { sample, result: r } = runMeasured(process.execPath, c.args, { cwd: root, env: { ...process.env, ...c.env } });
  if (r.status !== 0) throw new Error(`${c.name} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return sample;
}

/** The previous packaging: the same sources as one CommonJS bundle that imports every command at start. */
function buildSingleBundle(): string {
  mkdirSync(out, { recursive: true });
  const entry = join(out, 'd2-single-entry.ts');
  const outfile = join(out, 'd2-single.cjs');
  const src = (p: string): string => JSON.stringify(join(root, 'packages', 'cli', 'src', p));
  writeFileSync(
    entry,
    `import { runCli } from ${src('cli.ts')};\nimport { commands } from ${src('commands/index.ts')};\nimport { VERSION } from ${src('version.ts')};\n` +
      'runCli(commands, process.argv.slice(2), VERSION).then((code) => { process.exitCode = code; });\n',
  );
  const script = `import { build } from 'esbuild';
await build({ entryPoints: [${JSON.stringify(entry)}], outfile: ${JSON.stringify(outfile)}, bundle: true, platform: 'node', target: 'node20',
  format: 'cjs', minify: true, legalComments: 'none', logLevel: 'error', absWorkingDir: ${JSON.stringify(root)},
  external: ['xmlbuilder2', 'libxmljs2'], // CycloneDX's optional XML peers, left out as scripts/build.mjs does
  define: { 'import.meta.url': '__d2_import_meta_url' },
  banner: { js: 'const __d2_import_meta_url = require("node:url").pathToFileURL(__filename).href;' } });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the single bundle failed: ${r.stderr}`);
  return outfile;
}

function main(): void {
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--cli', '--quiet'], { cwd: root, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`scripts/build.mjs --cli failed: ${b.stderr}`);
  const d2 = join(root, 'packages', 'cli', 'dist', 'd2.cjs');
  const single = buildSingleBundle();
  const noCache = { NODE_DISABLE_COMPILE_CACHE: '1' };
  const cases: Case[] = [
    { name: '`node -e 0`', args: ['-e', '0'] },
    { name: '`d2 version`', args: [d2, 'version'] },
    { name: '`d2 version`, no compile cache', args: [d2, 'version'], env: noCache },
    { name: '`d2 version`, previous packaging (one CommonJS bundle)', args: [single, 'version'] },
    { name: '`d2 --help` (loads every command)', args: [d2, '--help'] },
    { name: '`d2 --help`, previous packaging', args: [single, '--help'] },
    { name: '`d2 policy select --help`', args: [d2, 'policy', 'select', '--help'] },
    { name: '`d2 pr --help` (Octokit)', args: [d2, 'pr', '--help'] },
    { name: '`d2 push --help` (registry client, signing)', args: [d2, 'push', '--help'] },
    { name: '`d2 push --help`, no compile cache', args: [d2, 'push', '--help'], env: noCache },
  ];
  const loadBefore = loadavg()[0];
  const samples = interleavedRounds(cases, ROUNDS, WARMUP, (c) => runOnce(c));
  const stat = (name: string) => summarize(samples.get(name) ?? []);
  const base = stat(cases[0].name);
  const rows = cases.map((c) => {
    const s = stat(c.name);
    const cpu = s.cpu === undefined ? '–' : `${s.cpu.toFixed(0)} ms (${base.cpu ? (s.cpu / base.cpu).toFixed(2) : '–'}×)`;
    return `| ${c.name} | ${s.wall.toFixed(1)} ms (min ${s.min.toFixed(1)}) | ${(s.wall / base.wall).toFixed(2)}× | ${cpu} | ${s.rss === undefined ? '–' : `${s.rss.toFixed(0)} MiB`} |`;
  });
  const now = stat('`d2 version`');
  const before = stat('`d2 version`, previous packaging (one CommonJS bundle)');
  const cpuOver = (x: { cpu?: number }): string => (x.cpu === undefined || base.cpu === undefined ? '–' : `${(x.cpu - base.cpu).toFixed(0)} ms`);
  writeSection(
    'cli-startup',
    `## CLI start-up: \`d2\` vs \`node -e 0\` (bench/cli-startup.bench.ts)

Whole processes, ${ROUNDS} interleaved rounds after ${WARMUP} warm-up rounds (so the compile cache is warm); medians, min in brackets.
Load average (1 min) ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end of the run.
Ratios are ÷ \`node -e 0\`. CPU = user + system time from GNU time (10 ms resolution), steadier than wall time on a
shared machine. "Previous packaging" is the same sources bundled as one CommonJS file whose entry imports every command,
as d2.cjs was before the CLI was split.

| Case | Wall time | Ratio | CPU (ratio) | Peak RSS |
|---|---|---|---|---|
${rows.join('\n')}

\`d2 version\`, whole process: ${(before.wall / now.wall).toFixed(1)}× faster than the previous packaging (wall time), ${before.cpu && now.cpu ? `${(before.cpu / now.cpu).toFixed(1)}×` : '–'} less CPU; CPU over a bare Node start: ${cpuOver(now)} now, ${cpuOver(before)} before.
`,
  );
}

main();
