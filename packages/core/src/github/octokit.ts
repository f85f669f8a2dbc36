import { actionLog } from '../action/log.js';
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { redactUrl } from '../util/redact.js';

/** The Octokit instance the actions use: @actions/github's (REST methods + paginate) with retry and throttling. */
export type GitHubClient = ReturnType<typeof getOctokit>;

export interface CreateOctokitOptions {
  /** REST base URL; default GITHUB_API_URL, else https://api.github.com. */
  baseUrl?: string;
  /** How many times a rate-limited request (primary or secondary) is retried before failing (default 2). */
  rateLimitRetries?: number;
  /** Longest wait (seconds) accepted for one rate-limit retry; longer waits fail at once (default 120). */
  maxRetryAfterSeconds?: number;
  /** Retries of 5xx/network errors by @octokit/plugin-retry (default 3). */
  serverErrorRetries?: number;
  /** Logger for retry notices (default: a warning in the runner log). */
  warn?: (message: string) => void;
}

/** GITHUB_API_URL, else github.com's. */
export function apiUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
}

/** GITHUB_GRAPHQL_URL, else derived from the API URL as GitHub does (…/api/v3 → …/api/graphql, else + /graphql). */
export function graphqlUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_GRAPHQL_URL) return env.GITHUB_GRAPHQL_URL;
  const api = apiUrl(env);
  return api.endsWith('/api/v3') ? `${api.slice(0, -3)}/graphql` : `${api}/graphql`;
}

/** GITHUB_SERVER_URL, else https://github.com. */
export function serverUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
}

/**
 * An authenticated Octokit honouring GITHUB_API_URL, with @octokit/plugin-retry (5xx) and
 * @octokit/plugin-throttling (primary and secondary rate limits: retried a bounded number of times, honouring
 * retry-after / x-ratelimit-reset, then the request fails and translateGitHubError explains it).
 */
export function createOctokit(token: string, opts: CreateOctokitOptions = {}): GitHubClient {
  const retries = opts.rateLimitRetries ?? 2;
  const maxWait = opts.maxRetryAfterSeconds ?? 120;
  const warn = opts.warn ?? ((m: string) => actionLog.warning(m));
  const onLimit =
    (what: string) =>
    (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number): boolean => {
      const req = `${options.method ?? 'GET'} ${redactUrl(options.url ?? '')}`;
      if (retryCount >= retries || retryAfter > maxWait) {
        warn(`GitHub ${what} rate limit on ${req}: giving up after ${retryCount} retr${retryCount === 1 ? 'y' : 'ies'} (retry-after ${retryAfter}s)`);
        return false;
      }
      warn(`GitHub ${what} rate limit on ${req}: retrying in ${retryAfter}s (${retryCount + 1}/${retries})`);
      return true;
    };
  return getOctokit(
    token,
    {
      baseUrl: opts.baseUrl ?? apiUrl(),
      retry: { retries: opts.serverErrorRetries ?? 3 },
      throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
    },
    retry,
    throttling,
  );
}
