import { labelObject, nodeId, repoObject, teamObject, userObject, type JsonObject, type Urls } from './model.js';
import { refreshHead, type PullState, type RepoState } from './state.js';

/**
 * Pull requests rendered from the emulator's state as GitHub's REST API shows them: the `pull-request` (full) and
 * `pull-request-simple` schemas, and the `issue` view of a pull request. Head, base and diff stats come from git.
 */

export async function pullObject(urls: Urls, r: RepoState, p: PullState, full: boolean): Promise<JsonObject> {
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

export function issueObject(urls: Urls, r: RepoState, p: PullState): JsonObject {
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
