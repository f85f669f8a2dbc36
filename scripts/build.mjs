#!/usr/bin/env node
// Bundles every action (actions/<name>/src/index.ts -> actions/<name>/dist/index.cjs) and the d2 CLI
// (packages/cli/src/bin.ts -> packages/cli/dist/) with esbuild, targeting Node 20 so the bundles run on node20 and
// node24 runners alike. Actions: ESM with code splitting (index.mjs and its chunks, all in actions/<name>/dist/) behind
// the CommonJS entry index.cjs that action.yml's runs.main names, so a run loads only what it uses
// (docs/architecture.md "Action start-up"). CLI: the same, d2.mjs and chunks/, so a command loads only its own code,
// behind the CommonJS entry d2.cjs that turns on V8's compile cache (docs/architecture.md "CLI start-up"). Next to every bundle that builds artifacts on worker threads (core
// flux/build-pool.ts), the worker's own small bundle build-worker.cjs (docs/artifacts.md, "Workers").
//   node scripts/build.mjs            all actions + CLI
//   node scripts/build.mjs --cli      CLI only (used by pnpm d2 / pnpm demo)
//   node scripts/build.mjs --cli-package   the published CLI package's build: packages/cli/dist/npm/ (no demo)
//   node scripts/build.mjs --sea      the single-file executable packages/cli/dist/d2-linux-x64 (pnpm build:sea, no demo)
// Every CLI build embeds the version of packages/cli/package.json and the commit it was built from (`d2 version`).
//   node scripts/build.mjs push-artifact   only the named action(s)
//   node scripts/build.mjs --quiet
//   node scripts/build.mjs --analyze  also print the largest packages of each bundle and of each d2 command
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { barrelImports } from './build-barrels.mjs';
import { builtinsOnFirstUse } from './build-builtins.mjs';
import { mergeStartChunks } from './build-merge.mjs';
import { sigstoreFetch } from './build-sigstore-fetch.mjs';
import { yamlBrowserBuild } from './build-yaml.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet');
const analyze = args.has('--analyze');
const cliOnly = args.has('--cli') || args.has('--cli-package') || args.has('--sea');

/**
 * Optional peer dependencies of @cyclonedx/cyclonedx-library for XML, which d2 never writes (SBOMs are JSON): left
 * out of the bundles. The library requires them only when an XML serializer or validator is used (docs/sbom.md).
 */
const UNUSED_OPTIONAL_PEERS = ['xmlbuilder2', 'libxmljs2'];

