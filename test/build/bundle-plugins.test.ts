/**
 * The two esbuild plugins that keep the bundles' start small (docs/architecture.md "Action start-up"), each run on a
 * small entry with esbuild as scripts/build.mjs runs it:
 * - scripts/build-barrels.mjs: an import of a core barrel reaches only the modules that define the imported names;
 * - scripts/build-builtins.mjs: a built-in of LAZY_BUILTINS is required when an export is first read, reads and
 *   writes reach the real module, a built-in that is itself a function (stream) stays usable as one, assert is
 *   required when first called, and an import statement's object holds only the names it imports or reads;
 * - scripts/build-yaml.mjs: `yaml` is its browser build, without the per-token reads of process.env.
 * Each case also bundles without the plugin, so the test shows what the plugin changes (and fails without it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@d2/sandbox/paths';
// @ts-expect-error: plain JavaScript build scripts, no type declarations
import { barrelImports } from '../../scripts/build-barrels.mjs';
// @ts-expect-error: plain JavaScript build scripts, no type declarations
import { builtinsOnFirstUse } from '../../scripts/build-builtins.mjs';
// @ts-expect-error: plain JavaScript build scripts, no type declarations
import { yamlBrowserBuild } from '../../scripts/build-yaml.mjs';
// @ts-expect-error: plain JavaScript build scripts, no type declarations
import { sigstoreFetch } from '../../scripts/build-sigstore-fetch.mjs';

describe('build-sigstore-fetch: @sigstore/sign without make-fetch-happen', () => {
  // A Rekor v1 entry request through @sigstore/sign's own client; the local server refuses it with a JSON message,
  // which @sigstore/sign reads from the response (content-type, json) into the error it throws.
  const source = `import { RekorWitness } from '../packages/core/node_modules/@sigstore/sign';
const w = new RekorWitness({ rekorBaseURL: process.argv[2], majorApiVersion: 1, retry: 0, timeout: 5000 });
const content = { $case: 'messageSignature', messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: Buffer.alloc(32, 1) }, signature: Buffer.alloc(64, 2) } };
w.testify(content, '-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\n').then(
  () => console.log(JSON.stringify({ ok: true })),
  (e) => console.log(JSON.stringify({ error: String(e && e.message), cause: String(e && e.cause && e.cause.message) })),
);
`;

  it("resolves @sigstore/sign's make-fetch-happen to the shim, which carries its requests and its errors", async () => {
    const without = await bundle('sigstore-fetch-without', source, []);
    expect(without.inputs.some((f) => f.includes('/make-fetch-happen/'))).toBe(true);
    const withPlugin = await bundle('sigstore-fetch-with', source, [sigstoreFetch as Plugin]);
    expect(withPlugin.inputs.some((f) => f.includes('/make-fetch-happen/') || f.includes('/cacache/'))).toBe(false);
    expect(withPlugin.inputs).toContain('packages/core/src/oci/sigstore-fetch.ts');

    const requests: { method?: string; url?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        requests.push({ method: req.method, url: req.url, body });
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"message":"no entry for you"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const out = await runAsync(withPlugin.file, [`http://127.0.0.1:${(server.address() as AddressInfo).port}`]);
      expect(out).toMatchObject({ cause: expect.stringContaining('no entry for you') });
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ method: 'POST', url: '/api/v1/log/entries' });
      expect(JSON.parse(requests[0].body)).toMatchObject({ kind: 'hashedrekord' });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses make-fetch-happen imported by anything but @sigstore/sign', async () => {
    await expect(bundle('sigstore-fetch-other', "import f from 'make-fetch-happen';\nconsole.log(typeof f);\n", [sigstoreFetch as Plugin])).rejects.toThrow(/only @sigstore\/sign's import is replaced/);
  });

  it('is what the committed signing bundles hold', () => {
    for (const action of ['push-artifact', 'release-artifact']) {
      const dist = join(root, 'actions', action, 'dist');
      const all = readdirSync(dist).filter((f) => /\.(mjs|cjs)$/.test(f)).map((f) => readFileSync(join(dist, f), 'utf8')).join('\n');
      expect(all).toContain('retries belong to the caller');
      expect(all).not.toMatch(/EINTEGRITY|cacache|iconv-lite/);
    }
  });
});

const root = repoRoot();
const work = mkdtempSync(join(tmpdir(), 'd2-bundle-plugins-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Bundles `source` (an ESM entry in the repository, so that `@d2/core/<domain>` resolves) as the action bundles are built. */
async function bundle(name: string, source: string, plugins: Plugin[]): Promise<{ file: string; inputs: string[] }> {
  mkdirSync(join(root, '.reports'), { recursive: true });
  const entry = join(root, '.reports', `bundle-plugins-${process.pid}-${name}.ts`);
  writeFileSync(entry, source);
  try {
    const file = join(work, `${name}.mjs`);
    const r = await build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: root,
      banner: { js: 'import{createRequire as __d2_createRequire}from"node:module";const require=__d2_createRequire(import.meta.url);' },
      plugins,
    });
    return { file, inputs: Object.keys(r.metafile.inputs) };
  } catch (err) {
    throw new Error(`bundling ${name} failed: ${JSON.stringify((err as { errors?: unknown }).errors ?? String(err))}`);
  } finally {
    rmSync(entry, { force: true });
  }
}

