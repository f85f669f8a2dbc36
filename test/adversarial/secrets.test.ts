/**
 * Secrets never reach what a workflow keeps: each of the four action bundles runs with secret inputs (registry
 * passwords, git and GitHub tokens), once succeeding and once with the secret refused, and the secret (raw, and as the
 * base64 of `user:secret` that HTTP Basic auth carries) must appear nowhere in stdout, stderr, the job summary, the
 * outputs, the exported environment or the state file. The one allowed occurrence is the `::add-mask::` command that
 * tells the runner to mask it (the runner's masking is not relied on: the secret must not be printed at all).
 *
 * Guards: core.setSecret on every secret input, and the registry client / git wrapper never logging credentials
 * (Authorization headers, credential-helper output, token responses, http.extraHeader). Printing a request's headers
 * in a debug line, or an input error that echoes the value, fails these tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, StaticCredentials } from '@d2/core/oci';
import {
  OpenApiValidator,
  parseWorkflowCommands,
  pushTinyArtifact,
  runActionBundle,
  startGitHubEmulator,
  startGitServer,
  startRegistry,
  type ActionRun,
  type GitHubEmulator,
  type SandboxGitServer,
  type SandboxRegistry,
} from '@d2/sandbox';
import { imagePolicyYaml, seedGitRepo, tempDir } from './helpers.js';

const REGISTRY_USER = 'ci-bot';
const REGISTRY_SECRET = 'regpass-7f3a9c1e5b2d4086';
const GITHUB_TOKEN = 'ghs_secretgithubtoken0123456789abcdef';
const WRONG = 'wrong-secret-e8d1c0b7a6f5';

/** Every form of `secret` that would reveal it. */
function forms(secret: string, user?: string): string[] {
  const out = [secret, Buffer.from(secret).toString('base64')];
  for (const u of [user, 'x-access-token', 'oauth2', 'git'].filter(Boolean)) out.push(Buffer.from(`${u}:${secret}`).toString('base64'));
  return out;
}

/** Where the secret was found, or []; the add-mask commands are the only lines allowed to carry it. */
function leaks(r: ActionRun, secret: string, user?: string): string[] {
  const found: string[] = [];
  const masks = parseWorkflowCommands(r.stdout).filter((c) => c.command === 'add-mask').map((c) => c.line);
  const lines = r.stdout.split(/\r\n|\r|\n/);
  const places: Record<string, string> = {
    stdout: lines.filter((_, i) => !masks.includes(i)).join('\n'),
    stderr: r.stderr,
    summary: r.summary,
    outputs: JSON.stringify(r.outputs),
    env: JSON.stringify(r.exportedEnv),
    state: r.state,
  };
  for (const f of forms(secret, user)) {
    for (const [where, text] of Object.entries(places)) if (text.includes(f)) found.push(`${where} contains ${f === secret ? 'the secret' : `an encoding of it (${f})`}`);
  }
  return found;
}

const explain = (r: ActionRun) => `exit ${r.exitCode}\nerrors: ${r.errors.join('\n')}`;

let registry: SandboxRegistry;
const cleanups: (() => void)[] = [];
beforeAll(async () => {
  registry = await startRegistry({ auth: 'token', users: [{ username: REGISTRY_USER, password: REGISTRY_SECRET }] });
});
afterAll(async () => {
  await registry?.stop();
  for (const c of cleanups) c();
});

