/**
 * How generated and migrated workflows name the actions of this suite: `<repository>/actions/<name>@<ref>`, pinned to
 * the major version tag that releases move (README "Install"). The README's examples use the same path.
 */
export const SUITE_REPOSITORY = 'your-org/d2-actions';
export const SUITE_REF = 'v1';
/**
 * How generated GitLab pipelines name the CI/CD components of this suite (templates/):
 * `$CI_SERVER_FQDN/<project>/<name>@<ref>`, the project path on the GitLab instance the suite is installed in (docs/gitlab.md
 * "A complete .gitlab-ci.yml"). A placeholder like SUITE_REPOSITORY: replace it with the project you install the suite in.
 */
export const SUITE_GITLAB_PROJECT = 'your-group/d2-actions';

/** The four actions of the suite. */
export type SuiteAction = 'push-artifact' | 'release-artifact' | 'e2e-update' | 'image-updates-pr';
/** The four GitLab CI/CD components of the suite (templates/<name>/template.yml). */
export type SuiteComponent = 'push-artifact' | 'release-artifact' | 'e2e-update' | 'image-updates-mr';

export interface Suite {
  /** owner/name of the suite's GitHub repository. */
  repository: string;
  /** Tag (or commit) the workflows and pipelines pin. */
  ref: string;
  /** group/project of the suite on GitLab (the project that holds templates/). */
  gitlabProject: string;
}

export const DEFAULT_SUITE: Suite = { repository: SUITE_REPOSITORY, ref: SUITE_REF, gitlabProject: SUITE_GITLAB_PROJECT };

/** The `uses:` value of one of the suite's actions. */
export function usesOf(suite: Suite, action: SuiteAction): string {
  return `${suite.repository}/actions/${action}@${suite.ref}`;
}

/** The `include: component:` value of one of the suite's GitLab CI/CD components. */
export function componentOf(suite: Suite, component: SuiteComponent): string {
  return `$CI_SERVER_FQDN/${suite.gitlabProject}/${component}@${suite.ref}`;
}

/** Go's regexp.QuoteMeta: the form Flux's matchOIDCIdentity expects for fixed text. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** The OIDC issuer of GitHub Actions tokens, as a matchOIDCIdentity regular expression. */
export const GITHUB_ISSUER_REGEXP = '^https://token\\.actions\\.githubusercontent\\.com$';

/** The OIDC issuer of gitlab.com ID tokens, as a matchOIDCIdentity regular expression. */
export const GITLAB_ISSUER_REGEXP = '^https://gitlab\\.com$';
