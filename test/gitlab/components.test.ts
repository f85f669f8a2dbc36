/**
 * The GitLab CI/CD components in templates/ run under gitlab-ci-local (a GitLab pipeline runner, shell executor, no
 * Docker), included by `include: component:` from a project that holds them, against the sandbox registry, the
 * Sigstore stand-in, the sandbox OIDC issuer (GitLab-shaped ID tokens) and the GitLab REST stand-in (which follows
 * GitLab's documentation; it is not GitLab). The jobs run the built d2 CLI. gitlab-ci-local validates the expanded
 * pipeline against GitLab's CI JSON schema before running it.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startGitLabStandIn, type SandboxGitLab } from '@d2/sandbox/gitlab-stand-in';
import { startOidc, type SandboxOidc } from '@d2/sandbox/oidc';
import { repoRoot } from '@d2/sandbox/paths';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { startSigstore, type SandboxSigstore } from '@d2/sandbox/sigstore';
import { remoteBranchSha, seedRepository } from '../../packages/cli/src/demo/git.js';
import { seedRedisFleet } from './helpers.js';

const execFileAsync = promisify(execFile);
const root = repoRoot();
const gcl = join(root, 'node_modules', 'gitlab-ci-local', 'dist', 'index.js');
const rsync = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v rsync'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
})();

function run(cwd: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    // gitlab-ci-local needs Node 22 or later: the test's own Node.
    const child = spawn(process.execPath, [gcl, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GCL_HOME: join(cwd, '.gcl-home') } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out });
    });
  });
}

describe.skipIf(!rsync)('GitLab CI/CD components under gitlab-ci-local (needs rsync)', () => {
  const token = 'glpat-components-project-token';
  let registry: SandboxRegistry;
  let sigstore: SandboxSigstore;
  let oidc: SandboxOidc;
  let git: SandboxGitServer;
  let gitlab: SandboxGitLab;
  let project: string;
  let sha: string;

  beforeAll(async () => {
    await execFileAsync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--cli', '--quiet'], { cwd: root });
    [registry, sigstore, oidc, git] = await Promise.all([startRegistry({ auth: 'anonymous' }), startSigstore(), startOidc(), startGitServer({ users: [{ username: 'oauth2', password: token }] })]);
    gitlab = await startGitLabStandIn({ git, tokens: [token] });
    project = mkdtempSync(join(tmpdir(), 'd2-gitlab-components-'));
    // A project holding the components (templates/) and, as a fixture, two D2 components to publish.
    cpSync(join(root, 'templates'), join(project, 'templates'), { recursive: true });
    for (const c of ['frontend', 'backend']) {
      mkdirSync(join(project, 'components', c), { recursive: true });
      writeFileSync(join(project, 'components', c, 'deploy.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${c}\n`);
    }
    const g = (...a: string[]) => execFileAsync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a], { cwd: project });
    await g('init', '-q', '-b', 'main');
    await g('add', '-A');
    await g('commit', '-qm', 'components');
    await g('remote', 'add', 'origin', 'https://gitlab.com/d2/d2-actions.git');
    sha = (await g('rev-parse', 'HEAD')).stdout.trim();
    const cli = `${process.execPath} ${join(root, 'packages', 'cli', 'dist', 'd2.cjs')}`;
    const sign = { 'fulcio-url': sigstore.fulcioURL, 'rekor-url': sigstore.rekorURL, 'trusted-root': sigstore.trustedRootPath };
    const component = (name: string, inputs: Record<string, unknown>) => ({ component: `gitlab.com/d2/d2-actions/${name}@${sha}`, inputs: { cli, ...inputs } });
    writeFileSync(
      join(project, '.gitlab-ci.yml'),
      stringify({
        include: [
          component('push-artifact', { components: '*', 'diff-tag': 'latest', tags: 'latest', ...sign }),
          component('release-artifact', sign),
          component('e2e-update', { repository: `${git.url}/acme/d2-fleet.git`, 'policies-path': 'policies', namespace: 'apps', 'update-path': 'apps' }),
          component('image-updates-mr', { changes: 'd2-update.json', labels: 'image-updates', 'auto-merge': 'merge' }),
        ],
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all([registry?.stop(), sigstore?.stop(), oidc?.stop(), gitlab?.stop()]);
    await git?.stop();
    rmSync(project, { recursive: true, force: true });
  });

  /** The variables of a GitLab job of project acme/d2-apps, pointing at the sandbox. */
  const vars = (extra: Record<string, string>): string[] =>
    Object.entries({
      // gitlab-ci-local says GITLAB_CI=false (a local run); these jobs stand for real GitLab jobs.
      GITLAB_CI: 'true',
      CI_REGISTRY: registry.host,
      CI_REGISTRY_IMAGE: `${registry.host}/acme/d2-apps`,
      CI_PROJECT_URL: 'https://gitlab.com/acme/d2-apps',
      CI_COMMIT_SHA: sha,
      ...extra,
    }).flatMap(([k, v]) => ['--variable', `${k}=${v}`]);
  const common = ['--force-shell-executor', '--ignore-predefined-vars', 'GITLAB_CI,CI_REGISTRY,CI_REGISTRY_IMAGE,CI_PROJECT_URL,CI_COMMIT_SHA,CI_COMMIT_TAG,CI_PROJECT_PATH,CI_API_V4_URL,CI_SERVER_HOST,CI_SERVER_URL,CI_COMMIT_REF_NAME'];

  it('the four components pass GitLab’s CI schema and declare the jobs', async () => {
    const r = await run(project, [...common, ...vars({ CI_COMMIT_TAG: 'frontend/v1.0.0' }), '--list']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('json schema validated');
    for (const job of ['push-artifact', 'release-artifact', 'e2e-update', 'image-updates-mr']) expect(r.out).toContain(job);
    for (const name of ['push-artifact', 'release-artifact', 'e2e-update', 'image-updates-mr']) {
      expect(existsSync(join(root, 'templates', name, 'template.yml'))).toBe(true);
      expect(existsSync(join(root, 'templates', name, 'README.md'))).toBe(true);
    }
  });

  it('push-artifact: every component pushed to $CI_REGISTRY_IMAGE/<component>, signed with the pipeline’s GitLab identity, summary as artifact', async () => {
    const identity = { project: 'acme/d2-apps', ref: 'refs/heads/main' };
    const r = await run(project, [...common, ...vars({ SIGSTORE_ID_TOKEN: oidc.issueGitLabToken(identity), CI_COMMIT_REF_NAME: 'main' }), 'push-artifact']);
    expect(r.code, r.out).toBe(0);
    const result = JSON.parse(readFileSync(join(project, 'd2-result.json'), 'utf8')) as { artifacts: { repository: string; certificateIdentity: string; tags: string[] }[] };
    expect(result.artifacts.map((a) => a.repository).sort()).toEqual([`${registry.host}/acme/d2-apps/backend`, `${registry.host}/acme/d2-apps/frontend`]);
    for (const a of result.artifacts) {
      expect(a.certificateIdentity).toBe(oidc.expectedGitLabIdentity(identity));
      expect(a.tags).toEqual(['latest']);
    }
    expect(readFileSync(join(project, 'd2-summary.md'), 'utf8')).toContain('subject: ^https://gitlab\\.com/acme/d2-apps//\\.gitlab-ci\\.yml@refs/heads/main$');
  });

  it('release-artifact: only in tag pipelines; a frontend/v1.0.0 tag moves v1.0.0 and latest-stable', async () => {
    const identity = { project: 'acme/d2-apps', ref: 'refs/tags/frontend/v1.0.0' };
    const notTag = await run(project, [...common, ...vars({}), '--list']);
    expect(notTag.out).not.toMatch(/release-artifact\s+deploy\s+on_success/);
    const r = await run(project, [...common, ...vars({ CI_COMMIT_TAG: 'frontend/v1.0.0', CI_COMMIT_REF_NAME: 'frontend/v1.0.0', SIGSTORE_ID_TOKEN: oidc.issueGitLabToken(identity) }), 'release-artifact']);
    expect(r.code, r.out).toBe(0);
    expect(JSON.parse(readFileSync(join(project, 'd2-result.json'), 'utf8'))).toMatchObject({ component: 'frontend', version: 'v1.0.0', tags: ['v1.0.0', 'latest-stable'], certificateIdentity: oidc.expectedGitLabIdentity(identity) });
  });

  it('e2e-update commits to image-updates with the project access token, then image-updates-mr opens the merge request with the change table', async () => {
    const fleet = await seedRedisFleet(registry.host);
    await gitlab.addProject('acme/d2-fleet', { defaultBranch: 'main' });
    await seedRepository(git.authUrl('acme/d2-fleet'), fleet, 'init', project);
    const gitlabVars = vars({ GITLAB_TOKEN: token, CI_SERVER_HOST: new URL(git.url).host, CI_SERVER_URL: gitlab.url, CI_API_V4_URL: gitlab.apiUrl, CI_PROJECT_PATH: 'acme/d2-fleet' });
    const update = await run(project, [...common, ...gitlabVars, 'e2e-update']);
    expect(update.code, update.out).toBe(0);
    expect(update.out).not.toContain(token);
    const result = JSON.parse(readFileSync(join(project, 'd2-update.json'), 'utf8')) as { changed: boolean; commits: { sha: string }[] };
    expect(result.changed).toBe(true);
    expect(await remoteBranchSha(git.authUrl('acme/d2-fleet'), 'image-updates')).toBe(result.commits[0].sha);

    const mr = await run(project, [...common, ...gitlabVars, 'image-updates-mr']);
    expect(mr.code, mr.out).toBe(0);
    expect(JSON.parse(readFileSync(join(project, 'd2-mr.json'), 'utf8'))).toMatchObject({ operation: 'created', number: 1 });
    const [opened] = await gitlab.mergeRequests('acme/d2-fleet');
    expect(opened).toMatchObject({ state: 'opened', source_branch: 'image-updates', target_branch: 'main', labels: ['image-updates'], merge_when_pipeline_succeeds: true });
    expect(String(opened.description)).toContain('7.4.2');

    // The job token alone cannot open merge requests: the component fails with the fix, before any request.
    const before = gitlab.requests.length;
    const jobOnly = await run(project, [...common, ...vars({ CI_JOB_TOKEN: 'glcbt-job', CI_API_V4_URL: gitlab.apiUrl, CI_PROJECT_PATH: 'acme/d2-fleet' }), 'image-updates-mr']);
    expect(jobOnly.code).not.toBe(0);
    expect(jobOnly.out).toContain('CI_JOB_TOKEN cannot create or update merge requests');
    expect(gitlab.requests.length).toBe(before);
  });
});
