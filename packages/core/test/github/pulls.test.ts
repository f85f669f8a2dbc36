// PullRequests, createOctokit and translateGitHubError against the sandbox GitHub emulator (strict OpenAPI
// validation, real git repositories). Behaviour: docs/github.md "Core helpers" and "image-updates-pr — decisions".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { OpenApiValidator, startGitHubEmulator, type FailureKind, type GitHubEmulator } from '@d2/sandbox/github-emulator';
import { D2Error } from '../../src/errors.js';
import {
  apiUrl,
  classifyGitHubError,
  createOctokit,
  graphqlUrl,
  PullRequests,
  serverUrl,
  translateGitHubError,
  type GitHubClient,
  type PullRequestInfo,
} from '../../src/github/index.js';
import { ImageUpdatesPr } from '../../src/forge/index.js';
import { caught } from '../support/failures.js';
import { git, seedImageUpdates } from '../support/git.js';

describe('GitHub helpers against the emulator', () => {
  let gitServer: SandboxGitServer;
  let gh: GitHubEmulator;
  let octokit: GitHubClient;
  let pulls: PullRequests;
  const warnings: string[] = [];
  const token = 'ghs_core_github_test';

  beforeAll(async () => {
    OpenApiValidator.warmUp();
    gitServer = await startGitServer();
    gh = await startGitHubEmulator({ git: gitServer, tokens: [token] });
    await gh.addRepo('acme/fleet', { private: true });
    await seedImageUpdates(gitServer.authUrl('acme/fleet'), 'd2-core-gh-', {
      file: 'a.yaml',
      before: 'tag: 1.0.0 # {"$imagepolicy": "apps:a:tag"}\n',
      after: 'tag: 1.1.0 # {"$imagepolicy": "apps:a:tag"}\n',
      message: 'Bump a\n\nbody text',
    });
    octokit = createOctokit(token, { baseUrl: gh.url, rateLimitRetries: 1, warn: (m) => warnings.push(m) });
    pulls = new PullRequests(octokit, 'acme/fleet', { graphqlUrl: gh.graphqlUrl });
  });

  afterAll(async () => {
    await gh?.stop();
    await gitServer?.stop();
  });

  it('URLs come from GITHUB_API_URL / GITHUB_GRAPHQL_URL / GITHUB_SERVER_URL, with GHES-style derivation', () => {
    expect(apiUrl({})).toBe('https://api.github.com');
    expect(apiUrl({ GITHUB_API_URL: 'http://127.0.0.1:9/' })).toBe('http://127.0.0.1:9');
    expect(graphqlUrl({})).toBe('https://api.github.com/graphql');
    expect(graphqlUrl({ GITHUB_API_URL: 'https://ghe.example/api/v3' })).toBe('https://ghe.example/api/graphql');
    expect(graphqlUrl({ GITHUB_API_URL: 'x', GITHUB_GRAPHQL_URL: 'http://127.0.0.1:9/graphql' })).toBe('http://127.0.0.1:9/graphql');
    expect(serverUrl({})).toBe('https://github.com');
  });

  it('reads the repository, branches and the comparison from real git state', async () => {
    expect(await pulls.repository()).toMatchObject({ defaultBranch: 'main', private: true });
    const sha = await git(gitServer.repoPath('acme/fleet'), 'rev-parse', 'refs/heads/image-updates');
    expect(await pulls.branchSha('image-updates')).toBe(sha);
    expect(await pulls.branchSha('nope')).toBeUndefined();
    const cmp = await pulls.compare('main', 'image-updates');
    expect(cmp).toMatchObject({ status: 'ahead', aheadBy: 1, behindBy: 0, commits: [{ sha, message: 'Bump a\n\nbody text' }] });
    expect(cmp.files[0]).toMatchObject({ filename: 'a.yaml', status: 'modified' });
    expect(cmp.files[0].patch).toContain('+tag: 1.1.0');
  });

  it('creates, finds, updates, labels, assigns, requests reviewers, enables auto-merge and closes', async () => {
    expect(await pulls.findOpen('image-updates', 'main')).toBeUndefined();
    const pr = await pulls.create({ head: 'image-updates', base: 'main', title: 'T', body: 'B', draft: true });
    expect(pr).toMatchObject({ number: 1, state: 'open', title: 'T', body: 'B', headRef: 'image-updates', baseRef: 'main', draft: true });
    expect((await pulls.findOpen('image-updates', 'main'))?.number).toBe(1);
    expect(await pulls.findOpen('image-updates', 'release')).toBeUndefined();
    await pulls.addLabels(1, ['x', 'y']);
    await pulls.addAssignees(1, ['alice']);
    await pulls.requestReviewers(1, ['bob'], ['team-a']);
    await pulls.addLabels(1, []);
    const upd = await pulls.update(1, { title: 'T2', body: 'B2' });
    expect(upd).toMatchObject({ title: 'T2', body: 'B2', labels: ['x', 'y'], assignees: ['alice'], requestedReviewers: ['bob'] });
    expect(await pulls.enableAutoMerge(upd.nodeId, 'REBASE')).toMatchObject({ mergeMethod: 'REBASE' });
    const closed = await pulls.close(1);
    expect(closed.state).toBe('closed');
    expect(gh.requests.filter((r) => r.operationId === 'issues/add-labels')).toHaveLength(1);
    const graphql = gh.requests.find((r) => r.operationId === 'graphql');
    expect(graphql?.body).toMatchObject({ variables: { pullRequestId: upd.nodeId, mergeMethod: 'REBASE' } });
    expect(gh.violations).toEqual([]);
  });

  const cases: [FailureKind, string, RegExp][] = [
    ['not-permitted', 'GITHUB_ACTIONS_NOT_PERMITTED', /Allow GitHub Actions to create and approve pull requests/],
    ['not-accessible', 'GITHUB_FORBIDDEN', /pull-requests: write.*GitHub accepts: pull_requests=write/],
    ['already-exists', 'GITHUB_PR_EXISTS', /already exists/],
    ['no-commits', 'GITHUB_NO_COMMITS', /nothing to propose/],
  ];
  it.each(cases)('translates %s into %s with its fix', async (kind, code, hint) => {
    gh.failNext('pulls/create', kind);
    const err = await caught(pulls.create({ head: 'image-updates', base: 'main', title: 't', body: '' }));
    const d2 = translateGitHubError(err, 'create the pull request');
    expect(d2).toBeInstanceOf(D2Error);
    expect(d2.code).toBe(code);
    expect(d2.hint).toMatch(hint);
    expect(d2.message).toMatch(/^could not create the pull request: GitHub said: (403|422) /);
  });

  it('bad credentials and unknown repositories', async () => {
    const bad = new PullRequests(createOctokit('ghs_wrong', { baseUrl: gh.url }), 'acme/fleet');
    expect(translateGitHubError(await caught(bad.repository()), 'read').code).toBe('GITHUB_BAD_CREDENTIALS');
    const missing = new PullRequests(octokit, 'acme/none');
    expect(classifyGitHubError(await caught(missing.repository()))).toMatchObject({ kind: 'not-found', status: 404 });
  });

  it('retries a secondary rate limit after retry-after, and gives up after the bounded retries with a clear error', async () => {
    warnings.length = 0;
    gh.failNext('repos/get', 'secondary-rate-limit', 1);
    expect((await pulls.repository()).defaultBranch).toBe('main');
    expect(warnings).toEqual([expect.stringMatching(/^GitHub secondary rate limit on GET \/repos\/{owner}\/{repo}: retrying in 1s \(1\/1\)$/)]);
    gh.failNext('repos/get', 'secondary-rate-limit', 2);
    const err = await caught(pulls.repository());
    expect(warnings.at(-1)).toMatch(/giving up after 1 retry/);
    const d2 = translateGitHubError(err, 'read the repository');
    expect(d2.code).toBe('GITHUB_RATE_LIMITED');
    expect(d2.message).toMatch(/You have exceeded a secondary rate limit/);
  });

  it('retries a primary rate limit (x-ratelimit-remaining: 0) until x-ratelimit-reset', async () => {
    warnings.length = 0;
    gh.failNext('repos/get', 'rate-limit', 1);
    expect((await pulls.repository()).defaultBranch).toBe('main');
    expect(warnings[0]).toMatch(/^GitHub primary rate limit on GET/);
  });

  it('retries a 500 once through @octokit/plugin-retry', async () => {
    const before = gh.requests.length;
    gh.failNext('repos/get', 'server-error', 1);
    expect((await pulls.repository()).defaultBranch).toBe('main');
    expect(gh.requests.slice(before).map((r) => `${r.operationId} ${r.status}`)).toEqual(['repos/get 500', 'repos/get 200']);
  });

  it('recovers from a create race: GitHub\'s own 422 "already exists" switches to updating that PR', async () => {
    // Mocked part: which run lists first cannot be timed here, so the first list "misses" the PR another run
    // opened; the 422 itself is the emulator's real duplicate check.
    const other = await pulls.create({ head: 'image-updates', base: 'main', title: 'by another run', body: '' });
    class Racy extends PullRequests {
      private misses = 1;
      override async findOpen(head: string, base?: string): Promise<PullRequestInfo | undefined> {
        if (this.misses-- > 0) return undefined;
        return super.findOpen(head, base);
      }
    }
    const flow = new ImageUpdatesPr(new Racy(octokit, 'acme/fleet', { graphqlUrl: gh.graphqlUrl }));
    const before = gh.requests.length;
    const result = await flow.run({ repository: 'acme/fleet', head: 'image-updates' });
    expect(result).toMatchObject({ operation: 'updated', number: other.number, title: 'Bump a', base: 'main' });
    const calls = gh.requests.slice(before).map((r) => `${r.operationId} ${r.status}`);
    expect(calls).toContain('pulls/create 422');
    expect(calls).toContain('pulls/update 200');
    expect((await pulls.get(other.number)).body).toContain('| `a.yaml` |  | `1.0.0` → `1.1.0` | `apps:a:tag` |');
  });
});
