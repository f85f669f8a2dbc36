/**
 * Hostile inputs that the actions already handle, kept here so a regression fails CI. Each test runs a committed
 * bundle against the sandbox (registry, fault proxy, Sigstore stand-in, git server) and states the guard it depends
 * on. Unit-level tests of the same guards live beside their code and are not repeated here:
 * - FIFOs, symlinks and special files in the tar writer: packages/core/test/flux/tar.test.ts ("skips FIFOs …"),
 *   packages/core/test/flux/ignore.test.ts ("symlinks … are skipped, never followed");
 * - unsafe tar entry names (`../evil`, absolute, `a/../../evil`) on extraction: packages/core/test/flux/tar.test.ts
 *   ("rejects the unsafe name …");
 * - `path: ../..` outside the workspace: test/actions/push-artifact/push-artifact.test.ts ("input validation");
 * - a blob whose bytes do not match its digest: packages/core/test/oci/faults.test.ts;
 * - Fulcio outages (no tag moves): test/actions/push-artifact/push-artifact.test.ts ("a component whose signing fails …") and
 *   test/actions/release-artifact/release-artifact.test.ts ("latest-stable never moves when signing fails"); the signer's own
 *   Fulcio/Rekor retries: packages/core/test/sign/sign-e2e.test.ts ("failures and guards").
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@d2/core/oci';
import {
  runActionBundle,
  startFaultProxy,
  startGitServer,
  startOidc,
  startRegistry,
  startSigstore,
  type ActionRun,
  type FaultProxy,
  type SandboxGitServer,
  type SandboxOidc,
  type SandboxRegistry,
  type SandboxSigstore,
} from '@d2/sandbox';
import { imagePolicyYaml, seedGitRepo, tempDir } from './helpers.js';

const explain = (r: ActionRun) => `exit ${r.exitCode}\nerrors: ${r.errors.join('\n')}\nstdout:\n${r.stdout.slice(-4000)}\nstderr:\n${r.stderr.slice(-2000)}`;
const client = () => new RegistryClient({});

let registry: SandboxRegistry;
const cleanups: (() => void)[] = [];
beforeAll(async () => {
  registry = await startRegistry({ auth: 'anonymous' });
});
afterAll(async () => {
  await registry?.stop();
  for (const c of cleanups) c();
});

function workspace(): string {
  const t = tempDir('d2-hold-ws-');
  cleanups.push(t.cleanup);
  return t.dir;
}

function component(ws: string, name: string, files: Record<string, string> = { 'cm.yaml': `kind: ConfigMap\nmetadata:\n  name: ${name}\n` }): string {
  const dir = join(ws, 'components', name);
  mkdirSync(dir, { recursive: true });
  for (const [f, c] of Object.entries(files)) writeFileSync(join(dir, f), c);
  return dir;
}

/** Names of the non-directory entries in the layer of the artifact at `digest` (GNU tar as an independent reader). */
async function layerEntries(repository: string, digest: string): Promise<string[]> {
  const repo = { registry: registry.host, repository };
  const manifest = JSON.parse((await client().getManifest(repo, digest)).bytes.toString('utf8')) as { layers: { digest: string }[] };
  const t = tempDir('d2-hold-layer-');
  try {
    const file = join(t.dir, 'layer.tgz');
    writeFileSync(file, await client().fetchBlob(repo, manifest.layers[0].digest));
    // `tar -tv` lines start with the entry type: keep everything but directories (symlinks and FIFOs included).
    const lines = execFileSync('tar', ['-tvzf', file], { encoding: 'utf8' }).split('\n').filter(Boolean);
    return lines.filter((l) => !l.startsWith('d')).map((l) => l.split(/\s+/).slice(5).join(' ')).sort();
  } finally {
    t.cleanup();
  }
}

const push = (ws: string, inputs: Record<string, string>, opts: Parameters<typeof runActionBundle>[1] = {}) =>
  runActionBundle('push-artifact', { workspace: ws, ...opts, inputs: { sign: 'false', ...inputs } });