const common = {
  external: UNUSED_OPTIONAL_PEERS,
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

/**
 * undici (405 KiB) is imported at the top level of @actions/http-client (through @actions/core) and @actions/github,
 * which use it only behind an HTTP proxy (ProxyAgent, its fetch). In an action it is built on its own as
 * `dist/undici.cjs` and these two import a stand-in that requires that file on first use, synchronously as undici's
 * constructors are: a run without a proxy never reads it (docs/architecture.md "Action start-up"). Any other importer
 * gets undici bundled as usual.
 */
/** The pluginData of a plugin's own b.resolve(): every plugin here leaves such a lookup to esbuild (no recursion). */
const NESTED = Symbol('d2-nested-resolve');
const LAZY_UNDICI_IMPORTERS = /\/node_modules\/@actions\/(http-client|github)\//;
function lazyUndici(dist) {
  let resolved;
  const plugin = {
    name: 'd2-lazy-undici',
    setup(b) {
      b.onResolve({ filter: /^undici$/ }, async (a) => {
        if (a.pluginData === NESTED || !LAZY_UNDICI_IMPORTERS.test(a.importer)) return undefined;
        const r = await b.resolve(a.path, { kind: a.kind, importer: a.importer, resolveDir: a.resolveDir, pluginData: NESTED });
        if (r.errors.length > 0) return undefined;
        if (resolved && resolved !== r.path) throw new Error(`two undici copies for the lazy stand-in: ${resolved}, ${r.path}`);
        resolved = r.path;
        return { path: 'undici', namespace: 'd2-lazy-undici' };
      });
      b.onResolve({ filter: /^\.\/undici\.cjs$/, namespace: 'd2-lazy-undici' }, (a) => ({ path: a.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: 'd2-lazy-undici' }, () => ({
        loader: 'js',
        contents: [
          "let undici;",
          "const load = () => (undici ??= require('./undici.cjs'));",
          'export class ProxyAgent { constructor(...a) { return new (load().ProxyAgent)(...a); } }',
          'export function fetch(...a) { return load().fetch(...a); }',
        ].join('\n'),
      }));
    },
  };
  const write = async () => {
    if (resolved) await build({ ...common, entryPoints: [resolved], outfile: join(dist, 'undici.cjs') });
  };
  return { plugin, write };
}

/**
 * Dependencies imported at the top of a module that uses them only in rarely called async functions: @actions/core's
 * platform.js imports @actions/exec (and through it @actions/io, which reads `fs.promises` when it loads) for
 * `platform.getDetails()`, which no step calls. For the importers listed, the import is replaced by a module of async
 * functions of the same names that `import()` the real one on first call, so that it becomes a chunk of its own and a
 * run that never calls it does not load it (docs/architecture.md "Action start-up"). The build fails if an export of
 * the real module is not a function, or if the real module is missing.
 */
const LAZY_ASYNC_IMPORTS = [{ importer: /\/node_modules\/@actions\/core\/lib\/platform\.js$/, module: '@actions/exec' }];
const lazyAsyncImports = {
  name: 'd2-lazy-async-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (a) => {
      if (a.pluginData === NESTED || a.kind !== 'import-statement') return undefined;
      const entry = LAZY_ASYNC_IMPORTS.find((e) => e.module === a.path && e.importer.test(a.importer));
      if (!entry) return undefined;
      const r = await b.resolve(a.path, { kind: a.kind, importer: a.importer, resolveDir: a.resolveDir, pluginData: NESTED });
      if (r.errors.length > 0) return { errors: r.errors };
      return { path: r.path, namespace: 'd2-lazy-async', pluginData: { resolveDir: a.resolveDir, spec: a.path } };
    });
    b.onLoad({ filter: /.*/, namespace: 'd2-lazy-async' }, async (a) => {
      const real = await import(pathToFileURL(a.path).href);
      const names = Object.keys(real).filter((n) => n !== 'default');
      const notFunctions = names.filter((n) => typeof real[n] !== 'function');
      if (notFunctions.length > 0) throw new Error(`${a.pluginData.spec}: ${notFunctions.join(', ')} are not functions; it cannot be imported on first call`);
      const load = `import(${JSON.stringify(a.pluginData.spec)})`;
      return {
        loader: 'js',
        resolveDir: a.pluginData.resolveDir,
        contents: names.map((n) => `export async function ${n}(...args) { return (await ${load}).${n}(...args); }`).join('\n'),
      };
    });
  },
};

/**
 * The entry `index.cjs` of an action (runs.main): it loads the ESM bundle index.mjs, which imports its chunks (next to
 * it in dist/) only when the run reaches them. A failure to load is the step's failure, in the runner's format.
 */
const ACTION_LAUNCHER = `// The action's entry (runs.main): starts the ESM bundle index.mjs, whose chunks load when the run needs them
// (docs/architecture.md "Action start-up"). Generated by scripts/build.mjs.
import('./index.mjs').catch((err) => {
  process.stdout.write(\`::error::\${String(err && err.stack ? err.stack : err).replace(/%/g, '%25').replace(/\\r/g, '%0D').replace(/\\n/g, '%0A')}\\n\`);
  process.exitCode = 1;
});
`;

/**
 * An action: ESM with code splitting, every file in `dist/` (chunks beside index.mjs, so that a chunk finds
 * build-worker.cjs next to itself, flux/build-pool.ts). What a run reaches only through `await import()` — the signing
 * half (publish/signing.ts), the cloud SDKs, openpgp — is a chunk that is read and compiled only when imported.
 */
