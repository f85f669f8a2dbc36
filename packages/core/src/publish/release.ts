/**
 * release-artifact: a `<component>/<version>` tag promotes a component. Parses the tag with a configurable
 * pattern, then publishes through the same path as push-artifact (publishArtifact) with two guards:
 * immutable versions (an existing version tag with other content is never overwritten unless asked) and the
 * promotion guard (the stable tag never moves to a lower semver version unless asked). Both guards hold for concurrent
 * releases too: see releasePolicy.
 */
// Only the functions used, not semver's index, which loads (and builds the regular expressions of) every module of
// the package at start (docs/architecture.md "Action start-up").
import type { SemVer } from 'semver';
import semverEq from 'semver/functions/eq.js';
import semverGt from 'semver/functions/gt.js';
import semverLt from 'semver/functions/lt.js';
import semverParse from 'semver/functions/parse.js';
import { InputError, D2Error } from '../errors.js';
import { validateTag } from '../oci/index.js';
import type { GuardContext, MoveContext, RemoteArtifact, TagMoveResult } from './types.js';

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
  const m = matchReleaseTag(tag, pattern);
  if (!m) {
    throw new InputError(`tag '${tag}' does not fit the tag pattern '${pattern}'`, `tag releases as ${pattern.replace('{component}', '<component>').replace('{version}', '<version>')}, e.g. ${pattern.replace('{component}', 'frontend').replace('{version}', 'v1.0.0')}`);
  }
  const version = m.version;
  try {
    validateTag(version, `the version in tag '${tag}':`);
  } catch (err) {
    const hint = version.includes('+') ? `OCI tags cannot contain '+': tag the release as ${tag.replace(/\+/g, '-')} instead` : 'OCI tags allow [A-Za-z0-9_.-], up to 128 characters';
    throw new InputError((err as Error).message, hint);
  }
  return { tag, component: m.component, version };
}

/**
 * Matches a tag against a pattern. When a separator of the pattern also occurs in versions or component names
 * (`{component}-{version}` and `app-v1.0.0-rc.1`), several splits fit: the one with the shortest component whose
 * version is semver wins (`app` + `v1.0.0-rc.1`, `my-app` + `v1.0.0` for `my-app-v1.0.0`); when no split gives a
 * semver version, the longest component does.
 */
function matchReleaseTag(tag: string, pattern: string): { component?: string; version: string } | undefined {
  const source = (component: string) =>
    pattern
      .split(/(\{component\}|\{version\})/)
      .map((part) => (part === '{component}' ? `(?<component>${component})` : part === '{version}' ? '(?<version>.+)' : escapeRegExp(part)))
      .join('');
  const greedy = new RegExp(`^${source('[^/]+')}$`).exec(tag)?.groups;
  if (!greedy) return undefined;
  if (greedy.component === undefined) return { version: greedy.version };
  for (let n = 1; n < greedy.component.length; n++) {
    const g = new RegExp(`^${source(`[^/]{${n}}`)}$`).exec(tag)?.groups;
    if (g && semverOf(g.version)) return { component: g.component, version: g.version };
  }
  return { component: greedy.component, version: greedy.version };
}

/** Semver view of a version string (`v` prefix allowed); undefined when it is not semver. */
export function semverOf(v: string | undefined): SemVer | undefined {
  if (!v) return undefined;
  return semverParse(v.replace(/^v/, '')) ?? undefined;
}

/**
 * How long a release watches its own tag moves: it reads the tags back this long after its last PUT, and a move whose
 * check-to-write time exceeds it fails loudly (see releasePolicy).
 */
export const RELEASE_SETTLE_MS = 5_000;
/** How often the stable tag may change under a release (re-checks and re-assertions) before it gives up loudly. */
export const RELEASE_MOVE_ATTEMPTS = 5;

const CONCURRENCY_HINT = 'serialise release workflows with a concurrency group (actions/release-artifact/README.md, "Concurrent releases")';

export interface ReleaseGuardOptions {
  version: string;
  versionTag: string;
  stableTag: string;
  allowDowngrade: boolean;
  overwriteVersion: boolean;
  /** Settle time of the tag moves (default RELEASE_SETTLE_MS). */
  settleMs?: number;
}

