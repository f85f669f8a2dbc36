import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type SandboxGitServer } from '../src/git-server.js';
import { OpenApiValidator, startGitHubEmulator, type GitHubEmulator } from '../src/github-emulator.js';

const execFileAsync = promisify(execFile);
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const ident = ['-c', 'user.name=Flux', '-c', 'user.email=flux@example.com', '-c', 'credential.helper='];

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', [...ident, ...args], { cwd, env: gitEnv });
  return stdout.trim();
}

/** A JSON answer read loosely (any key, any index), asserted field by field; no `any`. */
type Loose = { [k: string]: Loose } & Loose[] & { message: string; number: number; node_id: string; sha: string };
interface ApiAnswer {
  status: number;
  headers: Headers;
  json: Loose;
}

describe('GitHub REST emulator (real git state, OpenAPI-validated)', () => {
  let gitServer: SandboxGitServer;
  let gh: GitHubEmulator;
  let work: string;
  const token = 'ghs_emulator_test_token';

  async function api(method: string, path: string, body?: unknown, auth: string | null = `token ${token}`): Promise<ApiAnswer> {
    const headers: Record<string, string> = { accept: 'application/vnd.github+json' };
    if (auth) headers.authorization = auth;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${gh.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  }

  async function commitFile(dir: string, file: string, content: string, message: string): Promise<string> {
    writeFileSync(join(dir, file), content);
    await git(dir, 'add', file);
    await git(dir, 'commit', '--quiet', '-m', message);
    return git(dir, 'rev-parse', 'HEAD');
  }

  beforeAll(async () => {
    OpenApiValidator.warmUp();
    gitServer = await startGitServer();
    gh = await startGitHubEmulator({ git: gitServer, tokens: [token, { token: 'ghs_read_only', readOnly: true }, { token: 'ghp_alice', login: 'alice' }] });
    await gh.addRepo('acme/fleet', { defaultBranch: 'main', private: true });
    work = mkdtempSync(join(tmpdir(), 'd2-gh-emu-'));
    const dir = join(work, 'fleet');
    await git(work, 'clone', '--quiet', gitServer.authUrl('acme/fleet'), dir);
    await commitFile(dir, 'apps.yaml', 'image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "apps:app"}\n', 'initial');
    await git(dir, 'push', '--quiet', 'origin', 'HEAD:main');
    await git(dir, 'checkout', '--quiet', '-b', 'image-updates');
    await commitFile(dir, 'apps.yaml', 'image: ghcr.io/acme/app:1.1.0 # {"$imagepolicy": "apps:app"}\n', 'Automated image update\n\nFiles:\n- apps.yaml');
    await commitFile(dir, 'NOTES.md', 'second\n', 'second commit');
    await git(dir, 'push', '--quiet', 'origin', 'image-updates');
  });

  afterAll(async () => {
    await gh?.stop();
    await gitServer?.stop();
  });

  it('authenticates with token and Bearer schemes, refusing missing and wrong tokens as GitHub does', async () => {
    expect((await api('GET', '/repos/acme/fleet', undefined, `Bearer ${token}`)).status).toBe(200);
    const none = await api('GET', '/repos/acme/fleet', undefined, null);
    expect(none.status).toBe(401);
    expect(none.json.message).toBe('Requires authentication');
    const bad = await api('GET', '/repos/acme/fleet', undefined, 'token ghs_nope');
    expect(bad.status).toBe(401);
    expect(bad.json.message).toBe('Bad credentials');
  });

  it('GET /repos/{owner}/{repo} answers a full-repository that passes the OpenAPI schema', async () => {
    const r = await api('GET', '/repos/acme/fleet');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ full_name: 'acme/fleet', default_branch: 'main', private: true, html_url: `${gh.serverUrl}/acme/fleet` });
    expect(r.headers.get('x-ratelimit-remaining')).toBeTruthy();
    expect((await api('GET', '/repos/acme/nope')).status).toBe(404);
  });

  it('compare base...head reports ahead/behind, commits oldest first and files with patches from real git', async () => {
    const r = await api('GET', '/repos/acme/fleet/compare/main...image-updates');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ status: 'ahead', ahead_by: 2, behind_by: 0, total_commits: 2 });
    expect(r.json.commits.map((c) => c.commit.message)).toEqual(['Automated image update\n\nFiles:\n- apps.yaml', 'second commit']);
    const apps = r.json.files.find((f) => String(f.filename) === 'apps.yaml');
    expect(apps?.status).toBe('modified');
    expect(apps?.patch).toContain('+image: ghcr.io/acme/app:1.1.0 # {"$imagepolicy": "apps:app"}');
    expect(apps?.patch).toContain('-image: ghcr.io/acme/app:1.0.0');
    const same = await api('GET', '/repos/acme/fleet/compare/main...main');
    expect(same.json).toMatchObject({ status: 'identical', ahead_by: 0, files: [] });
  });

  it('git refs and commits: get-ref, get-commit with files and stats', async () => {
    const ref = await api('GET', '/repos/acme/fleet/git/ref/heads/image-updates');
    expect(ref.status).toBe(200);
    const sha = await git(gitServer.repoPath('acme/fleet'), 'rev-parse', 'refs/heads/image-updates');
    expect(ref.json).toMatchObject({ ref: 'refs/heads/image-updates', object: { type: 'commit', sha } });
    expect((await api('GET', '/repos/acme/fleet/git/ref/heads/missing')).status).toBe(404);
    const c = await api('GET', `/repos/acme/fleet/commits/${sha}`);
    expect(c.status).toBe(200);
    expect(c.json.sha).toBe(sha);
    expect(c.json.files.map((f) => f.filename)).toEqual(['NOTES.md']);
    expect(c.json.stats).toEqual({ total: 1, additions: 1, deletions: 0 });
  });

  it('git refs: create (201, or 422 when it exists, names no object or is not a ref name) and update (fast-forward unless force)', async () => {
    const repoPath = gitServer.repoPath('acme/fleet');
    const main = await git(repoPath, 'rev-parse', 'refs/heads/main');
    const head = await git(repoPath, 'rev-parse', 'refs/heads/image-updates');
    const created = await api('POST', '/repos/acme/fleet/git/refs', { ref: 'refs/tags/v9', sha: main });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ ref: 'refs/tags/v9', object: { type: 'commit', sha: main } });
    expect(await git(repoPath, 'rev-parse', 'refs/tags/v9')).toBe(main);
    expect((await api('POST', '/repos/acme/fleet/git/refs', { ref: 'refs/tags/v9', sha: head })).json.message).toBe('Reference already exists');
    expect((await api('POST', '/repos/acme/fleet/git/refs', { ref: 'refs/tags/v8', sha: 'f'.repeat(40) })).json.message).toBe('Object does not exist');
    expect((await api('POST', '/repos/acme/fleet/git/refs', { ref: 'tags/v8', sha: main })).json.message).toBe('Reference name is invalid');
    expect((await api('POST', '/repos/acme/fleet/git/refs', { ref: 'refs/tags/a..b', sha: main })).status).toBe(422);

    // main is an ancestor of image-updates: forward is a fast-forward, back needs force.
    expect((await api('PATCH', '/repos/acme/fleet/git/refs/tags/v9', { sha: head })).json).toMatchObject({ object: { sha: head } });
    const back = await api('PATCH', '/repos/acme/fleet/git/refs/tags/v9', { sha: main });
    expect([back.status, back.json.message]).toEqual([422, 'Update is not a fast forward']);
    expect(await git(repoPath, 'rev-parse', 'refs/tags/v9')).toBe(head);
    expect((await api('PATCH', '/repos/acme/fleet/git/refs/tags/v9', { sha: main, force: true })).status).toBe(200);
    expect(await git(repoPath, 'rev-parse', 'refs/tags/v9')).toBe(main);
    expect((await api('PATCH', '/repos/acme/fleet/git/refs/tags/v7', { sha: main, force: true })).json.message).toBe('Reference does not exist');
    expect((await api('PATCH', '/repos/acme/fleet/git/refs/tags/v9', { sha: 'nope', force: true })).status).toBe(422);
    expect((await api('POST', '/repos/acme/fleet/git/refs', { ref: 'refs/tags/v6', sha: main }, 'token ghs_read_only')).status).toBe(403);
    expect((await api('DELETE', '/repos/acme/fleet/git/refs/tags/v9')).status).toBe(204);
    expect(gh.violations).toEqual([]);
  });

  it('pull requests: create, list with owner:head filter, duplicate 422, update, labels, assignees, reviewers', async () => {
    const created = await api('POST', '/repos/acme/fleet/pulls', { head: 'image-updates', base: 'main', title: 'Automated image update', body: 'b' });
    expect(created.status).toBe(201);
    const n = created.json.number;
    expect(created.json).toMatchObject({ state: 'open', title: 'Automated image update', head: { ref: 'image-updates' }, base: { ref: 'main' }, commits: 2, changed_files: 2 });
    expect(created.json.user.login).toBe('github-actions[bot]');

    const listed = await api('GET', '/repos/acme/fleet/pulls?head=acme:image-updates&base=main&state=open');
    expect(listed.json.map((p) => p.number)).toEqual([n]);
    expect((await api('GET', '/repos/acme/fleet/pulls?head=acme:other')).json).toEqual([]);

    const dup = await api('POST', '/repos/acme/fleet/pulls', { head: 'image-updates', base: 'main', title: 'again' });
    expect(dup.status).toBe(422);
    expect(dup.json).toEqual({
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for acme:image-updates.' }],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '422',
    });

    const upd = await api('PATCH', `/repos/acme/fleet/pulls/${n}`, { title: 'New title', body: 'New body' });
    expect(upd.json).toMatchObject({ title: 'New title', body: 'New body' });

    const labels = await api('POST', `/repos/acme/fleet/issues/${n}/labels`, { labels: ['image-updates', 'automerge'] });
    expect(labels.json.map((l) => l.name)).toEqual(['image-updates', 'automerge']);
    const assignees = await api('POST', `/repos/acme/fleet/issues/${n}/assignees`, { assignees: ['bob'] });
    expect(assignees.status).toBe(201);
    expect(assignees.json.assignees.map((a) => a.login)).toEqual(['bob']);
    const rev = await api('POST', `/repos/acme/fleet/pulls/${n}/requested_reviewers`, { reviewers: ['carol'], team_reviewers: ['platform'] });
    expect(rev.status).toBe(201);
    const self = await api('POST', `/repos/acme/fleet/pulls/${n}/requested_reviewers`, { reviewers: ['github-actions[bot]'] });
    expect(self.status).toBe(422);
    expect(self.json.errors[0].message).toBe('Review cannot be requested from pull request author.');

    const got = await api('GET', `/repos/acme/fleet/pulls/${n}`);
    expect(got.json.requested_reviewers.map((u) => u.login)).toEqual(['carol']);
    expect(got.json.requested_teams.map((t) => t.slug)).toEqual(['platform']);
    expect(got.json.labels.map((l) => l.name)).toEqual(['image-updates', 'automerge']);

    const noCommits = await api('POST', '/repos/acme/fleet/pulls', { head: 'main', base: 'main', title: 'x' });
    expect(noCommits.json.errors[0].message).toBe('No commits between main and main');
    expect(gh.violations).toEqual([]);
  });

  it('GraphQL enablePullRequestAutoMerge sets auto_merge; unknown merge methods and node ids are errors', async () => {
    const pr = (await api('GET', '/repos/acme/fleet/pulls?head=acme:image-updates')).json[0];
    const mutation = 'mutation($id: ID!, $method: PullRequestMergeMethod!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $method}) { pullRequest { id number autoMergeRequest { enabledAt mergeMethod } } } }';
    const ok = await api('POST', '/graphql', { query: mutation, variables: { id: pr.node_id, method: 'SQUASH' } });
    expect(ok.json.data.enablePullRequestAutoMerge.pullRequest).toMatchObject({ id: pr.node_id, number: pr.number, autoMergeRequest: { mergeMethod: 'SQUASH' } });
    const got = await api('GET', `/repos/acme/fleet/pulls/${pr.number}`);
    expect(got.json.auto_merge).toMatchObject({ merge_method: 'squash', enabled_by: { login: 'github-actions[bot]' } });
    const bad = await api('POST', '/graphql', { query: mutation, variables: { id: pr.node_id, method: 'FAST' } });
    expect(bad.json.errors[0].message).toMatch(/invalid value \(FAST\)/);
    const missing = await api('POST', '/graphql', { query: mutation, variables: { id: 'PR_nope', method: 'MERGE' } });
    expect(missing.json.errors[0]).toMatchObject({ type: 'NOT_FOUND' });
    gh.failNext('graphql', 'auto-merge-not-allowed');
    const notAllowed = await api('POST', '/graphql', { query: mutation, variables: { id: pr.node_id, method: 'MERGE' } });
    expect(notAllowed.json.errors[0].message).toBe('Pull request Auto merge is not allowed for this repository');
  });

  it('answers GitHub\'s known error bodies on demand (failNext)', async () => {
    const create = { head: 'image-updates', base: 'main', title: 't' };
    gh.failNext('pulls/create', 'not-permitted');
    const np = await api('POST', '/repos/acme/fleet/pulls', create);
    expect(np.status).toBe(403);
    expect(np.json).toEqual({
      message: 'GitHub Actions is not permitted to create or approve pull requests.',
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '403',
    });
    gh.failNext('pulls/create', 'not-accessible');
    const na = await api('POST', '/repos/acme/fleet/pulls', create);
    expect(na.status).toBe(403);
    expect(na.json.message).toBe('Resource not accessible by integration');
    expect(na.headers.get('x-accepted-github-permissions')).toBe('pull_requests=write');
    gh.failNext('pulls/list', 'secondary-rate-limit', 2);
    const rl1 = await api('GET', '/repos/acme/fleet/pulls');
    const rl2 = await api('GET', '/repos/acme/fleet/pulls');
    expect([rl1.status, rl2.status]).toEqual([403, 403]);
    expect(rl1.json.message).toMatch(/^You have exceeded a secondary rate limit/);
    expect(rl1.headers.get('retry-after')).toBe('1');
    expect((await api('GET', '/repos/acme/fleet/pulls')).status).toBe(200);
    gh.failNext('repos/get', 'rate-limit');
    const prl = await api('GET', '/repos/acme/fleet');
    expect(prl.status).toBe(403);
    expect(prl.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(prl.json.message).toMatch(/^API rate limit exceeded/);
    // A read-only token (no pull-requests: write) can read but not write.
    expect((await api('GET', '/repos/acme/fleet', undefined, 'token ghs_read_only')).status).toBe(200);
    const ro = await api('PATCH', '/repos/acme/fleet/pulls/1', { title: 'x' }, 'token ghs_read_only');
    expect(ro.status).toBe(403);
    expect(ro.json.message).toBe('Resource not accessible by integration');
  });

  it('merges for real (merge commit with two parents) and deleting the head branch closes open PRs', async () => {
    const dir = join(work, 'fleet');
    await git(dir, 'checkout', '--quiet', '-b', 'feature', 'origin/main');
    await commitFile(dir, 'feature.txt', 'f\n', 'feature');
    await git(dir, 'push', '--quiet', 'origin', 'feature');
    const pr = (await api('POST', '/repos/acme/fleet/pulls', { head: 'feature', base: 'main', title: 'Feature' }, 'token ghp_alice')).json;
    const merged = await api('PUT', `/repos/acme/fleet/pulls/${pr.number}/merge`, { merge_method: 'merge' });
    expect(merged.status).toBe(200);
    expect(merged.json.merged).toBe(true);
    const bare = gitServer.repoPath('acme/fleet');
    expect(await git(bare, 'rev-parse', 'refs/heads/main')).toBe(merged.json.sha);
    expect((await git(bare, 'rev-list', '--parents', '-n', '1', merged.json.sha)).split(' ')).toHaveLength(3);
    expect((await api('GET', `/repos/acme/fleet/pulls/${pr.number}`)).json).toMatchObject({ state: 'closed', merged: true, merged_by: { login: 'github-actions[bot]' } });

    const open = (await api('GET', '/repos/acme/fleet/pulls?head=acme:image-updates')).json[0];
    expect((await api('DELETE', '/repos/acme/fleet/git/refs/heads/image-updates')).status).toBe(204);
    expect(await git(bare, 'for-each-ref', 'refs/heads/image-updates')).toBe('');
    expect((await api('GET', `/repos/acme/fleet/pulls/${open.number}`)).json.state).toBe('closed');
    expect((await api('DELETE', '/repos/acme/fleet/git/refs/heads/image-updates')).json.message).toBe('Reference does not exist');
    expect(gh.violations).toEqual([]);
  });

  it('records every request (method, path, body, operation) without tokens', () => {
    const create = gh.requests.find((r) => r.operationId === 'pulls/create' && r.status === 201);
    expect(create).toMatchObject({ method: 'POST', path: '/repos/acme/fleet/pulls', body: { head: 'image-updates', base: 'main' } });
    expect(JSON.stringify(gh.requests)).not.toContain(token);
  });

  describe('OpenAPI validation can fail (proves the emulator cannot drift silently)', () => {
    it('strict mode turns a request that violates the description into a 500', async () => {
      const before = gh.violations.length;
      const r = await api('POST', '/repos/acme/fleet/pulls', { head: 'feature', base: 'main', title: 42, draft: 'yes' });
      expect(r.status).toBe(500);
      expect(r.json.message).toMatch(/OpenAPI violation in the request to pulls\/create/);
      const v = gh.violations.slice(before);
      expect(v).toHaveLength(1);
      expect(v[0].errors.join('\n')).toMatch(/\/title must be string/);
      expect(v[0].errors.join('\n')).toMatch(/\/draft must be boolean/);
      const q = await api('GET', '/repos/acme/fleet/pulls?state=opened');
      expect(q.status).toBe(500);
      expect(gh.violations.at(-1)?.errors[0]).toMatch(/state=opened must be one of open, closed, all/);
      gh.violations.length = before;
    });

    it('strict mode turns a response that violates the description into a 500', async () => {
      gh.failNext('pulls/get', 'invalid-response');
      const r = await api('GET', '/repos/acme/fleet/pulls/1');
      expect(r.status).toBe(500);
      const v = gh.violations.at(-1);
      expect(v).toMatchObject({ where: 'response', operationId: 'pulls/get', status: 200 });
      expect(v?.errors.join('\n')).toMatch(/must have required property 'url'/);
      expect(v?.errors.join('\n')).toMatch(/\/id must be integer/);
      gh.violations.length = 0;
    });

    it('the validator rejects a wrong object and accepts what the emulator builds', async () => {
      const validator = new OpenApiValidator();
      const op = validator.match('GET', '/repos/acme/fleet/pulls/7');
      expect(op).toMatchObject({ operationId: 'pulls/get', params: { owner: 'acme', repo: 'fleet', pull_number: '7' } });
      expect(validator.match('GET', '/repos/acme/fleet/git/ref/heads/feature/x')).toMatchObject({ operationId: 'git/get-ref', params: { ref: 'heads/feature/x' } });
      if (!op) throw new Error('no operation');
      const good = (await api('GET', '/repos/acme/fleet/pulls/1')).json;
      expect(validator.validateResponse(op, 200, good)).toEqual([]);
      expect(validator.validateResponse(op, 200, { ...good, state: 'merged' }).join()).toMatch(/\/state must be equal to one of the allowed values/);
      expect(validator.validateResponse(op, 200, { ...good, head: { ...good.head, sha: undefined } }).join()).toMatch(/\/head must have required property 'sha'/);
      expect(validator.validateResponse(op, 418, {})[0]).toMatch(/status 418 is not documented/);
    });

    it('non-strict mode passes a bad response through but still records the violation', async () => {
      const lax = await startGitHubEmulator({ git: gitServer, tokens: [token], strict: false });
      try {
        await lax.addRepo('acme/fleet');
        lax.failNext('repos/get', 'invalid-response');
        const res = await fetch(`${lax.url}/repos/acme/fleet`, { headers: { authorization: `token ${token}` } });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { id: unknown }).id).toBe('not-a-number');
        expect(lax.violations).toHaveLength(1);
      } finally {
        await lax.stop();
      }
    });
  });
});
