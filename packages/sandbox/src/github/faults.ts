import { randomBytes } from 'node:crypto';
import { errorBody, HttpError, validationFailed } from './http-error.js';
import type { FailureKind } from './types.js';

/**
 * The known GitHub error answers a test can inject with `failNext` (FailureKind): the exact status, message,
 * documentation_url and headers GitHub sends (permissions, validation, primary and secondary rate limits, 500).
 */
const ERROR_DOCS: Record<string, string> = {
  'secondary-rate-limit': 'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
  'rate-limit': 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-rate-limits',
};

/**
 * The error for an injected failure, or undefined for the kinds the handlers apply themselves (invalid-response,
 * auto-merge-not-allowed, clean-status). `retryAfterSeconds` goes into retry-after of a secondary rate limit.
 */
export function injectedFailure(kind: FailureKind, docUrl: string, retryAfterSeconds: number, r?: { owner: string; head?: string; base?: string }): HttpError | undefined {
  switch (kind) {
    case 'not-permitted':
      return new HttpError(403, errorBody(403, 'GitHub Actions is not permitted to create or approve pull requests.', docUrl));
    case 'not-accessible':
      return new HttpError(403, errorBody(403, 'Resource not accessible by integration', docUrl), { 'x-accepted-github-permissions': 'pull_requests=write' });
    case 'already-exists':
      return validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${r?.owner ?? 'owner'}:${r?.head ?? 'branch'}.` }]);
    case 'no-commits':
      return validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${r?.base ?? 'main'} and ${r?.head ?? 'branch'}` }]);
    case 'secondary-rate-limit':
      return new HttpError(
        403,
        errorBody(
          403,
          `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${randomBytes(4).toString('hex').toUpperCase()}:${randomBytes(3).toString('hex').toUpperCase()}.`,
          ERROR_DOCS['secondary-rate-limit'],
        ),
        { 'retry-after': String(retryAfterSeconds) },
      );
    case 'rate-limit':
      return new HttpError(403, errorBody(403, 'API rate limit exceeded for installation ID 4242.', ERROR_DOCS['rate-limit']), {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-used': '5000',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1),
        'x-ratelimit-resource': 'core',
      });
    case 'server-error':
      return new HttpError(500, { message: 'Server Error' });
    default:
      // invalid-response, auto-merge-not-allowed and clean-status are applied by the handlers themselves.
      return undefined;
  }
}
