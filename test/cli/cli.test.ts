/**
 * The d2 commands, run in-process through runCli (the same code the bundled binary runs) against the REAL parts:
 * the sandbox registry (CNCF distribution), the Sigstore stand-in and OIDC endpoint, the git server and the GitHub API
 * emulator. Golden vectors of fixture "fx": docs/artifacts.md "Golden vectors (fixture \"fx\")".
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact } from '@d2/core/flux';
import { RegistryClient } from '@d2/core/oci';
import { startGitHubEmulator, type GitHubEmulator } from '@d2/sandbox/github-emulator';
import { startGitLabStandIn, type SandboxGitLab } from '@d2/sandbox/gitlab-stand-in';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startOidc, type OidcContext, type SandboxOidc } from '@d2/sandbox/oidc';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { startSigstore, type SandboxSigstore } from '@d2/sandbox/sigstore';
import { runCli, type Io } from '../../packages/cli/src/cli.js';
import { commands } from '../../packages/cli/src/commands/index.js';
import { remoteBranchSha, seedRepository } from '../../packages/cli/src/demo/git.js';
import { seedImages } from '../../packages/cli/src/demo/images.js';
import { fxFiles, VECTOR_META, writeTree as writeModeTree } from '../../packages/core/test/flux/fixtures.js';

interface Run {
  code: number;
  out: string;
  err: string;
  json<T = Record<string, unknown>>(): T;
}

async function d2(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: emptyDockerConfig, ...env } };
  const code = await runCli(commands, args, '0.0.0-test', io);
  return { code, out, err, json: <T,>() => JSON.parse(out) as T };
}

const execFileAsync = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'd2-cli-test-'));
const emptyDockerConfig = join(scratch, 'docker-empty');
mkdirSync(emptyDockerConfig);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
function tree(files: Record<string, string>): string {
  const dir = join(scratch, `tree-${n++}`);
  writeModeTree(dir, Object.fromEntries(Object.entries(files).map(([k, v]) => [k, [v, 0o644]])));
  return dir;
}

/**
 * A work tree whose main (app.yaml at podinfo 6.8.0) is pushed to `pushUrl`, then image-updates one commit ahead
 * ("Update podinfo to 6.9.0"); returns git in that work tree. Asynchronous: the git server runs in this process, a
 * synchronous git push would block it.
 */
