/**
 * The release guards (src/publish/release.ts) through publishArtifact, against the recording in-memory registry:
 * an existing version with other content is refused unless overwriteVersion; the stable tag never moves to a lower
 * semver unless allowDowngrade; the re-check right before each tag PUT sees a concurrent move; the read-back after the
 * settle time re-asserts a lower version and yields to a higher one. A refusal happens before anything is written.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { D2Error } from '../../src/errors.js';
import type { Logger } from '../../src/oci/types.js';
import { ANNOTATION_VERSION, publishArtifact, releasePolicy, type PublishResult, type ReleasePolicy } from '../../src/publish/index.js';
import { MemoryRegistry, OCI_MANIFEST } from './memory-registry.js';
import { rejectedAs } from '../support/failures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'd2-release-unit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const REPO = 'fleet/app';
const STABLE = 'latest';
/** Short, so the read-back is quick; a write slower than this fails the release (tested below). */
const SETTLE_MS = 50;

interface Release {
  policy: ReleasePolicy;
  result: Promise<PublishResult>;
  warnings: string[];
}

/** Releases `content` as `version` of registry.test/fleet/app (version tag = version, stable tag = latest). */
function release(reg: MemoryRegistry, content: string, version: string, o: { allowDowngrade?: boolean; overwriteVersion?: boolean } = {}): Release {
  const path = join(dir, version, content.replace(/\W/g, '_'));
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'deploy.yaml'), content);
  const policy = releasePolicy({ version, versionTag: version, stableTag: STABLE, allowDowngrade: !!o.allowDowngrade, overwriteVersion: !!o.overwriteVersion, settleMs: SETTLE_MS });
  const warnings: string[] = [];
  const logger: Logger = { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m) };
  const result = publishArtifact(reg, { repository: `registry.test/${REPO}`, path }, {
    build: { reproducible: true, annotations: { [ANNOTATION_VERSION]: version } },
    diffTag: version,
    tags: [STABLE],
    guard: policy.guard,
    moveTags: policy.moveTags,
    logger,
  });
  return { policy, result, warnings };
}

/** A manifest of another release (only its version annotation matters to the guards). */
function otherRelease(reg: MemoryRegistry, version: string): string {
  return reg.seed(REPO, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [], annotations: { [ANNOTATION_VERSION]: version } })));
}

const refusal = (p: Promise<unknown>): Promise<D2Error> => rejectedAs(D2Error, p);

describe('a release', () => {
  it('checks both tags, pushes, PUTs the version tag then the stable tag, each right after a re-check, then reads both back', async () => {
    const reg = new MemoryRegistry();
    const r = await release(reg, 'v: 1\n', 'v1.0.0').result;
    const d = r.digest;
    const ops = reg.calls.map((c) => c.replace(` ${REPO}`, ''));
    const blobs = ops.filter((c) => c.startsWith('pushBlob'));
    expect(ops).toEqual([
      'headManifest v1.0.0', // the diff-tag (version tag) before anything is written
      'headManifest latest', // the guard reads the stable tag
      ...blobs,
      `putManifest ${d}`,
      'headManifest latest', // nothing moved since the guard
      'headManifest v1.0.0', // re-check right before the PUT
      'putManifest v1.0.0',
      'headManifest latest', // re-check right before the PUT
      'putManifest latest',
      'headManifest v1.0.0', // read-back after the settle time
      'headManifest latest',
    ]);
    expect(r.movedTags).toEqual(['v1.0.0', 'latest']);
    expect([reg.tag(REPO, 'v1.0.0'), reg.tag(REPO, STABLE)]).toEqual([d, d]);
  });

  it('the same version with the same content again writes nothing (idempotent)', async () => {
    const reg = new MemoryRegistry();
    const first = await release(reg, 'v: 1\n', 'v1.0.0').result;
    reg.calls.length = 0;
    const again = await release(reg, 'v: 1\n', 'v1.0.0').result;
    expect(again).toMatchObject({ pushed: false, digest: first.digest, movedTags: [] });
    expect(reg.writes()).toEqual([]);
  });
});

