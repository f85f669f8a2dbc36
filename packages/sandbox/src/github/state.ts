import { existsSync } from 'node:fs';
import type { SandboxGitServer } from '../git-server.js';
import { BareRepo } from './bare-repo.js';
import { errorBody, HttpError } from './http-error.js';
import { hashId, isoNow, type RepoFacts, type Urls } from './model.js';
import type { Violation } from './openapi.js';
import type { AddRepoOptions, EmulatorToken, FailureKind, RecordedRequest } from './types.js';

/**
 * The emulator's state: repositories (their git state lives in the sandbox git server's bare repositories; pull
 * requests, labels and reviewers live here), accepted tokens, queued failures and what was recorded.
 */

export interface PullState {
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

export interface RepoState extends RepoFacts {
  git: BareRepo;
  requiredChecks: boolean;
  pulls: PullState[];
  nextNumber: number;
  /** Branch patterns that require verified (signed) commits (AddRepoOptions.signedCommitBranches). */
  signedCommitBranches: string[];
  /** Commits GitHub signed (created through the Git Data API by an app or GITHUB_TOKEN, without a committer). */
  verified: Set<string>;
}

/** A failure queued with `failNext`: answered to the next `left` requests of `route` (operationId, `graphql` or `*`). */
export interface QueuedFailure {
  route: string;
  kind: FailureKind;
  left: number;
}

export class EmulatorState {
  readonly tokens = new Map<string, EmulatorToken>();
  readonly requests: RecordedRequest[] = [];
  readonly violations: Violation[] = [];
  readonly failures: QueuedFailure[] = [];
  readonly repos = new Map<string, RepoState>();
  /** API and HTML bases; set once the server listens. */
  urls: Urls = { api: '', html: '' };
  nextPullId = 1_000_000;

  constructor(
    private readonly git: SandboxGitServer,
    tokens: (string | EmulatorToken)[],
  ) {
    for (const t of tokens) {
      const tok = typeof t === 'string' ? { token: t } : t;
      this.tokens.set(tok.token, tok);
    }
  }

  /** Takes one queued failure for `operationId` (or `*`), the first queued that matches. */
  takeFailure(operationId: string): FailureKind | undefined {
    const i = this.failures.findIndex((f) => f.route === operationId || f.route === '*');
    if (i < 0) return undefined;
    const f = this.failures[i];
    if (--f.left <= 0) this.failures.splice(i, 1);
    return f.kind;
  }

  /** Registers a repository (creating its bare repo on the git server when missing); keeps the pulls of an existing one. */
  async addRepo(fullName: string, o: AddRepoOptions = {}): Promise<{ url: string; path: string }> {
    const git = this.git;
    const [owner, name] = fullName.split('/');
    const path = git.repoPath(fullName);
    const created = existsSync(path)
      ? { url: `${git.url}/${fullName}.git`, path }
      : await git.createRepo(fullName, { defaultBranch: o.defaultBranch ?? 'main' });
    const key = fullName.toLowerCase();
    const existing = this.repos.get(key);
    const now = isoNow();
    this.repos.set(key, {
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
      signedCommitBranches: o.signedCommitBranches ?? existing?.signedCommitBranches ?? [],
      verified: existing?.verified ?? new Set(),
    });
    return created;
  }

  /** The repository `owner/name` (case-insensitive), with its open-issue count refreshed; 404 when unknown. */
  repoOf(owner: string, name: string, docUrl: string): RepoState {
    const key = `${owner}/${name}`.toLowerCase();
    const r = this.repos.get(key);
    if (!r) throw new HttpError(404, errorBody(404, 'Not Found', docUrl));
    r.openIssues = r.pulls.filter((p) => p.state === 'open').length;
    return r;
  }
}

/** Pull request `n` of a repository; 404 when unknown. */
export function pullOf(r: RepoState, n: string, docUrl: string): PullState {
  const p = r.pulls.find((x) => String(x.number) === n);
  if (!p) throw new HttpError(404, errorBody(404, 'Not Found', docUrl));
  return p;
}

/** An open pull request follows its head branch (a push to the branch moves headSha). */
export async function refreshHead(r: RepoState, p: PullState): Promise<void> {
  if (p.state !== 'open') return;
  const sha = await r.git.branchSha(p.head);
  if (sha) p.headSha = sha;
}
