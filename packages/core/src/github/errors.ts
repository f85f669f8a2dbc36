import { D2Error, type ErrorCode } from '../errors.js';
import { redactUrls, RequestTimeoutError } from '../util/index.js';

/**
 * GitHub API failures that users hit with PR-creating actions, recognised from GitHub's own error bodies and
 * turned into fixes (docs/github.md, "image-updates-pr — decisions").
 */
export type GitHubErrorKind =
  | 'actions-not-permitted'
  | 'integration-forbidden'
  | 'pull-request-exists'
  | 'no-commits'
  | 'rate-limited'
  | 'bad-credentials'
  | 'not-found'
  | 'auto-merge-not-allowed'
  | 'clean-status'
  | 'timeout'
  | 'unknown';

export interface ClassifiedGitHubError {
  kind: GitHubErrorKind;
  status?: number;
  /** GitHub's message(s), joined. */
  message: string;
  /** x-accepted-github-permissions, when GitHub said which permission was missing. */
  acceptedPermissions?: string;
}

interface ErrorShape {
  status?: number;
  message?: string;
  response?: { data?: unknown; headers?: Record<string, string | number | undefined> };
  errors?: { message?: string; type?: string }[];
}

function messagesOf(err: ErrorShape): string[] {
  const out: string[] = [];
  const data = err.response?.data as { message?: unknown; errors?: unknown } | undefined;
  if (data && typeof data.message === 'string') out.push(data.message);
  const list = Array.isArray(data?.errors) ? data.errors : Array.isArray(err.errors) ? err.errors : [];
  for (const e of list as unknown[]) {
    if (typeof e === 'string') out.push(e);
    else if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') out.push((e as { message: string }).message);
  }
  if (out.length === 0 && typeof err.message === 'string') out.push(err.message);
  return out;
}

export function classifyGitHubError(err: unknown): ClassifiedGitHubError {
  const e = (err && typeof err === 'object' ? err : { message: String(err) }) as ErrorShape;
  const status = typeof e.status === 'number' ? e.status : undefined;
  const messages = messagesOf(e);
  const text = messages.join('; ');
  const headers = e.response?.headers ?? {};
  const accepted = headers['x-accepted-github-permissions'];
  // GitHub's words may quote the request URL (a GITHUB_API_URL with credentials): redacted before they are shown.
  const base = { status, message: redactUrls(text), ...(accepted !== undefined ? { acceptedPermissions: String(accepted) } : {}) };
  const has = (re: RegExp): boolean => messages.some((m) => re.test(m)) || re.test(e.message ?? '');
  if (timeoutOf(err)) return { kind: 'timeout', ...base, status: undefined, message: timeoutOf(err)?.message ?? text };
  if (has(/GitHub Actions is not permitted to create or approve pull requests/i)) return { kind: 'actions-not-permitted', ...base };
  if (has(/secondary rate limit|API rate limit exceeded|rate limit/i) || String(headers['x-ratelimit-remaining']) === '0' || status === 429) {
    return { kind: 'rate-limited', ...base };
  }
  if (has(/Resource not accessible by (integration|personal access token)/i)) return { kind: 'integration-forbidden', ...base };
  if (has(/A pull request already exists/i)) return { kind: 'pull-request-exists', ...base };
  if (has(/No commits between/i)) return { kind: 'no-commits', ...base };
  if (has(/Auto merge is not allowed/i)) return { kind: 'auto-merge-not-allowed', ...base };
  if (has(/is in clean status/i)) return { kind: 'clean-status', ...base };
  if (status === 401 || has(/Bad credentials/i)) return { kind: 'bad-credentials', ...base };
  if (status === 404) return { kind: 'not-found', ...base };
  return { kind: 'unknown', ...base };
}

/** The RequestTimeoutError behind `err` (Octokit wraps what its fetch throws as a RequestError's cause). */
function timeoutOf(err: unknown): RequestTimeoutError | undefined {
  if (err instanceof RequestTimeoutError) return err;
  const cause = err && typeof err === 'object' ? (err as { cause?: unknown }).cause : undefined;
  return cause instanceof RequestTimeoutError ? cause : undefined;
}

/** A D2Error naming what failed, GitHub's words, and the fix. `doing` reads like "create the pull request acme/fleet image-updates → main". */
export function translateGitHubError(err: unknown, doing: string): D2Error {
  const c = classifyGitHubError(err);
  const said = `${c.status !== undefined ? `${c.status} ` : ''}${c.message}`.trim();
  const fail = (code: ErrorCode, hint: string): D2Error => new D2Error(`could not ${doing}: GitHub said: ${said}`, { code, hint, cause: err });
  switch (c.kind) {
    case 'timeout': {
      const t = timeoutOf(err);
      return new D2Error(`could not ${doing}: ${c.message}`, {
        code: 'GITHUB_TIMEOUT',
        hint:
          t?.kind === 'budget'
            ? `the whole run may take at most ${t.budget?.describe() ?? 'its time limit'}: raise it if ${t.host} is only slow, or check the network and proxy`
            : `${t?.host ?? 'the GitHub API'} is too slow or stalls: check GITHUB_API_URL, the network and proxy; stalled requests are retried while the time limit lasts`,
        cause: err,
      });
    }
    case 'actions-not-permitted':
      return fail(
        'GITHUB_ACTIONS_NOT_PERMITTED',
        "turn on 'Allow GitHub Actions to create and approve pull requests' (repository Settings → Actions → General → Workflow permissions; " +
          'for an organization also its Settings → Actions → General), or pass a GitHub App installation token or a PAT as `token`, ' +
          'which also lets checks run on the PR without approval',
      );
    case 'integration-forbidden':
      return fail(
        'GITHUB_FORBIDDEN',
        `give the job 'permissions: { contents: read, pull-requests: write }' (GITHUB_TOKEN is read-only by default in repositories created after 2 Feb 2023)` +
          `${c.acceptedPermissions ? `; GitHub accepts: ${c.acceptedPermissions}` : ''}; an App or PAT token needs the same repository permissions`,
      );
    case 'rate-limited':
      return fail(
        'GITHUB_RATE_LIMITED',
        'GitHub rate-limited this token and the retries ran out: re-run the job later, avoid many concurrent jobs with the same token ' +
          '(GITHUB_TOKEN has 1,000 requests per hour per repository), or use a GitHub App token',
      );
    case 'bad-credentials':
      return fail('GITHUB_BAD_CREDENTIALS', 'the `token` input is invalid or expired; pass secrets.GITHUB_TOKEN, an App installation token or a PAT');
    case 'not-found':
      return fail('GITHUB_NOT_FOUND', 'check the repository and branch names; a private repository also needs `contents: read` for the token');
    case 'pull-request-exists':
      return fail('GITHUB_PR_EXISTS', 'an open pull request for this head already exists; re-run to update it');
    case 'no-commits':
      return fail('GITHUB_NO_COMMITS', 'the head branch has no commits that the base lacks: nothing to propose');
    case 'auto-merge-not-allowed':
      return fail('GITHUB_AUTO_MERGE_NOT_ALLOWED', "turn on 'Allow auto-merge' in the repository Settings → General → Pull Requests, or set auto-merge: false");
    case 'clean-status':
      return fail(
        'GITHUB_AUTO_MERGE_CLEAN',
        'auto-merge needs something to wait for: add a branch protection rule or ruleset with required status checks on the base branch',
      );
    default:
      return fail('GITHUB_API_ERROR', 'see the GitHub message above; re-run with ACTIONS_STEP_DEBUG=true for request details');
  }
}
