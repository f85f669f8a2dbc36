import type { TimeLeft } from '../util/index.js';

/** Default deadline of one GitLab API request. */
export const GITLAB_REQUEST_DEADLINE_MS = 120_000;

/** The instance URL (`https://gitlab.com`) from an API URL (`CI_API_V4_URL`, `…/api/v4`) or an instance URL. */
export function gitlabHost(apiUrl: string): string {
  return apiUrl.replace(/\/+$/, '').replace(/\/api\/v4$/, '');
}

export type GitbeakerModule = typeof import('@gitbeaker/rest');

let loaded: Promise<GitbeakerModule> | undefined;

/** @gitbeaker/rest, loaded on first use so that commands that never talk to GitLab do not pay for it at start-up. */
export function gitbeaker(): Promise<GitbeakerModule> {
  loaded ??= import('@gitbeaker/rest');
  return loaded;
}

/**
 * The options every gitbeaker resource is built with: the instance, the token (sent as PRIVATE-TOKEN) and a deadline
 * per request that never outlasts the operation's time limit.
 */
export function resourceOptions(host: string, token: string, budget?: TimeLeft): { host: string; token: string; queryTimeout: number } {
  const left = budget ? budget.remainingMs() : Infinity;
  return { host, token, queryTimeout: Math.max(1, Math.min(GITLAB_REQUEST_DEADLINE_MS, left)) };
}
