/**
 * `d2 update --group-by/--branch-template` and `--signing-key` (the e2e-update inputs group-by, branch-template and
 * signing-key; docs/image-automation.md "Change groups", "Commit signing"), in-process through runCli against the
 * sandbox git server and registry: one branch per component, a signed commit that git verify-commit accepts, and bad
 * input refused with exit 2 before any git request.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type Io } from '../../packages/cli/src/cli.js';
import { commands } from '../../packages/cli/src/commands/index.js';
import { startUpdateWorld, type UpdateWorld } from '../actions/e2e-update/update-fixture.js';

describe('d2 update --group-by / --signing-key', () => {
  let w: UpdateWorld;
  beforeAll(async () => {
    w = await startUpdateWorld();
  });
  afterAll(async () => w?.stop());

  async function d2(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: w.tmp(), GIT_TOKEN: w.server.token, ...env } };
    const code = await runCli(commands, args, '0.0.0-test', io);
    return { code, out, err };
  }
  const direct = (name: string) => ['update', '--repository', `${w.server.url}/acme/${name}.git`, '--policies-path', 'policies', '--namespace', 'apps', '--update-path', 'components', '--author-name', 'D2 Bot', '--author-email', 'bot@example.com'];

  it('--group-by component: one branch per component and other', async () => {
    await w.createRepo('cli-grp');
    await w.release('cli-grp', '1.1.0');
    const r = await d2([...direct('cli-grp'), '--group-by', 'component', '-o', 'json']);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out) as { commits: Array<{ branch: string }> };
    expect(res.commits.map((c) => c.branch).sort()).toEqual(['image-updates/backend', 'image-updates/frontend', 'image-updates/other']);
    expect(w.bare('cli-grp', 'diff', '--name-only', 'main', 'image-updates/frontend').trim()).toBe('components/frontend/deploy.yaml');
  });

  it('--signing-key with a protected SSH key and $D2_SIGNING_PASSPHRASE: git verify-commit accepts the commit', async () => {
    await w.createRepo('cli-sign');
    await w.release('cli-sign', '1.1.0');
    const d = w.tmp();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'cli-pass', '-C', 'bot', '-f', join(d, 'id')]);
    const noPass = await d2([...direct('cli-sign'), '--signing-key', join(d, 'id')]);
    expect(noPass.code).toBe(2);
    expect(noPass.err).toMatch(/passphrase protected SSH signing key/);
    const r = await d2([...direct('cli-sign'), '--signing-key', join(d, 'id')], { D2_SIGNING_PASSPHRASE: 'cli-pass' });
    expect(r.code, r.err).toBe(0);
    const allowed = join(d, 'allowed');
    writeFileSync(allowed, `bot@example.com ${readFileSync(join(d, 'id.pub'), 'utf8')}`);
    const v = spawnSync('git', ['-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', 'image-updates'], { cwd: w.server.repoPath('acme/cli-sign'), encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect(r.out + r.err).not.toContain('cli-pass');
  });

  it('bad --group-by, --branch-template or --commit-via: exit 2 before any git request', async () => {
    await w.createRepo('cli-bad');
    const before = w.server.stats.requests;
    for (const [args, expected] of [
      [['--group-by', 'team'], /must be one of none, component, policy/],
      [['--group-by', 'policy', '--branch-template', 'updates'], /renders the same branch 'updates' for every group/],
      [['--commit-via', 'rest'], /--commit-via must be git or api/],
    ] as const) {
      const r = await d2([...direct('cli-bad'), ...args]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(expected);
    }
    expect(w.server.stats.requests).toBe(before);
  });
});