async function bundle(entry, dist) {
  const undici = lazyUndici(dist);
  const result = await build({
    ...common,
    format: 'esm',
    splitting: true,
    entryPoints: { index: entry },
    outdir: dist,
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    define: {},
    // Bundled CommonJS dependencies call require(): give every ESM chunk one.
    banner: { js: 'import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);' },
    plugins: [yamlBrowserBuild, sigstoreFetch, builtinsOnFirstUse, corePure, undici.plugin, lazyAsyncImports, barrelImports(root)],
    metafile: true,
  });
  writeFileSync(join(dist, 'index.cjs'), ACTION_LAUNCHER);
  await undici.write();
  const outputs = result.metafile.outputs;
  const total = Object.values(outputs).reduce((n, o) => n + o.bytes, 0);
  const entryOut = Object.keys(outputs).find((f) => f.endsWith('/index.mjs'));
  const start = startClosure(outputs, entryOut).map((f) => outputs[f]);
  const startBytes = start.reduce((n, o) => n + o.bytes, 0);
  if (analyze) printTopPackages(`${relative(root, dist)} (at start)`, start);
  // The entry and the chunks it imports statically become one file (scripts/build-merge.mjs).
  const { merged } = await mergeStartChunks(dist, 'index.mjs', outputs, { target: common.target, minify: common.minify, legalComments: common.legalComments, charset: common.charset });
  const files = readdirSync(dist).filter((f) => f.endsWith('.mjs')).length;
  if (!quiet) console.log(`${relative(root, join(dist, 'index.cjs'))} + index.mjs + ${files - 1} chunks  ${(total / 1024).toFixed(0)} KiB, ${(startBytes / 1024).toFixed(0)} KiB loaded at start (${merged} chunks merged into index.mjs)`);
  return result;
}

/** The output files loaded with `file`: it and everything it imports statically. */
function startClosure(outputs, file, seen = new Set()) {
  if (seen.has(file)) return [...seen];
  seen.add(file);
  for (const i of outputs[file].imports) if (i.kind === 'import-statement' && outputs[i.path]) startClosure(outputs, i.path, seen);
  return [...seen];
}

// ---- the d2 CLI -------------------------------------------------------------------------------------------------

/**
 * packages/core has no module-level side effects (no module is imported for its effect): telling esbuild so lets it
 * leave out a core module none of whose exports a chunk uses, e.g. the `action` namespace of @d2/core's index, which
 * would otherwise pull @actions/core and undici into every command for the sake of InputError.
 */
const corePure = {
  name: 'd2-core-side-effect-free',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (a) => {
      if (a.pluginData === NESTED) return undefined;
      const r = await b.resolve(a.path, { kind: a.kind, importer: a.importer, resolveDir: a.resolveDir, pluginData: NESTED });
      if (r.errors.length > 0 || !r.path.startsWith(join(root, 'packages', 'core', 'src') + '/')) return undefined;
      return { ...r, sideEffects: false };
    });
  },
};

/**
 * What `d2 version` prints: the CLI package's version and the commit of this checkout (`-dirty` when a file the CLI is
 * built from has uncommitted changes). D2_BUILD_COMMIT overrides the commit (a build from a source archive).
 */
