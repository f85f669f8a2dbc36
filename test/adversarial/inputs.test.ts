/**
 * Hostile input files and values get a clear input error naming the file or input, never a raw library error and
 * never the input echoed whole (docs/security.md):
 * - a YAML alias bomb (a few lines expanding to billions of nodes) is refused naming the file, exit 2 where the docs
 *   say "input error";
 * - a symbolic link as policies-path is followed when it stays inside the repository (it used to fail with a raw
 *   EISDIR) and refused, naming it, when it leads outside;
 * - a 100,000-character value is quoted clipped, with an explicit marker ("… (100000 characters)"), in every error.
 * Through the d2 CLI bundle and the committed push-artifact / e2e-update bundles.
 */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runActionBundle, startGitServer, startRegistry, type SandboxGitServer, type SandboxRegistry } from '@d2/sandbox';
import { commitAndPush, scratchDirs, seedTags } from '../support/update-stack.js';
import { emptyDockerConfig, ensureCliBundle, runD2, writeFiles } from './helpers.js';

const tmp = scratchDirs('d2-adv-inputs-');

/** Nine levels of nine aliases: 9^9 ≈ 387 million strings once expanded. */
const ALIAS_BOMB = [
  'apiVersion: image.toolkit.fluxcd.io/v1',
  'kind: ImagePolicy',
  'metadata: {name: bomb}',
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  ...'bcdefghi'.split('').map((l, i) => {
    const prev = 'abcdefghi'[i];
    return `${l}: &${l} [${Array(9).fill(`*${prev}`).join(',')}]`;
  }),
  '',
].join('\n');

const LONG = 'a'.repeat(100_000);
const LONG_UPPER = 'A'.repeat(100_000);

let registry: SandboxRegistry;
let git: SandboxGitServer;

/** A target repository with the policies in update-policies/, a link to them, a link out of the repo and a bomb. */
async function createAppsRepo(): Promise<string> {
  await git.createRepo('adv/apps');
  const dir = tmp();
  symlinkSync('update-policies', join(dir, 'policies-link'));
  symlinkSync('../../../../../../../../etc', join(dir, 'outside-link'));
  await commitAndPush(dir, {
    'update-policies/podinfo.yaml': `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: podinfo}
spec: {image: ${registry.host}/adv/podinfo, interval: 6h, insecure: true}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: podinfo}
spec:
  imageRepositoryRef: {name: podinfo}
  policy: {semver: {range: "6.x"}}
`,
    'components/app/release.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata:\n  version: 6.8.0 # {"$imagepolicy": "apps:podinfo:tag"}\n',
    'bomb/bomb.yaml': ALIAS_BOMB,
  }, git.authUrl('adv/apps'));
  return `${git.url}/adv/apps.git`;
}

let appsUrl: string;

beforeAll(async () => {
  ensureCliBundle();
  [registry, git] = await Promise.all([startRegistry({ auth: 'anonymous' }), startGitServer()]);
  await seedTags(registry, 'adv/podinfo', ['6.8.0', '6.9.0']);
  appsUrl = await createAppsRepo();
});
afterAll(async () => {
  await Promise.all([git?.stop(), registry?.stop()]);
  tmp.cleanup();
});