/** The release's guard and tag mover for publishArtifact, and what they saw (for the summary). */
export interface ReleasePolicy {
  /** Runs after the build, before anything is written: immutable version and no downgrade (fails fast). */
  guard: (ctx: GuardContext) => Promise<void>;
  /** Moves the version tag, then the stable tag, with the checks that hold under concurrent releases. */
  moveTags: (ctx: MoveContext) => Promise<TagMoveResult>;
  /** What the stable tag pointed at when the release first read it. */
  readonly stableBefore: RemoteArtifact | undefined;
  /** Set when a concurrent release of a higher version moved the stable tag after this release moved it. */
  readonly superseded: { digest: string; version?: string } | undefined;
}

function versionOf(a: RemoteArtifact | undefined): string | undefined {
  return a?.annotations[ANNOTATION_VERSION];
}

function describeArtifact(a: RemoteArtifact | undefined): string {
  if (!a) return 'nothing';
  return `${versionOf(a) ?? 'an unversioned artifact'} (${a.digest})`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The release guards, made to hold when releases run concurrently. OCI distribution has no compare-and-swap on tags,
 * so the protocol is:
 *  1. the guard checks the version tag and the stable tag before anything is pushed (fail fast);
 *  2. right before each tag PUT, the tag is read again (HEAD); if it changed since it was checked, the guard runs again
 *     on its new value (bounded), so the window between the last check and the write is one HEAD and one PUT;
 *  3. after the last PUT the release waits the settle time, then reads both tags back: the version tag must still be
 *     ours (else a concurrent release of the same version with other content won: fail loudly); the stable tag must
 *     be ours or a higher version — a lower version is re-asserted (steps 2–3 again, bounded), anything that cannot be
 *     ordered fails loudly;
 *  4. a move whose check-to-write time exceeded the settle time fails loudly: a concurrent release reading back after
 *     the settle time might not have seen it land.
 * Two concurrent releases A > B: if B's write lands after A's, it lands within B's check-to-write time of A's write
 * (B's check came before A's write, else B's guard refuses), so A's read-back sees it and re-asserts, or B fails in
 * step 4. Hence the stable tag ends at the higher version, or a run fails loudly.
 */
export function releasePolicy(o: ReleaseGuardOptions): ReleasePolicy {
  const settleMs = o.settleMs ?? RELEASE_SETTLE_MS;
  const next = semverOf(o.version);
  let stableBefore: RemoteArtifact | undefined;
  let superseded: ReleasePolicy['superseded'];
  // What the checks last saw: the digest each tag pointed at (undefined: the tag did not exist).
  let seenVersion: string | undefined;
  let seenStable: string | undefined;
  const sameTag = o.stableTag === o.versionTag;

  /** Refuses to move the stable tag from `stable` to this release's version (the promotion guard). */
  const checkStable = (where: string, stable: RemoteArtifact | undefined, concurrent?: { digest: string; moved: string[] }): void => {
    const prevVersion = versionOf(stable);
    const prev = semverOf(prevVersion);
    const state = concurrent
      ? ` (a concurrent release moved it while this one was publishing; ${concurrent.moved.length ? `${concurrent.moved.map((t) => `:${t}`).join(', ')} already point${concurrent.moved.length === 1 ? 's' : ''} at ${concurrent.digest}` : 'no tag was moved'})`
      : '';
    if (next && prev && semverLt(next, prev) && !o.allowDowngrade) {
      throw new D2Error(`refusing to move ${where}:${o.stableTag} from ${prevVersion} down to ${o.version}${state}`, {
        code: 'DOWNGRADE',
        hint: concurrent
          ? `nothing to do if ${prevVersion} is the newer release; to roll back on purpose, re-run this release with allow-downgrade: true; ${CONCURRENCY_HINT}`
          : 'release a higher version, or set allow-downgrade: true to roll back on purpose',
      });
    }
    if (concurrent && stable && stable.digest !== concurrent.digest && !o.overwriteVersion && !o.allowDowngrade && prevVersion !== undefined && (prevVersion === o.version || (next && prev && semverEq(next, prev)))) {
      throw new D2Error(`refusing to move ${where}:${o.stableTag}: it now points at ${prevVersion} with other content (${stable.digest})${state}`, {
        code: 'RELEASE_RACE',
        hint: `two releases of ${o.version} with different content ran at once: decide which content ${o.version} is, re-run that release with overwrite-version: true; ${CONCURRENCY_HINT}`,
      });
    }
  };

  const guard = async (ctx: GuardContext): Promise<void> => {
    const where = `${ctx.repo.registry}/${ctx.repo.repository}`;
    if (ctx.current && !ctx.unchanged && !o.overwriteVersion) {
      throw new D2Error(`version tag ${where}:${o.versionTag} already exists with different content (${ctx.current.digest}); release versions are immutable`, {
        code: 'VERSION_EXISTS',
        hint: 'release a new version (a new tag), or set overwrite-version: true to replace it on purpose',
      });
    }
    const stable = sameTag ? ctx.current : await ctx.inspect(o.stableTag);
    stableBefore = stable;
    seenVersion = ctx.current?.digest;
    seenStable = stable?.digest;
    checkStable(where, stable);
  };

  const moveTags = async (ctx: MoveContext): Promise<TagMoveResult> => {
    const where = `${ctx.repo.registry}/${ctx.repo.repository}`;
    const moved: string[] = [];
    /** Check-to-write time of each PUT whose overwrite a guard forbids. */
    const windows: { tag: string; ms: number }[] = [];

    /** The stable tag changed since it was checked: run the promotion guard on its new value. */
    const recheckStable = async (): Promise<void> => {
      const now = await ctx.inspect(o.stableTag);
      checkStable(where, now, { digest: ctx.digest, moved });
      ctx.logger.info(`${where}:${o.stableTag} changed to ${describeArtifact(now)} while this release was publishing; the promotion guard passed again`);
      seenStable = now?.digest;
    };

    /** Points the stable tag at our digest, re-checking right before the PUT; returns the check-to-write time. */
    const assertStable = async (): Promise<number | undefined> => {
      for (let attempt = 0; attempt < RELEASE_MOVE_ATTEMPTS; attempt++) {
        const t0 = performance.now();
        const head = await ctx.head(o.stableTag);
        if (head === ctx.digest) return undefined;
        if (head === seenStable) {
          await ctx.put(o.stableTag);
          return performance.now() - t0;
        }
        await recheckStable();
      }
      throw new D2Error(`${where}:${o.stableTag} kept changing while this release tried to move it (${RELEASE_MOVE_ATTEMPTS} times); it points at ${await ctx.head(o.stableTag) ?? 'nothing'}`, {
        code: 'RELEASE_RACE',
        hint: `other releases are moving ${o.stableTag} at the same time: ${CONCURRENCY_HINT}, then re-run this release (it is idempotent)`,
      });
    };

    // 1. Nothing has moved yet: a higher release that landed since the guard ran stops this one before any tag moves.
    const stableNow = await ctx.head(o.stableTag);
    if (stableNow !== seenStable && stableNow !== ctx.digest) await recheckStable();

    // 2. The version tag: still absent (or ours, or the content the guard accepted) right before the PUT.
    if (!sameTag) {
      const t0 = performance.now();
      const head = await ctx.head(o.versionTag);
      if (head !== ctx.digest) {
        if (head !== undefined && head !== seenVersion && !o.overwriteVersion) {
          throw new D2Error(`version tag ${where}:${o.versionTag} was created by a concurrent release with other content (${head}) while this one was publishing; release versions are immutable, and no tag was moved`, {
            code: 'VERSION_EXISTS',
            hint: `two releases of ${o.version} with different content ran at once: keep the one that won, or re-run this release with overwrite-version: true to replace it on purpose; ${CONCURRENCY_HINT}`,
          });
        }
        await ctx.put(o.versionTag);
        moved.push(o.versionTag);
        if (!o.overwriteVersion) windows.push({ tag: o.versionTag, ms: performance.now() - t0 });
      }
    }

    // 3. The stable tag, then the read-back after the settle time; a lower version that overwrote ours is re-asserted.
    let tags = ctx.tags;
    for (let round = 1; ; round++) {
      const ms = await assertStable();
      if (ms === undefined && round > 1) break;
      if (ms !== undefined) {
        if (!moved.includes(o.stableTag)) moved.push(o.stableTag);
        if (!o.allowDowngrade) windows.push({ tag: o.stableTag, ms });
      }
      if (moved.length === 0) return { movedTags: [], tags };
      const since = performance.now();
      ctx.logger.info(`moved ${moved.map((t) => `:${t}`).join(', ')}; reading ${sameTag ? 'it' : 'them'} back in ${settleMs / 1000} s to detect concurrent releases`);
      while (performance.now() - since < settleMs) await sleep(settleMs - (performance.now() - since));

      if (!sameTag && moved.includes(o.versionTag)) {
        const version = await ctx.head(o.versionTag);
        if (version !== ctx.digest) {
          throw new D2Error(
            `version tag ${where}:${o.versionTag} now points at ${version ?? 'nothing'}, not at this release (${ctx.digest}): a concurrent release of ${o.version} with other content overwrote it; ${o.stableTag} points at ${(await ctx.head(o.stableTag)) ?? 'nothing'}`,
            { code: 'RELEASE_RACE', hint: `two releases of ${o.version} with different content ran at once: decide which content ${o.version} is and re-run that release with overwrite-version: true; ${CONCURRENCY_HINT}` },
          );
        }
      }
      const head = await ctx.head(o.stableTag);
      if (head === ctx.digest) break;
      const now = head === undefined ? undefined : await ctx.inspect(o.stableTag);
      const prev = semverOf(versionOf(now));
      if (now && !o.allowDowngrade && next && prev && semverGt(prev, next)) {
        superseded = { digest: now.digest, version: versionOf(now) };
        ctx.logger.warn(`${where}:${o.stableTag} was moved on to ${describeArtifact(now)} by a concurrent release of a higher version; this release keeps :${o.versionTag} only`);
        tags = tags.filter((t) => t !== o.stableTag);
        break;
      }
      const lower = !now || (!o.allowDowngrade && next && prev && semverLt(prev, next));
      if (!lower || round >= RELEASE_MOVE_ATTEMPTS) {
        throw new D2Error(
          `${where}:${o.stableTag} was moved to ${describeArtifact(now)} by a concurrent release after this release (${o.version}, ${ctx.digest}) moved it${lower ? ` (${round} times)` : ''}; it is left there`,
          {
            code: 'RELEASE_RACE',
            hint: `decide which release ${o.stableTag} should point at and re-run it (releases are idempotent; allow-downgrade: true to go back on purpose); ${CONCURRENCY_HINT}`,
          },
        );
      }
      ctx.logger.warn(`${where}:${o.stableTag} was moved to the lower ${describeArtifact(now)} by a concurrent release after this one moved it; moving it back to ${o.version}`);
      seenStable = now?.digest;
    }

    // 4. A write that took longer than the settle time may have landed after a concurrent release stopped watching.
    for (const w of windows) {
      if (w.ms <= settleMs) continue;
      if (w.tag === o.stableTag && superseded) continue;
      const what = w.tag === o.versionTag ? `a concurrent release of ${o.version} with other content` : `a concurrent release of a higher version`;
      throw new D2Error(
        `moving ${where}:${w.tag} to this release (${o.version}, ${ctx.digest}) took ${(w.ms / 1000).toFixed(1)} s from the check to the write, longer than the ${settleMs / 1000} s a concurrent release watches its own move: ${what} that finished meanwhile could have been overwritten; :${w.tag} points at this release now`,
        {
          code: 'RELEASE_RACE',
          hint: `check which releases ran at the same time; if a higher one did, re-run it (releases are idempotent) to move :${w.tag} back; ${CONCURRENCY_HINT}`,
        },
      );
    }
    return { movedTags: moved, tags };
  };

  return {
    guard,
    moveTags,
    get stableBefore() {
      return stableBefore;
    },
    get superseded() {
      return superseded;
    },
  };
}
