/**
 * How generated and migrated workflows name the actions of this suite: `<repository>/actions/<name>@<ref>`, pinned to
 * the major version tag that releases move (README "Install"). The README's examples use the same path.
 */
export const SUITE_REPOSITORY = 'your-org/d2-actions';
export const SUITE_REF = 'v1';

/** The four actions of the suite. */
export type SuiteAction = 'push-artifact' | 'release-artifact' | 'e2e-update' | 'image-updates-pr';

export interface Suite {
  /** owner/name of the suite's GitHub repository. */
  repository: string;
  /** Tag (or commit) the workflows pin. */
  ref: string;
}

export const DEFAULT_SUITE: Suite = { repository: SUITE_REPOSITORY, ref: SUITE_REF };

/** The `uses:` value of one of the suite's actions. */
export function usesOf(suite: Suite, action: SuiteAction): string {
  return `${suite.repository}/actions/${action}@${suite.ref}`;
}

/** Go's regexp.QuoteMeta: the form Flux's matchOIDCIdentity expects for fixed text. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** The OIDC issuer of GitHub Actions tokens, as a matchOIDCIdentity regular expression. */
export const GITHUB_ISSUER_REGEXP = '^https://token\\.actions\\.githubusercontent\\.com$';
