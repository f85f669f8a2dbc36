#!/usr/bin/env node
// Bundles every action (actions/<name>/src/index.ts -> actions/<name>/dist/index.cjs) and the d2 CLI
// (packages/cli/src/bin.ts -> packages/cli/dist/d2.cjs) with esbuild. CommonJS output with an explicit .cjs
// extension, targeting Node 20 so the bundles run on node20 and node24 runners alike.
//   node scripts/build.mjs            all actions + CLI
//   node scripts/build.mjs --cli      CLI only (used by pnpm d2 / pnpm demo)
//   node scripts/build.mjs push-artifact   only the named action(s)
//   node scripts/build.mjs --quiet
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Keep output identical across machines: no absolute paths, no timestamps.
  absWorkingDir: root,
  charset: 'utf8',
  // import.meta.url is rewritten for CJS so that dependencies that use it keep working.
  define: { 'import.meta.url': '__d2_import_meta_url' },
  banner: { js: 'const __d2_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
};

async function bundle(entry, outfile) {
  const result = await build({ ...common, entryPoints: [entry], outfile, metafile: true });
  const size = statSync(outfile).size;
  if (!quiet) console.log(`${relative(root, outfile)}  ${(size / 1024).toFixed(0)} KiB`);
  return result;
}

const targets = [];
if (!args.has('--cli')) {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  for (const name of readdirSync(join(root, 'actions')).sort()) {
    if (only.length > 0 && !only.includes(name)) continue;
    const entry = join(root, 'actions', name, 'src', 'index.ts');
    if (!existsSync(entry)) continue;
    const dist = join(root, 'actions', name, 'dist');
    rmSync(dist, { recursive: true, force: true });
    mkdirSync(dist, { recursive: true });
    targets.push([entry, join(dist, 'index.cjs')]);
  }
}
const cliEntry = join(root, 'packages', 'cli', 'src', 'bin.ts');
if (existsSync(cliEntry)) targets.push([cliEntry, join(root, 'packages', 'cli', 'dist', 'd2.cjs')]);

for (const [entry, out] of targets) await bundle(entry, out);
