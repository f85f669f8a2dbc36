/**
 * The d2 CLI as users install it (docs/cli.md "Installing d2"), with no workspace around:
 *  - the npm package: `pnpm pack` of packages/cli, installed from the tarball into an empty prefix (`npm i -g
 *    --prefix`) on Node 24 and on Node 20 (installed into .tools/ by scripts/node20.sh), then `d2 version`, `d2 build`
 *    and a signed `d2 push` to the sandbox registry, from a directory outside the repository, and `npx` (npm exec);
 *  - the single-file executable (`pnpm build:sea`, packages/cli/dist/d2-linux-x64) run with no Node on PATH.
 * Both leave the demo out and say how to run it.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@d2/core/oci';
import { repoRoot } from '@d2/sandbox/paths';
import { startOidc, type OidcContext, type SandboxOidc } from '@d2/sandbox/oidc';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { startSigstore, type SandboxSigstore } from '@d2/sandbox/sigstore';
import { runCli, type Io } from '../../packages/cli/src/cli.js';
import { commands } from '../../packages/cli/src/commands/index.js';

const root = repoRoot();
const scratch = mkdtempSync(join(tmpdir(), 'd2-cli-package-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const pkgVersion = (JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;
const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();

/** A component directory outside the repository, and the digest the in-repository d2 builds from it. */
const work = join(scratch, 'work');
mkdirSync(join(work, 'comp'), { recursive: true });
writeFileSync(join(work, 'comp', 'deploy.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: installed\n');

async function sourceBuildDigest(): Promise<string> {
  let out = '';
  const io: Io = { stdout: (s) => void (out += s), stderr: () => undefined, env: {} };
  expect(await runCli(commands, ['build', join(work, 'comp'), '-o', 'json'], '0.0.0-test', io)).toBe(0);
  return (JSON.parse(out) as { manifestDigest: string }).manifestDigest;
}

/** A PATH holding only `node` (a symlink to the given binary), or nothing at all. */
function pathWith(node?: string): string {
  const dir = mkdtempSync(join(scratch, 'path-'));
  if (node) symlinkSync(node, join(dir, 'node'));
  return dir;
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program asynchronously: the Sigstore stand-in and the OIDC endpoint answer from this process, so it must not
 * block while the program runs.
 */
function run(cmd: string, args: string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: work, env: { HOME: join(scratch, 'home'), DOCKER_CONFIG: join(scratch, 'docker'), ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => void (stderr += d));
    child.on('error', (err) => resolve({ status: null, stdout, stderr: `${stderr}${String(err)}` }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function expectVersion(r: Ran, build: string, node: string): void {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const v = JSON.parse(r.stdout) as Record<string, string>;
  expect(v).toMatchObject({ version: pkgVersion, build, node, platform: `${process.platform}/${process.arch}` });
  // The commit this d2 was built from: this checkout's HEAD (marked -dirty when the CLI's sources have changes).
  expect(v.commit).toMatch(new RegExp(`^${head}(-dirty)?$`));
}

function expectNoDemo(r: Ran): void {
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/d2 demo is not part of this build/);
  expect(r.stderr).toMatch(/hint: .*\.\/scripts\/dev demo/);
}

let registry: SandboxRegistry;
let sigstore: SandboxSigstore;
let oidc: SandboxOidc;
let client: RegistryClient;
let digest: string;
const identity: OidcContext = { repository: 'acme/app', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };

beforeAll(async () => {
  [registry, sigstore, oidc] = await Promise.all([startRegistry({ auth: 'anonymous' }), startSigstore(), startOidc()]);
  client = new RegistryClient({ credentials: { get: async () => undefined } });
  digest = await sourceBuildDigest();
  mkdirSync(join(scratch, 'docker'));
  mkdirSync(join(scratch, 'home'));
});
afterAll(async () => {
  client?.close();
  await Promise.all([registry?.stop(), sigstore?.stop(), oidc?.stop()]);
});

/** `d2 push --sign` of the component to `name`, then the registry holds the artifact at `latest` and its signature. */
async function expectSignedPush(d2: string[], env: Record<string, string>, name: string): Promise<void> {
  const ref = `oci://${registry.host}/installed/${name}`;
  const signFlags = ['--sign', '--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL, '--trusted-root', sigstore.trustedRootPath];
  const r = await run(d2[0], [...d2.slice(1), 'push', 'comp', ref, '--tags', 'latest', ...signFlags, '-o', 'json'], { ...env, SIGSTORE_ID_TOKEN: oidc.issueToken(identity) });
  expect(r.stderr).not.toMatch(/✗/);
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout) as { pushed: boolean; digest: string; artifacts: { signature: string }[] };
  expect(out).toMatchObject({ pushed: true, digest });
  const repo = { registry: registry.host, repository: `installed/${name}` };
  expect((await client.headManifest(repo, 'latest'))?.digest).toBe(digest);
  expect((await client.headManifest(repo, `sha256-${digest.slice(7)}.sig`))?.digest).toMatch(/^sha256:/);
}

/** Where `npm` (its CLI script) is: run with the Node under test, so the install itself runs on that Node. */
function npmCli(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' });
  if (which.status !== 0) return undefined;
  const cli = join(dirname(realpathSync(which.stdout.trim())), 'npm-cli.js');
  return existsSync(cli) ? cli : undefined;
}

/** Node 20 from scripts/node20.sh (installed into .tools/ once), or the reason it is not available. */
function node20(): { path?: string; reason?: string } {
  const r = spawnSync('bash', [join(root, 'scripts', 'node20.sh')], { encoding: 'utf8', timeout: 300_000 });
  return r.status === 0 ? { path: r.stdout.trim() } : { reason: r.stderr.trim() || `scripts/node20.sh exited ${r.status}` };
}

describe('the npm package @d2-actions/cli', () => {
  let tarball: string;
  let files: string[];

  beforeAll(() => {
    const dest = join(scratch, 'pack');
    mkdirSync(dest);
    execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: join(root, 'packages', 'cli'), stdio: 'ignore' });
    const tgz = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
    expect(tgz).toHaveLength(1);
    tarball = join(dest, tgz[0]);
    files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
  }, 180_000);

  it('holds only the self-contained bundle, its licence and README, and declares no runtime dependency', () => {
    for (const f of files) expect(f).toMatch(/^package\/(package\.json|README\.md|dist\/npm\/(d2\.cjs|d2\.mjs|build-worker\.cjs|LICENSE|chunks\/[\w.-]+\.mjs))$/);
    expect(files).toContain('package/dist/npm/LICENSE');
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: '@d2-actions/cli', version: pkgVersion, license: 'Apache-2.0', bin: { d2: './dist/npm/d2.cjs' }, engines: { node: '>=20' } });
    expect(manifest.private).toBeUndefined();
    expect(manifest.dependencies).toBeUndefined();
    expect(JSON.stringify(manifest)).not.toMatch(/workspace:|"@d2\//);
    // No chunk imports a package: everything but Node's built-ins is in the bundle. (The proxy agents of
    // make-fetch-happen, with their optional import("kerberos"), left with it: scripts/build-sigstore-fetch.mjs.)
    const bundle = files.filter((f) => f.endsWith('.mjs') || f.endsWith('.cjs')).map((f) => execFileSync('tar', ['-xzOf', tarball, f], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })).join('\n');
    const specifiers = [...bundle.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"'\s,(){}]+)["']/g)].map((m) => m[1]);
    expect(specifiers.filter((s) => s.startsWith('./'))).not.toEqual([]);
    const packageName = /^(?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(?:\/[\w./-]*)?$/; // what a bare specifier looks like
    const packages = [...new Set(specifiers.filter((s) => packageName.test(s) && !isBuiltin(s)))];
    // The AWS SDK also names its optional SigV4a signers (used only for SigV4a requests; STS and ECR never make one).
    expect(packages.sort()).toEqual(['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a']);
  });

  const npm = npmCli();
  const n20 = node20();
  if (!npm) console.warn('[cli-package] SKIP installing the package: npm is not on PATH');
  if (!n20.path) console.warn(`[cli-package] SKIP the Node 20 install: ${n20.reason}`);
  const nodes: Array<[string, string | undefined]> = [
    ['24', process.versions.node.startsWith('24.') ? process.execPath : undefined],
    ['20', n20.path],
  ];
  for (const [major, node] of nodes) {
    it.runIf(npm !== undefined && node !== undefined)(`installs into an empty prefix and runs version, build and a signed push on Node ${major}`, async () => {
      const nodeBin = node as string;
      const nodeVersion = execFileSync(nodeBin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      expect(nodeVersion.split('.')[0]).toBe(major);
      const prefix = join(scratch, `prefix-${major}`);
      const PATH = pathWith(nodeBin);
      const i = await run(nodeBin, [npm as string, 'install', '--global', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { PATH, npm_config_cache: join(scratch, 'npm-cache') });
      expect(i.stderr).toBe('');
      expect(i.status).toBe(0);
      const d2 = join(prefix, 'bin', 'd2');
      expect(existsSync(d2)).toBe(true);
      // `node` is the only program on PATH, and the working directory is outside the repository.
      expectVersion(await run(d2, ['version', '-o', 'json'], { PATH }), 'npm', nodeVersion);
      const b = await run(d2, ['build', 'comp', '-o', 'json'], { PATH });
      expect(b.status).toBe(0);
      expect((JSON.parse(b.stdout) as { manifestDigest: string }).manifestDigest).toBe(digest);
      await expectSignedPush([d2], { PATH }, `npm-node${major}`);
      expectNoDemo(await run(d2, ['demo'], { PATH }));
      // npx without installing (`npx @d2-actions/cli …` from the registry; here the tarball): the package's one bin.
      const npx = await run(nodeBin, [npm as string, 'exec', '--yes', '--offline', `--package=${tarball}`, '--', 'd2', 'version', '-o', 'json'], {
        PATH: `${PATH}:/bin:/usr/bin`,
        npm_config_cache: join(scratch, `npx-cache-${major}`),
      });
      expect(npx.status).toBe(0);
      expect(JSON.parse(npx.stdout)).toMatchObject({ version: pkgVersion, build: 'npm', node: nodeVersion });
    }, 240_000);
  }
});

describe('the single-file executable packages/cli/dist/d2-linux-x64 (pnpm build:sea)', () => {
  const sea = join(root, 'packages', 'cli', 'dist', 'd2-linux-x64');
  let skip: string | undefined;

  beforeAll(() => {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      skip = `the single binary is built for linux-x64 on linux-x64 (this is ${process.platform}-${process.arch})`;
      return;
    }
    // Cached: rebuilt only when the bundle or the Node binary changed (scripts/build.mjs, dist/sea/stamp).
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--sea', '--quiet'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) skip = `pnpm build:sea failed here: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
    if (skip) console.warn(`[cli-package] SKIP the single binary: ${skip}`);
  }, 300_000);

  it('runs version, build and a signed push with no Node on PATH, and leaves the demo out', async (ctx) => {
    if (skip) ctx.skip();
    const PATH = pathWith();
    expectVersion(await run(sea, ['version', '-o', 'json'], { PATH }), 'sea', process.versions.node);
    const b = await run(sea, ['build', 'comp', '-o', 'json'], { PATH });
    expect(b.status).toBe(0);
    expect((JSON.parse(b.stdout) as { manifestDigest: string }).manifestDigest).toBe(digest);
    await expectSignedPush([sea], { PATH }, 'sea');
    expectNoDemo(await run(sea, ['demo'], { PATH }));
  }, 240_000);
});
