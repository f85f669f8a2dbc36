import { getOctokit } from '@actions/github';
import { defaults as githubDefaults } from '@actions/github/lib/utils';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { redactUrl, RequestTimeoutError, type TimeLeft } from '../util/index.js';

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
  /**
   * Logger for retry notices (default: none). github/ sits below the action adapter (docs/architecture.md "Layers and
   * boundaries"): the actions pass the runner log's warning, the CLI its stderr logger.
   */
  warn?: (message: string) => void;
  /** Deadline of one whole request, response body included (default 120 000 ms). */
  requestTimeoutMs?: number;
  /** The operation's time limit: requests are cut when it is spent, and no rate-limit wait outlasts it. */
  budget?: TimeLeft;
}

/** Default deadline of one GitHub API request. */
export const GITHUB_REQUEST_DEADLINE_MS = 120_000;

type Fetch = typeof globalThis.fetch;

/** Statuses whose responses have no body (a Response with a body is invalid for them). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Wraps a fetch so that each call, response body included, ends within `requestTimeoutMs` and within the time limit;
 * an expired call rejects with a RequestTimeoutError naming the method, path and host (never the query or headers).
 * The body is read here, under the deadline, because @octokit/request swallows body read errors (a cut body would
 * otherwise pass as an empty success).
 */
export function deadlineFetch(inner: Fetch, requestTimeoutMs: number, budget?: TimeLeft): Fetch {
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const left = budget ? budget.remainingMs() : Infinity;
    const byBudget = left < requestTimeoutMs;
    const timeout = () => {
      const e = new RequestTimeoutError(byBudget ? 'budget' : 'deadline', method, url.host, url.pathname, byBudget ? left : requestTimeoutMs, budget);
      // @octokit/request rethrows an AbortError as is, and @octokit/plugin-retry never retries it: once the time
      // limit is spent no retry may start. A per-request deadline stays an ordinary (retried) failure.
      if (byBudget) e.name = 'AbortError';
      return e;
    };
    if (left <= 0) throw timeout();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(timeout()), Math.min(left, requestTimeoutMs));
    const outer = init.signal;
    const onOuter = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onOuter, { once: true });
    try {
      const res = await inner(input, { ...init, signal: controller.signal });
      const body = NULL_BODY.has(res.status) || method === 'HEAD' ? null : await res.arrayBuffer();
      const out = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
      Object.defineProperty(out, 'url', { value: res.url });
      return out;
    } catch (err) {
      if (controller.signal.reason instanceof RequestTimeoutError) throw controller.signal.reason;
      throw err;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    }
  };
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
 * retry-after / x-ratelimit-reset, then the request fails and translateGitHubError explains it). Every request
 * (REST and GraphQL) has a deadline, and none outlasts `budget` (deadlineFetch around @actions/github's own fetch,
 * which honours the runner's proxy settings).
 */
export function createOctokit(token: string, opts: CreateOctokitOptions = {}): GitHubClient {
  const retries = opts.rateLimitRetries ?? 2;
  const maxWait = opts.maxRetryAfterSeconds ?? 120;
  const warn = opts.warn ?? (() => undefined);
  const onLimit =
    (what: string) =>
    (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number): boolean => {
      const req = `${options.method ?? 'GET'} ${redactUrl(options.url ?? '')}`;
      const outOfTime = opts.budget !== undefined && retryAfter * 1000 >= opts.budget.remainingMs();
      if (retryCount >= retries || retryAfter > maxWait || outOfTime) {
        warn(`GitHub ${what} rate limit on ${req}: giving up after ${retryCount} retr${retryCount === 1 ? 'y' : 'ies'} (retry-after ${retryAfter}s${outOfTime ? `, beyond the time limit ${opts.budget?.describe()}` : ''})`);
        return false;
      }
      warn(`GitHub ${what} rate limit on ${req}: retrying in ${retryAfter}s (${retryCount + 1}/${retries})`);
      return true;
    };
  const inner = (githubDefaults.request?.fetch as Fetch | undefined) ?? globalThis.fetch;
  return getOctokit(
    token,
    {
      baseUrl: opts.baseUrl ?? apiUrl(),
      request: { ...githubDefaults.request, fetch: deadlineFetch(inner, opts.requestTimeoutMs ?? GITHUB_REQUEST_DEADLINE_MS, opts.budget) },
      retry: { retries: opts.serverErrorRetries ?? 3 },
      throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
    },
    retry,
    throttling,
  );
}
