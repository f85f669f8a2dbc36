import type { D2Error } from '../errors.js';
import { classifyGitHubError, translateGitHubError, type GitHubErrorKind } from './errors.js';
import { graphqlUrl } from './octokit.js';
import type { GitHubClient } from './octokit.js';

/** A pull request as the actions need it. */
export interface PullRequestInfo {
  number: number;
  /** html_url */
  url: string;
  /** GraphQL node id (for enablePullRequestAutoMerge). */
  nodeId: string;
  state: 'open' | 'closed';
  title: string;
  body: string;
  headRef: string;
  headSha: string;
  baseRef: string;
  draft: boolean;
  labels: string[];
  assignees: string[];
  requestedReviewers: string[];
}

export interface RepositoryInfo {
  defaultBranch: string;
  private: boolean;
  htmlUrl: string;
}

export interface Comparison {
  status: 'ahead' | 'behind' | 'diverged' | 'identical';
  aheadBy: number;
  behindBy: number;
  /** Oldest first, as the compare API lists them (at most 250). */
  commits: { sha: string; message: string }[];
  files: { filename: string; status: string; patch?: string }[];
}

export type MergeMethod = 'MERGE' | 'SQUASH' | 'REBASE';

interface RawPull {
  number: number;
  html_url: string;
  node_id: string;
  state: string;
  title: string;
  body?: string | null;
  head: { ref: string; sha: string };
  base: { ref: string };
  draft?: boolean;
  labels?: ({ name?: string } | string)[];
  requested_reviewers?: ({ login: string } | null)[] | null;
  assignees?: ({ login: string } | null)[] | null;
}

