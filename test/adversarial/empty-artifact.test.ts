/**
 * No empty artifact is ever pushed (docs/artifacts.md, "What gets archived"). A component path that is a symbolic link
 * (Flux's walk does not follow it), or whose files are all ignored (only images, only .git/, everything matched by
 * ignore-paths or .sourceignore), would build a tar without a single file; a Kustomization with `prune: true`
 * following `latest` would then delete everything that component deployed. Such a target is refused before anything
 * is sent, for every target of the run, with the reason; through the committed push-artifact / release-artifact
 * bundles and the d2 CLI bundle, against the sandbox registry behind a request-counting proxy.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@d2/core/oci';
import { runActionBundle, startFaultProxy, startRegistry, type FaultProxy, type SandboxRegistry } from '@d2/sandbox';
import { ensureCliBundle, runD2, writeFiles } from './helpers.js';

let registry: SandboxRegistry;
let proxy: FaultProxy;
const client = new RegistryClient({});
const ws = mkdtempSync(join(tmpdir(), 'd2-adv-empty-'));

/** The workspace: one good component and every way of getting an empty artifact. */
writeFiles(ws, {
  'components/good/deploy.yaml': 'kind: ConfigMap\n',
  'components/real/deploy.yaml': 'kind: ConfigMap\n',
  'components/images/logo.png': 'png',
  'components/images/img/banner.jpg': 'jpg',
  'components/gitonly/.git/config': '[core]\n',
  'components/gitonly/.gitignore': '*.tmp\n',
  'components/yamlonly/deploy.yaml': 'kind: ConfigMap\n',
  'components/sourceignored/deploy.yaml': 'kind: ConfigMap\n',
  'components/sourceignored/.sourceignore': '*\n',
  'components/links/.keep-dir/placeholder.png': 'x',
  'shared/deploy.yaml': 'kind: ConfigMap\n',
});
symlinkSync('real', join(ws, 'components/link'));
symlinkSync('../../shared/deploy.yaml', join(ws, 'components/links/deploy.yaml'));
mkdirSync(join(ws, 'components/emptydirs/a/b'), { recursive: true });

beforeAll(async () => {
  ensureCliBundle();
  registry = await startRegistry({ auth: 'anonymous' });
  proxy = await startFaultProxy(registry.url);
});
afterAll(async () => {
  await Promise.all([proxy?.stop(), registry?.stop()]);
  rmSync(ws, { recursive: true, force: true });
});

const pushAction = (inputs: Record<string, string>) =>
  runActionBundle('push-artifact', { workspace: ws, inputs: { sign: 'false', 'diff-tag': 'latest', ...inputs } });
const latestOf = (repository: string) => client.headManifest({ registry: registry.host, repository }, 'latest');

