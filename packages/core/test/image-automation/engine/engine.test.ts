/**
 * The engine against real parts: CNCF distribution (sandbox registry) seeded with tags, the sandbox HTTP git server
 * (git http-backend behind Basic auth) holding a D2-like fleet, apps and infra repositories, and the git CLI.
 * Checks Flux's git semantics with `git cat-file -p`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/oci/index.js';
import { directTarget, readFleetConfig, runImageUpdate, type AutomationTarget, type EngineDeps } from '../../../src/image-automation/index.js';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { appsRepo, D2_MESSAGE_TEMPLATE, DEMO_IMAGES, fleetRepo, infraRepo, writeTree, type FileTree } from '@d2/sandbox/d2-repos';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const gitAsync = (cwd: string, ...args: string[]) => promisify(execFile)('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
// Synchronous git only for local work: the git server runs in this process, so talking to it must not block.
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });

async function seed(reg: SandboxRegistry, repo: string, tags: readonly string[]): Promise<void> {
  const config = Buffer.from(`{"architecture":"amd64","os":"linux","repo":"${repo}"}`);
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const loc = new URL(start.headers.get('location') ?? '', reg.url);
  loc.searchParams.set('digest', sha256(config));
  expect((await fetch(loc, { method: 'PUT', body: config })).status).toBe(201);
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] }),
  );
  for (const tag of tags) {
    const r = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(r.status).toBe(201);
  }
}

const tmps: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'd2-engine-test-'));
  tmps.push(d);
  return d;
}

/** Creates `owner/name` on the git server with `files` committed on main. */
async function createRepo(server: SandboxGitServer, fullName: string, files: FileTree): Promise<string> {
  const repo = await server.createRepo(fullName);
  const dir = tmp();
  git(dir, 'init', '-q', '-b', 'main');
  writeTree(dir, files);
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=seed', '-c', 'user.email=seed@example.com', 'commit', '-q', '-m', 'initial');
  await gitAsync(dir, 'push', '-q', server.authUrl(fullName), 'main');
  return repo.url;
}

/** Reads a remote branch tip and its commit object from the bare repository. */
function commitOf(server: SandboxGitServer, fullName: string, ref: string): { sha: string; raw: string } | undefined {
  const path = server.repoPath(fullName);
  try {
    const sha = git(path, 'rev-parse', '--verify', `${ref}^{commit}`).trim();
    return { sha, raw: git(path, 'cat-file', '-p', sha) };
  } catch {
    return undefined;
  }
}

function parseCommit(raw: string): { parents: string[]; author: string; committer: string; message: string } {
  const sep = raw.indexOf('\n\n');
  const headers = raw.slice(0, sep).split('\n');
  return {
    parents: headers.filter((h) => h.startsWith('parent ')).map((h) => h.slice(7)),
    author: headers.find((h) => h.startsWith('author '))?.slice(7) ?? '',
    committer: headers.find((h) => h.startsWith('committer '))?.slice(10) ?? '',
    message: raw.slice(sep + 2),
  };
}