/** Runs a bundle and returns what it printed (one JSON line). */
function run(file: string): unknown {
  const r = spawnSync(process.execPath, [file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('build-barrels: imports past the core barrels', () => {
  // GITHUB_ACTIONS_ISSUER sits in base/issuers.ts; base/index.ts also re-exports identity.ts (re2js, @sigstore/core).
  const source = "import { GITHUB_ACTIONS_ISSUER } from '@d2/core/base';\nconsole.log(JSON.stringify(GITHUB_ACTIONS_ISSUER));\n";

  it('reaches only the module that defines the imported name', async () => {
    const without = await bundle('barrel-without', source, []);
    expect(without.inputs.some((f) => f.endsWith('base/identity.ts'))).toBe(true);
    expect(without.inputs.some((f) => f.includes('re2js'))).toBe(true);
    const withPlugin = await bundle('barrel-with', source, [barrelImports(root, { include: /\/\.reports\/bundle-plugins-/ }) as Plugin]);
    expect(withPlugin.inputs.filter((f) => f.startsWith('packages/'))).toEqual(['packages/core/src/base/issuers.ts']);
    expect(run(withPlugin.file)).toBe('https://token.actions.githubusercontent.com');
  });

  it('follows `export *` through a barrel and leaves type-only names out', async () => {
    // action/index.ts re-exports log.ts with `export *`; Logger is a type of oci/index.ts.
    const src =
      "import { oneLine, type ActionLog } from '@d2/core/action';\nimport { isLoopback } from '@d2/core/base';\n" +
      "const log: Partial<ActionLog> = {};\nconsole.log(JSON.stringify([oneLine('a\\nb'), isLoopback('127.0.0.1:5000'), Object.keys(log).length]));\n";
    const b = await bundle('barrel-reexport', src, [barrelImports(root, { include: /\/\.reports\/bundle-plugins-/ }) as Plugin]);
    expect(b.inputs.filter((f) => f.startsWith('packages/')).sort()).toEqual(
      expect.arrayContaining(['packages/core/src/action/log.ts', 'packages/core/src/base/hosts.ts']),
    );
    expect(b.inputs.some((f) => f.endsWith('action/publish.ts'))).toBe(false);
    expect(run(b.file)).toEqual([expect.stringMatching(/^a.*b$/), true, 0]);
  });

  it('leaves a namespace import as written', async () => {
    const src = "import * as base from '@d2/core/base';\nconsole.log(JSON.stringify(base.GITHUB_ACTIONS_ISSUER));\n";
    const b = await bundle('barrel-namespace', src, [barrelImports(root, { include: /\/\.reports\/bundle-plugins-/ }) as Plugin]);
    expect(b.inputs.some((f) => f.endsWith('base/identity.ts'))).toBe(true);
    expect(run(b.file)).toBe('https://token.actions.githubusercontent.com');
  });
});

describe('build-builtins: built-ins through require(), the heavy ones on first use', () => {
  // Which built-ins the process has loaded, before and after the code first reads an export of node:tls.
  const source = `import { connect } from 'node:tls';
import { Transform } from 'node:stream';
const z = require('node:zlib');
const loaded = () => process.moduleLoadList.filter((m) => m === 'NativeModule tls' || m === 'NativeModule zlib');
const before = loaded();
const type = typeof connect;
const afterTls = loaded();
z.crc32 = function patched() {};
const patched = process.getBuiltinModule('node:zlib').crc32.name;
class Upper extends Transform {}
console.log(JSON.stringify({ before, type, afterTls, patched, stream: new Upper() instanceof Transform }));
`;

  it('loads node:tls when the code first reads one of its exports, not when the bundle loads', async () => {
    const withPlugin = await bundle('builtins-with', source, [builtinsOnFirstUse as Plugin]);
    // A write to an export reaches the real module (code that patches a built-in keeps working).
    expect(run(withPlugin.file)).toEqual({ before: [], type: 'function', afterTls: ['NativeModule tls'], patched: 'patched', stream: true });
    // Without the plugin both are loaded before the code reads anything.
    const without = await bundle('builtins-without', source, []);
    expect(run(without.file)).toEqual({ before: ['NativeModule tls', 'NativeModule zlib'], type: 'function', afterTls: ['NativeModule tls', 'NativeModule zlib'], patched: 'patched', stream: true });
  });
});

describe('build-builtins: an import takes only what it uses; assert on first call', () => {
  const source = `import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as zlib from 'node:zlib';
import { join } from 'node:path';
const assert = require('node:assert');
const whole = zlib;
const loaded = () => process.moduleLoadList.filter((m) => m === 'NativeModule assert');
const before = loaded();
let threw = '';
try { assert(false, 'no'); } catch (err) { threw = err instanceof assert.AssertionError ? err.message : 'other'; }
assert.strictEqual(1, 1);
console.log(JSON.stringify({ before, after: loaded(), threw, hash: createHash('sha256').update('').digest('hex').slice(0, 8), eol: os.EOL, crc: typeof whole.crc32, p: join('a', 'b') }));
`;

  it('writes picks for named imports and for namespaces read only as ns.<name>, the whole module otherwise', async () => {
    const b = await bundle('builtins-pick', source, [builtinsOnFirstUse as Plugin]);
    const text = readFileSync(b.file, 'utf8');
    expect(text).toContain('.pick("crypto", ["createHash"], true)');
    expect(text).toContain('.pick("os", ["EOL"], true)');
    expect(text).toContain('.pick("path", ["join"], false)');
    // `const whole = zlib` passes the namespace on: the whole module, forwarded.
    expect(text).toContain('.lazy("zlib")');
    expect(text).not.toMatch(/\.pick\("zlib"/);
    // assert: not loaded before its first call; calls, properties and its error class are the real module's.
    expect(run(b.file)).toEqual({ before: [], after: ['NativeModule assert'], threw: 'no', hash: 'e3b0c442', eol: '\n', crc: 'function', p: 'a/b' });
  });

  it('refuses to build a named import the built-in does not export', async () => {
    await expect(bundle('builtins-missing', "import { noSuchExport } from 'node:os';\nconsole.log(typeof noSuchExport);\n", [builtinsOnFirstUse as Plugin])).rejects.toThrow(
      /noSuchExport from node:os/,
    );
  });
});

describe('build-yaml: the yaml build without per-token process.env reads', () => {
  const source = "import { parseDocument } from 'yaml';\nconsole.log(JSON.stringify(parseDocument('a: [1, b]\\n').toJS()));\n";

  it('bundles yaml/browser, which parses alike and never reads LOG_TOKENS or LOG_STREAM', async () => {
    const without = await bundle('yaml-without', source, []);
    expect(readFileSync(without.file, 'utf8')).toContain('LOG_TOKENS');
    const withPlugin = await bundle('yaml-with', source, [yamlBrowserBuild as Plugin]);
    const text = readFileSync(withPlugin.file, 'utf8');
    expect(text).not.toMatch(/LOG_TOKENS|LOG_STREAM/);
    expect(withPlugin.inputs.some((f) => /\/yaml\/browser\/index\.js$/.test(f))).toBe(true);
    expect(run(withPlugin.file)).toEqual({ a: [1, 'b'] });
    expect(run(without.file)).toEqual({ a: [1, 'b'] });
  });

  it('is what the committed e2e-update bundle holds', () => {
    const dist = join(root, 'actions', 'e2e-update', 'dist');
    const all = readdirSync(dist).filter((f) => f.endsWith('.mjs')).map((f) => readFileSync(join(dist, f), 'utf8')).join('\n');
    expect(all).toContain('Implicit map keys need to be followed by map values');
    expect(all).not.toMatch(/LOG_TOKENS|LOG_STREAM/);
  });
});

/** Runs a bundle without blocking this process (a server here answers it) and returns what it printed (one JSON line). */
function runAsync(file: string, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`bundle exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as unknown);
    });
  });
}
