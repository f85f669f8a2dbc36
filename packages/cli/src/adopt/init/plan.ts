import { InputError } from '@d2/core';
import { clip } from '@d2/core';
import { DEFAULT_SUITE, type Suite } from '../suite.js';

export type RepoKind = 'fleet' | 'apps' | 'infra';
export const REPO_KINDS: readonly RepoKind[] = ['fleet', 'apps', 'infra'];

export type Forge = 'github' | 'gitlab';

/** What `d2 init` generates for: one of the three D2 repositories of an owner. */
export interface InitPlan {
  kind: RepoKind;
  /** Where the repositories live: GitHub (workflows) or gitlab.com (one .gitlab-ci.yml each). */
  forge: Forge;
  /**
   * GitHub owner (organisation or user) of the three repositories, as GitHub spells it, or the GitLab group path
   * (`acme`, `acme/platform`) as GitLab spells it: it is part of the signing identities.
   */
  owner: string;
  /**
   * Registry and namespace of the artifacts (OCI repository names are lower case): ghcr.io/<owner, lower-cased>, or on
   * GitLab registry.gitlab.com/<group, lower-cased>, under which each project has its own registry
   * (`<namespace>/<project>[/<name>]`, what $CI_REGISTRY_IMAGE names).
   */
  registry: string;
  /** Names of the three repositories (D2's names). */
  repos: Record<RepoKind, string>;
  suite: Suite;
}

// A GitHub account name: letters, digits and single hyphens, not at either end, at most 39 characters.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

// A GitLab group path: segments of letters, digits, '_', '-' and '.', not starting or ending with '-' or '.', separated
// by '/' (subgroups, at most 20 levels), none ending in .git or .atom (GitLab's path rules).
const GROUP_SEGMENT = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,253}[A-Za-z0-9_])?$/;

export function isGitLabGroupPath(path: string): boolean {
  const segments = path.split('/');
  return segments.length <= 20 && segments.every((s) => GROUP_SEGMENT.test(s) && !/\.(git|atom)$/i.test(s));
}

export function initPlan(kind: string, owner: string | undefined, forge: string | undefined, suite: Suite = DEFAULT_SUITE): InitPlan {
  if (!REPO_KINDS.includes(kind as RepoKind)) {
    throw new InputError(`unknown repository kind '${clip(kind, 64)}'`, 'd2 init fleet|apps|infra --owner <org>');
  }
  if (forge !== undefined && forge !== 'github' && forge !== 'gitlab') {
    throw new InputError(`--forge must be github or gitlab, got '${clip(forge, 64)}'`, 'd2 init fleet|apps|infra --owner <org> --forge github');
  }
  if (forge === 'gitlab') {
    if (owner === undefined || owner === '') {
      throw new InputError('--owner is required', 'the GitLab group (or subgroup path) that holds d2-fleet, d2-apps and d2-infra, e.g. --owner acme or --owner acme/platform');
    }
    if (!isGitLabGroupPath(owner)) {
      throw new InputError(
        `--owner '${clip(owner, 64)}' is not a GitLab group path`,
        "letters, digits, '_', '-' and '.', subgroups separated by '/', no segment starting or ending with '-' or '.', e.g. acme or acme/platform",
      );
    }
    return {
      kind: kind as RepoKind,
      forge: 'gitlab',
      owner,
      registry: `registry.gitlab.com/${owner.toLowerCase()}`,
      repos: { fleet: 'd2-fleet', apps: 'd2-apps', infra: 'd2-infra' },
      suite,
    };
  }
  if (owner === undefined || owner === '') {
    throw new InputError('--owner is required', 'the GitHub organisation or user that owns d2-fleet, d2-apps and d2-infra, e.g. --owner acme');
  }
  if (!OWNER.test(owner)) {
    throw new InputError(`--owner '${clip(owner, 64)}' is not a GitHub account name`, 'letters, digits and single hyphens, not at either end, at most 39 characters');
  }
  return {
    kind: kind as RepoKind,
    forge: 'github',
    owner,
    registry: `ghcr.io/${owner.toLowerCase()}`,
    repos: { fleet: 'd2-fleet', apps: 'd2-apps', infra: 'd2-infra' },
    suite,
  };
}
