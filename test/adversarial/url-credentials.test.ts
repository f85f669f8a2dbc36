/**
 * Credentials in a URL never reach a log, a step summary, an output, CLI text or `-o json` (docs/security.md): a git
 * URL or a registry reference carrying a token is refused with the URL shown as `scheme://***@host/…`, and text that
 * quotes a URL (git's own stderr, registry and proxy errors) is redacted the same way by the one helper
 * (redactUrl / redactUrls in @d2/core/util).
 *
 * The actions run through their committed bundles, the CLI through packages/cli/dist (built by scripts/build.mjs),
 * against the sandbox registry and git server. Every byte each run wrote is searched for the token.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Git } from '@d2/core/git';
import { fleetRepo, writeTree } from '@d2/sandbox/d2-repos';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { repoRoot } from '@d2/sandbox/paths';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { runActionBundle, type ActionRun } from '@d2/sandbox/runner';
import { commitAndPush, scratchDirs } from '../support/update-stack.js';

/** The summary's text as a reader sees it: Markdown backslash escapes (util/markdown.ts) removed. */
const unescapeMarkdown = (md: string) => md.replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, '$1');

/** The secret under test: never passed as the `token` input, so the runner has no ::add-mask:: for it. */
const SECRET = 'ghp_UrlCredentialSecret0123456789abcdef';
const execFileAsync = promisify(execFile);
const cli = join(repoRoot(), 'packages', 'cli', 'dist', 'd2.cjs');

