import { existsSync } from 'node:fs';
import type { SandboxGitServer } from '../git-server.js';
import { BareRepo } from '../github/bare-repo.js';

/**
 * The GitLab stand-in's state: projects (their branches and commits are the sandbox git server's real bare
 * repositories; merge requests live here), users, tokens and what was recorded.
 */

export interface GitLabUser {
  id: number;
  username: string;
  name: string;
}

/**
 * A token the stand-in accepts. GitLab distinguishes personal/project/group access tokens (sent as `PRIVATE-TOKEN`
 * or `Authorization: Bearer`) from the CI/CD job token (`JOB-TOKEN`), which the merge request API refuses.
 */
export interface GitLabToken {
  token: string;
  /** The account the token acts as (project access tokens act as a bot user). Default `project_1_bot`. */
  username?: string;
  /** `api` (default) or `read_api` (writes answer 403 insufficient_scope). */
  scopes?: ('api' | 'read_api' | 'read_repository' | 'write_repository')[];
  /** A CI/CD job token: only accepted in the JOB-TOKEN header, and not by the merge request API. */
  job?: boolean;
}

export interface MergeRequestState {
  id: number;
  iid: number;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged';
  sourceBranch: string;
  targetBranch: string;
  author: string;
  labels: string[];
  assignees: number[];
  reviewers: number[];
  draft: boolean;
  mergeWhenPipelineSucceeds: boolean;
  squash: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergeCommitSha: string | null;
}

export interface ProjectState {
  id: number;
  /** `group/subgroup/name` */
  path: string;
  defaultBranch: string;
  visibility: 'public' | 'internal' | 'private';
  git: BareRepo;
  mergeRequests: MergeRequestState[];
  nextIid: number;
}

export interface GitLabRecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  /** The answer's `message`/`error` for error statuses. */
  message?: string;
  /** The token's user (never the token). */
  username?: string;
  /** Which header carried the token. */
  auth?: 'PRIVATE-TOKEN' | 'Bearer' | 'JOB-TOKEN';
}

export class GitLabState {
  readonly projects = new Map<string, ProjectState>();
  readonly users = new Map<string, GitLabUser>();
  readonly tokens = new Map<string, GitLabToken>();
  readonly requests: GitLabRecordedRequest[] = [];
  /** Known-answer failures queued by tests: route key (e.g. `POST merge_requests`) → HTTP status and body. */
  readonly failures: { route: string; status: number; body: Record<string, unknown>; left: number }[] = [];
  baseUrl = '';
  private nextProjectId = 1;
  private nextMrId = 1000;

  constructor(readonly git: SandboxGitServer, tokens: (string | GitLabToken)[]) {
    for (const t of tokens) {
      const token = typeof t === 'string' ? { token: t } : t;
      this.tokens.set(token.token, token);
      this.user(token.username ?? 'project_1_bot');
    }
  }

  /** The user `username`, created on first mention (ids are stable per run). */
  user(username: string): GitLabUser {
    let u = this.users.get(username.toLowerCase());
    if (!u) {
      u = { id: this.users.size + 1, username, name: username };
      this.users.set(username.toLowerCase(), u);
    }
    return u;
  }

  userById(id: number): GitLabUser | undefined {
    return [...this.users.values()].find((u) => u.id === id);
  }

  async addProject(path: string, opts: { defaultBranch?: string; visibility?: ProjectState['visibility'] } = {}): Promise<ProjectState> {
    const existing = this.projects.get(path.toLowerCase());
    if (existing) return existing;
    // The git server holds owner/name; a nested GitLab path keeps its last two segments there.
    const gitName = path.split('/').slice(-2).join('/');
    const dir = this.git.repoPath(gitName);
    if (!existsSync(dir)) await this.git.createRepo(gitName, { defaultBranch: opts.defaultBranch ?? 'main' });
    const project: ProjectState = {
      id: this.nextProjectId++,
      path,
      defaultBranch: opts.defaultBranch ?? 'main',
      visibility: opts.visibility ?? 'private',
      git: new BareRepo(dir),
      mergeRequests: [],
      nextIid: 1,
    };
    this.projects.set(path.toLowerCase(), project);
    return project;
  }

  /** A project by numeric id or (URL-decoded) path. */
  project(id: string): ProjectState | undefined {
    if (/^\d+$/.test(id)) return [...this.projects.values()].find((p) => p.id === Number(id));
    return this.projects.get(id.toLowerCase());
  }

  newMrId(): number {
    return this.nextMrId++;
  }
}
