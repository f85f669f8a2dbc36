/**
 * The git wrapper (src/git/git.ts) against real git: bare repositories over file:// and the sandbox's smart-HTTP
 * server with Basic auth (packages/sandbox/src/git-server.ts). Checked: clone, commit, push and the lease (a branch
 * moved or created by someone else is never overwritten); the token reaches git only through the environment (a
 * `git` shim on PATH records every argv) and never the repository's config, the log or an error; a hanging git
 * (a server that never answers) is killed by the time limit and by the abort signal.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startStallingServer, type StallingServer } from '@d2/sandbox/stalling-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Git, GitError } from '../../src/git/index.js';

const author = { name: 'D2 Bot', email: 'bot@example.com' };
const dirs: string[] = [];

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'd2-git-unit-'));
  dirs.push(d);
  return d;
}

/** Async git, for talking to the in-process git server (a synchronous child would block the server's event loop). */
const gitAsync = async (cwd: string, ...args: string[]): Promise<string> => (await promisify(execFile)('git', args, { cwd, encoding: 'utf8' })).stdout;

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });

/** A bare repository with one commit on main; returns its path and file:// URL. */
function bareRepo(): { bare: string; url: string } {
  const root = tmp();
  const bare = join(root, 'origin.git');
  git(root, 'init', '-q', '--bare', '-b', 'main', bare);
  const w = join(root, 'seed');
  mkdirSync(w);
  git(w, 'init', '-q', '-b', 'main');
  writeFileSync(join(w, 'README.md'), 'seed\n');
  git(w, 'add', '-A');
  git(w, '-c', 'user.name=s', '-c', 'user.email=s@e', 'commit', '-q', '-m', 'init');
  git(w, 'push', '-q', bare, 'main');
  return { bare, url: `file://${bare}` };
}

