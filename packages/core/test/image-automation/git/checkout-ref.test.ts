/**
 * Checkout by tag, semver range, commit and reference name (docs/image-automation.md "Checkout by tag, semver, commit or
 * reference name") against the sandbox git server over smart HTTP: the resolved commit, source-controller's semver
 * choice (highest version; equal versions by commit time), a commit that must be in ref.branch, and the update
 * committed on top of the checked-out commit and pushed to the push branch.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { AutomationCheckout, cloneAtRef, describeCheckout } from '../../../src/image-automation/git/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'd2-ref-'));
  dirs.push(d);
  return d;
};
const git = (cwd: string, args: string[], env: Record<string, string> = {}) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } }).trim();
/** For commands that talk to the in-process git server (a synchronous call would block it). */
const gitAsync = (cwd: string, args: string[]) => promisify(execFile)('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });

let server: SandboxGitServer;
let url: string;
/** Commits by name: A (v1.0.0), B (v1.1.0, annotated), C (v2.0.0-rc.1, main's tip), D (on branch other, refs/pull/1/head). */
const c: Record<string, string> = {};
const opts = () => ({ auth: { token: server.token } });

beforeAll(async () => {
  server = await startGitServer();
  await server.createRepo('acme/app');
  url = `${server.url}/acme/app.git`;
  const w = tmp();
  git(w, ['init', '-q', '-b', 'main']);
  let t = 1_700_000_000;
  const commit = (name: string, file = 'f.yaml') => {
    writeFileSync(join(w, file), `name: ${name}\n`);
    git(w, ['add', '-A']);
    const date = `@${t++} +0000`;
    git(w, ['-c', 'user.name=s', '-c', 'user.email=s@e', 'commit', '-q', '-m', name], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
    c[name] = git(w, ['rev-parse', 'HEAD']);
  };
  commit('A');
  git(w, ['tag', 'v1.0.0']);
  commit('B');
  git(w, ['-c', 'user.name=s', '-c', 'user.email=s@e', 'tag', '-a', '-m', 'release', 'v1.1.0']);
  // Two tags of the same version (build metadata only): the newer commit wins, whatever the names' order.
  commit('T-earlier');
  git(w, ['tag', 'v3.0.0+b']);
  commit('T-later');
  git(w, ['tag', 'v3.0.0+a']);
  git(w, ['reset', '-q', '--hard', c.B]);
  commit('C');
  git(w, ['tag', 'v2.0.0-rc.1']);
  git(w, ['checkout', '-q', '-b', 'other', c.A]);
  commit('D', 'g.yaml');
  git(w, ['checkout', '-q', 'main']);
  await gitAsync(w, ['push', '-q', server.authUrl('acme/app'), 'main', 'other', '--tags']);
  await gitAsync(w, ['push', '-q', server.authUrl('acme/app'), `${c.D}:refs/pull/1/head`]);
});
afterAll(async () => {
  await server?.stop();
  while (dirs.length) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

const head = (dir: string) => git(dir, ['rev-parse', 'HEAD']);
const detached = (dir: string) => git(dir, ['rev-parse', '--abbrev-ref', 'HEAD']) === 'HEAD';

describe('cloneAtRef (fluxcd/pkg gogit clone semantics)', () => {
  it('ref.tag: the tag\'s commit, detached, shallow', async () => {
    const g = await cloneAtRef(url, join(tmp(), 'c'), { tag: 'v1.0.0' }, undefined, opts());
    expect(head(g.dir)).toBe(c.A);
    expect(detached(g.dir)).toBe(true);
    expect(git(g.dir, ['rev-parse', '--is-shallow-repository'])).toBe('true');
    expect(describeCheckout(g)).toBe(`tag v1.0.0 (${c.A.slice(0, 7)})`);
  });

  it('ref.tag of an annotated tag is peeled to its commit', async () => {
    const g = await cloneAtRef(url, join(tmp(), 'c'), { tag: 'v1.1.0' }, undefined, opts());
    expect(head(g.dir)).toBe(c.B);
  });

  it('ref.semver: the highest matching tag (prereleases only when the range has one)', async () => {
    const g = await cloneAtRef(url, join(tmp(), 'c'), { semver: '>=1.0.0 <3.0.0' }, undefined, opts());
    expect(head(g.dir)).toBe(c.B);
    expect(describeCheckout(g)).toBe(`tag v1.1.0 (${c.B.slice(0, 7)}), semver >=1.0.0 <3.0.0`);
    const pre = await cloneAtRef(url, join(tmp(), 'c'), { semver: '>=2.0.0-0 <3.0.0' }, undefined, opts());
    expect(head(pre.dir)).toBe(c.C);
  });

  it('ref.semver: equal versions are ordered by commit time, not by name', async () => {
    const g = await cloneAtRef(url, join(tmp(), 'c'), { semver: '3.x' }, undefined, opts());
    expect(head(g.dir)).toBe(c['T-later']);
    expect(describeCheckout(g)).toContain('tag v3.0.0+a');
  });

  it('ref.semver without a match fails with Flux\'s message', async () => {
    await expect(cloneAtRef(url, join(tmp(), 'c'), { semver: '>=9.0.0' }, undefined, opts())).rejects.toThrow('no match found for semver: >=9.0.0');
  });

  it('ref.commit: any commit of the repository; with ref.branch it must be in that branch', async () => {
    const g = await cloneAtRef(url, join(tmp(), 'c'), { commit: c.B }, undefined, opts());
    expect(head(g.dir)).toBe(c.B);
    expect(describeCheckout(g)).toBe(`commit ${c.B.slice(0, 7)}`);
    const inMain = await cloneAtRef(url, join(tmp(), 'c'), { commit: c.B }, 'main', opts());
    expect(head(inMain.dir)).toBe(c.B);
    await expect(cloneAtRef(url, join(tmp(), 'c'), { commit: c.C }, 'other', opts())).rejects.toThrow(`unable to resolve commit object for '${c.C}': not in branch other`);
    await expect(cloneAtRef(url, join(tmp(), 'c'), { commit: 'f'.repeat(40) }, undefined, opts())).rejects.toThrow(`unable to resolve commit object for '${'f'.repeat(40)}'`);
  });

  it('ref.name: any advertised reference, tags peeled', async () => {
    const pr = await cloneAtRef(url, join(tmp(), 'c'), { name: 'refs/pull/1/head' }, undefined, opts());
    expect(head(pr.dir)).toBe(c.D);
    expect(describeCheckout(pr)).toBe(`refs/pull/1/head (${c.D.slice(0, 7)})`);
    const tag = await cloneAtRef(url, join(tmp(), 'c'), { name: 'refs/tags/v1.1.0' }, undefined, opts());
    expect(head(tag.dir)).toBe(c.B);
    await expect(cloneAtRef(url, join(tmp(), 'c'), { name: 'refs/heads/nope' }, undefined, opts())).rejects.toThrow("unable to resolve ref 'refs/heads/nope' to a specific commit");
  });

  it('a missing tag, an abbreviated SHA and an invalid range fail; the last two before any request', async () => {
    await expect(cloneAtRef(url, join(tmp(), 'c'), { tag: 'v9.9.9' }, undefined, opts())).rejects.toThrow("unable to find tag 'v9.9.9'");
    const before = server.stats.requests;
    await expect(cloneAtRef(url, join(tmp(), 'c'), { commit: c.A.slice(0, 7) }, undefined, opts())).rejects.toThrow('is not a full commit SHA');
    await expect(cloneAtRef(url, join(tmp(), 'c'), { semver: 'not a range' }, undefined, opts())).rejects.toThrow('semver parse error');
    await expect(cloneAtRef(url, join(tmp(), 'c'), { name: 'refs/heads/../x' }, undefined, opts())).rejects.toThrow('is not a valid git reference');
    expect(server.stats.requests).toBe(before);
  });
});

describe('AutomationCheckout from a tag: the update goes on top of the checked-out commit, to the push branch', () => {
  it('creates the push branch from the tag, then builds on it', async () => {
    const target = { url, checkoutRef: { tag: 'v1.0.0' }, pushBranch: 'tag-updates' };
    const co = await AutomationCheckout.clone(target, join(tmp(), 'c'), opts());
    expect(co.switchBranch).toBe(true);
    expect(await co.switchToPushBranch()).toMatchObject({ existed: false });
    writeFileSync(join(co.dir, 'f.yaml'), 'name: updated\n');
    const pushed = await co.commitAndPush({ message: 'update', author: { name: 'b', email: 'b@e' }, paths: ['f.yaml'] });
    const bare = server.repoPath('acme/app');
    expect(git(bare, ['rev-parse', 'refs/heads/tag-updates'])).toBe(pushed?.sha);
    expect(git(bare, ['rev-parse', 'refs/heads/tag-updates^'])).toBe(c.A);
    expect(git(bare, ['rev-parse', 'refs/heads/main'])).toBe(c.C);

    const again = await AutomationCheckout.clone(target, join(tmp(), 'c'), opts());
    expect(await again.switchToPushBranch()).toMatchObject({ existed: true });
    expect(head(again.dir)).toBe(pushed?.sha);
  });

  it('refuses a tag checkout without a push branch before cloning', async () => {
    const before = server.stats.requests;
    await expect(AutomationCheckout.clone({ url, checkoutRef: { tag: 'v1.0.0' } }, join(tmp(), 'c'), opts())).rejects.toThrow('needs a push branch');
    expect(server.stats.requests).toBe(before);
  });
});
