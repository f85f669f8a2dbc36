/**
 * The release's tag moves (scripts/release/release.ts moveFloatingTags, RELEASING.md "Cutting a release") against the
 * sandbox's GitHub emulator — real git refs, every request and answer checked against GitHub's OpenAPI description:
 * vX and vX.Y go only to the commit the release tag points to and only forward; nothing moves when the release tag is
 * missing or was moved; failures carry a hint and leave a state a re-run completes; every request has a deadline;
 * the token never reaches the output.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { BareRepo, OpenApiValidator, startGitHubEmulator, type GitHubEmulator } from '@d2/sandbox/github-emulator';
import { repoRoot } from '@d2/sandbox/paths';
import { startStallingServer } from '@d2/sandbox/stalling-server';
import { moveFloatingTags, ReleaseError, type GitHubRepo } from '../../scripts/release/release.js';
import { runNodeScript } from '../support/node-script.js';

const root = repoRoot();

describe('moving vX and vX.Y through the GitHub REST API (emulator)', () => {
  let git: SandboxGitServer;
  let emulator: GitHubEmulator;
  let repo: BareRepo;
  let gh: GitHubRepo;
  const commits: string[] = [];
  const token = 'ghs_release_test';

  const refAt = (tag: string) => repo.resolve(`refs/tags/${tag}`);
  const writes = () => emulator.requests.filter((r) => r.method !== 'GET');

  async function rejects(p: Promise<unknown>): Promise<ReleaseError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof ReleaseError)) throw new Error(`expected a ReleaseError, got ${String(err)}`);
    return err;
  }

  beforeAll(async () => {
    OpenApiValidator.warmUp();
    git = await startGitServer();
    emulator = await startGitHubEmulator({ git, tokens: [token, { token: 'ghs_read_only', readOnly: true }] });
    const { path } = await emulator.addRepo('acme/d2-actions', { defaultBranch: 'main' });
    repo = new BareRepo(path);
    const who = { name: 'Release', email: 'release@example.com' };
    let parent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const sha = await repo.commitTree('4b825dc642cb6eb9a060e54bf8d69288fbee4904', parent, `commit ${i}`, who);
      commits.push(sha);
      parent = [sha];
    }
    await repo.updateRef('refs/heads/main', commits[4]);
    gh = { apiUrl: emulator.url, repository: 'acme/d2-actions', token };
  });
  afterAll(async () => {
    await emulator?.stop();
    await git?.stop();
  });

  it('the first release creates v1 and v1.0; a re-run changes nothing', async () => {
    await repo.updateRef('refs/tags/v1.0.0', commits[0]);
    expect(await moveFloatingTags(gh, 'v1.0.0', commits[0])).toEqual([
      { tag: 'v1', action: 'created', sha: commits[0] },
      { tag: 'v1.0', action: 'created', sha: commits[0] },
    ]);
    expect([await refAt('v1'), await refAt('v1.0')]).toEqual([commits[0], commits[0]]);
    const before = writes().length;
    expect((await moveFloatingTags(gh, 'v1.0.0', commits[0])).map((m) => m.action)).toEqual(['unchanged', 'unchanged']);
    expect(writes().length).toBe(before);
    expect(emulator.violations).toEqual([]);
  });

  it('a minor release moves v1 (force) and creates v1.1, leaving v1.0', async () => {
    await repo.updateRef('refs/tags/v1.1.0', commits[1]);
    expect(await moveFloatingTags(gh, 'v1.1.0', commits[1])).toEqual([
      { tag: 'v1', action: 'moved', sha: commits[1] },
      { tag: 'v1.1', action: 'created', sha: commits[1] },
    ]);
    expect([await refAt('v1'), await refAt('v1.1'), await refAt('v1.0')]).toEqual([commits[1], commits[1], commits[0]]);
    expect(writes().slice(-2).map((r) => [r.operationId, r.status])).toEqual([
      ['git/update-ref', 200],
      ['git/create-ref', 201],
    ]);
    expect(emulator.violations).toEqual([]);
  });

  it('a patch of an older line moves only its minor tag: v1 stays with the newest release', async () => {
    await repo.updateRef('refs/tags/v1.0.1', commits[2]);
    expect(await moveFloatingTags(gh, 'v1.0.1', commits[2])).toEqual([
      { tag: 'v1', action: 'kept', sha: commits[1], newest: 'v1.1.0' },
      { tag: 'v1.0', action: 'moved', sha: commits[2] },
    ]);
    expect([await refAt('v1'), await refAt('v1.0')]).toEqual([commits[1], commits[2]]);
  });

  it('nothing moves when the release tag is missing or points to another commit than the one built', async () => {
    const before = writes().length;
    const missing = await rejects(moveFloatingTags(gh, 'v1.2.0', commits[3]));
    expect(missing.message).toMatch(/the tag v1\.2\.0 does not exist/);
    await repo.updateRef('refs/tags/v1.2.0', commits[3]);
    const moved = await rejects(moveFloatingTags(gh, 'v1.2.0', commits[4]));
    expect(moved.message).toMatch(new RegExp(`v1\\.2\\.0 points to ${commits[3]}, not to the built commit ${commits[4]}; no tag was moved`));
    expect((await rejects(moveFloatingTags(gh, 'v1.2.0', 'HEAD'))).message).toMatch(/not a commit SHA/);
    expect(writes().length).toBe(before);
    expect([await refAt('v1'), await refAt('v1.2')]).toEqual([commits[1], undefined]);
  });

  it('a token that may not write gets the permission hint; a server error leaves a state a re-run completes', async () => {
    const ro = await rejects(moveFloatingTags({ ...gh, token: 'ghs_read_only' }, 'v1.2.0', commits[3]));
    expect(ro.message).toMatch(/failed \(403\): Resource not accessible by integration/);
    expect(ro.hint).toMatch(/contents: write/);
    emulator.failNext('git/create-ref', 'server-error');
    const e = await rejects(moveFloatingTags(gh, 'v1.2.0', commits[3]));
    expect(e.message).toMatch(/POST \/git\/refs failed \(500\)/);
    expect(e.hint).toMatch(/re-run/);
    expect(await refAt('v1')).toBe(commits[3]);
    expect(await refAt('v1.2')).toBeUndefined();
    expect((await moveFloatingTags(gh, 'v1.2.0', commits[3])).map((m) => m.action)).toEqual(['unchanged', 'created']);
    expect(await refAt('v1.2')).toBe(commits[3]);
  });

  it('every request has a deadline', async () => {
    const silent = await startStallingServer({ mode: 'silent' });
    try {
      const t0 = Date.now();
      const e = await rejects(moveFloatingTags({ ...gh, apiUrl: silent.url, timeoutMs: 300 }, 'v1.2.0', commits[3]));
      expect(e.message).toMatch(/no answer within 300 ms/);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(silent.requests).toEqual(['GET /repos/acme/d2-actions/tags?per_page=100']);
    } finally {
      await silent.stop();
    }
  });

  it('the workflow step: move-tags from the command line, with the token from the environment only', async () => {
    await repo.updateRef('refs/tags/v2.0.0', commits[4]);
    const script = join(root, 'scripts', 'release', 'release.ts');
    const env = { GITHUB_API_URL: emulator.url, GITHUB_REPOSITORY: 'acme/d2-actions', GITHUB_TOKEN: token };
    const r = await runNodeScript([script, 'move-tags', 'v2.0.0', commits[4]], env);
    expect(r.stderr.split('\n').filter((l) => !/ExperimentalWarning|--trace-warnings|^$/.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`v2: created → ${commits[4]}\nv2.0: created → ${commits[4]}\n`);
    expect([await refAt('v2'), await refAt('v2.0')]).toEqual([commits[4], commits[4]]);
    const noToken = await runNodeScript([script, 'move-tags', 'v2.0.0', commits[4]], { ...env, GITHUB_TOKEN: '' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/^::error::release: GITHUB_TOKEN is not set%0Ahint: /m);
    expect(r.stdout + r.stderr + noToken.stderr).not.toContain(token);
    expect(emulator.violations).toEqual([]);
  });
});

