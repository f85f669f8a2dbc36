/**
 * e2e-update end to end through its committed bundle (runActionBundle runs `node actions/e2e-update/dist/index.cjs`
 * as the runner does): the sandbox registry seeded with tags, the sandbox HTTP git server holding D2-like apps and
 * infra repositories, and the fleet checked out as the workspace (`automation: clusters/update`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appsRepo, DEMO_IMAGES, fleetRepo, infraRepo, writeTree, type FileTree } from '@d2/sandbox/d2-repos';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { runActionBundle } from '@d2/sandbox/runner';
import { commitAndPush, d2RepoOptions, git as gitLocal, runFleetUpdate, scratchDirs, seedDemoImages, seedTags, unmasked } from '../../support/update-stack.js';

describe('e2e-update bundle: D2 fleet mode and direct mode', () => {
  let reg: SandboxRegistry;
  let server: SandboxGitServer;
  let fleet: string;
  let emptyDockerConfig: string;
  const tmp = scratchDirs('d2-e2e-update-');

  async function createRepo(fullName: string, files: FileTree): Promise<void> {
    await server.createRepo(fullName);
    await commitAndPush(tmp(), files, server.authUrl(fullName));
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
    await seedDemoImages(reg);
    const opts = d2RepoOptions(reg, server);
    await createRepo('acme/d2-apps', appsRepo(opts));
    await createRepo('acme/d2-infra', infraRepo(opts));
    fleet = tmp();
    writeTree(fleet, fleetRepo(opts));
    emptyDockerConfig = tmp();
  });
  afterAll(async () => {
    await server?.stop();
    await reg?.stop();
    tmp.cleanup();
  });

  const runFleet = (extra: Record<string, string> = {}, env: Record<string, string> = {}) => runFleetUpdate(fleet, server.token, emptyDockerConfig, extra, env);

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
    await seedTags(reg, DEMO_IMAGES.podinfo.repository, ['6.10.0']);
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
