import type { SandboxGitServer } from '../git-server.js';
import type { JsonObject } from './model.js';
import type { Violation } from './openapi.js';

/**
 * The public shapes of the GitHub REST emulator (startGitHubEmulator in emulator.ts): options, tokens, injectable
 * failures and the recorded requests tests assert on.
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
  /**
   * Branch protection "Require signed commits" on these branch name patterns (`*` matches within a segment, `**` any
   * suffix): a ref update through the API to an unverified commit is refused as GitHub refuses it.
   */
  signedCommitBranches?: string[];
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