describe('immutable versions', () => {
  it('an existing version with other content is refused before anything is written', async () => {
    const reg = new MemoryRegistry();
    const first = await release(reg, 'v: 1\n', 'v1.0.0').result;
    reg.calls.length = 0;
    const err = await refusal(release(reg, 'v: 2\n', 'v1.0.0').result);
    expect(err.code).toBe('VERSION_EXISTS');
    expect(err.message).toContain('registry.test/fleet/app:v1.0.0 already exists with different content');
    expect(err.hint).toContain('overwrite-version: true');
    expect(reg.writes()).toEqual([]);
    expect([reg.tag(REPO, 'v1.0.0'), reg.tag(REPO, STABLE)]).toEqual([first.digest, first.digest]);
  });

  it('overwriteVersion replaces it and moves the stable tag', async () => {
    const reg = new MemoryRegistry();
    const first = await release(reg, 'v: 1\n', 'v1.0.0').result;
    const r = await release(reg, 'v: 2\n', 'v1.0.0', { overwriteVersion: true }).result;
    expect(r.digest).not.toBe(first.digest);
    expect(r.movedTags).toEqual(['v1.0.0', 'latest']);
    expect([reg.tag(REPO, 'v1.0.0'), reg.tag(REPO, STABLE)]).toEqual([r.digest, r.digest]);
  });

  it('a version tag created by a concurrent release with other content between the guard and the PUT: refused, no tag moved', async () => {
    const reg = new MemoryRegistry();
    const theirs = otherRelease(reg, 'v1.0.0');
    let armed = true;
    reg.onCall = (c) => {
      if (armed && /^putManifest fleet\/app sha256:/.test(c)) {
        armed = false;
        reg.tags.set(`${REPO}:v1.0.0`, theirs);
      }
    };
    const err = await refusal(release(reg, 'v: 1\n', 'v1.0.0').result);
    expect(err.code).toBe('VERSION_EXISTS');
    expect(err.message).toContain('created by a concurrent release');
    expect(reg.tagPuts()).toEqual([]);
    expect(reg.tag(REPO, 'v1.0.0')).toBe(theirs);
    expect(reg.tag(REPO, STABLE)).toBeUndefined();
  });
});

describe('no downgrade of the stable tag', () => {
  it('a lower version than the stable tag is refused before anything is written', async () => {
    const reg = new MemoryRegistry();
    const v2 = await release(reg, 'v: 2\n', 'v2.0.0').result;
    reg.calls.length = 0;
    const err = await refusal(release(reg, 'v: 1.5\n', 'v1.5.0').result);
    expect(err.code).toBe('DOWNGRADE');
    expect(err.message).toBe('refusing to move registry.test/fleet/app:latest from v2.0.0 down to v1.5.0');
    expect(err.hint).toContain('allow-downgrade: true');
    expect(reg.writes()).toEqual([]);
    expect(reg.tag(REPO, STABLE)).toBe(v2.digest);
    expect(reg.tag(REPO, 'v1.5.0')).toBeUndefined();
  });

  it('allowDowngrade moves it down on purpose', async () => {
    const reg = new MemoryRegistry();
    await release(reg, 'v: 2\n', 'v2.0.0').result;
    const r = await release(reg, 'v: 1.5\n', 'v1.5.0', { allowDowngrade: true }).result;
    expect(reg.tag(REPO, STABLE)).toBe(r.digest);
  });

  it('a higher version moves it up (semver order, not string order: v10 > v9)', async () => {
    const reg = new MemoryRegistry();
    await release(reg, 'v: 9\n', 'v9.0.0').result;
    const r = await release(reg, 'v: 10\n', 'v10.0.0').result;
    expect(r.movedTags).toEqual(['v10.0.0', 'latest']);
    expect(reg.tag(REPO, STABLE)).toBe(r.digest);
  });
});

