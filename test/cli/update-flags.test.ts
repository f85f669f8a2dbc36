/**
 * `d2 update --tokens` and `--substitute-secrets` (the e2e-update inputs of the same names; docs/image-automation.md
 * "A token per repository", "postBuild.substituteFrom Secrets"), run in-process through runCli against the sandbox git
 * server and registry: a repository's own token, and bad input refused with exit 2 before any git request.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { runCli, type Io } from '../../packages/cli/src/cli.js';
import { commands } from '../../packages/cli/src/commands/index.js';
import { remoteBranchSha, seedRepository } from '../../packages/cli/src/demo/git.js';
import { seedImages } from '../../packages/cli/src/demo/images.js';
import { RegistryClient } from '../../packages/core/src/oci/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'd2-cli-update-'));
  dirs.push(d);
  return d;
};

let git: SandboxGitServer;
let registry: SandboxRegistry;
let emptyDockerConfig: string;

async function d2(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: emptyDockerConfig, ...env } };
  const code = await runCli(commands, args, '0.0.0-test', io);
  return { code, out, err };
}

beforeAll(async () => {
  [git, registry] = await Promise.all([startGitServer(), startRegistry({ auth: 'anonymous' })]);
  emptyDockerConfig = tmp();
  const client = new RegistryClient({ credentials: { get: async () => undefined } });
  await seedImages(client, registry.host, 'initial');
  await seedImages(client, registry.host, 'newer');
  client.close();
  const app = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: redis\nspec:\n  template:\n    spec:\n      containers:\n        - name: redis\n          image: ${registry.host}/images/redis:7.4.1 # {"$imagepolicy": "apps:redis"}\n`;
  const policies = `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: redis\nspec:\n  image: ${registry.host}/images/redis\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: redis\nspec:\n  imageRepositoryRef:\n    name: redis\n  policy:\n    semver:\n      range: "~7.4"\n`;
  await git.createRepo('acme/update');
  await seedRepository(git.authUrl('acme/update'), { 'apps/redis.yaml': app, 'policies/redis.yaml': policies }, 'init', tmp());
});
afterAll(async () => {
  await Promise.all([git?.stop(), registry?.stop()]);
  while (dirs.length) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

const direct = () => ['update', '--repository', `${git.url}/acme/update.git`, '--policies-path', 'policies', '--namespace', 'apps', '--update-path', 'apps'];

describe('d2 update --tokens / --substitute-secrets', () => {
  it('--tokens gives the repository its own token (no --token, no GIT_TOKEN)', async () => {
    const r = await d2([...direct(), '--push-branch', 'own-token', '--tokens', `${git.url}/acme/update.git=${git.token}`]);
    expect(r.code, r.err).toBe(0);
    expect(await remoteBranchSha(git.authUrl('acme/update'), 'own-token')).toBeDefined();
    expect(r.err + r.out).not.toContain(git.token);
  });

  it('a repository --tokens does not map, without --token, and bad lines: exit 2 before any git request', async () => {
    const before = git.stats.requests;
    const unmapped = await d2([...direct(), '--tokens', `${git.url}/acme/other=${git.token}`]);
    expect(unmapped.code).toBe(2);
    expect(unmapped.err).toContain(`no token for ${git.url.replace('http://', '')}/acme/update: --tokens does not map it and token is empty`);
    expect(unmapped.err).not.toContain(git.token);
    const bad = await d2([...direct(), '--tokens', 'ghp_only_a_token']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--tokens, line 1: expected <repository>=<token>');
    expect(bad.err).not.toContain('ghp_only_a_token');
    const secrets = await d2([...direct(), '--substitute-secrets', 'apps/s.KEY=VALUE'], { GIT_TOKEN: git.token, VALUE: 'v' });
    expect(secrets.code).toBe(2);
    expect(secrets.err).toContain('--substitute-secrets applies to fleet mode only');
    const unset = await d2(['update', '--automation', 'clusters/update', '--substitute-secrets', 'apps/s.KEY=NOT_SET'], { GIT_TOKEN: git.token });
    expect(unset.code).toBe(2);
    expect(unset.err).toContain('environment variable NOT_SET (for apps/s.KEY) is not set');
    expect(git.stats.requests).toBe(before);
  });
});
