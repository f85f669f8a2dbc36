/**
 * Every request has a deadline and every run a time limit (docs/registry-client.md "Deadlines and the time limit"):
 * a server that trickles one byte at a time (so a socket inactivity timer restarts on every byte and never fires) or
 * never answers at all must not hold a run longer than its `timeout` input / `--timeout` flag, and the error names
 * the request (method and path) and the host that ran out of time. Run against the built CLI
 * (packages/cli/dist/d2.cjs, `node scripts/build.mjs --cli`) and the committed action bundles; the in-process cases
 * check the per-request deadline and that retries stop when the time limit is spent.
 *
 * Nothing here asserts a duration: the tests' own vitest timeouts bound them. Code without deadlines hangs until
 * vitest (or the runner's kill timer) stops it, and the assertions on the error fail.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctokit } from '@d2/core/github';
import { RegistryClient } from '@d2/core/oci';
import { TimeBudget } from '@d2/core/util';
import { startFaultProxy, type FaultProxy } from '@d2/sandbox/fault-proxy';
import { repoRoot } from '@d2/sandbox/paths';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { runActionBundle } from '@d2/sandbox/runner';
import { startStallingServer, type StallingServer } from '@d2/sandbox/stalling-server';

const bin = join(repoRoot(), 'packages', 'cli', 'dist', 'd2.cjs');
const scratch = mkdtempSync(join(tmpdir(), 'd2-adv-deadlines-'));
const emptyDockerConfig = join(scratch, 'docker-empty');
mkdirSync(emptyDockerConfig);

function d2(args: string[], killAfterMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: emptyDockerConfig, NO_PROXY: '*' };
    const child = spawn(process.execPath, [bin, ...args], { cwd: scratch, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

let n = 0;
function componentDir(): string {
  const dir = join(scratch, `ws-${n++}`);
  mkdirSync(join(dir, 'components', 'app'), { recursive: true });
  writeFileSync(join(dir, 'components', 'app', 'deploy.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n');
  return dir;
}

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });

/** A local git repository with one ImageRepository/ImagePolicy for `image` and a file with its setter marker. */
function policyRepo(image: string): string {
  const dir = join(scratch, `repo-${n++}`);
  mkdirSync(join(dir, 'update-policies'), { recursive: true });
  mkdirSync(join(dir, 'deploy'), { recursive: true });
  writeFileSync(
    join(dir, 'update-policies', 'app.yaml'),
    `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\nspec:\n  image: ${image}\n  insecure: true\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\nspec:\n  imageRepositoryRef:\n    name: app\n  policy:\n    semver:\n      range: ">=1.0.0"\n`,
  );
  writeFileSync(join(dir, 'deploy', 'app.yaml'), `apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: ${image}:1.0.0 # {"$imagepolicy": "apps:app"}\n`);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=seed', '-c', 'user.email=seed@example.com', 'commit', '-q', '-m', 'initial');
  return dir;
}