describe('concurrent releases', () => {
  it('the re-check before the PUT sees a higher release that landed after the guard: refused, no tag moved', async () => {
    const reg = new MemoryRegistry();
    const v1 = await release(reg, 'v: 1\n', 'v1.0.0').result;
    const v2 = otherRelease(reg, 'v2.0.0');
    reg.calls.length = 0;
    let armed = true;
    reg.onCall = (c) => {
      if (armed && /^putManifest fleet\/app sha256:/.test(c)) {
        armed = false;
        reg.tags.set(`${REPO}:${STABLE}`, v2);
      }
    };
    const rel = release(reg, 'v: 1.1\n', 'v1.1.0');
    const err = await refusal(rel.result);
    expect(err.code).toBe('DOWNGRADE');
    expect(err.message).toContain('from v2.0.0 down to v1.1.0 (a concurrent release moved it while this one was publishing; no tag was moved)');
    expect(reg.tagPuts()).toEqual([]);
    expect(reg.tag(REPO, STABLE)).toBe(v2);
    expect(reg.tag(REPO, 'v1.1.0')).toBeUndefined();
    expect(rel.policy.stableBefore?.digest).toBe(v1.digest);
  });

  it('a lower release that landed after the guard passes the re-check: the stable tag moves to this release', async () => {
    const reg = new MemoryRegistry();
    await release(reg, 'v: 1\n', 'v1.0.0').result;
    const lower = otherRelease(reg, 'v1.0.5');
    let armed = true;
    reg.onCall = (c) => {
      if (armed && /^putManifest fleet\/app sha256:/.test(c)) {
        armed = false;
        reg.tags.set(`${REPO}:${STABLE}`, lower);
      }
    };
    const r = await release(reg, 'v: 1.1\n', 'v1.1.0').result;
    expect(r.movedTags).toEqual(['v1.1.0', 'latest']);
    expect(reg.tag(REPO, STABLE)).toBe(r.digest);
  });

  it('a lower release that overwrote the stable tag after this one moved it is seen on read-back and re-asserted', async () => {
    const reg = new MemoryRegistry();
    const lower = otherRelease(reg, 'v0.9.0');
    let headsOfVersion = 0;
    reg.onCall = (c) => {
      // The third HEAD of the version tag (diff-tag, re-check, read-back) is the read-back after the stable tag was PUT.
      if (c === 'headManifest fleet/app v1.1.0' && ++headsOfVersion === 3) reg.tags.set(`${REPO}:${STABLE}`, lower);
    };
    const rel = release(reg, 'v: 1.1\n', 'v1.1.0');
    const r = await rel.result;
    expect(reg.tagPuts()).toEqual(['putManifest fleet/app v1.1.0', 'putManifest fleet/app latest', 'putManifest fleet/app latest']);
    expect(reg.tag(REPO, STABLE)).toBe(r.digest);
    expect(rel.warnings.join('\n')).toContain('moving it back to v1.1.0');
    expect(rel.policy.superseded).toBeUndefined();
  });

  it('a higher release that moved the stable tag after this one is left in place: this release keeps its version tag only', async () => {
    const reg = new MemoryRegistry();
    const higher = otherRelease(reg, 'v3.0.0');
    let headsOfVersion = 0;
    reg.onCall = (c) => {
      if (c === 'headManifest fleet/app v1.1.0' && ++headsOfVersion === 3) reg.tags.set(`${REPO}:${STABLE}`, higher);
    };
    const rel = release(reg, 'v: 1.1\n', 'v1.1.0');
    const r = await rel.result;
    expect(reg.tagPuts()).toEqual(['putManifest fleet/app v1.1.0', 'putManifest fleet/app latest']);
    expect(reg.tag(REPO, STABLE)).toBe(higher);
    expect(r.tags).toEqual(['v1.1.0']);
    expect(rel.policy.superseded).toEqual({ digest: higher, version: 'v3.0.0' });
  });

  it('a concurrent release of the same version with other content that overwrote the version tag fails loudly', async () => {
    const reg = new MemoryRegistry();
    const theirs = otherRelease(reg, 'v1.1.0');
    let headsOfVersion = 0;
    reg.onCall = (c) => {
      if (c === 'headManifest fleet/app v1.1.0' && ++headsOfVersion === 3) reg.tags.set(`${REPO}:v1.1.0`, theirs);
    };
    const err = await refusal(release(reg, 'v: 1.1\n', 'v1.1.0').result);
    expect(err.code).toBe('RELEASE_RACE');
    expect(err.message).toContain(`now points at ${theirs}, not at this release`);
  });

  it('a tag write slower than the settle time fails loudly: a concurrent release could have missed it', async () => {
    const reg = new MemoryRegistry();
    reg.delayOn = (c) => (c === 'putManifest fleet/app latest' ? SETTLE_MS * 3 : 0);
    const err = await refusal(release(reg, 'v: 1\n', 'v1.0.0').result);
    expect(err.code).toBe('RELEASE_RACE');
    expect(err.message).toMatch(/^moving registry\.test\/fleet\/app:latest to this release \(v1\.0\.0, sha256:[0-9a-f]{64}\) took [0-9.]+ s from the check to the write, longer than the 0\.05 s/);
  });
});