async function pushImageUpdates(pushUrl: string): Promise<(...args: string[]) => Promise<unknown>> {
  const work = tree({ 'app.yaml': 'image: podinfo:6.8.0 # {"$imagepolicy": "apps:podinfo:tag"}\n' });
  const g = (...args: string[]) =>
    execFileAsync('git', args, { cwd: work, env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
  await g('init', '-q', '--initial-branch=main');
  await g('add', '-A');
  await g('commit', '-qm', 'init');
  await g('push', '-q', pushUrl, 'main:main');
  writeFileSync(join(work, 'app.yaml'), 'image: podinfo:6.9.0 # {"$imagepolicy": "apps:podinfo:tag"}\n');
  await g('commit', '-qam', 'Update podinfo to 6.9.0');
  await g('push', '-q', pushUrl, 'HEAD:image-updates');
  return g;
}

describe('d2 help and usage errors (docs/cli.md exit codes)', () => {
  it('every command has --help with its usage and exit codes', async () => {
    const names = commands.map((c) => c.name);
    for (const want of ['build', 'push', 'diff', 'tag', 'release', 'sign', 'verify', 'policy select', 'pr', 'demo', 'version']) expect(names).toContain(want);
    for (const c of commands) {
      const r = await d2([...c.name.split(' '), '--help']);
      expect(r.code, c.name).toBe(0);
      expect(r.out).toContain(`Usage: ${c.usage}`);
      if (c.name !== 'version') expect(r.out, c.name).toMatch(/Exit codes: 0 /);
    }
  });

  it.each([
    [['push'], /missing the directory/],
    [['push', '.'], /missing the target repository/],
    [['push', join(tmpdir(), 'd2-no-such-dir'), 'oci://127.0.0.1:1/a/b'], /does not exist/],
    [['push', '.', 'oci://127.0.0.1:1/Acme/App'], /upper-case/],
    [['push', '.', 'oci://127.0.0.1:1/a/b', '--tags', 'bad tag'], /tag/],
    [['push', '.', 'https://127.0.0.1:1/a/b'], /only oci:\/\//],
    [['build'], /missing the directory/],
    [['build', '.', '-a', 'no-equals-sign'], /expected key=value/],
    [['diff', '.'], /missing the remote artifact/],
    [['tag', 'oci://127.0.0.1:1/a/b:latest'], /no tags given/],
    [['verify', 'oci://127.0.0.1:1/a/b:latest'], /certificate-identity-regexp/],
    [['verify', 'oci://127.0.0.1:1/a/b:latest', '--certificate-identity-regexp', 'x', '--certificate-oidc-issuer-regexp', 'y', '--format', 'x'], /--format/],
    [['sign', 'oci://127.0.0.1:1/a/b@sha256:' + '0'.repeat(64)], /OIDC identity token/],
    [['policy', 'select', '--tags', 'x'], /--policy is required/],
    [['pr', '--repository', 'not-a-repo', '--token', 't'], /owner\/name/],
    [['release', 'frontend', 'oci://127.0.0.1:1/a/{component}'], /does not fit the tag pattern/],
    [['demo', '--registry', '10.1.2.3:5000'], /loopback/],
    [['push', '.', 'oci://127.0.0.1:1/a/b', '--bogus'], /Unknown option/],
  ])('%j exits 2 before any side effect', async (args, message) => {
    const r = await d2(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });
});

describe('signing inputs are checked before anything is pushed', () => {
  it('an unreadable --trusted-root fails with exit 2 before the push (the registry on port 1 is never contacted)', async () => {
    const dir = tree({ 'a.yaml': 'a: 1\n' });
    const r = await d2(['push', dir, 'oci://127.0.0.1:1/a/b', '--sign', '--trusted-root', join(scratch, 'missing.json')], { SIGSTORE_ID_TOKEN: 'header.payload.signature' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read the trusted root/);
    expect(r.err).not.toMatch(/publishing/);
  });
});

describe('d2 build (golden vectors of fixture "fx")', () => {
  let fx: string;
  beforeAll(() => {
    fx = join(scratch, 'fx');
    writeModeTree(fx, fxFiles());
  });

  it('prints the digests of fixture fx exactly as Flux builds it, and as buildArtifact does', async () => {
    const layer = join(scratch, 'fx.tgz');
    const r = await d2(['build', fx, '--source', VECTOR_META.source, '--revision', VECTOR_META.revision, '--created', VECTOR_META.created, '-o', layer]);
    expect(r.code).toBe(0);
    const j = r.json<Record<string, string | number>>();
    // fixture "fx" with the default ignore list
    expect(j.tarDigest).toBe('sha256:ebba607881333b42a079cfea5b15319cab7452810b13251da96edca41ae0bb7b');
    expect(j.tarSize).toBe(130560);
    expect(j.layerDigest).toBe('sha256:9d76ecd80b3fcc61f0b959c446af6218e211b606e48fb0bb2de6b9827c806105');
    expect(j.layerSize).toBe(23879);
    expect(j.manifestDigest).toBe('sha256:a1f652e6f717e7585fa4b1b9c86883974901e29692aafbcc91b74e263c6c12ca');
    // -o out.tgz (the push-artifact form) writes the very layer whose digest was printed; the output stays JSON.
    expect(`sha256:${createHash('sha256').update(readFileSync(layer)).digest('hex')}`).toBe(j.layerDigest);
    const built = await buildArtifact(fx, { ...VECTOR_META });
    try {
      expect([j.tarDigest, j.layerDigest, j.manifestDigest, j.configDigest]).toEqual([built.tarDigest, built.layerDigest, built.manifestDigest, built.configDigest]);
    } finally {
      await built.cleanup();
    }
  });

  it('--ignore-paths replaces the default list and -o text prints a summary', async () => {
    const r = await d2(['build', fx, '--ignore-paths', '.git/,*.png,big/', '--ignore-paths', '/long,*.sh', '-o', 'text']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^.*: 4 files\ntar +sha256:bdc3eb558b9a169ea4e1b5807447bdc9d20501277dfb9a57af6ee52c1bcab2cb \(6144 bytes\)/);
  });
});

describe('d2 push / diff / tag / sign / verify against the sandbox registry and the Sigstore stand-in', () => {
  let registry: SandboxRegistry;
  let sigstore: SandboxSigstore;
  let oidc: SandboxOidc;
  let client: RegistryClient;
  const identity: OidcContext = { repository: 'acme/app', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };
  const issuer = '^https://token\\.actions\\.githubusercontent\\.com$';
  const subject = '^https://github\\.com/acme/app/\\.github/workflows/push-artifact\\.yaml@refs/heads/main$';
  let signEnv: () => Record<string, string>;
  let signFlags: () => string[];

  beforeAll(async () => {
    [registry, sigstore, oidc] = await Promise.all([startRegistry({ auth: 'anonymous' }), startSigstore(), startOidc()]);
    client = new RegistryClient({ credentials: { get: async () => undefined } });
    signEnv = () => ({ SIGSTORE_ID_TOKEN: oidc.issueToken(identity) });
    signFlags = () => ['--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL, '--trusted-root', sigstore.trustedRootPath];
  });
  afterAll(async () => {
    client?.close();
    await Promise.all([registry?.stop(), sigstore?.stop(), oidc?.stop()]);
  });

  it('diff → push --sign → diff → unchanged push → change → verify → tag (push-artifact semantics)', async () => {
    const dir = tree({ 'deploy.yaml': 'kind: ConfigMap\n', 'sub/x.yaml': 'x: 1\n' });
    const ref = `oci://${registry.host}/acme/app`;
    const repo = { registry: registry.host, repository: 'acme/app' };

    const d0 = await d2(['diff', dir, `${ref}:latest`, '-o', 'json']);
    expect(d0.code).toBe(1); // nothing at the tag counts as a change
    expect(d0.json().changed).toBe(true);
    expect(d0.json().remote).toBeNull();

    const p1 = await d2(['push', dir, ref, '--diff-tag', 'latest', '--tags', 'main', '--sign', ...signFlags(), '-o', 'json'], signEnv());
    expect(p1.err).not.toMatch(/✗/);
    expect(p1.code).toBe(0);
    const a1 = p1.json<{ pushed: boolean; digest: string; artifacts: { signature: string; tags: string[]; certificateIdentity: string }[] }>();
    expect(a1.pushed).toBe(true);
    expect(a1.artifacts[0].tags).toEqual(['latest', 'main']);
    expect(a1.artifacts[0].signature).toBe(`${registry.host}/acme/app:sha256-${a1.digest.slice(7)}.sig`);
    expect(a1.artifacts[0].certificateIdentity).toBe(oidc.expectedIdentity(identity));
    expect((await client.headManifest(repo, 'latest'))?.digest).toBe(a1.digest);
    expect((await client.headManifest(repo, 'main'))?.digest).toBe(a1.digest);
    expect(p1.err).toMatch(/verified the new signature/);

    const d1 = await d2(['diff', dir, `${ref}:latest`]);
    expect(d1.code).toBe(0);
    expect(d1.out).toMatch(/^no changes/);
    // The comparison is by content: a different compressor or creation time is not a change.
    expect((await d2(['diff', dir, `${ref}@${a1.digest}`, '--compressor', 'zlib', '--created', 'now'])).code).toBe(0);

    const p2 = await d2(['push', dir, ref, '--diff-tag', 'latest', '--tags', 'again', '-o', 'json']);
    expect(p2.code).toBe(0);
    expect(p2.json().pushed).toBe(false);
    expect(p2.json().digest).toBe(a1.digest);
    expect((await client.headManifest(repo, 'again'))?.digest).toBe(a1.digest);

    writeFileSync(join(dir, 'sub/x.yaml'), 'x: 2\n');
    const d2r = await d2(['diff', dir, ref, '--diff-tag', 'latest', '-o', 'json']);
    expect(d2r.code).toBe(1);
    expect(d2r.json<{ remote: { digest: string } }>().remote.digest).toBe(a1.digest);

    const ok = await d2(['verify', `${ref}:latest`, '--certificate-identity-regexp', subject, '--certificate-oidc-issuer-regexp', issuer, '--trusted-root', sigstore.trustedRootPath, '-o', 'json']);
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ verified: true, digest: a1.digest, identity: oidc.expectedIdentity(identity), format: 'legacy' });

    const wrongWorkflow = subject.replace('push-artifact', 'release-artifact');
    const bad = await d2(['verify', `${ref}@${a1.digest}`, '--certificate-identity-regexp', wrongWorkflow, '--certificate-oidc-issuer-regexp', issuer, '--trusted-root', sigstore.trustedRootPath]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/signature verification failed \[identity\]/);
    const wrongIssuer = await d2(['verify', `${ref}:latest`, '--certificate-identity', oidc.expectedIdentity(identity), '--certificate-oidc-issuer', 'https://gitlab.com', '--trusted-root', sigstore.trustedRootPath]);
    expect(wrongIssuer.code).toBe(1);
    const badRegex = await d2(['verify', `${ref}:latest`, '--certificate-identity-regexp', '(', '--certificate-oidc-issuer-regexp', issuer, '--trusted-root', sigstore.trustedRootPath]);
    expect(badRegex.code).toBe(2);

    const t = await d2(['tag', `${ref}@${a1.digest}`, '--tags', 'v1,latest', '-o', 'json']);
    expect(t.code).toBe(0);
    expect(t.json()).toMatchObject({ digest: a1.digest, movedTags: ['v1'] });
    expect((await client.headManifest(repo, 'v1'))?.digest).toBe(a1.digest);
    expect((await d2(['tag', `${ref}:no-such-tag`, '--tags', 'x'])).code).toBe(1);
  });

  it('d2 sign signs an unsigned digest (and d2 verify then passes); without a token it refuses before signing', async () => {
    const dir = tree({ 'a.yaml': 'a: 1\n' });
    const ref = `oci://${registry.host}/acme/unsigned`;
    const p = await d2(['push', dir, ref, '-o', 'json']);
    expect(p.code).toBe(0);
    const digest = p.json<{ digest: string }>().digest;
    const verifyArgs = ['verify', `${ref}@${digest}`, '--certificate-identity-regexp', subject, '--certificate-oidc-issuer-regexp', issuer, '--trusted-root', sigstore.trustedRootPath];
    const before = await d2(verifyArgs);
    expect(before.code).toBe(1);
    expect(before.err).toMatch(/no-signature/);
    expect((await d2(['sign', `${ref}@${digest}`, ...signFlags()])).code).toBe(2);
    const s = await d2(['sign', `${ref}:latest`, ...signFlags(), '-o', 'json'], signEnv());
    expect(s.code).toBe(0);
    expect(s.json()).toMatchObject({ digest, verified: true, certificateIdentity: oidc.expectedIdentity(identity), signature: `${registry.host}/acme/unsigned:sha256-${digest.slice(7)}.sig` });
    expect(s.json<{ fluxVerify: string }>().fluxVerify).toContain('provider: cosign');
    expect((await d2(verifyArgs)).code).toBe(0);
  });

  it('d2 sign takes the token from the file SIGSTORE_ID_TOKEN_FILE names; a file without a JWT is refused before signing', async () => {
    const dir = tree({ 'f.yaml': 'f: 1\n' });
    const ref = `oci://${registry.host}/acme/token-file`;
    const p = await d2(['push', dir, ref, '-o', 'json']);
    expect(p.code).toBe(0);
    const digest = p.json<{ digest: string }>().digest;
    const verifyArgs = ['verify', `${ref}@${digest}`, '--certificate-identity-regexp', subject, '--certificate-oidc-issuer-regexp', issuer, '--trusted-root', sigstore.trustedRootPath];
    const tokenFile = join(scratch, 'projected-token');

    writeFileSync(tokenFile, 'opaque-secret-value\n');
    const bad = await d2(['sign', `${ref}@${digest}`, ...signFlags()], { SIGSTORE_ID_TOKEN_FILE: tokenFile });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`SIGSTORE_ID_TOKEN_FILE names ${tokenFile}`);
    expect(bad.err).not.toContain('opaque-secret-value');
    expect((await d2(verifyArgs)).err).toMatch(/no-signature/);

    // A projected service account token ends without a newline, a hand-written file with one: both are trimmed.
    writeFileSync(tokenFile, `${oidc.issueToken(identity)}\n`);
    const s = await d2(['sign', `${ref}@${digest}`, ...signFlags(), '-o', 'json'], { SIGSTORE_ID_TOKEN_FILE: tokenFile });
    expect(s.err).not.toMatch(/✗/);
    expect(s.code).toBe(0);
    expect(s.json()).toMatchObject({ digest, verified: true, certificateIdentity: oidc.expectedIdentity(identity) });
    expect((await d2(verifyArgs)).code).toBe(0);
  });

  it('--components publishes a matrix with {component} templates', async () => {
    const ws = tree({ 'components/one/a.yaml': 'a: 1\n', 'components/two/b.yaml': 'b: 1\n', 'other/c.yaml': 'c: 1\n' });
    const r = await d2(['push', 'components/{component}', `oci://${registry.host}/acme/matrix/{component}`, '--components', '*', '--workspace', ws, '--diff-tag', 'latest', '-o', 'json']);
    expect(r.code).toBe(0);
    const arts = r.json<{ artifacts: { component: string; repository: string; digest: string }[] }>().artifacts;
    expect(arts.map((a) => [a.component, a.repository])).toEqual([
      ['one', `${registry.host}/acme/matrix/one`],
      ['two', `${registry.host}/acme/matrix/two`],
    ]);
    for (const a of arts) expect((await client.headManifest({ registry: registry.host, repository: a.repository.slice(registry.host.length + 1) }, 'latest'))?.digest).toBe(a.digest);
    const missing = await d2(['push', 'components/{component}', `oci://${registry.host}/acme/matrix/{component}`, '--components', 'three', '--workspace', ws]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/components found: one, two/);
  });

  it('d2 release: version + latest-stable, idempotent re-run, downgrade refused', async () => {
    const ws = tree({ 'components/frontend/app.yaml': 'v: 1\n' });
    const target = `oci://${registry.host}/acme/rel/{component}`;
    const repo = { registry: registry.host, repository: 'acme/rel/frontend' };
    const r1 = await d2(['release', 'frontend/v1.2.0', target, '--workspace', ws, '-o', 'json']);
    expect(r1.err).not.toMatch(/✗/);
    expect(r1.code).toBe(0);
    const j1 = r1.json<{ digest: string; version: string; component: string; pushed: boolean }>();
    expect(j1).toMatchObject({ version: 'v1.2.0', component: 'frontend', pushed: true });
    expect((await client.headManifest(repo, 'v1.2.0'))?.digest).toBe(j1.digest);
    expect((await client.headManifest(repo, 'latest-stable'))?.digest).toBe(j1.digest);
    const again = await d2(['release', 'refs/tags/frontend/v1.2.0', target, '--workspace', ws, '-o', 'json']);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ pushed: false, digest: j1.digest });
    writeFileSync(join(ws, 'components/frontend/app.yaml'), 'v: 0\n');
    const down = await d2(['release', 'frontend/v1.1.0', target, '--workspace', ws]);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/refusing to move .*latest-stable from v1\.2\.0 down to v1\.1\.0/);
    expect((await client.headManifest(repo, 'latest-stable'))?.digest).toBe(j1.digest);
  });
});