function toInfo(p: RawPull): PullRequestInfo {
  return {
    number: p.number,
    url: p.html_url,
    nodeId: p.node_id,
    state: p.state === 'closed' ? 'closed' : 'open',
    title: p.title,
    body: p.body ?? '',
    headRef: p.head.ref,
    headSha: p.head.sha,
    baseRef: p.base.ref,
    draft: p.draft === true,
    labels: (p.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
    assignees: (p.assignees ?? []).flatMap((u) => (u ? [u.login] : [])),
    requestedReviewers: (p.requested_reviewers ?? []).flatMap((u) => (u ? [u.login] : [])),
  };
}

function statusOf(err: unknown): number | undefined {
  return err && typeof err === 'object' && typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : undefined;
}

/**
 * Pull-request operations on one repository (the calls peter-evans/create-pull-request and `gh pr create` make): the
 * GitHub forge (forge/types.ts). Errors are Octokit's RequestError; describeError translates them.
 */
export class PullRequests {
  readonly owner: string;
  readonly repo: string;

  constructor(
    private readonly octokit: GitHubClient,
    repository: string,
    private readonly opts: { graphqlUrl?: string } = {},
  ) {
    const [owner, repo] = repository.split('/');
    this.owner = owner;
    this.repo = repo;
  }

  private get r(): { owner: string; repo: string } {
    return { owner: this.owner, repo: this.repo };
  }

  /** A failed call as an actionable error (translateGitHubError). */
  describeError(err: unknown, doing: string): D2Error {
    return translateGitHubError(err, doing);
  }

  errorKind(err: unknown): GitHubErrorKind {
    return classifyGitHubError(err).kind;
  }

  async repository(): Promise<RepositoryInfo> {
    const { data } = await this.octokit.rest.repos.get(this.r);
    return { defaultBranch: data.default_branch, private: data.private, htmlUrl: data.html_url };
  }

  /** The branch's commit SHA, or undefined when the branch does not exist. */
  async branchSha(branch: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.git.getRef({ ...this.r, ref: `heads/${branch}` });
      // getRef with a prefix can answer an array of matches; only an exact match counts.
      if (Array.isArray(data)) return undefined;
      return data.ref === `refs/heads/${branch}` ? data.object.sha : undefined;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Every branch whose name starts with `prefix` (the branches API, all pages), sorted by name. */
  async branchesWithPrefix(prefix: string): Promise<string[]> {
    const all = await this.octokit.paginate(this.octokit.rest.repos.listBranches, { ...this.r, per_page: 100 });
    return all
      .map((b) => b.name)
      .filter((n) => n.startsWith(prefix))
      .sort();
  }

  async compare(base: string, head: string): Promise<Comparison> {
    const { data } = await this.octokit.rest.repos.compareCommitsWithBasehead({ ...this.r, basehead: `${base}...${head}` });
    return {
      status: data.status,
      aheadBy: data.ahead_by,
      behindBy: data.behind_by,
      commits: data.commits.map((c) => ({ sha: c.sha, message: c.commit.message })),
      files: (data.files ?? []).map((f) => ({ filename: f.filename, status: f.status, ...(f.patch !== undefined ? { patch: f.patch } : {}) })),
    };
  }

  /** The open PR from `head` (this repository's branch) into `base`, if any. */
  async findOpen(head: string, base?: string): Promise<PullRequestInfo | undefined> {
    const { data } = await this.octokit.rest.pulls.list({ ...this.r, state: 'open', head: `${this.owner}:${head}`, ...(base ? { base } : {}), per_page: 10 });
    const hit = data.find((p) => p.head.ref === head && (!base || p.base.ref === base));
    return hit ? toInfo(hit as RawPull) : undefined;
  }

  async get(number: number): Promise<PullRequestInfo> {
    const { data } = await this.octokit.rest.pulls.get({ ...this.r, pull_number: number });
    return toInfo(data as RawPull);
  }

  async create(p: { head: string; base: string; title: string; body: string; draft?: boolean }): Promise<PullRequestInfo> {
    const { data } = await this.octokit.rest.pulls.create({ ...this.r, head: p.head, base: p.base, title: p.title, body: p.body, draft: p.draft === true });
    return toInfo(data as RawPull);
  }

  async update(number: number, p: { title?: string; body?: string; state?: 'open' | 'closed' }): Promise<PullRequestInfo> {
    const { data } = await this.octokit.rest.pulls.update({ ...this.r, pull_number: number, ...p });
    return toInfo(data as RawPull);
  }

  async close(number: number): Promise<PullRequestInfo> {
    return this.update(number, { state: 'closed' });
  }

  async deleteBranch(branch: string): Promise<void> {
    await this.octokit.rest.git.deleteRef({ ...this.r, ref: `heads/${branch}` });
  }

  async addLabels(number: number, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    await this.octokit.rest.issues.addLabels({ ...this.r, issue_number: number, labels });
  }

  async addAssignees(number: number, assignees: string[]): Promise<void> {
    if (assignees.length === 0) return;
    await this.octokit.rest.issues.addAssignees({ ...this.r, issue_number: number, assignees });
  }

  async requestReviewers(number: number, reviewers: string[], teamReviewers: string[]): Promise<void> {
    if (reviewers.length === 0 && teamReviewers.length === 0) return;
    await this.octokit.rest.pulls.requestReviewers({
      ...this.r,
      pull_number: number,
      ...(reviewers.length > 0 ? { reviewers } : {}),
      ...(teamReviewers.length > 0 ? { team_reviewers: teamReviewers } : {}),
    });
  }

  /** GraphQL enablePullRequestAutoMerge(input: {pullRequestId, mergeMethod}); throws GraphQL errors (translateGitHubError reads them). */
  async enableAutoMerge(nodeId: string, mergeMethod: MergeMethod): Promise<{ mergeMethod: string; enabledAt: string }> {
    // GITHUB_GRAPHQL_URL when set; otherwise Octokit derives it from its baseUrl. The object form is needed:
    // with a query string, @octokit/graphql refuses `url` among the variables.
    const url = this.opts.graphqlUrl ?? (process.env.GITHUB_GRAPHQL_URL ? graphqlUrl() : undefined);
    const query = `mutation EnableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
  enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod}) {
    pullRequest { id number autoMergeRequest { enabledAt mergeMethod } }
  }
}`;
    const res = await this.octokit.graphql<{
      enablePullRequestAutoMerge: { pullRequest: { autoMergeRequest: { enabledAt: string; mergeMethod: string } | null } } | null;
    }>({ query, pullRequestId: nodeId, mergeMethod, ...(url ? { url } : {}) });
    const req = res.enablePullRequestAutoMerge?.pullRequest.autoMergeRequest;
    return { mergeMethod: req?.mergeMethod ?? mergeMethod, enabledAt: req?.enabledAt ?? '' };
  }
}
