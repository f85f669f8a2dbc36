import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type SandboxGitServer } from '../src/git-server.js';

const execFileAsync = promisify(execFile);

// The real git CLI as the client: no credential helpers, never prompt.
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const ident = ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'credential.helper='];

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', [...ident, ...args], { cwd, env: gitEnv });
  return stdout.trim();
}

async function gitFails(cwd: string, ...args: string[]): Promise<string> {
  try {
    await execFileAsync('git', [...ident, ...args], { cwd, env: gitEnv });
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`git ${args.join(' ')} unexpectedly succeeded`);
}

describe('sandbox git server (smart HTTP via git http-backend, Basic auth)', () => {
  let server: SandboxGitServer;
  const work = mkdtempSync(join(tmpdir(), 'd2-git-test-'));

  beforeAll(async () => {
    server = await startGitServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('creates bare repositories with the default branch main and receive-pack enabled', async () => {
    const repo = await server.createRepo('acme/fleet');
    expect(repo.url).toBe(`${server.url}/acme/fleet.git`);
    expect(existsSync(join(repo.path, 'HEAD'))).toBe(true);
    expect(readFileSync(join(repo.path, 'HEAD'), 'utf8').trim()).toBe('ref: refs/heads/main');
    expect(await git(repo.path, 'config', 'http.receivepack')).toBe('true');
    expect(server.username).toBe('x-access-token');
    expect(server.token).toMatch(/^ghs_[0-9a-f]{36}$/);
  });

  it('clones, pushes and clones again over HTTP with the token', async () => {
    await server.createRepo('acme/apps');
    const a = join(work, 'a');
    await git(work, 'clone', '--quiet', server.authUrl('acme/apps'), a);
    writeFileSync(join(a, 'README.md'), 'hello\n');
    await git(a, 'add', 'README.md');
    await git(a, 'commit', '--quiet', '-m', 'first');
    await git(a, 'push', '--quiet', 'origin', 'HEAD:main');
    await git(a, 'checkout', '--quiet', '-b', 'image-updates');
    writeFileSync(join(a, 'app.yaml'), 'image: nginx:1.0.0 # {"$imagepolicy": "apps:nginx"}\n');
    await git(a, 'add', 'app.yaml');
    await git(a, 'commit', '--quiet', '-m', 'update');
    await git(a, 'push', '--quiet', 'origin', 'image-updates');
    const local = await git(a, 'rev-parse', 'HEAD');

    // The bare repository holds the pushed refs.
    expect(await git(server.repoPath('acme/apps'), 'rev-parse', 'refs/heads/image-updates')).toBe(local);

    const b = join(work, 'b');
    await git(work, 'clone', '--quiet', server.authUrl('acme/apps'), b);
    expect(readFileSync(join(b, 'README.md'), 'utf8')).toBe('hello\n');
    expect(await git(b, 'rev-parse', 'origin/image-updates')).toBe(local);
    expect(await git(b, 'ls-remote', server.authUrl('acme/apps'), 'refs/heads/main')).toContain('refs/heads/main');
  });

  it('refuses a wrong token and a missing one with 401 + WWW-Authenticate', async () => {
    await server.createRepo('acme/private');
    const wrong = new URL(`${server.url}/acme/private.git`);
    wrong.username = 'x-access-token';
    wrong.password = 'ghs_wrong';
    const before = server.stats.unauthorized;
    const stderr = await gitFails(work, 'ls-remote', wrong.toString());
    expect(stderr).toMatch(/Authentication failed|401/);
    expect(server.stats.unauthorized).toBeGreaterThan(before);

    const res = await fetch(`${server.url}/acme/private.git/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('accepts configured users only', async () => {
    const custom = await startGitServer({ users: [{ username: 'alice', password: 's3cret' }] });
    try {
      await custom.createRepo('alice/repo');
      expect(custom.authUrl('alice/repo')).toContain('alice:s3cret@');
      expect(await git(work, 'ls-remote', custom.authUrl('alice/repo'))).toBe('');
      const bob = new URL(`${custom.url}/alice/repo.git`);
      bob.username = 'bob';
      bob.password = 's3cret';
      expect(await gitFails(work, 'ls-remote', bob.toString())).toMatch(/Authentication failed|401/);
    } finally {
      await custom.stop();
    }
  });

  it('rejects malformed repository names', async () => {
    await expect(server.createRepo('../etc')).rejects.toThrow(/owner\/name/);
    expect(() => server.authUrl('no-owner')).toThrow(/owner\/name/);
  });
});
