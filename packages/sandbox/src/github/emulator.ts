import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { SandboxGitServer } from '../git-server.js';
import { BareRepo } from './bare-repo.js';
import {
  commitObject,
  diffEntry,
  hashId,
  isoNow,
  labelObject,
  nodeId,
  repoObject,
  teamObject,
  userObject,
  type JsonObject,
  type JsonValue,
  type RepoFacts,
  type Urls,
} from './model.js';
import { OpenApiValidator, type Operation, type Violation } from './openapi.js';
import { refHandlers } from './refs.js';
import { listenLoopback } from '../process.js';

/**
 * A GitHub REST (and one GraphQL mutation) emulator on 127.0.0.1, backed by the sandbox git server's real bare
 * repositories: branches, commits, compare and merges are real git state; pull requests, labels and reviewers
 * live in memory. Every request and response is checked against GitHub's OpenAPI description; in strict mode a
 * violation turns the answer into a 500 so the test that caused it fails.
 */

/** GitHub's known error answers that tests can inject with `failNext`. */
export type FailureKind =
  /** 403 "GitHub Actions is not permitted to create or approve pull requests." (repository setting off). */
  | 'not-permitted'
  /** 403 "Resource not accessible by integration" (token lacks pull-requests: write). */
  | 'not-accessible'
  /** 422 Validation Failed, "A pull request already exists for owner:branch." */
  | 'already-exists'
  /** 422 Validation Failed, "No commits between base and head". */
  | 'no-commits'
  /** 403 secondary rate limit with retry-after. */
  | 'secondary-rate-limit'
  /** 403 primary rate limit, x-ratelimit-remaining: 0 and x-ratelimit-reset. */
  | 'rate-limit'
  /** 500 with GitHub's generic body. */
  | 'server-error'
  /** A testing aid: the normal answer with a required field removed (proves response validation). */
  | 'invalid-response'
  /** GraphQL: "Pull request Auto merge is not allowed for this repository". */
  | 'auto-merge-not-allowed'
  /** GraphQL: "Pull request is in clean status" (nothing to wait for, merge directly). */
  | 'clean-status';

export interface EmulatorToken {
  token: string;
  /** The account the token acts as (default github-actions[bot]). */
  login?: string;
  /** Lacks pull-requests/contents write: writes get 403 "Resource not accessible by integration". */
  readOnly?: boolean;
}

export interface StartGitHubEmulatorOptions {
  git: SandboxGitServer;
  /** Accepted tokens (default: the git server's token, acting as github-actions[bot]). */
  tokens?: (string | EmulatorToken)[];
  /** Fail any request or response that violates GitHub's OpenAPI description with a 500 (default true). */
  strict?: boolean;
  /** Seconds in retry-after for injected secondary rate limits (default 1). */
  retryAfterSeconds?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (undefined when none). */
  body: unknown;
  /** OpenAPI operationId (e.g. pulls/create), `graphql`, or undefined when unknown. */
  operationId?: string;
  status: number;
  /** The answer's `message` for error statuses (400 and up). */
  message?: string;
  /** The token's login (never the token). */
  login?: string;
}

export interface AddRepoOptions {
  defaultBranch?: string;
  private?: boolean;
  /** The repository's "Allow auto-merge" setting (default true). */
  allowAutoMerge?: boolean;
  /** Branch protection with required checks, so PRs wait (mergeable_state blocked) and auto-merge can be enabled (default true). */
  requiredChecks?: boolean;
}

interface PullState {
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  draft: boolean;
  head: string;
  headSha: string;
  base: string;
  user: string;
  labels: string[];
  assignees: string[];
  reviewers: string[];
  teams: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergedBy: string | null;
  autoMerge: { method: string; enabledBy: string } | null;
  maintainerCanModify: boolean;
}

interface RepoState extends RepoFacts {
  git: BareRepo;
  requiredChecks: boolean;
  pulls: PullState[];
  nextNumber: number;
}

export interface GitHubEmulator {
  /** GITHUB_API_URL */
  url: string;
  /** GITHUB_GRAPHQL_URL */
  graphqlUrl: string;
  /** GITHUB_SERVER_URL stand-in (html_url values start with it). */
  serverUrl: string;
  /** Every request, in order. */
  requests: RecordedRequest[];
  /** OpenAPI violations seen (also in non-strict mode). */
  violations: Violation[];
  /** Answer the next `times` requests of an operation (operationId such as pulls/create, or `graphql`, or `*`) with a known error. */
  failNext(route: string, kind: FailureKind, times?: number): void;
  /** Registers a repository (creating its bare repo on the git server when missing). */
  addRepo(fullName: string, opts?: AddRepoOptions): Promise<{ url: string; path: string }>;
  /** The in-memory pull requests of a repository, as the REST API would show them. */
  pulls(fullName: string): Promise<JsonObject[]>;
  stop(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message));
  }
}

const ERROR_DOCS: Record<string, string> = {
  'secondary-rate-limit': 'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
  'rate-limit': 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits',
};

