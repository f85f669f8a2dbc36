import { D2Error, type ErrorCode } from '../errors.js';
import { redactUrls } from '../util/index.js';

/**
 * GitLab API failures turned into fixes. @gitbeaker/rest throws GitbeakerRequestError with the response in `cause`
 * and GitLab's `message` or `error` field as its message (doc/api/rest/troubleshooting.md: 400 for a missing or bad
 * parameter, 401 for a missing or bad token, 403 for too little access or scope, 404 for what does not exist or is
 * not visible, 405 for an action the resource's state refuses, 409 for a conflict, 422 for an unprocessable entity).
 */
export interface ClassifiedGitLabError {
  kind: 'pull-request-exists' | 'unauthorized' | 'forbidden' | 'insufficient-scope' | 'not-found' | 'not-allowed' | 'timeout' | 'unknown';
  status?: number;
  message: string;
}

interface GitbeakerShape {
  name?: string;
  message?: string;
  cause?: { description?: string; response?: { status?: number } };
}

export function classifyGitLabError(err: unknown): ClassifiedGitLabError {
  const e = (err && typeof err === 'object' ? err : { message: String(err) }) as GitbeakerShape;
  const status = e.cause?.response?.status;
  const message = redactUrls(e.cause?.description ?? e.message ?? String(err));
  if (e.name === 'GitbeakerTimeoutError' || e.name === 'TimeoutError' || e.name === 'AbortError') return { kind: 'timeout', message };
  if (status === 409 && /already exists/i.test(message)) return { kind: 'pull-request-exists', status, message };
  if (status === 401) return { kind: 'unauthorized', status, message };
  if (status === 403 && /insufficient_scope/.test(message)) return { kind: 'insufficient-scope', status, message };
  if (status === 403) return { kind: 'forbidden', status, message };
  if (status === 404) return { kind: 'not-found', status, message };
  if (status === 405) return { kind: 'not-allowed', status, message };
  return { kind: 'unknown', ...(status !== undefined ? { status } : {}), message };
}

const HINTS: Record<string, { code: ErrorCode; hint: string }> = {
  unauthorized: {
    code: 'GITLAB_UNAUTHORIZED',
    hint: 'the token is missing, expired or revoked; use a project or group access token with the api scope (CI_JOB_TOKEN cannot call this API)',
  },
  'insufficient-scope': { code: 'GITLAB_FORBIDDEN', hint: 'the token needs the api scope (read_api only reads); create the access token with scope api' },
  forbidden: { code: 'GITLAB_FORBIDDEN', hint: 'the token’s user needs at least the Developer role in the project to open and update merge requests' },
  'not-found': { code: 'GITLAB_NOT_FOUND', hint: 'check the project path (CI_PROJECT_PATH) and that the token can see the project; private projects answer 404 to outsiders' },
  'not-allowed': { code: 'GITLAB_API_ERROR', hint: 'the merge request is not open, is a draft, or cannot be merged yet' },
  'pull-request-exists': { code: 'GITLAB_MR_EXISTS', hint: 'another run opened it; re-run to refresh that merge request' },
  timeout: { code: 'GITLAB_TIMEOUT', hint: 'GitLab did not answer in time; re-run, or raise the time limit (--timeout)' },
};

export function translateGitLabError(err: unknown, doing: string): D2Error {
  if (err instanceof D2Error) return err;
  const c = classifyGitLabError(err);
  const h = HINTS[c.kind] ?? { code: 'GITLAB_API_ERROR' as ErrorCode, hint: 'see the message from GitLab above' };
  return new D2Error(`could not ${doing}: GitLab answered ${c.status ?? 'nothing'}${c.message ? `: ${c.message}` : ''}`, { code: h.code, hint: h.hint, cause: err });
}