describe('registry credentials: --creds, D2_REGISTRY_USERNAME/PASSWORD, DOCKER_CONFIG', () => {
  let registry: SandboxRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('pushes with each credential source and fails (exit 1) without credentials', async () => {
    const dir = tree({ 'a.yaml': 'a: 1\n' });
    const ref = `oci://${registry.host}/acme/creds`;
    const anonymous = await d2(['push', dir, ref]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.err).not.toContain('testpass');
    expect((await d2(['push', dir, ref, '--creds', 'testuser:testpass'])).code).toBe(0);
    expect((await d2(['push', dir, ref, '--tags', 'env'], { D2_REGISTRY_USERNAME: 'testuser', D2_REGISTRY_PASSWORD: 'testpass' })).code).toBe(0);
    expect((await d2(['push', dir, ref, '--tags', 'docker'], { DOCKER_CONFIG: registry.dockerConfigDir() })).code).toBe(0);
    const wrong = await d2(['push', dir, ref, '--creds', 'testuser:wrong-secret']);
    expect(wrong.code).toBe(1);
    expect(wrong.err).not.toContain('wrong-secret');
  });
});

describe('d2 policy select', () => {
  const policy = (range: string) => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo
  namespace: apps
spec:
  imageRepositoryRef:
    name: podinfo
  policy:
    semver:
      range: "${range}"
`;
  const repository = `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
  namespace: apps
spec:
  image: ghcr.io/stefanprodan/podinfo
  exclusionList: ["^6\\\\.9"]
`;
  it('prints the elected tag; the repository exclusion list applies; no match exits 1', async () => {
    const dir = tree({ 'policy.yaml': policy('6.x'), 'bad.yaml': policy('>= 9.0.0'), 'repo.yaml': repository, 'tags.txt': '# tags\n6.8.0\n6.9.0\n7.0.0-rc.1\nv6.8.1\nlatest\n6.7.0.sig\n' });
    const r = await d2(['policy', 'select', '--policy', join(dir, 'policy.yaml'), '--tags', join(dir, 'tags.txt')]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('6.9.0\n');
    const j = await d2(['policy', 'select', '--policy', join(dir, 'policy.yaml'), '--repository', join(dir, 'repo.yaml'), '--tags', join(dir, 'tags.txt'), '-o', 'json']);
    expect(j.code).toBe(0);
    expect(j.json()).toMatchObject({ tag: 'v6.8.1', latestRef: { name: 'ghcr.io/stefanprodan/podinfo', tag: 'v6.8.1' }, policy: 'apps/podinfo', excluded: ['6.9.0'] });
    const none = await d2(['policy', 'select', '--policy', join(dir, 'bad.yaml'), '--tags', join(dir, 'tags.txt')]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/ImagePolicy apps\/podinfo/);
    expect((await d2(['policy', 'select', '--policy', join(dir, 'missing.yaml'), '--tags', join(dir, 'tags.txt')])).code).toBe(2);
  });
});

describe('d2 pr against the GitHub API emulator', () => {
  let git: SandboxGitServer;
  let github: GitHubEmulator;
  beforeAll(async () => {
    git = await startGitServer();
    github = await startGitHubEmulator({ git });
  });
  afterAll(async () => {
    await github?.stop();
    await git?.stop();
  });

  it('creates the PR, leaves it alone on a re-run, and closes it when the branch has nothing to merge', async () => {
    await github.addRepo('acme/apps', { defaultBranch: 'main' });
    const g = await pushImageUpdates(git.authUrl('acme/apps'));
    const env = { GITHUB_API_URL: github.url, GITHUB_GRAPHQL_URL: github.graphqlUrl, GITHUB_TOKEN: git.token };
    const r1 = await d2(['pr', '--repository', 'acme/apps', '--labels', 'image-updates', '-o', 'json'], env);
    expect(r1.code).toBe(0);
    expect(r1.json()).toMatchObject({ operation: 'created', number: 1, title: 'Update podinfo to 6.9.0' });
    expect(r1.err).not.toContain(git.token);
    const pulls = await github.pulls('acme/apps');
    expect(pulls).toHaveLength(1);
    expect((pulls[0].labels as { name: string }[]).map((l) => l.name)).toEqual(['image-updates']);
    const r2 = await d2(['pr', '--repository', 'acme/apps', '--labels', 'image-updates', '-o', 'json'], env);
    expect(r2.json()).toMatchObject({ operation: 'none', number: 1 });
    await g('push', '-q', '-f', git.authUrl('acme/apps'), 'HEAD~1:image-updates');
    const r3 = await d2(['pr', '--repository', 'acme/apps', '-o', 'json'], env);
    expect(r3.json()).toMatchObject({ operation: 'closed', number: 1 });
    const denied = await d2(['pr', '--repository', 'acme/apps', '--token', 'not-a-valid-token'], { GITHUB_API_URL: github.url });
    expect(denied.code).toBe(1);
    expect(denied.err).not.toContain('not-a-valid-token');
  });
});

describe('d2 pr --forge gitlab against the GitLab stand-in (a stand-in following GitLab\'s REST API documentation, not GitLab)', () => {
  let git: SandboxGitServer;
  let gitlab: SandboxGitLab;
  const token = 'glpat-cli-project-token';
  const jobToken = 'glcbt-cli-job-token';
  beforeAll(async () => {
    git = await startGitServer();
    gitlab = await startGitLabStandIn({ git, tokens: [token, { token: jobToken, job: true }] });
  });
  afterAll(async () => {
    await gitlab?.stop();
    await git?.stop();
  });

  it('GITLAB_CI picks the gitlab forge and CI_PROJECT_PATH/CI_API_V4_URL: creates the merge request, refreshes nothing on a re-run, closes it when empty', async () => {
    await gitlab.addProject('acme/team/d2-apps', { defaultBranch: 'main' });
    const g = await pushImageUpdates(git.authUrl('team/d2-apps'));
    const env = { GITLAB_CI: 'true', CI_PROJECT_PATH: 'acme/team/d2-apps', CI_API_V4_URL: gitlab.apiUrl, GITLAB_TOKEN: token, CI_JOB_TOKEN: jobToken };
    const r1 = await d2(['pr', '--labels', 'image-updates', '--auto-merge', 'merge', '-o', 'json'], env);
    expect(r1.err).toContain('Created #1: ');
    expect(r1.code).toBe(0);
    expect(r1.json()).toMatchObject({ operation: 'created', number: 1, title: 'Update podinfo to 6.9.0', url: `${gitlab.url}/acme/team/d2-apps/-/merge_requests/1` });
    const [mr] = await gitlab.mergeRequests('acme/team/d2-apps');
    expect(mr).toMatchObject({ labels: ['image-updates'], merge_when_pipeline_succeeds: true, source_branch: 'image-updates', target_branch: 'main' });
    const r2 = await d2(['pr', '--labels', 'image-updates', '-o', 'json'], env);
    expect(r2.json()).toMatchObject({ operation: 'none', number: 1 });
    await g('push', '-q', '-f', git.authUrl('team/d2-apps'), 'HEAD~1:image-updates');
    const r3 = await d2(['pr', '-o', 'json'], env);
    expect(r3.json()).toMatchObject({ operation: 'closed', number: 1 });
    for (const r of [r1, r2, r3]) expect(r.out + r.err).not.toContain(token);
  });

  it('only CI_JOB_TOKEN: refused before any request, naming the access token to create (exit 2)', async () => {
    const before = gitlab.requests.length;
    const onlyJob = await d2(['pr'], { GITLAB_CI: 'true', CI_PROJECT_PATH: 'acme/team/d2-apps', CI_API_V4_URL: gitlab.apiUrl, CI_JOB_TOKEN: jobToken });
    expect(onlyJob.code).toBe(2);
    expect(onlyJob.err).toContain('CI_JOB_TOKEN cannot create or update merge requests');
    expect(onlyJob.err).toMatch(/project \(or group\) access token .* api scope/);
    const passed = await d2(['pr', '--forge', 'gitlab', '--repository', 'acme/team/d2-apps', '--token', jobToken], { CI_API_V4_URL: gitlab.apiUrl, CI_JOB_TOKEN: jobToken });
    expect(passed.code).toBe(2);
    expect(passed.err).not.toContain(jobToken);
    expect(gitlab.requests.length).toBe(before);
    const badPath = await d2(['pr', '--forge', 'gitlab', '--repository', 'd2-apps', '--token', token]);
    expect(badPath.code).toBe(2);
    expect(badPath.err).toContain('group[/subgroup]/project');
    const badForge = await d2(['pr', '--forge', 'gitea', '--repository', 'a/b', '--token', token]);
    expect(badForge.code).toBe(2);
  });

  it('a revoked token: exit 1 with the fix, the token never printed', async () => {
    const r = await d2(['pr', '--forge', 'gitlab', '--repository', 'acme/team/d2-apps', '--token', 'glpat-revoked-123'], { CI_API_V4_URL: gitlab.apiUrl });
    expect(r.code).toBe(1);
    expect(r.err).toContain('401');
    expect(r.err).toContain('api scope');
    expect(r.err).not.toContain('glpat-revoked-123');
  });
});

describe('d2 update (direct mode) against the sandbox git server and registry (docs/image-automation.md)', () => {
  let git: SandboxGitServer;
  let registry: SandboxRegistry;
  beforeAll(async () => {
    [git, registry] = await Promise.all([startGitServer(), startRegistry({ auth: 'anonymous' })]);
  });
  afterAll(async () => {
    await Promise.all([git?.stop(), registry?.stop()]);
  });

  it('--dry-run prints the diff and pushes nothing; a real run commits on image-updates; a re-run changes nothing', async () => {
    const client = new RegistryClient({ credentials: { get: async () => undefined } });
    await seedImages(client, registry.host, 'initial');
    await seedImages(client, registry.host, 'newer'); // images/redis: 7.4.1, 7.4.2, 8.0.0
    client.close();
    const app = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
spec:
  template:
    spec:
      containers:
        - name: redis
          image: ${registry.host}/images/redis:7.4.1 # {"$imagepolicy": "apps:redis"}
`;
    const policies = `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: redis
  namespace: apps
spec:
  image: ${registry.host}/images/redis
  insecure: true
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: redis
  namespace: apps
spec:
  imageRepositoryRef:
    name: redis
  policy:
    semver:
      range: "~7.4"
`;
    await git.createRepo('acme/update');
    await seedRepository(git.authUrl('acme/update'), { 'apps/redis.yaml': app, 'policies/redis.yaml': policies }, 'init', scratch);
    const args = ['update', '--repository', `${git.url}/acme/update.git`, '--policies-path', 'policies', '--namespace', 'apps', '--update-path', 'apps'];
    const env = { GIT_TOKEN: git.token };

    const dry = await d2([...args, '--dry-run'], env);
    expect(dry.err).not.toContain(git.token);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('--- a/update/apps/redis.yaml');
    expect(dry.out).toContain(`-          image: ${registry.host}/images/redis:7.4.1 # {"$imagepolicy": "apps:redis"}`);
    expect(dry.out).toContain(`+          image: ${registry.host}/images/redis:7.4.2 # {"$imagepolicy": "apps:redis"}`);
    expect(await remoteBranchSha(git.authUrl('acme/update'), 'image-updates')).toBeUndefined();

    const real = await d2([...args, '-o', 'json'], env);
    expect(real.code).toBe(0);
    const j = real.json<{ changed: boolean; commits: { branch: string; sha: string }[]; changes: { old: string; new: string }[] }>();
    expect(j.changed).toBe(true);
    expect(j.changes.map((c) => [c.old, c.new])).toEqual([[`${registry.host}/images/redis:7.4.1`, `${registry.host}/images/redis:7.4.2`]]);
    expect(j.commits[0].branch).toBe('image-updates');
    expect(await remoteBranchSha(git.authUrl('acme/update'), 'image-updates')).toBe(j.commits[0].sha);

    const again = await d2([...args, '-o', 'json'], env);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ changed: false, commits: [] });

    const noToken = await d2(args, {});
    expect(noToken.code).toBe(1);
    const usage = await d2(['update', '--repository', `${git.url}/acme/update.git`]);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/policies-path is required/);
  });
});