let trickle: StallingServer;
let silent: StallingServer;
beforeAll(async () => {
  [trickle, silent] = await Promise.all([startStallingServer({ mode: 'trickle', intervalMs: 300 }), startStallingServer({ mode: 'silent' })]);
});
afterAll(async () => {
  await Promise.all([trickle?.stop(), silent?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

/** The request line of `server` that a message must name, as `METHOD /path` and the host. */
function namesRequest(text: string, server: StallingServer, method: string, path: RegExp): void {
  expect(text).toMatch(/ran out of time/);
  expect(text).toContain(server.host);
  const m = new RegExp(`(${method}) (/\\S*) to `).exec(text);
  expect(m, text).not.toBeNull();
  expect(m?.[2]).toMatch(path);
  // The request it names is one the server really received.
  expect(server.requests.some((r) => r === `${m?.[1]} ${m?.[2]}` || r.startsWith(`${m?.[1]} ${m?.[2]}?`)), server.requests.join('\n')).toBe(true);
}

describe('d2 CLI (built bundle): --timeout bounds the whole command', () => {
  it('d2 tag against a registry that trickles one byte at a time fails at --timeout, naming the request and host', async () => {
    const r = await d2(['tag', `oci://${trickle.host}/acme/app:v1`, '--tags', 'v2', '--timeout', '3s']);
    expect(r.code, r.stderr).toBe(1);
    namesRequest(r.stderr, trickle, 'GET', /^\/v2\/acme\/app\/manifests\/v1$/);
    expect(r.stderr).toMatch(/--timeout 3s/);
    expect(r.stderr).toMatch(/hint: /);
    // It really was trickling: bytes kept arriving, so an inactivity timer alone would never have fired.
    expect(trickle.bytesSent).toBeGreaterThan(3);
  }, 45_000);

  it('d2 tag against a registry that never answers fails at --timeout, naming the request and host', async () => {
    const r = await d2(['tag', `oci://${silent.host}/acme/app:v1`, '--tags', 'v2', '--timeout', '3s']);
    expect(r.code, r.stderr).toBe(1);
    namesRequest(r.stderr, silent, 'GET', /^\/v2\/acme\/app\/manifests\/v1$/);
  }, 45_000);

  it('d2 push against a trickling registry fails at --timeout, naming the request and host', async () => {
    const dir = componentDir();
    const r = await d2(['push', join(dir, 'components', 'app'), `oci://${trickle.host}/acme/push:v1`, '--timeout', '3s']);
    expect(r.code, r.stderr).toBe(1);
    namesRequest(r.stderr, trickle, '(?:GET|HEAD|POST|PUT)', /^\/v2\/acme\/push\//);
  }, 45_000);

  it('d2 pr against a GitHub API that trickles fails at --timeout, naming the request and host', async () => {
    const r = await d2(['pr', '--repository', 'acme/app', '--token', 'ghp_notarealtoken000000000000000000000000', '--api-url', trickle.url, '--timeout', '3s']);
    expect(r.code, r.stderr).toBe(1);
    namesRequest(r.stderr, trickle, '(?:GET|POST|PATCH)', /^\/repos\/acme\/app/);
    expect(r.stderr).not.toContain('ghp_notarealtoken');
  }, 45_000);

  it.each([['0'], ['banana'], ['-5s'], ['1d'], ['25h']])('--timeout %s is a usage error before any request', async (value) => {
    const before = silent.requests.length;
    const r = await d2(['tag', `oci://${silent.host}/acme/app:v1`, '--tags', 'v2', `--timeout=${value}`]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--timeout/);
    expect(r.stderr).toMatch(/hint: .*5m/);
    expect(silent.requests.length).toBe(before);
  }, 45_000);
});

describe('action bundles: the `timeout` input bounds the whole run', () => {
  it('push-artifact against a trickling registry fails at `timeout`, naming the request and host', async () => {
    const ws = componentDir();
    const run = await runActionBundle('push-artifact', {
      workspace: ws,
      inputs: { repository: `${trickle.host}/acme/pa`, path: 'components/app', sign: 'false', timeout: '3s' },
      env: { DOCKER_CONFIG: emptyDockerConfig },
      timeoutMs: 60_000,
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.length, run.stdout).toBeGreaterThan(0);
    namesRequest(run.errors.join('\n'), trickle, '(?:GET|HEAD|POST|PUT)', /^\/v2\/acme\/pa\//);
    expect(run.errors.join('\n')).toMatch(/timeout: 3s/);
  }, 60_000);

  it('release-artifact against a registry that never answers fails at `timeout`, naming the request and host', async () => {
    const ws = componentDir();
    const run = await runActionBundle('release-artifact', {
      workspace: ws,
      repository: 'acme/d2-apps',
      ref: 'refs/tags/app/v1.0.0',
      inputs: { repository: `${silent.host}/acme/{component}`, sign: 'false', timeout: '3s' },
      env: { DOCKER_CONFIG: emptyDockerConfig },
      timeoutMs: 60_000,
    });
    expect(run.exitCode).toBe(1);
    namesRequest(run.errors.join('\n'), silent, '(?:GET|HEAD|POST|PUT)', /^\/v2\/acme\/app\//);
  }, 60_000);

  it('e2e-update against a registry that trickles fails at `timeout`, naming the tag list request and host', async () => {
    const repo = policyRepo(`${trickle.host}/acme/scan`);
    const run = await runActionBundle('e2e-update', {
      repository: 'acme/fleet',
      inputs: { repository: repo, 'policies-path': 'update-policies', namespace: 'apps', 'dry-run': 'true', 'fail-on-policy-error': 'true', timeout: '4s' },
      env: { DOCKER_CONFIG: emptyDockerConfig },
      timeoutMs: 60_000,
    });
    expect(run.exitCode).toBe(1);
    namesRequest(run.stdout, trickle, 'GET', /^\/v2\/acme\/scan\/tags\/list$/);
  }, 60_000);

  it('e2e-update: a git clone from a server that trickles is killed at `timeout`, naming git clone and the host', async () => {
    const run = await runActionBundle('e2e-update', {
      repository: 'acme/fleet',
      inputs: { repository: `${trickle.url}/acme/apps.git`, 'policies-path': 'update-policies', namespace: 'apps', timeout: '3s', token: 'ghp_notarealtoken000000000000000000000000' },
      env: { DOCKER_CONFIG: emptyDockerConfig, GIT_CONFIG_NOSYSTEM: '1' },
      timeoutMs: 60_000,
    });
    expect(run.exitCode).toBe(1);
    const text = run.errors.join('\n');
    expect(text).toMatch(/git clone/);
    expect(text).toMatch(/ran out of time/);
    expect(text).toContain(trickle.host);
    expect(run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n')).not.toContain('ghp_notarealtoken');
  }, 60_000);

  it('image-updates-pr against a GitHub API that trickles fails at `timeout`, naming the request and host', async () => {
    const run = await runActionBundle('image-updates-pr', {
      repository: 'acme/app',
      inputs: { token: 'ghp_notarealtoken000000000000000000000000', timeout: '3s' },
      env: { GITHUB_API_URL: trickle.url, GITHUB_GRAPHQL_URL: `${trickle.url}/graphql`, GITHUB_SERVER_URL: trickle.url },
      timeoutMs: 60_000,
    });
    expect(run.exitCode).toBe(1);
    namesRequest(run.errors.join('\n'), trickle, '(?:GET|POST|PATCH)', /^\/repos\/acme\/app/);
  }, 60_000);

  it.each([['push-artifact'], ['release-artifact'], ['e2e-update'], ['image-updates-pr']])('%s: an invalid `timeout` fails before any request', async (action) => {
    const before = silent.requests.length;
    const ws = componentDir();
    const run = await runActionBundle(action, {
      workspace: ws,
      repository: 'acme/app',
      ref: 'refs/tags/app/v1.0.0',
      inputs: { repository: `${silent.host}/acme/app`, path: 'components/app', sign: 'false', 'policies-path': 'p', namespace: 'apps', timeout: 'soon' },
      env: { DOCKER_CONFIG: emptyDockerConfig, GITHUB_API_URL: silent.url, GITHUB_GRAPHQL_URL: `${silent.url}/graphql` },
      timeoutMs: 60_000,
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors.join('\n')).toMatch(/input 'timeout'/);
    expect(silent.requests.length).toBe(before);
  }, 60_000);
});

describe('in process: the per-request deadline, and retries stop when the time limit is spent', () => {
  let registry: SandboxRegistry;
  let proxy: FaultProxy;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'anonymous' });
    proxy = await startFaultProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('a trickling answer is cut at the per-request deadline (not an inactivity timer) and retried', async () => {
    const start = trickle.requests.length;
    const c = new RegistryClient({ credentials: { get: async () => undefined }, requestTimeoutMs: 1000, retry: { attempts: 2, baseMs: 10, maxMs: 10 } });
    const err = (await c.listTags({ registry: trickle.host, repository: 'acme/rt' }).catch((e: unknown) => e)) as Error & { code?: string; hint?: string };
    c.close();
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('REGISTRY_TIMEOUT');
    expect(err.message).toMatch(/GET \/v2\/acme\/rt\/tags\/list/);
    expect(err.message).toContain(trickle.host);
    expect(err.message).toMatch(/per-request deadline/);
    // Cut, then retried once (attempts: 2): two requests reached the server.
    expect(trickle.requests.slice(start).filter((r) => r.startsWith('GET /v2/acme/rt/tags/list'))).toHaveLength(2);
  }, 30_000);

  it('retries stop when the time limit is spent: a registry answering 503 + Retry-After gets fewer attempts than allowed', async () => {
    proxy.clearFaults();
    const rule = proxy.addFault({ method: 'GET', path: /\/tags\/list/, action: { status: 503, retryAfter: 2 } });
    const c = new RegistryClient({ credentials: { get: async () => undefined }, budget: new TimeBudget(3000, '--timeout'), retry: { attempts: 10, retryAfterMaxMs: 5000 } });
    const err = (await c.listTags({ registry: proxy.host, repository: 'acme/503' }).catch((e: unknown) => e)) as Error & { code?: string; status?: number };
    c.close();
    expect(err).toBeInstanceOf(Error);
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/time limit \(--timeout 3s\)/);
    // 10 attempts were allowed; Retry-After 2 s within a 3 s limit leaves room for two.
    expect(rule.hits).toBeGreaterThanOrEqual(1);
    expect(rule.hits).toBeLessThanOrEqual(2);
  }, 30_000);

  it('the GitHub client cuts a trickling answer at its per-request deadline and names the request', async () => {
    const octokit = createOctokit('ghp_notarealtoken000000000000000000000000', { baseUrl: trickle.url, requestTimeoutMs: 1000, serverErrorRetries: 0, warn: () => undefined });
    const err = (await octokit.rest.pulls.list({ owner: 'acme', repo: 'gh' }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/GET \/repos\/acme\/gh\/pulls/);
    expect(err.message).toContain(trickle.host);
    expect(err.message).toMatch(/ran out of time.*per-request deadline/);
  }, 30_000);
});
