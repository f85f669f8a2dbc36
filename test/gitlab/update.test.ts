/**
 * d2 update (e2e-update's engine) committing to a GitLab-hosted repository over HTTPS with a project access token:
 * GitLab takes access tokens with the basic-auth user `oauth2` (docs/gitlab.md "Tokens"). The git server is the
 * sandbox's real git smart-HTTP server, configured like GitLab to accept only `oauth2:<token>`; the registry is a real
 * CNCF distribution.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { runCli, type Io } from '../../packages/cli/src/cli.js';
import { commands } from '../../packages/cli/src/commands/index.js';
import { gitUsernameFor } from '../../packages/cli/src/commands/update.js';
import { remoteBranchSha, seedRepository } from '../../packages/cli/src/demo/git.js';
import { seedRedisFleet } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'd2-gitlab-update-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function d2(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: scratch, ...env } };
  return { code: await runCli(commands, args, '0.0.0-test', io), out, err };
}

describe('d2 update against a GitLab-style git remote (oauth2:<project access token>)', () => {
  const token = 'glpat-update-project-token';
  let git: SandboxGitServer;
  let registry: SandboxRegistry;
  beforeAll(async () => {
    [git, registry] = await Promise.all([startGitServer({ users: [{ username: 'oauth2', password: token }] }), startRegistry({ auth: 'anonymous' })]);
  });
  afterAll(async () => {
    await Promise.all([git?.stop(), registry?.stop()]);
  });

  it('gitlab.com and CI_SERVER_HOST get the oauth2 user; other hosts keep the git client default', () => {
    const user = gitUsernameFor({ CI_SERVER_HOST: 'gitlab.example.com' });
    expect(user('https://gitlab.com/acme/d2-fleet.git')).toBe('oauth2');
    expect(user('https://gitlab.example.com/acme/d2-fleet.git')).toBe('oauth2');
    expect(user('https://github.com/acme/d2-fleet.git')).toBeUndefined();
    expect(user('not a url')).toBeUndefined();
  });

  it('in a GitLab job, GITLAB_TOKEN is pushed as oauth2 to the instance: the update lands on image-updates; as another user it is refused', async () => {
    const fleet = await seedRedisFleet(registry.host);
    await git.createRepo('acme/d2-fleet');
    await seedRepository(git.authUrl('acme/d2-fleet'), fleet, 'init', scratch);
    const args = ['update', '--repository', `${git.url}/acme/d2-fleet.git`, '--policies-path', 'policies', '--namespace', 'apps', '--update-path', 'apps', '-o', 'json'];
    const host = new URL(git.url).host;

    const outsideGitLab = await d2(args, { GITLAB_TOKEN: token });
    expect(outsideGitLab.code).toBe(1);
    expect(outsideGitLab.err).not.toContain(token);
    expect(await remoteBranchSha(git.authUrl('acme/d2-fleet'), 'image-updates')).toBeUndefined();

    const job = await d2(args, { GITLAB_CI: 'true', CI_SERVER_HOST: host, CI_SERVER_URL: git.url, GITLAB_TOKEN: token });
    expect(job.err).not.toContain(token);
    expect(job.code, job.err).toBe(0);
    const j = JSON.parse(job.out) as { changed: boolean; commits: { branch: string; sha: string }[] };
    expect(j.changed).toBe(true);
    expect(await remoteBranchSha(git.authUrl('acme/d2-fleet'), 'image-updates')).toBe(j.commits[0].sha);
  });
});
