import type { CommitInfo, FileChange } from './bare-repo.js';

/**
 * Builders for GitHub REST objects (simple-user, repository, full-repository, pull-request, commit, ...),
 * shaped after the schemas in GitHub's OpenAPI description; the emulator validates every one it sends.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

export interface Urls {
  /** API base, e.g. http://127.0.0.1:P */
  api: string;
  /** HTML base (github.com stand-in), the same server. */
  html: string;
}

export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Stable small integer from a string (ids for users, labels, teams). */
export function hashId(s: string, mod = 90_000_000): number {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return 1000 + (h % mod);
}

export function nodeId(prefix: string, id: number): string {
  return `${prefix}_kwDO${Buffer.from(String(id)).toString('base64').replace(/=+$/, '')}`;
}

export function userObject(urls: Urls, login: string): JsonObject {
  const bot = login.endsWith('[bot]');
  const id = login === 'github-actions[bot]' ? 41898282 : hashId(login);
  const u = `${urls.api}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId(bot ? 'BOT' : 'U', id),
    avatar_url: `${urls.html}/avatars/u/${id}?v=4`,
    gravatar_id: '',
    url: u,
    html_url: bot ? `${urls.html}/apps/${login.replace(/\[bot\]$/, '')}` : `${urls.html}/${login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type: bot ? 'Bot' : 'User',
    user_view_type: 'public',
    site_admin: false,
  };
}

export function teamObject(urls: Urls, org: string, slug: string): JsonObject {
  const id = hashId(`team:${org}/${slug}`);
  return {
    id,
    node_id: nodeId('T', id),
    url: `${urls.api}/organizations/1/team/${id}`,
    members_url: `${urls.api}/organizations/1/team/${id}/members{/member}`,
    name: slug,
    slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'pull',
    html_url: `${urls.html}/orgs/${org}/teams/${slug}`,
    repositories_url: `${urls.api}/organizations/1/team/${id}/repos`,
    type: 'organization',
    parent: null,
  };
}

export function labelObject(urls: Urls, fullName: string, name: string): JsonObject {
  const id = hashId(`label:${fullName}:${name}`);
  return {
    id,
    node_id: nodeId('LA', id),
    url: `${urls.api}/repos/${fullName}/labels/${encodeURIComponent(name)}`,
    name,
    // pull-request.labels[].description is a non-nullable string in the description; GitHub sends '' there.
    description: '',
    color: 'ededed',
    default: false,
  };
}

export interface RepoFacts {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  createdAt: string;
  pushedAt: string;
  openIssues: number;
  allowAutoMerge: boolean;
  deleteBranchOnMerge: boolean;
}