describe('a YAML alias bomb is an input error naming the file', () => {
  it('d2 policy select --policy bomb.yaml: exit 2, the file named', async () => {
    const dir = writeFiles(tmp(), { 'bomb.yaml': ALIAS_BOMB, 'tags.txt': '1.0.0\n' });
    const r = await runD2(['policy', 'select', '--policy', 'bomb.yaml', '--tags', 'tags.txt'], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/bomb\.yaml: refused: its YAML aliases expand more than 1000 times \(an alias bomb/);
    expect(r.stderr).toContain('hint: ');
  });

  it('d2 update --automation with a bomb in the update cluster: exit 2, the file named', async () => {
    const fleet = writeFiles(tmp(), { 'clusters/update/bomb.yaml': ALIAS_BOMB.replace('kind: ImagePolicy', 'kind: ConfigMap') });
    const r = await runD2(['update', '--automation', 'clusters/update', '--fleet', fleet, '--dry-run'], { cwd: fleet });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/clusters\/update\/bomb\.yaml: refused: its YAML aliases expand/);
  });

  it('e2e-update with policies-path holding a bomb: the run fails naming the file', async () => {
    const run = await runActionBundle('e2e-update', {
      inputs: { repository: appsUrl, 'policies-path': 'bomb', namespace: 'apps', 'dry-run': 'true', token: git.token },
      env: { DOCKER_CONFIG: emptyDockerConfig() },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.join('\n')).toMatch(/bomb\/bomb\.yaml: refused: its YAML aliases expand/);
  });
});

describe('policies-path as a symbolic link', () => {
  it('a link inside the repository is followed (d2 update --dry-run reads the policies through it)', async () => {
    const r = await runD2(['update', '--repository', appsUrl, '--policies-path', 'policies-link', '--namespace', 'apps', '--dry-run', '-o', 'json', '--token', git.token], {
      env: { DOCKER_CONFIG: emptyDockerConfig() },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/EISDIR/);
    const out = JSON.parse(r.stdout) as { changes: { new: string }[]; policyErrors: unknown[] };
    expect(out.policyErrors).toEqual([]);
    expect(out.changes.map((c) => c.new)).toEqual(['6.9.0']);
  });

  it('e2e-update follows it too', async () => {
    const run = await runActionBundle('e2e-update', {
      inputs: { repository: appsUrl, 'policies-path': 'policies-link', namespace: 'apps', 'dry-run': 'true', token: git.token },
      env: { DOCKER_CONFIG: emptyDockerConfig() },
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
  });

  it('a link that leads out of the repository is refused, naming it', async () => {
    const r = await runD2(['update', '--repository', appsUrl, '--policies-path', 'outside-link', '--namespace', 'apps', '--dry-run', '--token', git.token], {
      env: { DOCKER_CONFIG: emptyDockerConfig() },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/path 'outside-link' is a symbolic link that leads outside the repository/);
    expect(r.stderr).not.toMatch(/EISDIR|ENOTDIR/);
  });
});

describe('a 100,000-character value is never echoed whole', () => {
  const marker = /… \(100\d{3} characters\)/;

  it.each([
    ['push: repository', ['push', '.', `oci://127.0.0.1:1/${LONG_UPPER}`]],
    ['push: tag in the reference', ['push', '.', `oci://127.0.0.1:1/a/b:${LONG}`]],
    ['push --tags', ['push', '.', 'oci://127.0.0.1:1/a/b', '--tags', LONG]],
    ['push --diff-tag', ['push', '.', 'oci://127.0.0.1:1/a/b', '--diff-tag', LONG]],
    ['push: directory', ['push', LONG, 'oci://127.0.0.1:1/a/b']],
    ['build --annotations', ['build', '.', '-a', LONG]],
    ['build --created', ['build', '.', '--created', LONG]],
    ['build --compressor', ['build', '.', '--compressor', LONG]],
    ['build: directory', ['build', LONG]],
    ['build: unknown flag', ['build', '.', `--bogus${LONG}`]],
    ['unknown command', [LONG]],
    ['tag: reference', ['tag', `oci://127.0.0.1:1/a/b:${LONG}`, 'v1']],
    ['policy select --policy', ['policy', 'select', '--policy', LONG, '--tags', '-']],
  ])('d2 %s', async (_name, args) => {
    const r = await runD2(args, { cwd: tmp() });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(marker);
    expect(r.stderr.length, r.stderr.slice(0, 600)).toBeLessThan(4000);
    expect(r.stdout.length).toBeLessThan(4000);
  });

  it.each([
    ['repository', { repository: `ghcr.io/${LONG_UPPER}`, path: 'components/app' }],
    ['tags', { repository: 'ghcr.io/acme/app', path: 'components/app', tags: LONG }],
    ['annotations', { repository: 'ghcr.io/acme/app', path: 'components/app', annotations: LONG }],
    ['path', { repository: 'ghcr.io/acme/app', path: LONG }],
    ['components', { repository: 'ghcr.io/acme/{component}', components: LONG }],
    ['sign', { repository: 'ghcr.io/acme/app', path: 'components/app', sign: LONG }],
  ])('push-artifact input %s', async (_name, inputs) => {
    const ws = writeFiles(tmp(), { 'components/app/deploy.yaml': 'kind: ConfigMap\n' });
    const r = await runActionBundle('push-artifact', { workspace: ws, inputs });
    expect(r.exitCode).toBe(1);
    const error = r.errors.join('\n');
    expect(error).toMatch(marker);
    expect(error.length, error.slice(0, 600)).toBeLessThan(4000);
    expect(r.stdout.length).toBeLessThan(8000);
  });
});
