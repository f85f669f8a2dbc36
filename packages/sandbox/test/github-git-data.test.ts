/**
 * The emulator's Git Data API (handlers/git-data.ts) against GitHub's OpenAPI description (strict mode: a request or
 * response that violates it is a 500, and `violations` must stay empty) and real git state: blobs, nested trees on a
 * base tree (deletions included), commits GitHub signs only for a bot caller without a committer, references created
 * only when absent and moved only as fast-forwards, and "Require signed commits" refusing unverified commits.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type SandboxGitServer } from '../src/git-server.js';
import { OpenApiValidator, startGitHubEmulator, type GitHubEmulator } from '../src/github-emulator.js';

const execFileAsync = promisify(execFile);
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = async (cwd: string, ...args: string[]) => (await execFileAsync('git', ['-c', 'user.name=s', '-c', 'user.email=s@e', ...args], { cwd, env: gitEnv })).stdout.trim();

type Json = Record<string, unknown> & { sha: string; message: string };

describe('GitHub emulator: Git Data API', () => {
  let server: SandboxGitServer;
  let gh: GitHubEmulator;
  let bare: string;
  let main: string;
  let mainTree: string;
  const bot = 'ghs_git_data_bot';

  const api = async (method: string, path: string, body?: unknown, token = bot): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${gh.url}/repos/acme/data${path}`, { method, headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Json };
  };

  beforeAll(async () => {
    OpenApiValidator.warmUp();
    server = await startGitServer();
    gh = await startGitHubEmulator({ git: server, tokens: [server.token, bot, { token: 'ghp_octocat', login: 'octocat' }] });
    bare = (await gh.addRepo('acme/data', { signedCommitBranches: ['protected/**'] })).path;
    const w = mkdtempSync(join(tmpdir(), 'd2-gitdata-'));
    await git(w, 'init', '-q', '-b', 'main');
    writeFileSync(join(w, 'keep.txt'), 'keep\n');
    await execFileAsync('mkdir', ['-p', join(w, 'components/a')]);
    writeFileSync(join(w, 'components/a/deploy.yaml'), 'image: a:1\n');
    writeFileSync(join(w, 'old.txt'), 'old\n');
    await git(w, 'add', '-A');
    await git(w, 'commit', '-q', '-m', 'initial');
    await git(w, 'push', '-q', server.authUrl('acme/data'), 'main');
    main = await git(bare, 'rev-parse', 'main');
    mainTree = await git(bare, 'rev-parse', 'main^{tree}');
  });
  afterAll(async () => {
    await gh?.stop();
    await server?.stop();
  });
  afterEach(() => expect(gh.violations).toEqual([]));

  async function makeCommit(content: string, o: { token?: string; committer?: boolean } = {}): Promise<Json> {
    const blob = await api('POST', '/git/blobs', { content: Buffer.from(content).toString('base64'), encoding: 'base64' }, o.token);
    expect(blob.status, JSON.stringify(blob.json)).toBe(201);
    const tree = await api('POST', '/git/trees', { base_tree: mainTree, tree: [{ path: 'components/a/deploy.yaml', mode: '100644', type: 'blob', sha: blob.json.sha }, { path: 'old.txt', mode: '100644', type: 'blob', sha: null }] }, o.token);
    expect(tree.status, JSON.stringify(tree.json)).toBe(201);
    const commit = await api('POST', '/git/commits', { message: 'Update a\n\n- a:2\n', tree: tree.json.sha, parents: [main], author: { name: 'D2 Bot', email: 'bot@example.com', date: '2026-01-02T03:04:05Z' }, ...(o.committer ? { committer: { name: 'Me', email: 'me@example.com' } } : {}) }, o.token);
    expect(commit.status, JSON.stringify(commit.json)).toBe(201);
    return commit.json;
  }

  it('blobs and a nested tree on a base tree are real git objects; a null sha deletes', async () => {
    const c = await makeCommit('image: a:2\n');
    expect(await git(bare, 'show', `${c.sha}:components/a/deploy.yaml`)).toBe('image: a:2');
    expect(await git(bare, 'show', `${c.sha}:keep.txt`)).toBe('keep');
    expect(await git(bare, 'ls-tree', '-r', '--name-only', c.sha)).toBe('components/a/deploy.yaml\nkeep.txt');
    expect(await git(bare, 'cat-file', '-p', c.sha)).toMatch(/^tree [0-9a-f]{40}\nparent [0-9a-f]{40}\nauthor D2 Bot <bot@example.com> 1767323045 \+0000\ncommitter GitHub <noreply@github.com> \d+ \+0000\n\nUpdate a\n\n- a:2$/);
  });

  it('GitHub signs (Verified) only for a bot caller that leaves the committer to it', async () => {
    expect((await makeCommit('image: a:3\n')).verification).toMatchObject({ verified: true, reason: 'valid' });
    expect((await makeCommit('image: a:4\n', { committer: true })).verification).toMatchObject({ verified: false, reason: 'unsigned' });
    expect((await makeCommit('image: a:5\n', { token: 'ghp_octocat' })).verification).toMatchObject({ verified: false, reason: 'unsigned' });
  });

  it('references: created only when absent, moved only as a fast-forward (or with force)', async () => {
    const c1 = await makeCommit('image: a:6\n');
    expect((await api('POST', '/git/refs', { ref: 'refs/heads/image-updates', sha: c1.sha })).status).toBe(201);
    const again = await api('POST', '/git/refs', { ref: 'refs/heads/image-updates', sha: c1.sha });
    expect([again.status, again.json.message]).toEqual([422, 'Reference already exists']);
    // A sibling of c1 (same parent) is not a fast-forward of it.
    const sibling = await makeCommit('image: a:7\n');
    const nonFf = await api('PATCH', '/git/refs/heads/image-updates', { sha: sibling.sha, force: false });
    expect([nonFf.status, nonFf.json.message]).toEqual([422, 'Update is not a fast forward']);
    expect(await git(bare, 'rev-parse', 'image-updates')).toBe(c1.sha);
    // A child of c1 is.
    const tree = await git(bare, 'rev-parse', `${c1.sha}^{tree}`);
    const child = await api('POST', '/git/commits', { message: 'next', tree, parents: [c1.sha] });
    const ff = await api('PATCH', '/git/refs/heads/image-updates', { sha: child.json.sha });
    expect(ff.status).toBe(200);
    expect(await git(bare, 'rev-parse', 'image-updates')).toBe(child.json.sha);
    expect((await api('PATCH', '/git/refs/heads/image-updates', { sha: sibling.sha, force: true })).status).toBe(200);
  });

  it('a branch that requires signed commits takes only verified ones', async () => {
    const unsigned = await makeCommit('image: a:8\n', { committer: true });
    const refused = await api('POST', '/git/refs', { ref: 'refs/heads/protected/x', sha: unsigned.sha });
    expect(refused.status).toBe(422);
    expect(refused.json.message).toMatch(/Commits must have verified signatures/);
    const signed = await makeCommit('image: a:9\n');
    expect((await api('POST', '/git/refs', { ref: 'refs/heads/protected/x', sha: signed.sha })).status).toBe(201);
  });

  it('bad objects are refused', async () => {
    expect((await api('POST', '/git/trees', { base_tree: main, tree: [] })).json.message).toBe('base_tree is not a valid tree oid');
    expect((await api('POST', '/git/commits', { message: 'x', tree: main, parents: [] })).json.message).toBe('Tree SHA does not exist');
    expect((await api('POST', '/git/trees', { base_tree: mainTree, tree: [{ path: '../x', mode: '100644', type: 'blob', sha: main }] })).status).toBe(422);
  });
});