/** `repository` (as in pull-request head/base), or `full-repository` (GET /repos/{owner}/{repo}) when full. */
export function repoObject(urls: Urls, r: RepoFacts, full: boolean): JsonObject {
  const a = `${urls.api}/repos/${r.fullName}`;
  const gitHost = new URL(urls.html).host;
  const obj: JsonObject = {
    id: r.id,
    node_id: nodeId('R', r.id),
    name: r.name,
    full_name: r.fullName,
    private: r.private,
    owner: userObject(urls, r.owner),
    html_url: `${urls.html}/${r.fullName}`,
    description: null,
    fork: false,
    url: a,
    forks_url: `${a}/forks`,
    keys_url: `${a}/keys{/key_id}`,
    collaborators_url: `${a}/collaborators{/collaborator}`,
    teams_url: `${a}/teams`,
    hooks_url: `${a}/hooks`,
    issue_events_url: `${a}/issues/events{/number}`,
    events_url: `${a}/events`,
    assignees_url: `${a}/assignees{/user}`,
    branches_url: `${a}/branches{/branch}`,
    tags_url: `${a}/tags`,
    blobs_url: `${a}/git/blobs{/sha}`,
    git_tags_url: `${a}/git/tags{/sha}`,
    git_refs_url: `${a}/git/refs{/sha}`,
    trees_url: `${a}/git/trees{/sha}`,
    statuses_url: `${a}/statuses/{sha}`,
    languages_url: `${a}/languages`,
    stargazers_url: `${a}/stargazers`,
    contributors_url: `${a}/contributors`,
    subscribers_url: `${a}/subscribers`,
    subscription_url: `${a}/subscription`,
    commits_url: `${a}/commits{/sha}`,
    git_commits_url: `${a}/git/commits{/sha}`,
    comments_url: `${a}/comments{/number}`,
    issue_comment_url: `${a}/issues/comments{/number}`,
    contents_url: `${a}/contents/{+path}`,
    compare_url: `${a}/compare/{base}...{head}`,
    merges_url: `${a}/merges`,
    archive_url: `${a}/{archive_format}{/ref}`,
    downloads_url: `${a}/downloads`,
    issues_url: `${a}/issues{/number}`,
    pulls_url: `${a}/pulls{/number}`,
    milestones_url: `${a}/milestones{/number}`,
    notifications_url: `${a}/notifications{?since,all,participating}`,
    labels_url: `${a}/labels{/name}`,
    releases_url: `${a}/releases{/id}`,
    deployments_url: `${a}/deployments`,
    created_at: r.createdAt,
    updated_at: r.pushedAt,
    pushed_at: r.pushedAt,
    git_url: `git://${gitHost}/${r.fullName}.git`,
    ssh_url: `git@${gitHost}:${r.fullName}.git`,
    clone_url: `${urls.html}/${r.fullName}.git`,
    svn_url: `${urls.html}/${r.fullName}`,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: r.openIssues,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: r.private ? 'private' : 'public',
    forks: 0,
    open_issues: r.openIssues,
    watchers: 0,
    default_branch: r.defaultBranch,
  };
  if (full) {
    Object.assign(obj, {
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      allow_squash_merge: true,
      allow_merge_commit: true,
      allow_rebase_merge: true,
      allow_auto_merge: r.allowAutoMerge,
      delete_branch_on_merge: r.deleteBranchOnMerge,
      allow_update_branch: false,
      use_squash_pr_title_as_default: false,
      squash_merge_commit_title: 'COMMIT_OR_PR_TITLE',
      squash_merge_commit_message: 'COMMIT_MESSAGES',
      merge_commit_title: 'MERGE_MESSAGE',
      merge_commit_message: 'PR_TITLE',
      network_count: 0,
      subscribers_count: 0,
    });
  }
  return obj;
}

/** GitHub's `commit` object for a real git commit; `files`/`stats` only when given (GET /commits/{ref}). */
export function commitObject(urls: Urls, fullName: string, c: CommitInfo, files?: FileChange[]): JsonObject {
  const a = `${urls.api}/repos/${fullName}`;
  const gitUser = (i: CommitInfo['author']): JsonObject => ({ name: i.name, email: i.email, date: new Date(i.date).toISOString().replace(/\.\d{3}Z$/, 'Z') });
  const obj: JsonObject = {
    sha: c.sha,
    node_id: nodeId('C', hashId(c.sha)),
    commit: {
      author: gitUser(c.author),
      committer: gitUser(c.committer),
      message: c.message,
      tree: { sha: c.tree, url: `${a}/git/trees/${c.tree}` },
      url: `${a}/git/commits/${c.sha}`,
      comment_count: 0,
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    url: `${a}/commits/${c.sha}`,
    html_url: `${urls.html}/${fullName}/commit/${c.sha}`,
    comments_url: `${a}/commits/${c.sha}/comments`,
    // Git identities are not GitHub accounts here: GitHub sends null when an email maps to no user.
    author: null,
    committer: null,
    parents: c.parents.map((p) => ({ sha: p, url: `${a}/commits/${p}`, html_url: `${urls.html}/${fullName}/commit/${p}` })),
  };
  if (files) {
    const additions = files.reduce((n, f) => n + f.additions, 0);
    const deletions = files.reduce((n, f) => n + f.deletions, 0);
    obj.stats = { total: additions + deletions, additions, deletions };
    obj.files = files.map((f) => diffEntry(urls, fullName, c.sha, f));
  }
  return obj;
}

export function diffEntry(urls: Urls, fullName: string, ref: string, f: FileChange): JsonObject {
  const path = f.filename.split('/').map(encodeURIComponent).join('/');
  const entry: JsonObject = {
    sha: f.sha,
    filename: f.filename,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    changes: f.additions + f.deletions,
    blob_url: `${urls.html}/${fullName}/blob/${ref}/${path}`,
    raw_url: `${urls.html}/${fullName}/raw/${ref}/${path}`,
    contents_url: `${urls.api}/repos/${fullName}/contents/${path}?ref=${ref}`,
  };
  if (f.patch !== undefined) entry.patch = f.patch;
  if (f.previousFilename !== undefined) entry.previous_filename = f.previousFilename;
  return entry;
}