/** Someone else commits on `branch` of the bare repository (from `from`), returns the new commit. */
function foreignCommit(bare: string, branch: string, from = 'main'): string {
  const w = tmp();
  git(w, 'init', '-q');
  git(w, 'fetch', '-q', bare, `refs/heads/${from}`);
  git(w, 'checkout', '-q', '-B', 'x', 'FETCH_HEAD');
  writeFileSync(join(w, 'foreign.txt'), `${Math.random()}\n`);
  git(w, 'add', '-A');
  git(w, '-c', 'user.name=o', '-c', 'user.email=o@e', 'commit', '-q', '-m', 'foreign');
  git(w, 'push', '-q', '--force', bare, `HEAD:refs/heads/${branch}`);
  return git(w, 'rev-parse', 'HEAD').trim();
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('Git over file://', () => {
  it('clones, reports branch and status, commits with the given author and date, and pushes', async () => {
    const { bare, url } = bareRepo();
    const g = await Git.clone(url, join(tmp(), 'clone'));
    expect(await g.currentBranch()).toBe('main');
    const main = await g.revParse('HEAD');
    expect(await g.remoteBranchSha('main')).toBe(main);
    expect(await g.remoteBranchExists('nope')).toBe(false);
    expect(await g.fetchBranch('nope')).toBe(false);

    writeFileSync(join(g.dir, 'a.yaml'), 'a: 1\n');
    expect(await g.status()).toEqual(['a.yaml']);
    const sha = await g.commit({ message: 'update a\n\n# kept verbatim\n', author, date: new Date('2026-01-02T03:04:05Z') });
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await g.status()).toEqual([]);
    await g.push('HEAD:refs/heads/main');
    expect(git(bare, 'rev-parse', 'refs/heads/main').trim()).toBe(sha);
    const raw = git(bare, 'cat-file', '-p', sha!);
    expect(raw).toContain('author D2 Bot <bot@example.com> 1767323045 +0000');
    expect(raw.endsWith('update a\n\n# kept verbatim\n')).toBe(true);
  });

  it('a commit with nothing staged returns undefined and creates no commit', async () => {
    const { url } = bareRepo();
    const g = await Git.clone(url, join(tmp(), 'clone'));
    const before = await g.revParse('HEAD');
    expect(await g.commit({ message: 'nothing', author })).toBeUndefined();
    expect(await g.revParse('HEAD')).toBe(before);
  });

  it('pushWithLease creates a branch only while it does not exist, and moves it only from the expected commit', async () => {
    const { bare, url } = bareRepo();
    const g = await Git.clone(url, join(tmp(), 'clone'));
    writeFileSync(join(g.dir, 'a.yaml'), 'a: 1\n');
    const mine = (await g.commit({ message: 'mine', author }))!;

    expect(await g.pushWithLease('HEAD', 'updates', undefined)).toEqual({ ok: true });
    expect(git(bare, 'rev-parse', 'refs/heads/updates').trim()).toBe(mine);

    // Someone else moves the branch: a push that expects our commit loses the lease and changes nothing.
    const foreign = foreignCommit(bare, 'updates');
    writeFileSync(join(g.dir, 'a.yaml'), 'a: 2\n');
    const second = (await g.commit({ message: 'second', author }))!;
    const lost = await g.pushWithLease(second, 'updates', mine);
    expect(lost.ok).toBe(false);
    expect(git(bare, 'rev-parse', 'refs/heads/updates').trim()).toBe(foreign);

    // The lease on the commit that is there now succeeds (force: the rebuilt commit replaces it).
    expect(await g.pushWithLease(second, 'updates', foreign)).toEqual({ ok: true });
    expect(git(bare, 'rev-parse', 'refs/heads/updates').trim()).toBe(second);
  });

  it('pushWithLease expecting no branch loses the lease when it was created meanwhile', async () => {
    const { bare, url } = bareRepo();
    const g = await Git.clone(url, join(tmp(), 'clone'));
    writeFileSync(join(g.dir, 'a.yaml'), 'a: 1\n');
    const mine = (await g.commit({ message: 'mine', author }))!;
    const foreign = foreignCommit(bare, 'created');
    const r = await g.pushWithLease(mine, 'created', undefined);
    expect(r.ok).toBe(false);
    expect(git(bare, 'rev-parse', 'refs/heads/created').trim()).toBe(foreign);
  });

  it('a failing git command throws GitError with git\'s message; allowFail returns the exit code instead', async () => {
    const { url } = bareRepo();
    const g = await Git.clone(url, join(tmp(), 'clone'));
    const err = await g.revParse('no-such-ref').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).toMatch(/^git rev-parse failed \(exit 128\): fatal: /);
    expect((await g.run(['rev-parse', '--verify', 'no-such-ref'], { allowFail: true })).code).toBe(128);
  });

  it('a URL with credentials is refused before git runs, shown redacted', async () => {
    const err = await Git.clone('https://x-access-token:ghp_secret@127.0.0.1:1/o/r.git', join(tmp(), 'x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).not.toContain('ghp_secret');
  });
});

describe('Git over smart HTTP with a token', () => {
  let server: SandboxGitServer;
  beforeAll(async () => {
    server = await startGitServer();
    const repo = await server.createRepo('acme/fleet');
    const w = mkdtempSync(join(tmpdir(), 'd2-git-unit-seed-'));
    git(w, 'init', '-q', '-b', 'main');
    writeFileSync(join(w, 'README.md'), 'seed\n');
    git(w, 'add', '-A');
    git(w, '-c', 'user.name=s', '-c', 'user.email=s@e', 'commit', '-q', '-m', 'init');
    await gitAsync(w, 'push', '-q', server.authUrl('acme/fleet'), 'main');
    rmSync(w, { recursive: true, force: true });
    expect(repo.url).not.toContain(server.token);
  });
  afterAll(async () => {
    await server.stop();
  });

  /** A `git` shim first on PATH: records each argv and whether the token is in its environment, then runs git. */
  function shim(): { env: NodeJS.ProcessEnv; argv: () => string[]; envHits: () => string[] } {
    const d = tmp();
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    const log = join(d, 'argv.log');
    const envLog = join(d, 'env.log');
    writeFileSync(join(d, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nenv | grep -c '^GIT_CONFIG_VALUE_[0-9]*=Authorization: Basic ' >> '${envLog}'\nexec '${real}' "$@"\n`);
    chmodSync(join(d, 'git'), 0o755);
    writeFileSync(log, '');
    writeFileSync(envLog, '');
    return {
      env: { PATH: `${d}${delimiter}${process.env.PATH ?? ''}` },
      argv: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
      envHits: () => readFileSync(envLog, 'utf8').split('\n').filter(Boolean),
    };
  }

  it('clones and pushes with the token in the environment only: never in argv, the config, the log or the remote URL', async () => {
    const s = shim();
    const lines: string[] = [];
    const url = `${server.url}/acme/fleet.git`;
    const g = await Git.clone(url, join(tmp(), 'clone'), { auth: { token: server.token }, env: s.env, log: (l) => lines.push(l) });
    writeFileSync(join(g.dir, 'a.yaml'), 'a: 1\n');
    const sha = (await g.commit({ message: 'over http', author }))!;
    expect(await g.pushWithLease(sha, 'updates', undefined)).toEqual({ ok: true });
    expect(git(server.repoPath('acme/fleet'), 'rev-parse', 'refs/heads/updates').trim()).toBe(sha);

    const argv = s.argv();
    expect(argv.length).toBeGreaterThanOrEqual(5);
    expect(argv[0]).toBe(`clone --no-tags --quiet -- ${url} .`);
    for (const a of argv) expect(a).not.toContain(server.token);
    const basic = Buffer.from(`x-access-token:${server.token}`).toString('base64');
    for (const a of argv) expect(a).not.toContain(basic);
    expect(s.envHits()).toEqual(argv.map(() => '1'));
    const config = readFileSync(join(g.dir, '.git', 'config'), 'utf8');
    expect(config).not.toContain(server.token);
    expect(config).not.toContain(basic);
    expect(config).toContain(`url = ${url}`);
    expect(lines.join('\n')).not.toContain(server.token);
  });

  it('a wrong token fails with the token hint, and the error does not contain the token', async () => {
    const err = await Git.clone(`${server.url}/acme/fleet.git`, join(tmp(), 'clone'), { auth: { token: 'ghp_wrongtoken000000000000000000000000000' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).not.toContain('ghp_wrongtoken');
    expect((err as GitError).hint).toContain('contents: write');
  });

  it('the token is redacted wherever it appears: the logged command line and git\'s own stderr', async () => {
    const lines: string[] = [];
    const g = await Git.clone(`${server.url}/acme/fleet.git`, join(tmp(), 'clone'), { auth: { token: server.token }, log: (l) => lines.push(l) });
    const err = await g.run(['checkout', `feature-${server.token}`]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).toContain('feature-***');
    expect((err as GitError).message).not.toContain(server.token);
    expect(lines.at(-1)).toBe('git checkout feature-***');
  });

  it('the token is scoped to the remote\'s origin: a file:// clone gets no auth header', async () => {
    const s = shim();
    const { url } = bareRepo();
    await Git.clone(url, join(tmp(), 'clone'), { auth: { token: 'tok_never_sent' }, env: s.env });
    expect(s.envHits()).toEqual(['0']);
  });
});

describe('time limits', () => {
  let silent: StallingServer;
  beforeAll(async () => {
    silent = await startStallingServer({ mode: 'silent' });
  });
  afterAll(async () => {
    await silent.stop();
  });

  it('the abort signal kills a git that waits on a server that never answers, with the reason and the host', async () => {
    const ac = new AbortController();
    const reason = new Error('the time limit (timeout 2s) is spent');
    setTimeout(() => ac.abort(reason), 300);
    const err = await Git.clone(`${silent.url}/acme/fleet.git`, join(tmp(), 'clone'), { signal: ac.signal, timeoutMs: 600_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).toBe(`git clone (${silent.host}) ran out of time: the time limit (timeout 2s) is spent`);
    expect((err as GitError).hint).toContain('raise the time limit');
    expect(silent.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('the per-process limit kills it too', async () => {
    const err = await Git.clone(`${silent.url}/acme/fleet.git`, join(tmp(), 'clone'), { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).toBe(`git clone (${silent.host}) ran out of time: no result within 1 s`);
  });
});
