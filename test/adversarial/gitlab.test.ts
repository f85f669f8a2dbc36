/**
 * GitLab jobs: the job's own secrets stay where they belong. The built d2 runs as a separate process, as in a job.
 * - The job token (CI_REGISTRY_PASSWORD) is sent to CI_REGISTRY only: a push to another registry whose users would
 *   accept the very same credentials gets no login from it (the token server records every login).
 * - An access token is never printed, whatever GitLab answers; the job token alone is refused before any request.
 * Real parts: CNCF distribution registries (token auth), the GitLab REST stand-in (follows GitLab's documentation; not
 * GitLab) on the sandbox git server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startGitLabStandIn, type SandboxGitLab } from '@d2/sandbox/gitlab-stand-in';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { emptyDockerConfig, ensureCliBundle, runD2, writeFiles } from './helpers.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('GitLab job secrets', () => {
  let jobRegistry: SandboxRegistry;
  let other: SandboxRegistry;
  let git: SandboxGitServer;
  let gitlab: SandboxGitLab;
  const accessToken = 'glpat-adversarial-secret-0123456789';

  beforeAll(async () => {
    ensureCliBundle();
    [jobRegistry, other, git] = await Promise.all([startRegistry({ auth: 'anonymous' }), startRegistry({ auth: 'token' }), startGitServer()]);
    gitlab = await startGitLabStandIn({ git, tokens: [git.token] });
  });
  afterAll(async () => {
    await gitlab?.stop();
    await Promise.all([jobRegistry?.stop(), other?.stop(), git?.stop()]);
  });

  it('CI_REGISTRY_PASSWORD goes to CI_REGISTRY only: another registry gets no login, even one that would accept it', async () => {
    const [user] = other.users;
    const dir = writeFiles(join(mkdtempSync(join(tmpdir(), 'd2-adv-gitlab-')), 'app'), { 'deploy.yaml': 'kind: ConfigMap\n' });
    const env = {
      DOCKER_CONFIG: emptyDockerConfig(),
      GITLAB_CI: 'true',
      CI_REGISTRY: jobRegistry.host,
      CI_REGISTRY_IMAGE: `${jobRegistry.host}/acme/d2-apps`,
      CI_REGISTRY_USER: user.username,
      CI_REGISTRY_PASSWORD: user.password,
    };
    const toOther = await runD2(['push', dir, `oci://${other.host}/acme/app`, '--tags', 'latest'], { env });
    expect(toOther.code).toBe(1);
    expect(other.tokenServer?.log.every((i) => i.user === 'anonymous')).toBe(true);
    expect(other.tokenServer?.log.length).toBeGreaterThan(0);
    expect(toOther.stdout + toOther.stderr).not.toContain(user.password);
    // The job's own registry is logged in to (and here accepts the push).
    const toJob = await runD2(['push', dir, '--tags', 'latest'], { env });
    expect(toJob.code, toJob.stderr).toBe(0);
    expect(toJob.stdout).toContain(`${jobRegistry.host}/acme/d2-apps/app`);
  });

  it('an access token GitLab refuses is not printed; the job token alone is refused before any request', async () => {
    await gitlab.addProject('acme/d2-fleet');
    const refused = await runD2(['pr', '--forge', 'gitlab', '--repository', 'acme/d2-fleet', '--token', accessToken], { env: { CI_API_V4_URL: gitlab.apiUrl } });
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).not.toContain(accessToken);
    expect(refused.stderr).toContain('401');
    const before = gitlab.requests.length;
    const jobOnly = await runD2(['pr', '-o', 'json'], { env: { GITLAB_CI: 'true', CI_PROJECT_PATH: 'acme/d2-fleet', CI_API_V4_URL: gitlab.apiUrl, CI_JOB_TOKEN: accessToken } });
    expect(jobOnly.code).toBe(2);
    expect(jobOnly.stdout + jobOnly.stderr).not.toContain(accessToken);
    expect(gitlab.requests.length).toBe(before);
  });
});
