/**
 * e2e-update end to end through its committed bundle (runActionBundle runs `node actions/e2e-update/dist/index.cjs`
 * as the runner does): the sandbox registry seeded with tags, the sandbox HTTP git server holding D2-like apps and
 * infra repositories, and the fleet checked out as the workspace (`automation: clusters/update`).
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appsRepo, DEMO_IMAGES, fleetRepo, infraRepo, writeTree, type FileTree } from '@d2/sandbox/d2-repos';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { runActionBundle } from '@d2/sandbox/runner';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const gitAsync = (cwd: string, ...args: string[]) => promisify(execFile)('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
/** Output without the ::add-mask:: commands (which must carry the secret so the runner can mask it). */
const unmasked = (s: string) => s.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
const gitLocal = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' });

async function seed(reg: SandboxRegistry, repo: string, tags: readonly string[]): Promise<void> {
  const config = Buffer.from(`{"repo":"${repo}"}`);
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const loc = new URL(start.headers.get('location') ?? '', reg.url);
  loc.searchParams.set('digest', sha256(config));
  await fetch(loc, { method: 'PUT', body: config });
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] });
  for (const tag of tags) {
    const r = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(r.status).toBe(201);
  }
}

describe('e2e-update bundle: D2 fleet mode and direct mode', () => {
  let reg: SandboxRegistry;
  let server: SandboxGitServer;
  let fleet: string;
  let emptyDockerConfig: string;
  const tmps: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'd2-e2e-update-'));
    tmps.push(d);
    return d;
  };

  async function createRepo(fullName: string, files: FileTree): Promise<void> {
    await server.createRepo(fullName);
    const dir = tmp();
    gitLocal(dir, 'init', '-q', '-b', 'main');
    writeTree(dir, files);
    gitLocal(dir, 'add', '-A');
    gitLocal(dir, '-c', 'user.name=seed', '-c', 'user.email=seed@example.com', 'commit', '-q', '-m', 'initial');
    await gitAsync(dir, 'push', '-q', server.authUrl(fullName), 'main');
  }

  const tip = (fullName: string, branch: string) => {
    try {
      return gitLocal(server.repoPath(fullName), 'rev-parse', `refs/heads/${branch}`).trim();
    } catch {
      return undefined;
    }
  };

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous' });
    server = await startGitServer();
    const img = DEMO_IMAGES;
    for (const i of [img.podinfo, img.redis, img.certManager, img.prometheus]) await seed(reg, i.repository, [i.initial, ...i.newer]);
    const opts = { owner: 'acme', registry: reg.host, appsGitUrl: `${server.url}/acme/d2-apps.git`, infraGitUrl: `${server.url}/acme/d2-infra.git` };
    await createRepo('acme/d2-apps', appsRepo(opts));
    await createRepo('acme/d2-infra', infraRepo(opts));
    fleet = tmp();
    writeTree(fleet, fleetRepo(opts));
    emptyDockerConfig = tmp();
  });
  afterAll(async () => {
    await server?.stop();
    await reg?.stop();
    for (const d of tmps) rmSync(d, { recursive: true, force: true });
  });

  const runFleet = (extra: Record<string, string> = {}, env: Record<string, string> = {}) =>
    runActionBundle('e2e-update', {
      workspace: fleet,
      repository: 'acme/d2-fleet',
      inputs: { automation: 'clusters/update', token: server.token, ...extra },
      env: { DOCKER_CONFIG: emptyDockerConfig, ...env },
    });

  it('first run pushes image-updates to both repositories; outputs, summary and groups', async () => {
    const run = await runFleet();
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.changed).toBe('true');
    const commits = JSON.parse(run.outputs.commits) as Array<{ repository: string; branch: string; sha: string }>;
    expect(commits.map((c) => c.branch)).toEqual(['image-updates', 'image-updates']);
    expect(commits[0].sha).toBe(tip('acme/d2-apps', 'image-updates'));
    expect(commits[1].sha).toBe(tip('acme/d2-infra', 'image-updates'));
    const changes = JSON.parse(run.outputs.changes) as Array<Record<string, string>>;
    expect(changes).toContainEqual({ repository: `${server.url}/acme/d2-apps.git`, file: 'frontend/base/podinfo.yaml', object: 'OCIRepository//podinfo-chart', setter: 'apps:frontend-podinfo:tag', old: '6.8.0', new: '6.9.0' });
    expect(changes.every((c) => c.old !== c.new)).toBe(true);
    expect(run.summary).toContain(`### ${server.url}/acme/d2-apps.git`);
    // The summary names a namespace-less object Kind/name (the changes output keeps Kind/namespace/name).
    expect(run.summary).toContain('| frontend/base/podinfo.yaml | OCIRepository/podinfo-chart | `apps:frontend-podinfo:tag` | `6.8.0` | `6.9.0` |');
    expect(run.stdout).toContain('::group::apps/apps');
    expect(run.stdout).toContain(`::add-mask::${server.token}`);
    expect(unmasked(run.stdout + run.stderr)).not.toContain(server.token);
    const msg = gitLocal(server.repoPath('acme/d2-apps'), 'log', '-1', '--format=%B', 'image-updates');
    expect(msg.startsWith('Automated image update\n\nFiles:\n- backend/base/redis.yaml\n- frontend/base/podinfo.yaml\nObjects:\n')).toBe(true);
  });

  it('second run is a no-op; the summary says the branch is up to date and links it', async () => {
    const before = tip('acme/d2-apps', 'image-updates');
    // The git server stands in for the run's GitHub server, so the branch gets its web link.
    const run = await runFleet({}, { GITHUB_SERVER_URL: server.url });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.changed).toBe('false');
    expect(JSON.parse(run.outputs.commits)).toEqual([]);
    expect(tip('acme/d2-apps', 'image-updates')).toBe(before);
    expect(run.summary).toContain(`No new changes: [\`image-updates\`](${server.url}/acme/d2-apps/tree/image-updates) is up to date (it already carries the earlier updates).`);
    expect(run.summary).not.toContain('No changes.');
  });

  it('a new tag stacks one commit on the existing branch; dry run does not push', async () => {
    await seed(reg, DEMO_IMAGES.podinfo.repository, ['6.10.0']);
    const before = tip('acme/d2-apps', 'image-updates');
    const dry = await runFleet({ 'dry-run': 'true' });
    expect(dry.exitCode, dry.stdout + dry.stderr).toBe(0);
    expect(dry.outputs.changed).toBe('true');
    expect(tip('acme/d2-apps', 'image-updates')).toBe(before);
    const run = await runFleet();
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const after = tip('acme/d2-apps', 'image-updates');
    expect(gitLocal(server.repoPath('acme/d2-apps'), 'rev-parse', `${after}^`).trim()).toBe(before);
    expect(JSON.parse(run.outputs.changes)).toEqual([
      { repository: `${server.url}/acme/d2-apps.git`, file: 'frontend/base/podinfo.yaml', object: 'OCIRepository//podinfo-chart', setter: 'apps:frontend-podinfo:tag', old: '6.9.0', new: '6.10.0' },
    ]);
  });

  it('direct mode with a bad input fails before any side effect', async () => {
    const requests = server.stats.requests;
    const run = await runActionBundle('e2e-update', {
      inputs: { repository: `${server.url}/acme/d2-apps.git`, 'policies-path': 'update-policies', namespace: 'Not_Valid', token: server.token },
      env: { DOCKER_CONFIG: emptyDockerConfig },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.join('\n')).toMatch(/not a valid Kubernetes namespace/);
    expect(server.stats.requests).toBe(requests);
  });

  it('direct mode: a wrong token fails the step with a hint and without leaking the token', async () => {
    const run = await runActionBundle('e2e-update', {
      inputs: { repository: `${server.url}/acme/d2-apps.git`, 'policies-path': 'update-policies', namespace: 'apps', 'update-path': 'components', token: 'ghp_not_the_right_token' },
      env: { DOCKER_CONFIG: emptyDockerConfig },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.join('\n')).toMatch(/PAT or GitHub App token/);
    expect(unmasked(run.stdout + run.stderr)).not.toContain('ghp_not_the_right_token');
  });
});