function workspace(): string {
  const t = tempDir('d2-secrets-ws-');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('push-artifact and release-artifact: registry-password', () => {
  let ws: string;
  beforeAll(async () => {
    ws = workspace();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(`${ws}/components/app`, { recursive: true });
    writeFileSync(`${ws}/components/app/cm.yaml`, 'kind: ConfigMap\nmetadata:\n  name: app\n');
  });

  it.each([
    ['push-artifact', REGISTRY_SECRET, 0],
    ['push-artifact', WRONG, 1],
    ['release-artifact', REGISTRY_SECRET, 0],
    ['release-artifact', WRONG, 1],
  ] as const)('%s with password %s (exit %d)', async (action, password, exit) => {
    const r = await runActionBundle(action, {
      workspace: ws,
      ref: action === 'release-artifact' ? 'refs/tags/app/v1.0.0' : 'refs/heads/main',
      inputs: {
        ...(action === 'push-artifact' ? { path: 'components/app', 'diff-tag': 'latest' } : { path: 'components/{component}' }),
        repository: action === 'push-artifact' ? `${registry.host}/acme/app` : `${registry.host}/acme/{component}`,
        'registry-username': REGISTRY_USER,
        'registry-password': password,
        sign: 'false',
      },
      env: { RUNNER_DEBUG: '1', ACTIONS_STEP_DEBUG: 'true' },
    });
    expect(r.exitCode, explain(r)).toBe(exit);
    if (exit === 1) expect(r.errors.join('\n')).toMatch(/401|denied|unauthorized|credentials/i);
    expect(leaks(r, password, REGISTRY_USER)).toEqual([]);
  });
});

describe('e2e-update: token and registry-credentials', () => {
  let git: SandboxGitServer;
  let docker: string;
  const image = () => `${registry.host}/acme/img`;
  beforeAll(async () => {
    git = await startGitServer();
    docker = workspace();
    const client = new RegistryClient({ credentials: new StaticCredentials({ [registry.host]: { username: REGISTRY_USER, password: REGISTRY_SECRET } }) });
    const repo = { registry: registry.host, repository: 'acme/img' };
    const digest = await pushTinyArtifact(client, repo, 'img');
    await client.tag(repo, digest, ['1.0.0', '1.1.0']);
    client.close();
    await seedGitRepo(git, 'acme/apps', {
      'policies/img.yaml': imagePolicyYaml('img', image(), 'semver:\n  range: 1.x'),
      'components/app.yaml': `image: ${image()}:1.0.0 # {"$imagepolicy": "apps:img"}\n`,
    });
  });
  afterAll(async () => {
    await git?.stop();
  });

  const creds = (password: string) => JSON.stringify({ [registry.host]: { username: REGISTRY_USER, password } });

  it.each([
    ['both right (pushes the update)', (): string => git.token, REGISTRY_SECRET, 0],
    ['a wrong git token', (): string => WRONG, REGISTRY_SECRET, 1],
    ['a wrong registry password', (): string => git.token, WRONG, -1],
  ] as const)('%s', async (_, token, password, exit) => {
    const r = await runActionBundle('e2e-update', {
      inputs: { repository: `${git.url}/acme/apps.git`, 'policies-path': 'policies', namespace: 'apps', 'update-path': 'components', token: token(), 'registry-credentials': creds(password) },
      env: { DOCKER_CONFIG: docker, RUNNER_DEBUG: '1' },
    });
    if (exit >= 0) expect(r.exitCode, explain(r)).toBe(exit);
    // A wrong registry password is a policy error (reported, not fatal unless fail-on-policy-error).
    else expect(r.summary + r.warnings.join('\n')).toMatch(/401|denied|unauthorized|credentials/i);
    expect(leaks(r, token(), 'x-access-token')).toEqual([]);
    expect(leaks(r, password, REGISTRY_USER)).toEqual([]);
  });
});

describe('image-updates-pr: token', () => {
  let git: SandboxGitServer;
  let gh: GitHubEmulator;
  beforeAll(async () => {
    OpenApiValidator.warmUp();
    git = await startGitServer();
    gh = await startGitHubEmulator({ git, tokens: [GITHUB_TOKEN] });
    await gh.addRepo('acme/pr', { defaultBranch: 'main' });
    await seedGitRepo(git, 'acme/pr', { 'app.yaml': 'image: x:1.0.0\n' });
    const t = tempDir('d2-secrets-pr-');
    cleanups.push(t.cleanup);
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { writeFileSync } = await import('node:fs');
    const g = (...args: string[]) => promisify(execFile)('git', ['-c', 'user.name=bot', '-c', 'user.email=bot@example.com', ...args], { cwd: t.dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    await g('clone', '-q', git.authUrl('acme/pr'), '.');
    await g('checkout', '-q', '-b', 'image-updates');
    writeFileSync(`${t.dir}/app.yaml`, 'image: x:1.1.0\n');
    await g('commit', '-q', '-am', 'Bump x to 1.1.0');
    await g('push', '-q', 'origin', 'image-updates');
  });
  afterAll(async () => {
    await gh?.stop();
    await git?.stop();
  });

  it.each([
    [GITHUB_TOKEN, 0],
    [`ghs_${WRONG}`, 1],
  ] as const)('token %s (exit %d)', async (token, exit) => {
    const r = await runActionBundle('image-updates-pr', {
      repository: 'acme/pr',
      inputs: { token },
      env: { GITHUB_API_URL: gh.url, GITHUB_GRAPHQL_URL: gh.graphqlUrl, GITHUB_SERVER_URL: gh.serverUrl, RUNNER_DEBUG: '1' },
    });
    expect(r.exitCode, explain(r)).toBe(exit);
    expect(leaks(r, token)).toEqual([]);
  });
});