function buildInfo(flavor) {
  const version = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')).version;
  let commit = process.env.D2_BUILD_COMMIT;
  if (!commit) {
    try {
      const git = (a) => execFileSync('git', a, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      commit = git(['rev-parse', 'HEAD']);
      const sources = ['packages/cli', 'packages/core', 'packages/sandbox', 'scripts/build.mjs', 'pnpm-lock.yaml'];
      if (git(['status', '--porcelain', '--untracked-files=no', '--', ...sources]) !== '') commit += '-dirty';
    } catch {
      commit = 'unknown';
    }
  }
  return {
    D2_BUILD_VERSION: JSON.stringify(version),
    D2_BUILD_COMMIT: JSON.stringify(commit),
    D2_BUILD_FLAVOR: JSON.stringify(flavor),
  };
}

/**
 * The installed d2 (npm package, single binary) leaves the demo out: it runs the actions' committed bundles of a
 * D2 Actions checkout on the sandbox's local servers (docs/cli.md "Installing d2"). `d2 demo` there says so.
 */
const withoutDemo = {
  name: 'd2-without-demo',
  setup(b) {
    const demo = join(root, 'packages', 'cli', 'src', 'commands', 'demo.js');
    b.onResolve({ filter: /\/demo\.js$/ }, (a) => (join(a.resolveDir, a.path) === demo ? { path: join(root, 'packages', 'cli', 'src', 'demo', 'unavailable.ts') } : undefined));
  },
};

/**
 * The entry `d2.cjs`: V8's compile cache (Node >= 22.1; skipped before), then the ESM CLI. The cache lives in the user's
 * cache directory, not in TMPDIR, which d2 leaves as it found it (NODE_COMPILE_CACHE overrides the place,
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off).
 */
const CLI_LAUNCHER = `#!/usr/bin/env node
// d2: starts the ESM bundle d2.mjs (code-split: each command loads only its own chunks). Generated by scripts/build.mjs.
try {
  const { enableCompileCache } = require('node:module');
  if (enableCompileCache) {
    const { join } = require('node:path');
    const base = process.env.XDG_CACHE_HOME || join(require('node:os').homedir(), '.cache');
    enableCompileCache(process.env.NODE_COMPILE_CACHE || join(base, 'd2-actions', 'node-compile-cache'));
  }
} catch {
  // No compile cache (Node 20, or no home directory): start without it.
}
import('./d2.mjs').catch((err) => {
  process.stderr.write(\`d2: \${err && err.stack ? err.stack : String(err)}\\n\`);
  process.exitCode = 1;
});
`;

async function bundleCli(entry, dist, flavor = 'dev') {
  mkdirSync(dist, { recursive: true });
  const result = await build({
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    splitting: true,
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    absWorkingDir: root,
    charset: 'utf8',
    entryPoints: { d2: entry },
    external: UNUSED_OPTIONAL_PEERS,
    outdir: dist,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    // Bundled CommonJS dependencies call require(): give every ESM chunk one.
    banner: { js: 'import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);' },
    plugins: flavor === 'dev' ? [yamlBrowserBuild, sigstoreFetch, builtinsOnFirstUse, corePure, barrelImports(root)] : [yamlBrowserBuild, sigstoreFetch, builtinsOnFirstUse, corePure, withoutDemo, barrelImports(root)],
    define: buildInfo(flavor),
    metafile: true,
    write: false,
  });
  // Tests build and run d2 concurrently: a file is replaced only when its content changes, and atomically (rename),
  // so a running d2 never reads a half-written chunk.
  const files = [...result.outputFiles.map((f) => [f.path, Buffer.from(f.contents)]), [join(dist, 'd2.cjs'), Buffer.from(CLI_LAUNCHER)]];
  for (const [path, bytes] of files) {
    if (existsSync(path) && readFileSync(path).equals(bytes)) continue;
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes, { mode: 0o755 });
    renameSync(tmp, path);
  }
  // The entry's mtime says when the CLI was last built (test helpers rebuild when a source is newer).
  const now = new Date();
  utimesSync(join(dist, 'd2.cjs'), now, now);
  // Chunk names carry a content hash: remove those of earlier builds (after writing, so a running d2 keeps its own).
  const written = new Set(files.map(([path]) => path));
  const chunks = join(dist, 'chunks');
  for (const f of existsSync(chunks) ? readdirSync(chunks) : []) if (!written.has(join(chunks, f)) && !f.endsWith('.tmp')) rmSync(join(chunks, f), { force: true });
  const outputs = Object.entries(result.metafile.outputs);
  const total = outputs.reduce((n, [, o]) => n + o.bytes, 0);
  if (!quiet) console.log(`${relative(root, join(dist, 'd2.cjs'))} + d2.mjs + ${outputs.length - 1} chunks  ${(total / 1024).toFixed(0)} KiB`);
  if (flavor === 'npm') {
    // The package's own copy of the licence (npm shows it; `files` in packages/cli/package.json lists dist/npm).
    copyFileSync(join(root, 'LICENSE'), join(dist, 'LICENSE'));
  }
  if (analyze) analyzeCli(result.metafile);
  return result;
}

