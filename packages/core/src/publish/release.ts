/**
 * release-artifact (issue 6): a `<component>/<version>` tag promotes a component. Parses the tag with a configurable
 * pattern, then publishes through the same path as push-artifact (publishArtifact) with two guards:
 * immutable versions (an existing version tag with other content is never overwritten unless asked) and the
 * promotion guard (the stable tag never moves to a lower semver version unless asked).
 */
import semver from 'semver';
import { InputError, D2Error } from '../errors.js';
import { validateTag } from '../oci/references.js';
import type { GuardContext, RemoteArtifact } from './types.js';

export const ANNOTATION_VERSION = 'org.opencontainers.image.version';

export type ReleaseMode = 'component' | 'fleet';

export interface ParsedRelease {
  tag: string;
  component?: string;
  version: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The default tag pattern for a mode. */
export function defaultTagPattern(mode: ReleaseMode): string {
  return mode === 'fleet' ? '{version}' : '{component}/{version}';
}

/** Parses `refs/tags/<tag>` with a pattern of `{component}` and `{version}` placeholders. */
export function parseReleaseRef(ref: string, pattern: string, mode: ReleaseMode): ParsedRelease {
  if (!ref.startsWith('refs/tags/')) {
    throw new InputError(
      `release-artifact runs on tags, but the ref is '${ref}'`,
      `push a tag of the form '${pattern}' (e.g. ${pattern.replace('{component}', 'frontend').replace('{version}', 'v1.0.0')}) and trigger the workflow with on: push: tags`,
    );
  }
  const tag = ref.slice('refs/tags/'.length);
  if (!pattern.includes('{version}')) throw new InputError(`tag-pattern '${pattern}' has no {version} placeholder`);
  if (mode === 'component' && !pattern.includes('{component}')) {
    throw new InputError(`tag-pattern '${pattern}' has no {component} placeholder (mode: component)`, "use e.g. '{component}/{version}', or mode: fleet");
  }
  if (mode === 'fleet' && pattern.includes('{component}')) {
    throw new InputError(`tag-pattern '${pattern}' has a {component} placeholder, but mode is fleet`, "use e.g. '{version}' or 'v{version}'");
  }
  const source = pattern
    .split(/(\{component\}|\{version\})/)
    .map((part) => (part === '{component}' ? '(?<component>[^/]+)' : part === '{version}' ? '(?<version>.+)' : escapeRegExp(part)))
    .join('');
  const m = new RegExp(`^${source}$`).exec(tag);
  if (!m?.groups) {
    throw new InputError(`tag '${tag}' does not fit the tag pattern '${pattern}'`, `tag releases as ${pattern.replace('{component}', '<component>').replace('{version}', '<version>')}, e.g. ${pattern.replace('{component}', 'frontend').replace('{version}', 'v1.0.0')}`);
  }
  const version = m.groups.version;
  try {
    validateTag(version, `the version in tag '${tag}':`);
  } catch (err) {
    const hint = version.includes('+') ? `OCI tags cannot contain '+': tag the release as ${tag.replace(/\+/g, '-')} instead` : 'OCI tags allow [A-Za-z0-9_.-], up to 128 characters';
    throw new InputError((err as Error).message, hint);
  }
  return { tag, component: m.groups.component, version };
}

/** Semver view of a version string (`v` prefix allowed); undefined when it is not semver. */
export function semverOf(v: string | undefined): semver.SemVer | undefined {
  if (!v) return undefined;
  return semver.parse(v.replace(/^v/, '')) ?? undefined;
}

export interface ReleaseGuardOptions {
  version: string;
  versionTag: string;
  stableTag: string;
  allowDowngrade: boolean;
  overwriteVersion: boolean;
  /** Receives what the stable tag pointed at before the release (for the summary). */
  onStable?: (before: RemoteArtifact | undefined) => void;
}

/**
 * The guard run by publishArtifact after building and comparing with the version tag, before anything is written.
 * npm `semver` is the right library here: release versions are compared with SemVer 2.0 precedence.
 */
export function releaseGuard(o: ReleaseGuardOptions): (ctx: GuardContext) => Promise<void> {
  return async (ctx) => {
    const where = `${ctx.repo.registry}/${ctx.repo.repository}`;
    if (ctx.current && !ctx.unchanged && !o.overwriteVersion) {
      throw new D2Error(`version tag ${where}:${o.versionTag} already exists with different content (${ctx.current.digest}); release versions are immutable`, {
        code: 'VERSION_EXISTS',
        hint: 'release a new version (a new tag), or set overwrite-version: true to replace it on purpose',
      });
    }
    const stable = o.stableTag === o.versionTag ? ctx.current : await ctx.inspect(o.stableTag);
    o.onStable?.(stable);
    const next = semverOf(o.version);
    const prevVersion = stable?.annotations[ANNOTATION_VERSION];
    const prev = semverOf(prevVersion);
    if (next && prev && semver.lt(next, prev) && !o.allowDowngrade) {
      throw new D2Error(`refusing to move ${where}:${o.stableTag} from ${prevVersion} down to ${o.version}`, {
        code: 'DOWNGRADE',
        hint: 'release a higher version, or set allow-downgrade: true to roll back on purpose',
      });
    }
  };
}