function errorBody(status: number, message: string, docUrl: string, extra: JsonObject = {}): JsonObject {
  return { message, ...extra, documentation_url: docUrl, status: String(status) };
}

function validationFailed(docUrl: string, errors: JsonObject[]): HttpError {
  return new HttpError(422, errorBody(422, 'Validation Failed', docUrl, { errors }));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startGitHubEmulator(opts: StartGitHubEmulatorOptions): Promise<GitHubEmulator> {
  const strict = opts.strict ?? true;
  const tokens = new Map<string, EmulatorToken>();
  for (const t of opts.tokens ?? [opts.git.token]) {
    const tok = typeof t === 'string' ? { token: t } : t;
    tokens.set(tok.token, tok);
  }
  const validator = new OpenApiValidator();
  const requests: RecordedRequest[] = [];
  const violations: Violation[] = [];
  const failures: { route: string; kind: FailureKind; left: number }[] = [];
  const repos = new Map<string, RepoState>();
  let urls: Urls = { api: '', html: '' };
  let nextPullId = 1_000_000;

  function takeFailure(operationId: string): FailureKind | undefined {
    const i = failures.findIndex((f) => f.route === operationId || f.route === '*');
    if (i < 0) return undefined;
    const f = failures[i];
    if (--f.left <= 0) failures.splice(i, 1);
    return f.kind;
  }

  async function addRepo(fullName: string, o: AddRepoOptions = {}): Promise<{ url: string; path: string }> {
    const [owner, name] = fullName.split('/');
    const path = opts.git.repoPath(fullName);
    const created = existsSync(path)
      ? { url: `${opts.git.url}/${fullName}.git`, path }
      : await opts.git.createRepo(fullName, { defaultBranch: o.defaultBranch ?? 'main' });
    const key = fullName.toLowerCase();
    const existing = repos.get(key);
    const now = isoNow();
    repos.set(key, {
      id: existing?.id ?? hashId(`repo:${key}`),
      owner,
      name,
      fullName,
      private: o.private ?? existing?.private ?? false,
      defaultBranch: o.defaultBranch ?? existing?.defaultBranch ?? 'main',
      createdAt: existing?.createdAt ?? now,
      pushedAt: now,
      openIssues: 0,
      allowAutoMerge: o.allowAutoMerge ?? existing?.allowAutoMerge ?? true,
      deleteBranchOnMerge: false,
      requiredChecks: o.requiredChecks ?? existing?.requiredChecks ?? true,
      git: new BareRepo(created.path),
      pulls: existing?.pulls ?? [],
      nextNumber: existing?.nextNumber ?? 1,
    });
    return created;
  }

  function repoOf(owner: string, name: string, docUrl: string): RepoState {
    const key = `${owner}/${name}`.toLowerCase();
    const r = repos.get(key);
    if (!r) throw new HttpError(404, errorBody(404, 'Not Found', docUrl));
    r.openIssues = r.pulls.filter((p) => p.state === 'open').length;
    return r;
  }

  function pullOf(r: RepoState, n: string, docUrl: string): PullState {
    const p = r.pulls.find((x) => String(x.number) === n);
    if (!p) throw new HttpError(404, errorBody(404, 'Not Found', docUrl));
    return p;
  }

  async function refreshHead(r: RepoState, p: PullState): Promise<void> {
    if (p.state !== 'open') return;
    const sha = await r.git.branchSha(p.head);
    if (sha) p.headSha = sha;
  }

  async function pullObject(r: RepoState, p: PullState, full: boolean): Promise<JsonObject> {
    await refreshHead(r, p);
    const a = `${urls.api}/repos/${r.fullName}`;
    const h = `${urls.html}/${r.fullName}`;
    const baseSha = (await r.git.branchSha(p.base)) ?? p.headSha;
    const repo = repoObject(urls, r, false);
    const side = (ref: string, sha: string): JsonObject => ({ label: `${r.owner}:${ref}`, ref, sha, user: userObject(urls, r.owner), repo });
    const link = (href: string): JsonObject => ({ href });
    const merged = p.mergedAt !== null;
    const obj: JsonObject = {
      url: `${a}/pulls/${p.number}`,
      id: p.id,
      node_id: nodeId('PR', p.id),
      html_url: `${h}/pull/${p.number}`,
      diff_url: `${h}/pull/${p.number}.diff`,
      patch_url: `${h}/pull/${p.number}.patch`,
      issue_url: `${a}/issues/${p.number}`,
      number: p.number,
      state: p.state,
      locked: false,
      title: p.title,
      user: userObject(urls, p.user),
      body: p.body,
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      closed_at: p.closedAt,
      merged_at: p.mergedAt,
      merge_commit_sha: p.mergeCommitSha,
      assignee: p.assignees.length > 0 ? userObject(urls, p.assignees[0]) : null,
      assignees: p.assignees.map((l) => userObject(urls, l)),
      requested_reviewers: p.reviewers.map((l) => userObject(urls, l)),
      requested_teams: p.teams.map((t) => teamObject(urls, r.owner, t)),
      labels: p.labels.map((l) => labelObject(urls, r.fullName, l)),
      milestone: null,
      draft: p.draft,
      commits_url: `${a}/pulls/${p.number}/commits`,
      review_comments_url: `${a}/pulls/${p.number}/comments`,
      review_comment_url: `${a}/pulls/comments{/number}`,
      comments_url: `${a}/issues/${p.number}/comments`,
      statuses_url: `${a}/statuses/${p.headSha}`,
      head: side(p.head, p.headSha),
      base: side(p.base, baseSha),
      _links: {
        self: link(`${a}/pulls/${p.number}`),
        html: link(`${h}/pull/${p.number}`),
        issue: link(`${a}/issues/${p.number}`),
        comments: link(`${a}/issues/${p.number}/comments`),
        review_comments: link(`${a}/pulls/${p.number}/comments`),
        review_comment: link(`${a}/pulls/comments{/number}`),
        commits: link(`${a}/pulls/${p.number}/commits`),
        statuses: link(`${a}/statuses/${p.headSha}`),
      },
      author_association: 'CONTRIBUTOR',
      auto_merge: p.autoMerge
        ? { enabled_by: userObject(urls, p.autoMerge.enabledBy), merge_method: p.autoMerge.method.toLowerCase(), commit_title: p.title, commit_message: p.body ?? '' }
        : null,
      active_lock_reason: null,
    };
    if (full) {
      const mb = await r.git.mergeBase(baseSha, p.headSha);
      const files = mb ? await r.git.diff(mb, p.headSha) : [];
      Object.assign(obj, {
        merged,
        mergeable: p.state === 'open' ? true : null,
        rebaseable: p.state === 'open' ? true : null,
        mergeable_state: p.state !== 'open' ? 'unknown' : p.draft ? 'draft' : r.requiredChecks ? 'blocked' : 'clean',
        merged_by: p.mergedBy ? userObject(urls, p.mergedBy) : null,
        comments: 0,
        review_comments: 0,
        maintainer_can_modify: p.maintainerCanModify,
        commits: mb ? await r.git.count(mb, p.headSha) : 0,
        additions: files.reduce((n, f) => n + f.additions, 0),
        deletions: files.reduce((n, f) => n + f.deletions, 0),
        changed_files: files.length,
      });
    }
    return obj;
  }

  function issueObject(r: RepoState, p: PullState): JsonObject {
    const a = `${urls.api}/repos/${r.fullName}`;
    return {
      id: p.id + 500_000_000,
      node_id: nodeId('I', p.id),
      url: `${a}/issues/${p.number}`,
      repository_url: a,
      labels_url: `${a}/issues/${p.number}/labels{/name}`,
      comments_url: `${a}/issues/${p.number}/comments`,
      events_url: `${a}/issues/${p.number}/events`,
      html_url: `${urls.html}/${r.fullName}/pull/${p.number}`,
      number: p.number,
      state: p.state,
      state_reason: null,
      title: p.title,
      body: p.body,
      user: userObject(urls, p.user),
      labels: p.labels.map((l) => labelObject(urls, r.fullName, l)),
      assignee: p.assignees.length > 0 ? userObject(urls, p.assignees[0]) : null,
      assignees: p.assignees.map((l) => userObject(urls, l)),
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: 0,
      pull_request: {
        url: `${a}/pulls/${p.number}`,
        html_url: `${urls.html}/${r.fullName}/pull/${p.number}`,
        diff_url: `${urls.html}/${r.fullName}/pull/${p.number}.diff`,
        patch_url: `${urls.html}/${r.fullName}/pull/${p.number}.patch`,
        merged_at: p.mergedAt,
      },
      closed_at: p.closedAt,
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      draft: p.draft,
      author_association: 'CONTRIBUTOR',
      reactions: {
        url: `${a}/issues/${p.number}/reactions`,
        total_count: 0,
        '+1': 0,
        '-1': 0,
        laugh: 0,
        hooray: 0,
        confused: 0,
        heart: 0,
        rocket: 0,
        eyes: 0,
      },
    };
  }

  interface Ctx {
    op: Operation;
    body: JsonObject | JsonValue[] | undefined;
    query: URLSearchParams;
    login: string;
    readOnly: boolean;
    docUrl: string;
  }
  type Answer = { status: number; body?: JsonValue; headers?: Record<string, string> };

  const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

  function str(v: JsonValue | undefined): string | undefined {
    return typeof v === 'string' ? v : undefined;
  }

  function bodyObj(ctx: Ctx): JsonObject {
    return ctx.body && !Array.isArray(ctx.body) ? ctx.body : {};
  }

  async function resolveRefOrSha(r: RepoState, spec: string, docUrl: string): Promise<string> {
    // GitHub accepts branch, tag, SHA or owner:branch in compare; only same-repository refs here.
    const ref = spec.includes(':') ? spec.slice(spec.indexOf(':') + 1) : spec;
    const sha = (await r.git.resolve(`refs/heads/${ref}`)) ?? (await r.git.resolve(`refs/tags/${ref}`)) ?? (/^[0-9a-f]{4,40}$/.test(ref) ? await r.git.resolve(ref) : undefined);
    if (!sha) throw new HttpError(404, errorBody(404, 'Not Found', docUrl));
    return sha;
  }

  const handlers: Record<string, (ctx: Ctx) => Promise<Answer>> = {
    'repos/get': async ({ op, docUrl }) => {
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      return { status: 200, body: repoObject(urls, r, true) };
    },

    'pulls/list': async ({ op, query, docUrl }) => {
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      const state = query.get('state') ?? 'open';
      const head = query.get('head');
      const base = query.get('base');
      let list = r.pulls.filter((p) => state === 'all' || p.state === state);
      if (head && head.includes(':')) {
        const [owner, branch] = [head.slice(0, head.indexOf(':')), head.slice(head.indexOf(':') + 1)];
        list = list.filter((p) => owner.toLowerCase() === r.owner.toLowerCase() && p.head === branch);
      }
      if (base) list = list.filter((p) => p.base === base);
      // GitHub: desc by default when sorting by created (the default), asc otherwise.
      const direction = query.get('direction') ?? ((query.get('sort') ?? 'created') === 'created' ? 'desc' : 'asc');
      list = [...list].sort((x, y) => (direction === 'asc' ? x.number - y.number : y.number - x.number));
      const perPage = Math.min(Number(query.get('per_page') ?? 30) || 30, 100);
      const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
      const slice = list.slice((page - 1) * perPage, page * perPage);
      const headers: Record<string, string> = {};
      if (page * perPage < list.length) {
        const next = new URL(`${urls.api}/repos/${r.fullName}/pulls`);
        query.forEach((v, k) => next.searchParams.set(k, v));
        next.searchParams.set('page', String(page + 1));
        headers.link = `<${next.toString()}>; rel="next"`;
      }
      return { status: 200, body: await Promise.all(slice.map((p) => pullObject(r, p, false))), headers };
    },

    'pulls/create': async (ctx) => {
      const { op, docUrl, login } = ctx;
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      const b = bodyObj(ctx);
      const head = str(b.head) ?? '';
      const base = str(b.base) ?? '';
      const headBranch = head.includes(':') ? head.slice(head.indexOf(':') + 1) : head;
      const headSha = await r.git.branchSha(headBranch);
      const baseSha = await r.git.branchSha(base);
      if (!headSha) throw validationFailed(docUrl, [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
      if (!baseSha) throw validationFailed(docUrl, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      if (r.pulls.some((p) => p.state === 'open' && p.head === headBranch && p.base === base)) {
        throw validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${r.owner}:${headBranch}.` }]);
      }
      const mb = await r.git.mergeBase(baseSha, headSha);
      if (!mb || (await r.git.count(mb, headSha)) === 0) {
        throw validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${headBranch}` }]);
      }
      if (!str(b.title)) throw validationFailed(docUrl, [{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
      const now = isoNow();
      const p: PullState = {
        number: r.nextNumber++,
        id: nextPullId++,
        title: str(b.title) ?? '',
        body: str(b.body) ?? null,
        state: 'open',
        draft: b.draft === true,
        head: headBranch,
        headSha,
        base,
        user: login,
        labels: [],
        assignees: [],
        reviewers: [],
        teams: [],
        createdAt: now,
        updatedAt: now,
        closedAt: null,
        mergedAt: null,
        mergeCommitSha: null,
        mergedBy: null,
        autoMerge: null,
        maintainerCanModify: b.maintainer_can_modify !== false,
      };
      r.pulls.push(p);
      return { status: 201, body: await pullObject(r, p, true), headers: { location: `${urls.api}/repos/${r.fullName}/pulls/${p.number}` } };
    },

    'pulls/get': async ({ op, docUrl }) => {
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      return { status: 200, body: await pullObject(r, pullOf(r, op.params.pull_number, docUrl), true) };
    },

    'pulls/update': async (ctx) => {
      const { op, docUrl } = ctx;
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      const p = pullOf(r, op.params.pull_number, docUrl);
      const b = bodyObj(ctx);
      if (typeof b.title === 'string') p.title = b.title;
      if (typeof b.body === 'string') p.body = b.body;
      if (typeof b.base === 'string') {
        if (!(await r.git.branchSha(b.base))) throw validationFailed(docUrl, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
        p.base = b.base;
      }
      if (typeof b.maintainer_can_modify === 'boolean') p.maintainerCanModify = b.maintainer_can_modify;
      if (b.state === 'closed' && p.state === 'open') {
        await refreshHead(r, p);
        p.state = 'closed';
        p.closedAt = isoNow();
        p.autoMerge = null;
      } else if (b.state === 'open' && p.state === 'closed') {
        if (p.mergedAt) throw validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: 'Cannot reopen a merged pull request' }]);
        if (!(await r.git.branchSha(p.head))) {
          throw validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: `state cannot be changed. The ${p.head} branch has been deleted.` }]);
        }
        p.state = 'open';
        p.closedAt = null;
      }
      p.updatedAt = isoNow();
      return { status: 200, body: await pullObject(r, p, true) };
    },

    'pulls/merge': async (ctx) => {
      const { op, docUrl, login } = ctx;
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      const p = pullOf(r, op.params.pull_number, docUrl);
      const b = bodyObj(ctx);
      await refreshHead(r, p);
      if (p.state !== 'open') throw new HttpError(405, errorBody(405, 'Pull Request is not mergeable', docUrl));
      if (p.draft) throw new HttpError(405, errorBody(405, 'Pull Request is still a draft', docUrl));
      if (typeof b.sha === 'string' && b.sha !== p.headSha) {
        throw new HttpError(409, errorBody(409, 'Head branch was modified. Review and try the merge again.', docUrl));
      }
      const baseSha = await r.git.branchSha(p.base);
      if (!baseSha) throw new HttpError(405, errorBody(405, 'Base branch was deleted', docUrl));
      const method = str(b.merge_method) ?? 'merge';
      const who = { name: login, email: `${login}@users.noreply.github.com` };
      let sha: string;
      if (method === 'rebase') {
        // Fast-forward when base is an ancestor of head; the emulator does not rewrite commits.
        if (!(await r.git.isAncestor(baseSha, p.headSha))) throw new HttpError(405, errorBody(405, 'This branch can\'t be rebased', docUrl));
        sha = p.headSha;
      } else {
        const tree = await r.git.mergeTree(baseSha, p.headSha);
        if (!tree) throw new HttpError(405, errorBody(405, 'Pull Request is not mergeable', docUrl));
        if (method === 'squash') {
          const title = str(b.commit_title) ?? `${p.title} (#${p.number})`;
          sha = await r.git.commitTree(tree, [baseSha], [title, str(b.commit_message) ?? ''].filter(Boolean).join('\n\n'), who);
        } else {
          const title = str(b.commit_title) ?? `Merge pull request #${p.number} from ${r.owner}/${p.head}`;
          sha = await r.git.commitTree(tree, [baseSha, p.headSha], [title, str(b.commit_message) ?? p.title].filter(Boolean).join('\n\n'), who);
        }
      }
      await r.git.updateRef(`refs/heads/${p.base}`, sha, baseSha);
      const now = isoNow();
      Object.assign(p, { state: 'closed', closedAt: now, mergedAt: now, updatedAt: now, mergeCommitSha: sha, mergedBy: login, autoMerge: null });
      return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
    },

    'issues/add-labels': async (ctx) => {
      const { op, docUrl } = ctx;
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      const p = pullOf(r, op.params.issue_number, docUrl);
      const raw = Array.isArray(ctx.body) ? ctx.body : (bodyObj(ctx).labels ?? []);
      const names = (Array.isArray(raw) ? raw : []).map((l) => (typeof l === 'string' ? l : str((l as JsonObject).name) ?? '')).filter(Boolean);
      for (const n of names) if (!p.labels.includes(n)) p.labels.push(n);
      p.updatedAt = isoNow();
      return { status: 200, body: p.labels.map((l) => labelObject(urls, r.fullName, l)) };
    },

    'issues/add-assignees': async (ctx) => {
      const { op, docUrl } = ctx;
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      const p = pullOf(r, op.params.issue_number, docUrl);
      const list = bodyObj(ctx).assignees;
      // GitHub silently ignores logins that cannot be assigned; all are accepted here.
      for (const a of Array.isArray(list) ? list : []) if (typeof a === 'string' && !p.assignees.includes(a)) p.assignees.push(a);
      p.updatedAt = isoNow();
      return { status: 201, body: issueObject(r, p) };
    },

    'pulls/request-reviewers': async (ctx) => {
      const { op, docUrl } = ctx;
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      const p = pullOf(r, op.params.pull_number, docUrl);
      const b = bodyObj(ctx);
      const reviewers = (Array.isArray(b.reviewers) ? b.reviewers : []).filter((x): x is string => typeof x === 'string');
      const teams = (Array.isArray(b.team_reviewers) ? b.team_reviewers : []).filter((x): x is string => typeof x === 'string');
      if (reviewers.some((x) => x.toLowerCase() === p.user.toLowerCase())) {
        throw validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: 'Review cannot be requested from pull request author.' }]);
      }
      for (const x of reviewers) if (!p.reviewers.includes(x)) p.reviewers.push(x);
      for (const x of teams) if (!p.teams.includes(x)) p.teams.push(x);
      p.updatedAt = isoNow();
      return { status: 201, body: await pullObject(r, p, false) };
    },

    'git/get-ref': async ({ op, docUrl }) => {
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      const ref = `refs/${op.params.ref}`;
      const sha = op.params.ref.startsWith('heads/') || op.params.ref.startsWith('tags/') ? await r.git.resolve(ref) : undefined;
      if (!sha) throw new HttpError(404, errorBody(404, 'Not Found', docUrl));
      return {
        status: 200,
        body: {
          ref,
          node_id: nodeId('REF', hashId(`${r.fullName}:${ref}`)),
          url: `${urls.api}/repos/${r.fullName}/git/${ref}`,
          object: { type: 'commit', sha, url: `${urls.api}/repos/${r.fullName}/git/commits/${sha}` },
        },
      };
    },

    'git/delete-ref': async ({ op, docUrl }) => {
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      const ref = `refs/${op.params.ref}`;
      const sha = await r.git.resolve(ref);
      if (!sha) throw new HttpError(422, errorBody(422, 'Reference does not exist', docUrl));
      await r.git.deleteRef(ref);
      // As on GitHub, deleting a head branch closes its open pull requests.
      if (ref.startsWith('refs/heads/')) {
        const branch = ref.slice('refs/heads/'.length);
        for (const p of r.pulls) {
          if (p.state === 'open' && p.head === branch) Object.assign(p, { state: 'closed', closedAt: isoNow(), updatedAt: isoNow(), headSha: sha });
        }
      }
      return { status: 204 };
    },

    'repos/compare-commits-with-basehead': async ({ op, docUrl }) => {
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      const basehead = op.params.basehead ?? `${op.params.base}...${op.params.head}`;
      const m = /^(.+?)\.\.\.(.+)$/.exec(basehead);
      if (!m) throw new HttpError(404, errorBody(404, 'Not Found', docUrl));
      const base = await resolveRefOrSha(r, m[1], docUrl);
      const head = await resolveRefOrSha(r, m[2], docUrl);
      const mb = await r.git.mergeBase(base, head);
      if (!mb) throw new HttpError(404, errorBody(404, `No common ancestor between ${m[1]} and ${m[2]}.`, docUrl));
      const ahead = await r.git.count(base, head);
      const behind = await r.git.count(head, base);
      const status = ahead === 0 && behind === 0 ? 'identical' : behind === 0 ? 'ahead' : ahead === 0 ? 'behind' : 'diverged';
      const shas = await r.git.commitsBetween(base, head);
      const commits = await Promise.all(shas.map(async (s) => commitObject(urls, r.fullName, await r.git.commit(s))));
      const files = await r.git.diff(mb, head);
      const h = `${urls.html}/${r.fullName}/compare/${basehead}`;
      return {
        status: 200,
        body: {
          url: `${urls.api}/repos/${r.fullName}/compare/${basehead}`,
          html_url: h,
          permalink_url: `${urls.html}/${r.fullName}/compare/${r.owner}:${base.slice(0, 7)}...${r.owner}:${head.slice(0, 7)}`,
          diff_url: `${h}.diff`,
          patch_url: `${h}.patch`,
          base_commit: commitObject(urls, r.fullName, await r.git.commit(base)),
          merge_base_commit: commitObject(urls, r.fullName, await r.git.commit(mb)),
          status,
          ahead_by: ahead,
          behind_by: behind,
          total_commits: ahead,
          commits,
          files: files.map((f) => diffEntry(urls, r.fullName, head, f)),
        },
      };
    },

    'repos/get-commit': async ({ op, docUrl }) => {
      const r = repoOf(op.params.owner, op.params.repo, docUrl);
      const sha = await resolveRefOrSha(r, op.params.ref, docUrl).catch(() => {
        throw new HttpError(422, errorBody(422, `No commit found for SHA: ${op.params.ref}`, docUrl));
      });
      const c = await r.git.commit(sha);
      const files = await r.git.diff(c.parents[0] ?? '4b825dc642cb6eb9a060e54bf8d69288fbee4904', sha);
      return { status: 200, body: commitObject(urls, r.fullName, c, files) };
    },
  };

  Object.assign(handlers, refHandlers({ repoOf, urls: () => urls }));
  // The description keeps octokit's older template /compare/{base}...{head} beside /compare/{basehead}.
  handlers['repos/compare-commits'] = handlers['repos/compare-commits-with-basehead'];

  async function graphql(ctx: { body: JsonObject; login: string; readOnly: boolean }): Promise<Answer> {
    const query = str(ctx.body.query) ?? '';
    const vars = (ctx.body.variables && typeof ctx.body.variables === 'object' && !Array.isArray(ctx.body.variables) ? ctx.body.variables : {}) as JsonObject;
    const gqlError = (message: string, type?: string): Answer => ({
      status: 200,
      body: { data: { enablePullRequestAutoMerge: null }, errors: [{ ...(type ? { type } : {}), path: ['enablePullRequestAutoMerge'], locations: [{ line: 2, column: 3 }], message }] },
    });
    if (!/\benablePullRequestAutoMerge\b/.test(query)) {
      return { status: 200, body: { errors: [{ message: 'The emulator implements only the enablePullRequestAutoMerge mutation.' }] } };
    }
    // Arguments come from an `input: $input` variable, or inline: `pullRequestId: $id` / "literal", `mergeMethod: $m` / SQUASH.
    const input = (vars.input && typeof vars.input === 'object' && !Array.isArray(vars.input) ? vars.input : {}) as JsonObject;
    const arg = (name: string): string | undefined => {
      if (typeof input[name] === 'string') return input[name] as string;
      // Not the variable declarations ($mergeMethod: PullRequestMergeMethod!), only the arguments.
      const m = new RegExp(`(?<![$\\w])${name}:\\s*(?:"([^"]*)"|\\$(\\w+)|([A-Z_]+)\\b)`).exec(query);
      if (!m) return undefined;
      return m[1] ?? (m[2] !== undefined ? str(vars[m[2]]) : m[3]);
    };
    const prId = arg('pullRequestId');
    const method = arg('mergeMethod') ?? 'MERGE';
    if (!['MERGE', 'SQUASH', 'REBASE'].includes(method)) {
      return { status: 200, body: { errors: [{ message: `Argument 'mergeMethod' on InputObject 'EnablePullRequestAutoMergeInput' has an invalid value (${method}). Expected type 'PullRequestMergeMethod'.` }] } };
    }
    let found: { r: RepoState; p: PullState } | undefined;
    for (const r of repos.values()) {
      const p = r.pulls.find((x) => nodeId('PR', x.id) === prId);
      if (p) found = { r, p };
    }
    if (!found) return gqlError(`Could not resolve to a node with the global id of '${prId ?? ''}'`, 'NOT_FOUND');
    const failure = takeFailure('graphql');
    if (failure === 'auto-merge-not-allowed' || !found.r.allowAutoMerge) return gqlError('Pull request Auto merge is not allowed for this repository', 'UNPROCESSABLE');
    if (ctx.readOnly) return gqlError('Resource not accessible by integration', 'FORBIDDEN');
    if (failure === 'clean-status' || !found.r.requiredChecks) return gqlError('Pull request is in clean status', 'UNPROCESSABLE');
    if (found.p.state !== 'open') return gqlError('Pull request is closed', 'UNPROCESSABLE');
    found.p.autoMerge = { method, enabledBy: ctx.login };
    return {
      status: 200,
      body: {
        data: {
          enablePullRequestAutoMerge: {
            pullRequest: { id: prId ?? '', number: found.p.number, autoMergeRequest: { enabledAt: isoNow(), mergeMethod: method } },
          },
        },
      },
    };
  }

  function injected(kind: FailureKind, docUrl: string, r?: { owner: string; head?: string; base?: string }): HttpError | undefined {
    switch (kind) {
      case 'not-permitted':
        return new HttpError(403, errorBody(403, 'GitHub Actions is not permitted to create or approve pull requests.', docUrl));
      case 'not-accessible':
        return new HttpError(403, errorBody(403, 'Resource not accessible by integration', docUrl), { 'x-accepted-github-permissions': 'pull_requests=write' });
      case 'already-exists':
        return validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${r?.owner ?? 'owner'}:${r?.head ?? 'branch'}.` }]);
      case 'no-commits':
        return validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${r?.base ?? 'main'} and ${r?.head ?? 'branch'}` }]);
      case 'secondary-rate-limit':
        return new HttpError(
          403,
          errorBody(
            403,
            `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${randomBytes(4).toString('hex').toUpperCase()}:${randomBytes(3).toString('hex').toUpperCase()}.`,
            ERROR_DOCS['secondary-rate-limit'],
          ),
          { 'retry-after': String(opts.retryAfterSeconds ?? 1) },
        );
      case 'rate-limit':
        return new HttpError(403, errorBody(403, 'API rate limit exceeded for installation ID 4242.', ERROR_DOCS['rate-limit']), {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-used': '5000',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1),
          'x-ratelimit-resource': 'core',
        });
      case 'server-error':
        return new HttpError(500, { message: 'Server Error' });
      default:
        // invalid-response, auto-merge-not-allowed and clean-status are applied by the handlers themselves.
        return undefined;
    }
  }

  function send(res: ServerResponse, status: number, body: JsonValue | undefined, headers: Record<string, string>): void {
    const base: Record<string, string> = {
      'x-github-media-type': 'github.v3; format=json',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': `${randomBytes(4).toString('hex').toUpperCase()}:${randomBytes(4).toString('hex').toUpperCase()}`,
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      'x-ratelimit-used': '1',
      'x-ratelimit-resource': 'core',
    };
    if (body === undefined) {
      res.writeHead(status, { ...base, ...headers });
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { ...base, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    let body: JsonObject | JsonValue[] | undefined;
    const record: RecordedRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: undefined, status: 0 };
    requests.push(record);
    const reply = (status: number, payload: JsonValue | undefined, headers: Record<string, string> = {}): void => {
      record.status = status;
      if (status >= 400 && payload && typeof payload === 'object' && !Array.isArray(payload) && typeof payload.message === 'string') record.message = payload.message;
      send(res, status, payload, headers);
    };
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as JsonObject;
      } catch {
        reply(400, errorBody(400, 'Problems parsing JSON', 'https://docs.github.com/rest'));
        return;
      }
    }
    record.body = body;

    // Authentication: Authorization: token <t> | Bearer <t>.
    const auth = /^(?:token|bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const tok = auth ? tokens.get(auth[1]) : undefined;
    if (!auth) {
      reply(401, errorBody(401, 'Requires authentication', 'https://docs.github.com/rest'));
      return;
    }
    if (!tok) {
      reply(401, errorBody(401, 'Bad credentials', 'https://docs.github.com/rest'));
      return;
    }
    const login = tok.login ?? 'github-actions[bot]';
    record.login = login;

    if (method === 'POST' && url.pathname === '/graphql') {
      record.operationId = 'graphql';
      const failure = failures.find((f) => f.route === 'graphql');
      if (failure && !['auto-merge-not-allowed', 'clean-status'].includes(failure.kind)) {
        takeFailure('graphql');
        const err = injected(failure.kind, 'https://docs.github.com/graphql');
        if (err) return reply(err.status, err.body, err.headers);
      }
      const answer = await graphql({ body: body && !Array.isArray(body) ? body : {}, login, readOnly: tok.readOnly === true });
      reply(answer.status, answer.body, answer.headers);
      return;
    }

    const op = validator.match(method, url.pathname);
    if (!op) {
      reply(404, errorBody(404, 'Not Found', 'https://docs.github.com/rest'));
      return;
    }
    record.operationId = op.operationId;
    const docUrl = operationDocUrl(op);

    const requestErrors = validator.validateRequest(op, body, url.searchParams);
    if (requestErrors.length > 0) {
      violations.push({ where: 'request', operationId: op.operationId, method, path: url.pathname, errors: requestErrors });
      if (strict) {
        reply(500, { message: `OpenAPI violation in the request to ${op.operationId} (emulator strict mode): ${requestErrors.join('; ')}` });
        return;
      }
    }

    const handler = handlers[op.operationId];
    const failure = takeFailure(op.operationId);
    let answer: Answer;
    try {
      if (failure && failure !== 'invalid-response') {
        const b = body && !Array.isArray(body) ? body : {};
        const err = injected(failure, docUrl, { owner: op.params.owner, head: str(b.head)?.replace(/^[^:]*:/, ''), base: str(b.base) });
        if (err) throw err;
      }
      if (!handler) throw new HttpError(404, errorBody(404, `Not Found (the emulator does not implement ${op.operationId})`, docUrl));
      if (tok.readOnly && WRITES.has(method)) {
        throw new HttpError(403, errorBody(403, 'Resource not accessible by integration', docUrl), { 'x-accepted-github-permissions': 'pull_requests=write' });
      }
      answer = await handler({ op, body, query: url.searchParams, login, readOnly: tok.readOnly === true, docUrl });
      if (failure === 'invalid-response' && answer.body && typeof answer.body === 'object' && !Array.isArray(answer.body)) {
        // Drop a required field and break a type: the response validation must notice.
        const broken: JsonObject = { ...answer.body };
        delete broken.url;
        broken.id = 'not-a-number';
        answer = { ...answer, body: broken };
      }
    } catch (err) {
      if (!(err instanceof HttpError)) {
        answer = { status: 500, body: { message: `emulator error: ${err instanceof Error ? err.message : String(err)}` } };
        reply(answer.status, answer.body);
        return;
      }
      answer = { status: err.status, body: err.body, headers: err.headers };
      // Injected errors are sent whatever the description documents (GitHub sends rate limits anywhere);
      // their bodies are still checked against basic-error / validation-error in the description.
    }

    const responseErrors = answer.status >= 400 ? validator.validateError(answer.status, answer.body) : validator.validateResponse(op, answer.status, answer.body);
    if (responseErrors.length > 0) {
      violations.push({ where: 'response', operationId: op.operationId, method, path: url.pathname, status: answer.status, errors: responseErrors });
      if (strict) {
        reply(500, { message: `OpenAPI violation in the emulator's ${answer.status} response to ${op.operationId} (strict mode): ${responseErrors.join('; ')}` });
        return;
      }
    }
    reply(answer.status, answer.body, answer.headers);
  }

  function operationDocUrl(op: Operation): string {
    return validator.docUrl(op) ?? 'https://docs.github.com/rest';
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `emulator error: ${err instanceof Error ? err.message : String(err)}` }));
    });
  });
  const port = await listenLoopback(server);
  const base = `http://127.0.0.1:${port}`;
  urls = { api: base, html: base };

  return {
    url: base,
    graphqlUrl: `${base}/graphql`,
    serverUrl: base,
    requests,
    violations,
    failNext(route, kind, times = 1) {
      failures.push({ route, kind, left: times });
    },
    addRepo,
    async pulls(fullName) {
      const r = repos.get(fullName.toLowerCase());
      if (!r) return [];
      return Promise.all(r.pulls.map((p) => pullObject(r, p, true)));
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
