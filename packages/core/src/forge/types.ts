/**
 * A forge: the branch and pull (merge) request operations of one repository that the image-updates flow needs
 * (./image-updates.ts). GitHub implements it (github/pulls.ts, registered in ./registry.ts); another forge is one
 * folder and one registration line (docs/architecture.md "How to add a registry provider / identity / forge").
 */
import type { D2Error } from '../errors.js';
import type { Comparison, MergeMethod, PullRequestInfo, RepositoryInfo } from '../github/index.js';
import type { TimeBudget } from '../util/index.js';

export type { Comparison, MergeMethod, PullRequestInfo, RepositoryInfo };

/** What the flow distinguishes in a failed call; every other failure is reported through describeError. */
export type ForgeErrorKind = 'pull-request-exists' | 'no-commits' | (string & {});

export interface Forge {
  repository(): Promise<RepositoryInfo>;
  /** The branch's commit SHA, or undefined when the branch does not exist. */
  branchSha(branch: string): Promise<string | undefined>;
  /** The names of the branches that start with `prefix`, sorted. */
  branchesWithPrefix(prefix: string): Promise<string[]>;
  compare(base: string, head: string): Promise<Comparison>;
  /** The open pull request from `head` (this repository's branch) into `base`, if any. */
  findOpen(head: string, base?: string): Promise<PullRequestInfo | undefined>;
  create(p: { head: string; base: string; title: string; body: string; draft?: boolean }): Promise<PullRequestInfo>;
  update(number: number, p: { title?: string; body?: string; state?: 'open' | 'closed' }): Promise<PullRequestInfo>;
  close(number: number): Promise<PullRequestInfo>;
  deleteBranch(branch: string): Promise<void>;
  addLabels(number: number, labels: string[]): Promise<void>;
  addAssignees(number: number, assignees: string[]): Promise<void>;
  requestReviewers(number: number, reviewers: string[], teamReviewers: string[]): Promise<void>;
  enableAutoMerge(nodeId: string, mergeMethod: MergeMethod): Promise<{ mergeMethod: string; enabledAt: string }>;
  /** A failed call as an actionable error (message and hint) for `doing`. */
  describeError(err: unknown, doing: string): D2Error;
  errorKind(err: unknown): ForgeErrorKind;
}

export interface ForgeOptions {
  /** owner/name (or the forge's project path). */
  repository: string;
  token: string;
  /** API base URL; default: the forge's public instance (or the CI environment's). */
  apiUrl?: string;
  graphqlUrl?: string;
  budget?: TimeBudget;
  /** Non-fatal notices (rate limits, retries). */
  warn?: (message: string) => void;
}

export type ForgeFactory = (opts: ForgeOptions) => Forge;