/** Everything an action run left behind: log, summary, outputs, exported environment. */
const everything = (r: ActionRun) => [r.stdout, r.stderr, r.summary, JSON.stringify(r.outputs), JSON.stringify(r.exportedEnv)].join('\n');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe('URL credentials never reach logs, summaries, outputs or CLI output (adversarial)', () => {
  let reg: SandboxRegistry;
  let server: SandboxGitServer;
  let emptyDockerConfig: string;
  const tmp = scratchDirs('d2-adv-creds-');
  /** http://<userinfo>@127.0.0.1:P/<path> */
  const withUserinfo = (userinfo: string, path: string) => server.url.replace('://', `://${userinfo}@`) + path;

  /** Runs the built CLI (asynchronously: the sandbox servers answer from this process). */
  async function d2(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    try {
      const r = await execFileAsync(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: emptyDockerConfig, ...env }, timeout: 120_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    if (!existsSync(cli)) await execFileAsync(process.execPath, [join(repoRoot(), 'scripts', 'build.mjs'), '--cli', '--quiet'], { cwd: repoRoot() });
    reg = await startRegistry({ auth: 'anonymous' });
    server = await startGitServer();
    emptyDockerConfig = tmp();
    await server.createRepo('acme/apps');
    await commitAndPush(tmp(), {
      'policies/a.yaml': `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: a
spec:
  image: x-access-token:${SECRET}@${reg.host}/apps/a
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: a
spec:
  imageRepositoryRef:
    name: a
  policy:
    semver:
      range: ">=1.0.0"
`,
      'a/deploy.yaml': `image: ${reg.host}/apps/a:1.0.0 # {"$imagepolicy": "apps:a"}\n`,
    }, server.authUrl('acme/apps'));
  });
  afterAll(async () => {
    await server?.stop();
    await reg?.stop();
    tmp.cleanup();
  });

  const directUpdate = (repository: string, env: Record<string, string> = {}) =>
    runActionBundle('e2e-update', {
      inputs: { repository, 'policies-path': 'policies', namespace: 'apps', token: server.token },
      env: { DOCKER_CONFIG: emptyDockerConfig, ...env },
    });

  it('e2e-update refuses a git URL with user:token or token@ without printing the token (header, error, summary, outputs)', async () => {
    for (const userinfo of [`x-access-token:${SECRET}`, SECRET, `${SECRET}:x-oauth-basic`]) {
      const requests = server.stats.requests;
      const run = await directUpdate(withUserinfo(userinfo, '/acme/apps.git'));
      expect(run.exitCode, run.stdout).toBe(1);
      expect(run.errors.join('\n')).toMatch(/must not contain credentials/);
      expect(run.errors.join('\n')).toContain(withUserinfo('***', '/acme/apps.git'));
      expect(unescapeMarkdown(run.summary)).toContain(withUserinfo('***', '/acme/apps.git'));
      expect(everything(run)).not.toContain(SECRET);
      expect(server.stats.requests, 'refused before any request').toBe(requests);
    }
  });

  it('e2e-update fleet mode: GitRepository URLs with credentials are never printed', async () => {
    const fleet = tmp();
    writeTree(fleet, fleetRepo({ owner: 'acme', registry: reg.host, appsGitUrl: withUserinfo(`x-access-token:${SECRET}`, '/acme/d2-apps.git'), infraGitUrl: withUserinfo(SECRET, '/acme/d2-infra.git') }));
    const run = await runActionBundle('e2e-update', {
      workspace: fleet,
      repository: 'acme/d2-fleet',
      inputs: { automation: 'clusters/update', token: server.token },
      env: { DOCKER_CONFIG: emptyDockerConfig },
    });
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.stdout).toContain('::group::');
    expect(run.errors.join('\n')).toMatch(/must not contain credentials/);
    expect(everything(run)).not.toContain(SECRET);
  });

  it("git's own stderr quoting a URL with credentials (insteadOf rewrite, remote helper) is redacted", async () => {
    const bin = tmp();
    const helper = join(bin, 'git-remote-d2fake');
    writeFileSync(helper, "#!/bin/sh\necho \"fatal: unable to access '$2': The requested URL returned error: 403\" >&2\nexit 128\n");
    chmodSync(helper, 0o755);
    const gitconfig = join(tmp(), 'gitconfig');
    writeFileSync(gitconfig, `[url "d2fake://x-access-token:${SECRET}@127.0.0.1/"]\n\tinsteadOf = ${server.url}/\n`);
    const env = { PATH: `${bin}:${process.env.PATH ?? ''}`, GIT_CONFIG_GLOBAL: gitconfig };

    // The Git wrapper itself: the error and the logged command lines.
    const lines: string[] = [];
    const g = new Git(tmp(), { env, log: (l) => lines.push(l) });
    const err = await g.run(['ls-remote', `${server.url}/acme/apps.git`]).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toContain("unable to access 'd2fake://***@127.0.0.1/acme/apps.git'");
    expect(`${err?.message}\n${lines.join('\n')}`).not.toContain(SECRET);

    // Through the action.
    const run = await directUpdate(`${server.url}/acme/apps.git`, env);
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.errors.join('\n')).toContain('d2fake://***@127.0.0.1/');
    expect(everything(run)).not.toContain(SECRET);
  });

  it('an ImageRepository image with credentials is refused naming the image without them (log, summary, CLI text and json)', async () => {
    const run = await runActionBundle('e2e-update', {
      inputs: { repository: `${server.url}/acme/apps.git`, 'policies-path': 'policies', namespace: 'apps', token: server.token, 'dry-run': 'true' },
      env: { DOCKER_CONFIG: emptyDockerConfig },
    });
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.errors.join('\n')).toContain(`***@${reg.host}/apps/a`);
    expect(unescapeMarkdown(run.summary)).toContain(`***@${reg.host}/apps/a`);
    expect(everything(run)).not.toContain(SECRET);

    const args = ['update', '--repository', `${server.url}/acme/apps.git`, '--policies-path', 'policies', '--namespace', 'apps', '--dry-run', '--token', server.token];
    for (const output of ['text', 'json']) {
      const r = await d2([...args, '-o', output]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`***@${reg.host}/apps/a`);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      if (output === 'json') expect((JSON.parse(r.stdout) as { errors: Array<{ message: string }> }).errors[0].message).toContain(`***@${reg.host}/apps/a`);
    }
  });

  it('d2 update refuses a git URL with credentials: error line and -o json without the token', async () => {
    for (const output of ['text', 'json']) {
      const r = await d2(['update', '--repository', withUserinfo(`x-access-token:${SECRET}`, '/acme/apps.git'), '--policies-path', 'policies', '--namespace', 'apps', '-o', output], { GIT_TOKEN: server.token });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/must not contain credentials/);
      expect(r.stderr).toContain(withUserinfo('***', '/acme/apps.git'));
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      if (output === 'json') expect((JSON.parse(r.stdout) as { errors: Array<{ repository: string }> }).errors[0].repository).toBe(withUserinfo('***', '/acme/apps.git'));
    }
  });

  it('registry references with credentials (d2 tag, push-artifact) are refused without printing the token', async () => {
    for (const ref of [`oci://x-access-token:${SECRET}@${reg.host}/apps/a:1.0.0`, `${SECRET}@${reg.host}/apps/a:1.0.0`, `user:${SECRET}@${reg.host}/apps/a:1.0.0`]) {
      for (const output of ['text', 'json']) {
        const r = await d2(['tag', ref, '--tags', 'latest', '-o', output]);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/credentials/);
        expect(r.stdout + r.stderr).not.toContain(SECRET);
      }
    }
    const ws = tmp();
    mkdirSync(join(ws, 'components', 'web'), { recursive: true });
    writeFileSync(join(ws, 'components', 'web', 'a.yaml'), 'a: 1\n');
    const run = await runActionBundle('push-artifact', {
      workspace: ws,
      inputs: { repository: `oci://x-access-token:${SECRET}@${reg.host}/acme/{component}`, path: 'components/{component}', components: 'web' },
    });
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.errors.join('\n')).toMatch(/credentials/);
    expect(everything(run)).not.toContain(SECRET);
  });

  it('a proxy URL with credentials is never printed (invalid proxy, debug logging)', async () => {
    const r = await d2(['tag', `oci://${reg.host}/apps/a:1.0.0`, '--tags', 'latest'], { HTTPS_PROXY: `http://user:${SECRET}@bad host:3128`, D2_DEBUG: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/HTTPS_PROXY/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });
});
