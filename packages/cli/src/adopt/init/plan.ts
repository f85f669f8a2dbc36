import { InputError } from '@d2/core';
import { clip } from '@d2/core';
import { DEFAULT_SUITE, type Suite } from '../suite.js';

export type RepoKind = 'fleet' | 'apps' | 'infra';
export const REPO_KINDS: readonly RepoKind[] = ['fleet', 'apps', 'infra'];

export type Forge = 'github' | 'gitlab';

/** What `d2 init` generates for: one of the three D2 repositories of an owner. */
export interface InitPlan {
  kind: RepoKind;
  /** GitHub owner (organisation or user) of the three repositories, as GitHub spells it (it is in the identities). */
  owner: string;
  /** Registry and namespace of the artifacts: ghcr.io/<owner, lower-cased> (OCI repository names are lower case). */
  registry: string;
  /** Names of the three repositories (D2's names). */
  repos: Record<RepoKind, string>;
  suite: Suite;
}

// A GitHub account name: letters, digits and single hyphens, not at either end, at most 39 characters.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

export function initPlan(kind: string, owner: string | undefined, forge: string | undefined, suite: Suite = DEFAULT_SUITE): InitPlan {
  if (!REPO_KINDS.includes(kind as RepoKind)) {
    throw new InputError(`unknown repository kind '${clip(kind, 64)}'`, 'd2 init fleet|apps|infra --owner <org>');
  }
  if (forge !== undefined && forge !== 'github' && forge !== 'gitlab') {
    throw new InputError(`--forge must be github or gitlab, got '${clip(forge, 64)}'`, 'd2 init fleet|apps|infra --owner <org> --forge github');
  }
  if (forge === 'gitlab') {
    throw new InputError(
      'd2 init does not write GitLab repositories yet (their fleet identities and update cluster differ from the GitHub layout)',
      'use --forge github, or include the GitLab CI/CD components of templates/ in your .gitlab-ci.yml (docs/gitlab.md "A complete .gitlab-ci.yml")',
    );
  }
  if (owner === undefined || owner === '') {
    throw new InputError('--owner is required', 'the GitHub organisation or user that owns d2-fleet, d2-apps and d2-infra, e.g. --owner acme');
  }
  if (!OWNER.test(owner)) {
    throw new InputError(`--owner '${clip(owner, 64)}' is not a GitHub account name`, 'letters, digits and single hyphens, not at either end, at most 39 characters');
  }
  return {
    kind: kind as RepoKind,
    owner,
    registry: `ghcr.io/${owner.toLowerCase()}`,
    repos: { fleet: 'd2-fleet', apps: 'd2-apps', infra: 'd2-infra' },
    suite,
  };
}
