import { D2Error } from '../errors.js';
import type { TimeLeft } from '../util/index.js';
import type { Comparison, MergeMethod, PullRequestInfo, RepositoryInfo } from '../github/index.js';
import { gitbeaker, resourceOptions } from './client.js';
import { classifyGitLabError, translateGitLabError } from './errors.js';

interface RawMergeRequest {
  iid: number;
  web_url: string;
  state: string;
  title: string;
  description?: string | null;
  source_branch: string;
  target_branch: string;
  sha?: string | null;
  draft?: boolean;
  labels?: (string | { name?: string })[];
  assignees?: { username: string }[] | null;
  reviewers?: { username: string }[] | null;
  source_project_id?: number;
  target_project_id?: number;
}

function toInfo(m: RawMergeRequest): PullRequestInfo {
  return {
    number: m.iid,
    url: m.web_url,
    // GitLab has no GraphQL node id in this flow: auto-merge is addressed by iid.
    nodeId: String(m.iid),
    state: m.state === 'opened' ? 'open' : 'closed',
    title: m.title,
    body: m.description ?? '',
    headRef: m.source_branch,
    headSha: m.sha ?? '',
    baseRef: m.target_branch,
    draft: m.draft === true,
    labels: (m.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
    assignees: (m.assignees ?? []).map((u) => u.username),
    requestedReviewers: (m.reviewers ?? []).map((u) => u.username),
  };
}

function statusOf(err: unknown): number | undefined {
  return classifyGitLabError(err).status;
}

/**
 * Merge requests of one GitLab project (doc/api/merge_requests.md), through @gitbeaker/rest: the GitLab forge
 * (forge/types.ts, registered by forge/gitlab.ts). "Pull request" in the Forge interface means merge request here;
 * `number` is the MR's iid.
 */
export class GitLabMergeRequests {
  constructor(
    private readonly host: string,
    private readonly project: string,
    private readonly token: string,
    private readonly budget?: TimeLeft,
  ) {}

  private async api(): Promise<{ opts: ReturnType<typeof resourceOptions>; g: Awaited<ReturnType<typeof gitbeaker>> }> {
    return { opts: resourceOptions(this.host, this.token, this.budget), g: await gitbeaker() };
  }

  describeError(err: unknown, doing: string): D2Error {
    return translateGitLabError(err, doing);
  }

  errorKind(err: unknown): string {
    return classifyGitLabError(err).kind;
  }

  async repository(): Promise<RepositoryInfo> {
    const { g, opts } = await this.api();
    const p = (await new g.Projects(opts).show(this.project)) as unknown as { default_branch?: string; visibility?: string; web_url: string };
    return { defaultBranch: p.default_branch ?? 'main', private: p.visibility !== 'public', htmlUrl: p.web_url };
  }

  async branchSha(branch: string): Promise<string | undefined> {
    const { g, opts } = await this.api();
    try {
      const b = (await new g.Branches(opts).show(this.project, branch)) as unknown as { name: string; commit: { id: string } };
      return b.name === branch ? b.commit.id : undefined;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  /** Every branch whose name starts with `prefix` (doc/api/branches.md, `search=^prefix`, all pages), sorted. */
  async branchesWithPrefix(prefix: string): Promise<string[]> {
    const { g, opts } = await this.api();
    const all = (await new g.Branches(opts).all(this.project, { search: `^${prefix}` })) as unknown as { name: string }[];
    return all
      .map((b) => b.name)
      .filter((n) => n.startsWith(prefix))
      .sort();
  }

  /**
   * GitLab's compare from the merge base (straight=false) gives the commits and diffs `head` adds; the commits `base`
   * has that `head` lacks come from the reverse compare.
   */
  async compare(base: string, head: string): Promise<Comparison> {
    const { g, opts } = await this.api();
    const repos = new g.Repositories(opts);
    type Raw = { commits: { id: string; message: string }[]; diffs: { new_path: string; new_file: boolean; deleted_file: boolean; renamed_file: boolean; diff: string }[] };
    const ahead = (await repos.compare(this.project, base, head, { straight: false })) as unknown as Raw;
    const behind = (await repos.compare(this.project, head, base, { straight: false })) as unknown as Raw;
    const aheadBy = ahead.commits.length;
    const behindBy = behind.commits.length;
    return {
      status: aheadBy === 0 && behindBy === 0 ? 'identical' : behindBy === 0 ? 'ahead' : aheadBy === 0 ? 'behind' : 'diverged',
      aheadBy,
      behindBy,
      commits: ahead.commits.map((c) => ({ sha: c.id, message: c.message })),
      files: ahead.diffs.map((d) => ({
        filename: d.new_path,
        status: d.new_file ? 'added' : d.deleted_file ? 'removed' : d.renamed_file ? 'renamed' : 'modified',
        ...(d.diff ? { patch: d.diff.replace(/\n$/, '') } : {}),
      })),
    };
  }

  async findOpen(head: string, base?: string): Promise<PullRequestInfo | undefined> {
    const { g, opts } = await this.api();
    const list = (await new g.MergeRequests(opts).all({ projectId: this.project, state: 'opened', sourceBranch: head, ...(base ? { targetBranch: base } : {}), perPage: 20, maxPages: 1 })) as unknown as RawMergeRequest[];
    const hit = list.find((m) => m.source_branch === head && (!base || m.target_branch === base) && (m.source_project_id === undefined || m.source_project_id === m.target_project_id));
    return hit ? toInfo(hit) : undefined;
  }

  async create(p: { head: string; base: string; title: string; body: string; draft?: boolean }): Promise<PullRequestInfo> {
    const { g, opts } = await this.api();
    // GitLab marks a draft by the title prefix (doc/user/project/merge_requests/drafts.md).
    const title = p.draft && !/^\s*draft:/i.test(p.title) ? `Draft: ${p.title}` : p.title;
    const m = (await new g.MergeRequests(opts).create(this.project, p.head, p.base, title, { description: p.body })) as unknown as RawMergeRequest;
    return toInfo(m);
  }

  async update(number: number, p: { title?: string; body?: string; state?: 'open' | 'closed' }): Promise<PullRequestInfo> {
    const { g, opts } = await this.api();
    const m = (await new g.MergeRequests(opts).edit(this.project, number, {
      ...(p.title !== undefined ? { title: p.title } : {}),
      ...(p.body !== undefined ? { description: p.body } : {}),
      ...(p.state ? { stateEvent: p.state === 'closed' ? 'close' : 'reopen' } : {}),
    })) as unknown as RawMergeRequest;
    return toInfo(m);
  }

  async close(number: number): Promise<PullRequestInfo> {
    return this.update(number, { state: 'closed' });
  }

  async deleteBranch(branch: string): Promise<void> {
    const { g, opts } = await this.api();
    await new g.Branches(opts).remove(this.project, branch);
  }

  async addLabels(number: number, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    const { g, opts } = await this.api();
    await new g.MergeRequests(opts).edit(this.project, number, { addLabels: labels.join(',') });
  }

  /** GitLab addresses users by id: each username is looked up (doc/api/users.md, `?username=`). */
  private async userIds(usernames: string[]): Promise<number[]> {
    const { g, opts } = await this.api();
    const users = new g.Users(opts);
    const out: number[] = [];
    for (const username of usernames) {
      const hits = (await users.all({ username })) as unknown as { id: number; username: string }[];
      const hit = hits.find((u) => u.username.toLowerCase() === username.toLowerCase());
      if (!hit) throw new D2Error(`GitLab has no user '${username}'`, { code: 'GITLAB_NOT_FOUND', hint: 'use GitLab usernames (without @) in assignees and reviewers' });
      out.push(hit.id);
    }
    return out;
  }

  private async current(number: number): Promise<{ assignees: number[]; reviewers: number[] }> {
    const { g, opts } = await this.api();
    const m = (await new g.MergeRequests(opts).show(this.project, number)) as unknown as { assignees?: { id: number }[] | null; reviewers?: { id: number }[] | null };
    return { assignees: (m.assignees ?? []).map((u) => u.id), reviewers: (m.reviewers ?? []).map((u) => u.id) };
  }

  async addAssignees(number: number, assignees: string[]): Promise<void> {
    if (assignees.length === 0) return;
    const ids = await this.userIds(assignees);
    const now = await this.current(number);
    const { g, opts } = await this.api();
    await new g.MergeRequests(opts).edit(this.project, number, { assigneeIds: [...new Set([...now.assignees, ...ids])] });
  }

  async requestReviewers(number: number, reviewers: string[], teamReviewers: string[]): Promise<void> {
    if (teamReviewers.length > 0) {
      throw new D2Error(`GitLab has no team reviewers (asked for ${teamReviewers.join(', ')})`, {
        code: 'INPUT_INVALID',
        hint: 'name GitLab users in reviewers, or use CODEOWNERS with approval rules for groups',
      });
    }
    if (reviewers.length === 0) return;
    const ids = await this.userIds(reviewers);
    const now = await this.current(number);
    const { g, opts } = await this.api();
    await new g.MergeRequests(opts).edit(this.project, number, { reviewerIds: [...new Set([...now.reviewers, ...ids])] });
  }

  /**
   * "Merge when pipeline succeeds" (doc/api/merge_requests.md "Merge a merge request", `auto_merge`, formerly
   * `merge_when_pipeline_succeeds`; both are sent so that instances before and after GitLab 17.11 agree). GitLab
   * merges with the project's merge method; SQUASH asks for a squash, REBASE has no per-request equivalent.
   */
  async enableAutoMerge(nodeId: string, mergeMethod: MergeMethod): Promise<{ mergeMethod: string; enabledAt: string }> {
    const { g, opts } = await this.api();
    const m = (await new g.MergeRequests(opts).accept(this.project, Number(nodeId), {
      autoMerge: true,
      mergeWhenPipelineSucceeds: true,
      ...(mergeMethod === 'SQUASH' ? { squash: true } : {}),
    })) as unknown as { merge_when_pipeline_succeeds?: boolean; updated_at?: string };
    if (m.merge_when_pipeline_succeeds !== true) {
      throw new D2Error('GitLab did not set the merge request to merge when the pipeline succeeds', { code: 'GITLAB_API_ERROR', hint: 'check that the project has pipelines for merge requests and that the token may merge' });
    }
    return { mergeMethod, enabledAt: m.updated_at ?? '' };
  }
}
