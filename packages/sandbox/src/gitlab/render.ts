import type { GitLabState, MergeRequestState, ProjectState } from './state.js';

/**
 * GitLab REST objects as the API documentation shows them (doc/api/projects.md "Get a single project",
 * doc/api/branches.md, doc/api/repositories.md "Compare branches, tags or commits", doc/api/merge_requests.md
 * "Get single MR"), with the fields @gitbeaker/core's schemas name.
 */

export type Json = Record<string, unknown>;

function userObject(state: GitLabState, id: number): Json {
  const u = state.userById(id);
  const username = u?.username ?? `user${id}`;
  return { id, username, name: u?.name ?? username, state: 'active', locked: false, avatar_url: null, web_url: `${state.baseUrl}/${username}` };
}

export function projectObject(state: GitLabState, p: ProjectState): Json {
  const name = p.path.split('/').pop() ?? p.path;
  const namespace = p.path.split('/').slice(0, -1).join('/');
  return {
    id: p.id,
    description: null,
    name,
    name_with_namespace: p.path.split('/').join(' / '),
    path: name,
    path_with_namespace: p.path,
    created_at: '2026-01-01T00:00:00.000Z',
    default_branch: p.defaultBranch,
    visibility: p.visibility,
    web_url: `${state.baseUrl}/${p.path}`,
    http_url_to_repo: `${state.baseUrl}/${p.path}.git`,
    namespace: { id: p.id + 100, name: namespace.split('/').pop() ?? namespace, path: namespace.split('/').pop() ?? namespace, kind: 'group', full_path: namespace },
  };
}

export function commitObject(state: GitLabState, p: ProjectState, c: { sha: string; parents: string[]; message: string; author: { name: string; email: string; date: string }; committer: { name: string; email: string; date: string } }): Json {
  return {
    id: c.sha,
    short_id: c.sha.slice(0, 8),
    created_at: c.committer.date,
    parent_ids: c.parents,
    title: c.message.split('\n')[0],
    message: c.message,
    author_name: c.author.name,
    author_email: c.author.email,
    authored_date: c.author.date,
    committer_name: c.committer.name,
    committer_email: c.committer.email,
    committed_date: c.committer.date,
    trailers: {},
    web_url: `${state.baseUrl}/${p.path}/-/commit/${c.sha}`,
  };
}

export async function mergeRequestObject(state: GitLabState, p: ProjectState, mr: MergeRequestState): Promise<Json> {
  const sha = (await p.git.branchSha(mr.sourceBranch)) ?? null;
  const author = state.users.get(mr.author.toLowerCase());
  const assignees = mr.assignees.map((id) => userObject(state, id));
  return {
    id: mr.id,
    iid: mr.iid,
    project_id: p.id,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.createdAt,
    updated_at: mr.updatedAt,
    merged_by: null,
    merged_at: mr.mergedAt,
    closed_by: null,
    closed_at: mr.closedAt,
    target_branch: mr.targetBranch,
    source_branch: mr.sourceBranch,
    user_notes_count: 0,
    upvotes: 0,
    downvotes: 0,
    author: userObject(state, author?.id ?? 0),
    assignees,
    assignee: assignees[0] ?? null,
    reviewers: mr.reviewers.map((id) => userObject(state, id)),
    source_project_id: p.id,
    target_project_id: p.id,
    labels: mr.labels,
    draft: mr.draft,
    work_in_progress: mr.draft,
    milestone: null,
    merge_when_pipeline_succeeds: mr.mergeWhenPipelineSucceeds,
    merge_status: 'can_be_merged',
    detailed_merge_status: mr.state !== 'opened' ? 'not_open' : mr.draft ? 'draft_status' : 'ci_still_running',
    sha,
    merge_commit_sha: mr.mergeCommitSha,
    squash_commit_sha: null,
    discussion_locked: null,
    should_remove_source_branch: null,
    force_remove_source_branch: false,
    reference: `!${mr.iid}`,
    references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${p.path}!${mr.iid}` },
    web_url: `${state.baseUrl}/${p.path}/-/merge_requests/${mr.iid}`,
    time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
    squash: mr.squash,
    task_completion_status: { count: 0, completed_count: 0 },
    has_conflicts: false,
    blocking_discussions_resolved: true,
    approvals_before_merge: null,
  };
}