describe('push-artifact refuses a component that would be an empty artifact, before any request', () => {
  it.each([
    ['link', {}, /component 'link' is empty: components\/link is a symbolic link \(to real\)/],
    ['images', {}, /all 2 files in components\/images are excluded by ignore rules: '\*\.jpg' \(Flux's default ignore-paths\) excludes img\/banner\.jpg; '\*\.png' \(Flux's default ignore-paths\) excludes logo\.png/],
    ['gitonly', {}, /all 2 files in components\/gitonly are excluded by ignore rules: '\.git\/' \(Flux's default ignore-paths\) excludes \.git\/config; '\.gitignore' \(Flux's default ignore-paths\)/],
    ['yamlonly', { 'ignore-paths': '*.yaml' }, /the only file in components\/yamlonly is excluded by ignore rules: '\*\.yaml' \(ignore-paths\) excludes deploy\.yaml/],
    ['sourceignored', { sourceignore: 'true' }, /excluded by ignore rules: '\*' \(\.sourceignore\)/],
    ['links', {}, /component 'links' is empty: [\s\S]*excludes \.keep-dir\/placeholder\.png/],
    ['emptydirs', {}, /component 'emptydirs' is empty: components\/emptydirs contains no files/],
  ])('component %s (%o)', async (component, inputs, message) => {
    const before = proxy.log.length;
    const r = await pushAction({ components: component, repository: `${proxy.host}/adv/{component}`, ...inputs });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(message);
    expect(r.errors.join('\n')).toMatch(/hint: /);
    expect(proxy.log.length, 'no request was sent').toBe(before);
    expect(await latestOf(`adv/${component}`)).toBeUndefined();
  });

  it('a component of only symbolic links names them (Flux archives no links)', async () => {
    const onlyLinks = join(ws, 'components', 'onlylinks');
    mkdirSync(onlyLinks);
    symlinkSync('../../shared/deploy.yaml', join(onlyLinks, 'deploy.yaml'));
    try {
      const r = await pushAction({ components: 'onlylinks', repository: `${proxy.host}/adv/{component}` });
      expect(r.exitCode).toBe(1);
      expect(r.errors.join('\n')).toMatch(/components\/onlylinks contains no files: only a symbolic link or special file \(deploy\.yaml\), which Flux does not archive/);
    } finally {
      rmSync(onlyLinks, { recursive: true, force: true });
    }
  });

  it('one empty component among good ones: nothing is pushed for any of them (all targets are checked first)', async () => {
    const before = proxy.log.length;
    const r = await pushAction({ components: 'good\nimages\nreal', repository: `${proxy.host}/adv-all/{component}` });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(/component 'images' is empty/);
    expect(proxy.log.length).toBe(before);
    for (const c of ['good', 'images', 'real']) expect(await latestOf(`adv-all/${c}`)).toBeUndefined();
  });

  it('a symlinked single path (no components) is refused too; the real directory is pushed', async () => {
    const refused = await pushAction({ repository: `${proxy.host}/adv-single/app`, path: 'components/link' });
    expect(refused.exitCode).toBe(1);
    expect(refused.errors.join('\n')).toMatch(/path 'components\/link' is empty: components\/link is a symbolic link/);
    expect(await latestOf('adv-single/app')).toBeUndefined();
    const ok = await pushAction({ repository: `${proxy.host}/adv-single/app`, path: 'components/real' });
    expect(ok.errors).toEqual([]);
    expect((await latestOf('adv-single/app'))?.digest).toBe(ok.outputs.digest);
  });

  it('re-including the files (ignore-paths replacing the defaults) makes the component publishable', async () => {
    const r = await pushAction({ components: 'images', repository: `${proxy.host}/adv-reincluded/{component}`, 'ignore-paths': '.git/' });
    expect(r.errors).toEqual([]);
    expect(JSON.parse(r.outputs.artifacts)[0]).toMatchObject({ component: 'images', pushed: true });
  });
});

describe('release-artifact refuses an empty component release', () => {
  it('a release tag of a symlinked component fails before any request; no version or stable tag appears', async () => {
    const before = proxy.log.length;
    const r = await runActionBundle('release-artifact', {
      workspace: ws,
      ref: 'refs/tags/link/v1.0.0',
      inputs: { repository: `${proxy.host}/adv-release/{component}`, sign: 'false' },
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(/component 'link' is empty: .*symbolic link/);
    expect(proxy.log.length).toBe(before);
    expect(await client.headManifest({ registry: registry.host, repository: 'adv-release/link' }, 'v1.0.0')).toBeUndefined();
  });
});

describe('d2 push / d2 build / d2 release refuse an empty artifact (exit 2, nothing sent or written)', () => {
  it.each([
    [['push', 'components/link', 'oci://PROXY/cli/link'], /path 'components\/link' is empty: components\/link is a symbolic link/],
    [['push', 'components/images', 'oci://PROXY/cli/images', '--diff-tag', 'latest'], /excluded by ignore rules: '\*\.jpg' \(Flux's default ignore-paths\)/],
    [['push', 'components/yamlonly', 'oci://PROXY/cli/yamlonly', '--ignore-paths', '*.yaml'], /'\*\.yaml' \(ignore-paths\) excludes deploy\.yaml/],
    [['push', 'components/{component}', 'oci://PROXY/cli/{component}', '--components', 'good,gitonly'], /component 'gitonly' is empty/],
    [['release', 'link/v1.0.0', 'oci://PROXY/cli-release/{component}'], /component 'link' is empty/],
    [['diff', 'components/link', 'oci://PROXY/cli/link:latest'], /is a symbolic link/],
  ])('d2 %j', async (args, message) => {
    const before = proxy.log.length;
    const r = await runD2(args.map((a) => a.replace('PROXY', proxy.host)), { cwd: ws });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('hint: ');
    expect(proxy.log.length).toBe(before);
    expect(await latestOf('cli/good')).toBeUndefined();
  });

  it('d2 build writes no layer file for an empty artifact', async () => {
    const out = join(ws, 'out.tgz');
    const r = await runD2(['build', 'components/gitonly', '-f', out], { cwd: ws });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is empty: .*'\.git\/' \(Flux's default ignore-paths\)/);
    expect(existsSync(out)).toBe(false);
    const ok = await runD2(['build', 'components/good', '-f', out], { cwd: ws });
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
  });
});