describe('runImageUpdate on a D2-like fleet over the sandbox git server and registry', () => {
  let reg: SandboxRegistry;
  let server: SandboxGitServer;
  let targets: AutomationTarget[];
  let deps: EngineDeps;
  const fleetDir = () => fleet;
  let fleet: string;

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous' });
    server = await startGitServer();
    const img = DEMO_IMAGES;
    await seed(reg, img.podinfo.repository, [img.podinfo.initial, ...img.podinfo.newer]);
    await seed(reg, img.redis.repository, [img.redis.initial, ...img.redis.newer]);
    await seed(reg, img.certManager.repository, [img.certManager.initial, ...img.certManager.newer]);
    await seed(reg, img.prometheus.repository, [img.prometheus.initial, ...img.prometheus.newer]);
    const opts = { owner: 'acme', registry: reg.host, appsGitUrl: `${server.url}/acme/d2-apps.git`, infraGitUrl: `${server.url}/acme/d2-infra.git` };
    await createRepo(server, 'acme/d2-apps', appsRepo(opts));
    await createRepo(server, 'acme/d2-infra', infraRepo(opts));
    fleet = tmp();
    writeTree(fleet, fleetRepo(opts));
    targets = readFleetConfig(fleetDir(), 'clusters/update');
    deps = {
      registry: new RegistryClient(),
      gitOptions: () => ({ auth: { token: server.token } }),
      now: () => new Date('2026-01-05T08:00:00Z'),
    };
  });
  afterAll(async () => {
    await server?.stop();
    await reg?.stop();
    while (tmps.length) rmSync(tmps.pop() as string, { recursive: true, force: true });
  });

  it('reads the update cluster like the Kind cluster would (ResourceSet inputs, runtime info, Kustomization, IUA)', () => {
    expect(targets.map((t) => t.automation)).toEqual([
      { namespace: 'apps', name: 'apps' },
      { namespace: 'infra', name: 'infra' },
    ]);
    const apps = targets[0];
    expect(apps.repository).toBe(`${server.url}/acme/d2-apps.git`);
    expect(apps.git).toMatchObject({ checkoutBranch: 'main', pushBranch: 'image-updates' });
    expect(apps.policies).toMatchObject({ path: './update-policies', namespace: 'apps' });
    expect(apps.policies.substitute?.REGISTRY).toBe(reg.host);
    expect(apps.update).toEqual({ path: './components', strategy: 'Setters' });
    expect(apps.commit.author).toEqual({ name: 'd2-demo-bot', email: 'd2-demo-bot@users.noreply.github.com' });
    expect(apps.commit.messageTemplate).toBe(D2_MESSAGE_TEMPLATE);
    expect(apps.secretRef).toBe('github-auth');
  });

  it('first run: one commit per repository on image-updates, D2 message verbatim, author = committer (UTC), one parent', async () => {
    const r = await runImageUpdate({ targets }, deps);
    expect(r.errors).toEqual([]);
    expect(r.policyErrors).toEqual([]);
    expect(r.changed).toBe(true);
    expect(r.commits.map((c) => [c.repository, c.branch])).toEqual([
      [`${server.url}/acme/d2-apps.git`, 'image-updates'],
      [`${server.url}/acme/d2-infra.git`, 'image-updates'],
    ]);
    const main = commitOf(server, 'acme/d2-apps', 'refs/heads/main');
    const head = commitOf(server, 'acme/d2-apps', 'refs/heads/image-updates');
    expect(head?.sha).toBe(r.commits[0].sha);
    const c = parseCommit(head?.raw ?? '');
    expect(c.parents).toEqual([main?.sha]);
    expect(c.author).toBe('d2-demo-bot <d2-demo-bot@users.noreply.github.com> 1767600000 +0000');
    expect(c.committer).toBe(c.author);
    expect(c.message).toBe(
      'Automated image update\n\nFiles:\n- backend/base/redis.yaml\n- frontend/base/podinfo.yaml\n' +
        `Objects:\n- Deployment redis\n  Changes:\n    - ${reg.host}/images/redis:7.4.1 -> ${reg.host}/images/redis:7.4.2\n` +
        '- OCIRepository podinfo-chart\n  Changes:\n    - 6.8.0 -> 6.9.0\n',
    );
    // Only the marked lines changed.
    const diff = git(server.repoPath('acme/d2-apps'), 'diff', '--unified=0', 'main', 'image-updates');
    expect(diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual([
      `-          image: ${reg.host}/images/redis:7.4.1 # {"$imagepolicy": "apps:backend-redis"}`,
      `+          image: ${reg.host}/images/redis:7.4.2 # {"$imagepolicy": "apps:backend-redis"}`,
      '-    semver: 6.8.0 # {"$imagepolicy": "apps:frontend-podinfo:tag"}',
      '+    semver: 6.9.0 # {"$imagepolicy": "apps:frontend-podinfo:tag"}',
    ]);
    expect(r.changes.filter((x) => x.repository.endsWith('d2-apps.git'))).toEqual([
      { repository: `${server.url}/acme/d2-apps.git`, file: 'backend/base/redis.yaml', object: 'Deployment//redis', setter: 'apps:backend-redis', old: `${reg.host}/images/redis:7.4.1`, new: `${reg.host}/images/redis:7.4.2` },
      { repository: `${server.url}/acme/d2-apps.git`, file: 'frontend/base/podinfo.yaml', object: 'OCIRepository//podinfo-chart', setter: 'apps:frontend-podinfo:tag', old: '6.8.0', new: '6.9.0' },
    ]);
  });

  it('second run is a no-op: no commit, no push', async () => {
    const before = commitOf(server, 'acme/d2-apps', 'refs/heads/image-updates')?.sha;
    const requests = server.stats.requests;
    const r = await runImageUpdate({ targets }, deps);
    expect(r.errors).toEqual([]);
    expect(r.changed).toBe(false);
    expect(r.commits).toEqual([]);
    expect(commitOf(server, 'acme/d2-apps', 'refs/heads/image-updates')?.sha).toBe(before);
    expect(server.stats.requests).toBeGreaterThan(requests); // it did clone and fetch
  });

  it('a new tag adds one commit on top of the existing image-updates branch', async () => {
    await seed(reg, DEMO_IMAGES.podinfo.repository, ['6.9.1']);
    const before = commitOf(server, 'acme/d2-apps', 'refs/heads/image-updates')?.sha;
    const r = await runImageUpdate({ targets: [targets[0]] }, deps);
    expect(r.errors).toEqual([]);
    expect(r.commits).toHaveLength(1);
    const c = parseCommit(commitOf(server, 'acme/d2-apps', 'refs/heads/image-updates')?.raw ?? '');
    expect(c.parents).toEqual([before]);
    expect(c.message).toBe('Automated image update\n\nFiles:\n- frontend/base/podinfo.yaml\nObjects:\n- OCIRepository podinfo-chart\n  Changes:\n    - 6.9.0 -> 6.9.1\n');
    expect(r.targets[0].pushBranchExisted).toBe(true);
  });

  it('dry run computes the changes and the message without pushing', async () => {
    await seed(reg, DEMO_IMAGES.redis.repository, ['7.4.3']);
    const before = commitOf(server, 'acme/d2-apps', 'refs/heads/image-updates')?.sha;
    const r = await runImageUpdate({ targets: [targets[0]], dryRun: true }, deps);
    expect(r.changed).toBe(true);
    expect(r.commits).toEqual([]);
    expect(r.targets[0].message).toContain(`- ${reg.host}/images/redis:7.4.2 -> ${reg.host}/images/redis:7.4.3`);
    expect(commitOf(server, 'acme/d2-apps', 'refs/heads/image-updates')?.sha).toBe(before);
  });

  it('a wrong token fails the target with an actionable error and no secret in the message', async () => {
    const r = await runImageUpdate({ targets: [targets[0]] }, { ...deps, gitOptions: () => ({ auth: { token: 'ghs_wrong_token_value' } }) });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].message).toMatch(/git clone failed/);
    expect(r.errors[0].message).toMatch(/hint: .*PAT or GitHub App token/);
    expect(r.errors[0].message).not.toContain('ghs_wrong_token_value');
  });
});