// ---- the single-file executable (pnpm build:sea) -------------------------------------------------------------------

/**
 * packages/cli/dist/d2-linux-x64: Node's single executable application — a copy of the Node binary running this build
 * with the CLI injected as its one script (postject). A SEA runs a single CommonJS script and no import() of files, so
 * this build is one bundle without code splitting (the command modules are bundled and loaded lazily in-file), with
 * V8's code cache in the blob. Built only when the bundle or the Node binary changed (dist/sea/stamp).
 */
async function buildSea(entry, dist) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`build:sea builds the linux-x64 binary and must run on linux-x64 (this is ${process.platform}-${process.arch})`);
  }
  const work = join(dist, 'sea');
  mkdirSync(work, { recursive: true });
  const script = join(work, 'd2.cjs');
  await build({
    ...common,
    entryPoints: [entry],
    outfile: script,
    plugins: [yamlBrowserBuild, sigstoreFetch, corePure, withoutDemo],
    define: { ...common.define, ...buildInfo('sea') },
  });
  const out = join(dist, 'd2-linux-x64');
  const { createHash } = await import('node:crypto');
  const stamp = createHash('sha256').update(readFileSync(script)).update(process.version).update(readFileSync(process.execPath)).digest('hex');
  const stampFile = join(work, 'stamp');
  if (existsSync(out) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    if (!quiet) console.log(`${relative(root, out)}  up to date  ${(statSync(out).size / 1024 / 1024).toFixed(0)} MiB`);
    return;
  }
  const blob = join(work, 'd2.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  const prep = spawnSync(process.execPath, ['--experimental-sea-config', config], { cwd: work, encoding: 'utf8' });
  if (prep.status !== 0) throw new Error(`node --experimental-sea-config failed (exit ${prep.status}):\n${prep.stdout}${prep.stderr}`);
  const tmp = `${out}.${process.pid}.tmp`;
  copyFileSync(process.execPath, tmp);
  // postject's CLI in a child process: its output (and its ELF library's section-name warnings) only on failure.
  const { createRequire } = await import('node:module');
  const postject = join(dirname(createRequire(import.meta.url).resolve('postject/package.json')), 'dist', 'cli.js');
  const inj = spawnSync(process.execPath, [postject, tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], { encoding: 'utf8' });
  if (inj.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`postject failed (exit ${inj.status}):\n${inj.stdout}${inj.stderr}`);
  }
  renameSync(tmp, out);
  writeFileSync(stampFile, stamp);
  if (!quiet) console.log(`${relative(root, out)}  ${(statSync(out).size / 1024 / 1024).toFixed(0)} MiB (node ${process.version} + ${(statSync(script).size / 1024).toFixed(0)} KiB script)`);
}

// ---- --analyze ----------------------------------------------------------------------------------------------------

/** node_modules/.pnpm/x@1/node_modules/@scope/pkg/… -> @scope/pkg; packages/core/src/oci/… -> packages/core/src/oci */
function packageOf(input) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(input);
  if (m) return m[1];
  return input.replace(/^(packages\/[^/]+\/src\/[^/]+?)\/.*/, '$1');
}

function printTopPackages(name, outputs, label = '') {
  const by = new Map();
  let total = 0;
  for (const o of outputs) {
    total += o.bytes;
    for (const [input, v] of Object.entries(o.inputs)) by.set(packageOf(input), (by.get(packageOf(input)) ?? 0) + v.bytesInOutput);
  }
  const top = [...by].sort((a, b) => b[1] - a[1]).slice(0, 6);
  console.log(`  ${(name + label).padEnd(34)} ${(total / 1024).toFixed(0).padStart(5)} KiB  ${top.map(([k, v]) => `${k} ${(v / 1024).toFixed(0)}`).join(', ')}`);
}