describe('filesystem oddities inside a component (push-artifact)', () => {
  it('symlink loops are skipped, never followed: the artifact holds the real file only', async () => {
    // Guards: the Flux walk uses lstat and skips symlinks (flux/tar.ts walkFluxTree). Following links would recurse
    // forever through `self -> .` or fail on `a -> b -> a`.
    const ws = workspace();
    const dir = component(ws, 'loops');
    symlinkSync('.', join(dir, 'self'));
    symlinkSync('b', join(dir, 'a'));
    symlinkSync('a', join(dir, 'b'));
    mkdirSync(join(dir, 'sub'));
    symlinkSync('..', join(dir, 'sub', 'up'));
    const r = await push(ws, { path: 'components/loops', repository: `${registry.host}/acme/loops` });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(await layerEntries('acme/loops', r.outputs.digest)).toEqual(['cm.yaml']);
  });

  it('a FIFO in a component does not block the build: it is skipped', async () => {
    // Guards: only regular files are opened (a FIFO without a writer blocks open() forever). runActionBundle kills the
    // step after timeoutMs, so a hang fails the exit-code check.
    const ws = workspace();
    const dir = component(ws, 'fifo');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const r = await push(ws, { path: 'components/fifo', repository: `${registry.host}/acme/fifo` }, { timeoutMs: 90_000 });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(await layerEntries('acme/fifo', r.outputs.digest)).toEqual(['cm.yaml']);
  });

  it('a 256 MiB sparse file is streamed: the step peaks below 200 MB of memory', async () => {
    // Guards: the tar and gzip layer are streamed to a temporary file (flux/build.ts), never held in memory. Holding
    // the tar or the file would need more than 256 MiB. Peak RSS is read from the bundle process itself.
    const ws = workspace();
    const dir = component(ws, 'sparse');
    writeFileSync(join(dir, 'zeros.bin'), '');
    truncateSync(join(dir, 'zeros.bin'), 256 * 1024 * 1024);
    const probe = tempDir('d2-hold-rss-');
    cleanups.push(probe.cleanup);
    const preload = join(probe.dir, 'rss.cjs');
    const out = join(probe.dir, 'rss');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`);
    const r = await push(ws, { path: 'components/sparse', repository: `${registry.host}/acme/sparse` }, { env: { NODE_OPTIONS: `--require ${preload}` } });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(await layerEntries('acme/sparse', r.outputs.digest)).toEqual(['cm.yaml', 'zeros.bin']);
    const maxRssKiB = Number(readFileSync(out, 'utf8'));
    expect(maxRssKiB).toBeGreaterThan(0);
    expect(maxRssKiB * 1024).toBeLessThan(200 * 1024 * 1024);
  });
});

describe('names that try to leave the workspace are refused before any request', () => {
  let proxy: FaultProxy;
  let ws: string;
  beforeAll(async () => {
    proxy = await startFaultProxy(registry.url);
    ws = workspace();
    component(ws, 'web');
    const outside = workspace();
    writeFileSync(join(outside, 'secret.yaml'), 'kind: Secret\n');
    // A component directory that is a symlink to a folder outside the workspace.
    symlinkSync(outside, join(ws, 'components', 'escape'));
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it.each([
    [{ components: '..' }, /is not a directory name/],
    [{ components: '../../etc' }, /is not a directory name/],
    [{ components: 'web/../..' }, /is not a directory name/],
    [{ components: 'escape' }, /outside the workspace/],
    [{ path: 'components/escape' }, /outside the workspace/],
  ])('%o', async (inputs, message) => {
    // Guards: component names are single directory names (publish/targets.ts) and every path is checked with its
    // symlinks resolved (assertInside). The fault proxy in front of the registry counts requests: none may arrive.
    const before = proxy.log.length;
    const repository = 'components' in inputs ? `${proxy.host}/acme/{component}` : `${proxy.host}/acme/escape`;
    const r = await push(ws, { path: 'components/{component}', ...inputs, repository });
    expect(r.exitCode, explain(r)).toBe(1);
    expect(r.errors.join('\n')).toMatch(message);
    expect(proxy.log.length).toBe(before);
  });
});

describe('registry faults (push-artifact through the fault proxy)', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('a redirect loop fails after a bounded number of hops; no tag moves', async () => {
    // Guards: the client follows at most 10 redirects per request (oci/client.ts) and moves no tag after a failure.
    const ws = workspace();
    component(ws, 'loop');
    const rule = proxy.addFault({ path: /^\/v2\/acme\/loop\/manifests\//, action: { redirect: ({ path }) => `${proxy.url}${path}` } });
    const r = await push(ws, { path: 'components/loop', repository: `${proxy.host}/acme/loop`, 'diff-tag': 'latest' });
    proxy.clearFaults();
    expect(r.exitCode, explain(r)).toBe(1);
    expect(r.errors.join('\n')).toMatch(/too many redirects/);
    expect(rule.hits).toBeGreaterThan(10);
    expect(await client().headManifest({ registry: registry.host, repository: 'acme/loop' }, 'latest')).toBeUndefined();
  });

  it('a registry that acknowledges a manifest under another digest fails the push; no tag moves', async () => {
    // Guards: putManifest compares the registry's Docker-Content-Digest with the digest of the bytes sent.
    const ws = workspace();
    component(ws, 'mismatch');
    const wrong = `sha256:${'0'.repeat(64)}`;
    proxy.addFault({ method: 'PUT', path: /^\/v2\/acme\/mismatch\/manifests\/sha256:/, action: { status: 201, body: '', headers: { 'docker-content-digest': wrong } } });
    const r = await push(ws, { path: 'components/mismatch', repository: `${proxy.host}/acme/mismatch`, 'diff-tag': 'latest' });
    proxy.clearFaults();
    expect(r.exitCode, explain(r)).toBe(1);
    expect(r.errors.join('\n')).toContain(wrong);
    expect(await client().headManifest({ registry: registry.host, repository: 'acme/mismatch' }, 'latest')).toBeUndefined();
  });
});

describe('Sigstore outages (push-artifact with signing)', () => {
  let sigstore: SandboxSigstore;
  let oidc: SandboxOidc;
  const identity = { repository: 'acme/d2-apps', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };
  beforeAll(async () => {
    [sigstore, oidc] = await Promise.all([startSigstore(), startOidc()]);
  });
  afterAll(async () => {
    await Promise.all([sigstore?.stop(), oidc?.stop()]);
  });

  it('a Rekor outage fails signing: the digest is pushed, no tag moves', async () => {
    // Guards: tags move only after the signature is in the registry (publish/publish.ts), and signing needs Rekor.
    const ws = workspace();
    component(ws, 'rekor');
    sigstore.failRekor(1000, 503);
    try {
      const r = await runActionBundle('push-artifact', {
        workspace: ws,
        repository: identity.repository,
        inputs: { path: 'components/rekor', repository: `${registry.host}/acme/rekor`, 'diff-tag': 'latest', 'fulcio-url': sigstore.fulcioURL, 'rekor-url': sigstore.rekorURL, 'trusted-root': sigstore.trustedRootPath },
        env: oidc.envFor(identity),
      });
      expect(r.exitCode, explain(r)).toBe(1);
      expect(r.errors.join('\n')).toMatch(/rekor/i);
    } finally {
      sigstore.failRekor(0);
    }
    expect(await client().headManifest({ registry: registry.host, repository: 'acme/rekor' }, 'latest')).toBeUndefined();
  });
});

describe('image automation inputs (e2e-update)', () => {
  let git: SandboxGitServer;
  let proxy: FaultProxy;
  let docker: string;
  beforeAll(async () => {
    git = await startGitServer();
    proxy = await startFaultProxy(registry.url);
    docker = workspace();
  });
  afterAll(async () => {
    await proxy?.stop();
    await git?.stop();
  });

  it('a catastrophic filterTags regex against 20,000 long tags completes and elects the right tag (RE2 semantics)', async () => {
    // Guards: ImagePolicy patterns run on RE2 (re2js, linear time), as Flux's Go regexp does. A backtracking engine
    // needs 2^n steps per tag for `^(a+)+$` against `aaa…ab`, and the test runs into vitest's timeout.
    const image = `${proxy.host}/acme/redos`;
    await seedGitRepo(git, 'acme/redos', {
      'policies/redos.yaml': imagePolicyYaml('redos', image, 'alphabetical:\n  order: asc', '^(a+)+$'),
      'components/app.yaml': `image: ${image}:a # {"$imagepolicy": "apps:redos"}\n`,
    });
    const tags = Array.from({ length: 20_000 }, (_, i) => `${'a'.repeat(30 + (i % 90))}b`);
    tags.push('aaaa');
    proxy.addFault({ method: 'GET', path: /^\/v2\/acme\/redos\/tags\/list/, action: { status: 200, body: JSON.stringify({ name: 'acme/redos', tags }) } });
    const r = await runActionBundle('e2e-update', {
      inputs: { repository: `${git.url}/acme/redos.git`, 'policies-path': 'policies', namespace: 'apps', 'update-path': 'components', token: git.token, 'dry-run': 'true' },
      env: { DOCKER_CONFIG: docker },
    });
    proxy.clearFaults();
    expect(r.exitCode, explain(r)).toBe(0);
    expect(JSON.parse(r.outputs.changes)).toEqual([expect.objectContaining({ old: `${image}:a`, new: `${image}:aaaa` })]);
  });

  it('a YAML alias bomb in the fleet manifests is refused, not expanded', async () => {
    // Guards: manifests are parsed with a bounded alias count (image-automation/config/manifests.ts); expanding
    // nine levels of nine aliases would build 9^9 nodes.
    const ws = workspace();
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    mkdirSync(join(ws, 'clusters/update'), { recursive: true });
    writeFileSync(join(ws, 'clusters/update/bomb.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n${levels.map((l) => `  ${l}`).join('\n')}\n`);
    const r = await runActionBundle('e2e-update', { workspace: ws, inputs: { automation: 'clusters/update', token: 'unused', 'dry-run': 'true' }, env: { DOCKER_CONFIG: docker }, timeoutMs: 60_000 });
    expect(r.exitCode, explain(r)).toBe(1);
    expect(r.errors.join('\n')).toMatch(/alias/i);
  });
});