describe('direct mode over file:// remotes; a failing policy does not block the others', () => {
  let reg: SandboxRegistry;
  let remote: string;
  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous' });
    await seed(reg, 'team/web', ['1.0.0', '1.1.0', '2.0.0']);
    remote = join(tmp(), 'repo.git');
    git(tmp(), 'init', '-q', '--bare', '-b', 'main', remote);
    const work = tmp();
    git(work, 'init', '-q', '-b', 'main');
    writeTree(work, {
      'policies/web.yaml': `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: web
spec:
  image: ${reg.host}/team/web
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: web
spec:
  imageRepositoryRef:
    name: web
  policy:
    semver:
      range: "1.x"
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: broken
spec:
  imageRepositoryRef:
    name: web
  policy:
    semver:
      range: ">=9.0.0"
`,
      'deploy/app.yaml': `kind: Deployment\nmetadata:\n  name: web\nspec:\n  image: ${reg.host}/team/web:1.0.0 # {"$imagepolicy": "team:web"}\n  other: x:1 # {"$imagepolicy": "team:broken:tag"}\n`,
    });
    git(work, 'add', '-A');
    git(work, '-c', 'user.name=seed', '-c', 'user.email=s@e', 'commit', '-q', '-m', 'init');
    git(work, 'push', '-q', remote, 'main');
  });
  afterAll(() => reg?.stop());

  it('commits the web bump to image-updates (Flux default message, no trailing newline) and reports the broken policy', async () => {
    const target = directTarget({ repository: `file://${remote}`, policiesPath: 'policies', namespace: 'team', updatePath: 'deploy', authorName: 'bot', authorEmail: 'bot@example.com' });
    const r = await runImageUpdate({ targets: [target] }, { registry: new RegistryClient() });
    expect(r.errors, JSON.stringify(r.errors)).toEqual([]);
    expect(r.policyErrors.map((e) => e.policy)).toEqual(['team/broken']);
    expect(r.changes.map((c) => [c.file, c.new])).toEqual([['app.yaml', `${reg.host}/team/web:1.1.0`]]);
    const raw = git(remote, 'cat-file', '-p', 'refs/heads/image-updates');
    expect(raw.endsWith('\n\nUpdate from image update automation')).toBe(true);
    expect(git(remote, 'show', 'image-updates:deploy/app.yaml')).toContain('other: x:1 #');
  });

  it('rejects an invalid direct configuration before any side effect', () => {
    expect(() => directTarget({ repository: 'file:///x', policiesPath: 'p', namespace: 'Bad_NS', authorEmail: 'a@b' })).toThrow(/not a valid Kubernetes namespace/);
    expect(() => directTarget({ repository: '', policiesPath: 'p', namespace: 'ns', authorEmail: 'a@b' })).toThrow(/repository is required/);
  });
});