/** What each d2 command loads: d2.mjs, the command's chunk and everything they import statically. */
function analyzeCli(metafile) {
  const outs = metafile.outputs;
  const closure = (file, seen = new Set()) => {
    if (seen.has(file)) return seen;
    seen.add(file);
    for (const i of outs[file].imports) if (i.kind === 'import-statement' && outs[i.path]) closure(i.path, seen);
    return seen;
  };
  const entry = Object.keys(outs).find((f) => f.endsWith('/d2.mjs'));
  const loaded = (chunk) => [...new Set([...closure(entry), ...(chunk ? closure(chunk) : [])])].map((f) => outs[f]);
  console.log('  what each command loads at start (KiB, largest packages):');
  printTopPackages('d2 (entry)', loaded());
  for (const [file, o] of Object.entries(outs).sort((a, b) => (a[1].entryPoint ?? '').localeCompare(b[1].entryPoint ?? ''))) {
    const src = o.entryPoint ?? '';
    const m = /packages\/cli\/src\/(commands\/([a-z-]+)|demo\/run)\.ts$/.exec(src);
    if (!m || m[2] === 'index') continue;
    printTopPackages(m[2] ? `d2 ${m[2].replace('-', ' ')}` : 'd2 demo (when it runs)', loaded(file));
  }
  printTopPackages('d2 --help (every command)', loaded(Object.keys(outs).find((f) => outs[f].entryPoint?.endsWith('commands/index.ts'))));
}

// ---- the build worker ---------------------------------------------------------------------------------------------

const BUILD_POOL = join('packages', 'core', 'src', 'flux', 'build-pool.ts');
const BUILD_WORKER_ENTRY = join(root, 'packages', 'core', 'src', 'flux', 'build-worker-entry.ts');

/** Writes `<dir>/build-worker.cjs` when the bundle's metafile shows that it starts build workers. */
async function bundleBuildWorker(metafile, dir) {
  const uses = Object.values(metafile.outputs).some((o) => Object.keys(o.inputs).includes(BUILD_POOL));
  if (!uses) return;
  const outfile = join(dir, 'build-worker.cjs');
  const result = await build({ ...common, entryPoints: [BUILD_WORKER_ENTRY], outfile, write: false });
  // Replaced atomically and only when it changes, like the CLI's files: a running d2 never reads a half-written worker.
  const bytes = Buffer.from(result.outputFiles[0].contents);
  if (!(existsSync(outfile) && readFileSync(outfile).equals(bytes))) {
    const tmp = `${outfile}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, outfile);
  }
  if (!quiet) console.log(`${relative(root, outfile)}  ${(bytes.length / 1024).toFixed(0)} KiB`);
}

const targets = [];
if (!cliOnly) {
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  for (const name of readdirSync(join(root, 'actions')).sort()) {
    if (only.length > 0 && !only.includes(name)) continue;
    const entry = join(root, 'actions', name, 'src', 'index.ts');
    if (!existsSync(entry)) continue;
    const dist = join(root, 'actions', name, 'dist');
    rmSync(dist, { recursive: true, force: true });
    mkdirSync(dist, { recursive: true });
    targets.push([entry, dist]);
  }
}
for (const [entry, dist] of targets) await bundleBuildWorker((await bundle(entry, dist)).metafile, dist);
const cliEntry = join(root, 'packages', 'cli', 'src', 'bin.ts');
const cliDist = join(root, 'packages', 'cli', 'dist');
if (existsSync(cliEntry) && !args.has('--cli-package') && !args.has('--sea')) await bundleBuildWorker((await bundleCli(cliEntry, cliDist)).metafile, cliDist);
if (args.has('--cli-package')) await bundleBuildWorker((await bundleCli(cliEntry, join(cliDist, 'npm'), 'npm')).metafile, join(cliDist, 'npm'));
if (args.has('--sea')) await buildSea(cliEntry, cliDist);
