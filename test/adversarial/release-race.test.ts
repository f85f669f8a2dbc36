/**
 * Concurrent releases against a real registry: two release-artifact bundles started together, as `git push --tags`
 * starts two release workflows. OCI distribution has no compare-and-swap on tags, so the release's tag moves follow
 * the protocol in actions/release-artifact/README.md ("Concurrent releases"): re-check right before each PUT, read the
 * tags back after a settle time, re-assert a higher version over a lower one, and fail loudly when the outcome cannot
 * be proven. The invariant checked here: after two concurrent runs, `latest-stable` holds the higher version, or one
 * of the runs failed loudly; a version tag is never silently overwritten with other content.
 *
 * Each run goes through its own fault proxy, which delays the run's manifest PUTs of one tag: the delays force the
 * interleaving the race needs (the lower version's PUT lands after the higher one's), so the test fails reliably
 * without the protocol instead of in some rounds only.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { D2Error } from '@d2/core';
import { RegistryClient } from '@d2/core/oci';
import { ANNOTATION_VERSION, publishArtifact, releasePolicy, RELEASE_MOVE_ATTEMPTS } from '@d2/core/publish';
import {
  prngInt,
  pushTinyArtifact,
  repoRoot,
  runActionBundle,
  startFaultProxy,
  startOidc,
  startRegistry,
  startSigstore,
  type ActionRun,
  type FaultProxy,
  type SandboxOidc,
  type SandboxRegistry,
  type SandboxSigstore,
} from '@d2/sandbox';

let registry: SandboxRegistry;
let sigstore: SandboxSigstore;
let oidc: SandboxOidc;
const client = new RegistryClient({});
const scratch = mkdtempSync(join(tmpdir(), 'd2-release-race-'));
const OWNER = 'acme/d2-apps';

beforeAll(async () => {
  [registry, sigstore, oidc] = await Promise.all([startRegistry({ auth: 'anonymous' }), startSigstore(), startOidc()]);
});
afterAll(async () => {
  await Promise.all([registry?.stop(), sigstore?.stop(), oidc?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

let n = 0;
function workspace(content: string): string {
  const dir = join(scratch, `ws-${n++}`);
  const file = join(dir, 'components/frontend/app.yaml');
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, content);
  chmodSync(file, 0o644);
  return dir;
}

/** One release-artifact run through `proxy` into `<proxy>/<repo>/frontend`. */
function release(proxy: FaultProxy, repo: string, tag: string, ws: string): Promise<ActionRun> {
  const ref = `refs/tags/${tag}`;
  return runActionBundle('release-artifact', {
    workspace: ws,
    repository: OWNER,
    ref,
    inputs: {
      repository: `${proxy.host}/${repo}/{component}`,
      'fulcio-url': sigstore.fulcioURL,
      'rekor-url': sigstore.rekorURL,
      'trusted-root': sigstore.trustedRootPath,
    },
    env: oidc.envFor({ repository: OWNER, workflow: '.github/workflows/release-artifact.yaml', ref }),
    timeoutMs: 180_000,
  });
}

async function tagDigest(repository: string, tag: string): Promise<string | undefined> {
  return (await client.headManifest({ registry: registry.host, repository }, tag))?.digest;
}

async function versionAt(repository: string, tag: string): Promise<string | undefined> {
  const digest = await tagDigest(repository, tag);
  if (!digest) return undefined;
  const m = JSON.parse((await client.getManifest({ registry: registry.host, repository }, digest)).bytes.toString()) as { annotations?: Record<string, string> };
  return m.annotations?.['org.opencontainers.image.version'];
}

/** Runs `fn` with two fault proxies in front of the registry, one per concurrent run. */
async function withProxies<T>(fn: (a: FaultProxy, b: FaultProxy) => Promise<T>): Promise<T> {
  const [a, b] = await Promise.all([startFaultProxy(registry.url), startFaultProxy(registry.url)]);
  try {
    return await fn(a, b);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

/** Polls `check` every 100 ms until it holds (or fails the test after `ms`). */
async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const put = (tag: string) => ({ method: 'PUT', path: new RegExp(`/manifests/${tag.replace(/\./g, '\\.')}$`) });
const explain = (r: ActionRun) => `exit ${r.exitCode}\n${r.stdout.slice(-3000)}`;
/** A loud failure: exit 1 and an error annotation that names the tag and carries a hint. */
function failedLoudly(r: ActionRun, tag: RegExp): boolean {
  const text = r.errors.join('\n');
  return r.exitCode === 1 && tag.test(text) && /hint: /.test(text);
}

describe('release-artifact: concurrent releases of two versions (git push --tags)', () => {
  // Seeded delays: the lower version's latest-stable PUT is held longer than the higher one's, so without a re-check
  // and a read-back the lower version lands last.
  const rnd = prngInt(20_260_514);
  const rounds = Array.from({ length: 5 }, (_, i) => {
    const higher = 200 + rnd(800);
    return { round: i + 1, higherDelay: higher, lowerDelay: higher + 1_000 + rnd(1_500) };
  });

  const outcomes: { reasserted: boolean }[] = [];

  it.each(rounds)('round $round: latest-stable ends at the higher version (delays $higherDelay / $lowerDelay ms)', async ({ round, higherDelay, lowerDelay }) => {
    const repo = `acme/race-${round}`;
    const [hi, lo] = await withProxies(async (pa, pb) => {
      pa.addFault({ ...put('latest-stable'), times: 1, action: { delayMs: higherDelay } });
      pb.addFault({ ...put('latest-stable'), action: { delayMs: lowerDelay } });
      return Promise.all([
        release(pa, repo, 'frontend/v1.0.1', workspace('kind: ConfigMap\nmetadata:\n  name: frontend-101\n')),
        release(pb, repo, 'frontend/v1.0.0', workspace('kind: ConfigMap\nmetadata:\n  name: frontend-100\n')),
      ]);
    });
    const repository = `${repo}/frontend`;
    outcomes.push({ reasserted: /moving it back to v1\.0\.1/.test(hi.stdout) });
    // The higher release always succeeds and owns latest-stable at the end.
    expect(hi.exitCode, explain(hi)).toBe(0);
    expect(await tagDigest(repository, 'latest-stable')).toBe(hi.outputs.digest);
    expect(await versionAt(repository, 'latest-stable')).toBe('v1.0.1');
    expect(await tagDigest(repository, 'v1.0.1')).toBe(hi.outputs.digest);
    // The lower one either saw the higher version and refused loudly, or it was superseded and says so.
    if (lo.exitCode === 0) {
      expect(lo.outputs.tags, explain(lo)).toBe('v1.0.0');
      expect(lo.stdout).toMatch(/latest-stable[^\n]*v1\.0\.1/);
      expect(lo.summary).toMatch(/v1\.0\.1/);
    } else {
      expect(failedLoudly(lo, /latest-stable[\s\S]*v1\.0\.1/), explain(lo)).toBe(true);
    }
  });

  it('the rounds exercised the read-back: the higher release moved latest-stable back over the lower one', () => {
    expect(outcomes).toHaveLength(rounds.length);
    expect(outcomes.some((o) => o.reasserted)).toBe(true);
  });

  it('a lower release whose guard ran before a higher release moved latest-stable is refused at the re-check, and moves no tag', async () => {
    const repo = 'acme/race-recheck';
    const repository = `${repo}/frontend`;
    const [hi, lo] = await withProxies(async (pa, pb) => {
      // The lower release is held at its signature PUT (its guard has run by then) until the higher one has moved
      // latest-stable: exactly "the guard reads latest-stable before push, sign and verify".
      pb.addFault({ method: 'PUT', path: /\/manifests\/sha256-[0-9a-f]+\.sig$/, times: 1, action: { delayMs: 12_000 } });
      const lower = release(pb, repo, 'frontend/v1.0.0', workspace('kind: ConfigMap\nmetadata:\n  name: recheck-100\n'));
      await until(() => pb.log.some((l) => l.method === 'PUT' && /\.sig$/.test(l.path)), 60_000);
      const higher = release(pa, repo, 'frontend/v1.0.1', workspace('kind: ConfigMap\nmetadata:\n  name: recheck-101\n'));
      await until(async () => (await versionAt(repository, 'latest-stable')) === 'v1.0.1', 60_000);
      return Promise.all([higher, lower]);
    });
    expect(hi.exitCode, explain(hi)).toBe(0);
    expect(failedLoudly(lo, /refusing to move [^\n]*:latest-stable from v1\.0\.1 down to v1\.0\.0[^\n]*no tag was moved/), explain(lo)).toBe(true);
    expect(await tagDigest(repository, 'latest-stable')).toBe(hi.outputs.digest);
    expect(await tagDigest(repository, 'v1.0.0')).toBeUndefined();
  });

  it('a lower version whose move is held longer than the settle time fails loudly when it may have overwritten a higher one', async () => {
    const repo = 'acme/race-slow';
    const [hi, lo] = await withProxies(async (pa, pb) => {
      pa.addFault({ ...put('latest-stable'), times: 1, action: { delayMs: 300 } });
      pb.addFault({ ...put('latest-stable'), action: { delayMs: 8_000 } });
      return Promise.all([
        release(pa, repo, 'frontend/v1.0.1', workspace('kind: ConfigMap\nmetadata:\n  name: slow-101\n')),
        release(pb, repo, 'frontend/v1.0.0', workspace('kind: ConfigMap\nmetadata:\n  name: slow-100\n')),
      ]);
    });
    const repository = `${repo}/frontend`;
    const stable = await versionAt(repository, 'latest-stable');
    // Either the higher version holds latest-stable, or the run that put the lower one there is red and says why.
    if (stable !== 'v1.0.1') {
      expect(stable).toBe('v1.0.0');
      expect(failedLoudly(lo, /latest-stable/), explain(lo)).toBe(true);
    } else {
      expect(hi.exitCode, explain(hi)).toBe(0);
    }
    expect(hi.exitCode === 0 || lo.exitCode === 0).toBe(true);
  });
});

describe('release-artifact: concurrent releases of the same version with different content', () => {
  it.each([1, 2])('round %i: the version tag is never silently overwritten', async (round) => {
    const repo = `acme/race-same-${round}`;
    const runs = await withProxies(async (pa, pb) => {
      // The second run's version-tag PUT lands after the first one's.
      pa.addFault({ ...put('v2.0.0'), times: 1, action: { delayMs: 200 } });
      pb.addFault({ ...put('v2.0.0'), times: 1, action: { delayMs: 1_500 + round * 300 } });
      return Promise.all([
        release(pa, repo, 'frontend/v2.0.0', workspace(`kind: ConfigMap\nmetadata:\n  name: same-a-${round}\n`)),
        release(pb, repo, 'frontend/v2.0.0', workspace(`kind: ConfigMap\nmetadata:\n  name: same-b-${round}\n`)),
      ]);
    });
    const repository = `${repo}/frontend`;
    const green = runs.filter((r) => r.exitCode === 0);
    // Two different contents cannot both have been released as v2.0.0.
    expect(green.length, runs.map(explain).join('\n---\n')).toBeLessThan(2);
    for (const r of green) {
      expect(await tagDigest(repository, 'v2.0.0')).toBe(r.outputs.digest);
      expect(await tagDigest(repository, 'latest-stable')).toBe(r.outputs.digest);
    }
    for (const r of runs.filter((x) => x.exitCode !== 0)) expect(failedLoudly(r, /v2\.0\.0/), explain(r)).toBe(true);
  });
});

describe('release-artifact: a release held after its guard while the same version is released with other content', () => {
  it('is refused right before its tag moves, and moves no tag', async () => {
    const repo = 'acme/race-same-held';
    const repository = `${repo}/frontend`;
    const [first, held] = await withProxies(async (pa, pb) => {
      pb.addFault({ method: 'PUT', path: /\/manifests\/sha256-[0-9a-f]+\.sig$/, times: 1, action: { delayMs: 12_000 } });
      const second = release(pb, repo, 'frontend/v2.0.0', workspace('kind: ConfigMap\nmetadata:\n  name: held-b\n'));
      await until(() => pb.log.some((l) => l.method === 'PUT' && /\.sig$/.test(l.path)), 60_000);
      const other = release(pa, repo, 'frontend/v2.0.0', workspace('kind: ConfigMap\nmetadata:\n  name: held-a\n'));
      await until(async () => (await tagDigest(repository, 'latest-stable')) !== undefined, 60_000);
      return Promise.all([other, second]);
    });
    expect(first.exitCode, explain(first)).toBe(0);
    expect(failedLoudly(held, /v2\.0\.0 with other content[^\n]*no tag was moved/), explain(held)).toBe(true);
    expect(await tagDigest(repository, 'v2.0.0')).toBe(first.outputs.digest);
    expect(await tagDigest(repository, 'latest-stable')).toBe(first.outputs.digest);
  });
});

describe('d2 release: the same guarantee from the CLI', () => {
  const cli = join(repoRoot(), 'packages', 'cli', 'dist', 'd2.cjs');
  const d2 = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
    try {
      const r = await promisify(execFile)(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, HOME: scratch }, timeout: 120_000 });
      return { code: 0, out: r.stdout, err: r.stderr };
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string };
      return { code: x.code, out: x.stdout, err: x.stderr };
    }
  };

  it('two concurrent `d2 release` runs leave latest-stable at the higher version, or the lower one fails loudly', async () => {
    expect(existsSync(cli), 'packages/cli/dist/d2.cjs is built (node scripts/build.mjs --cli)').toBe(true);
    const repo = 'acme/race-cli';
    const repository = `${repo}/frontend`;
    const [hi, lo] = await withProxies(async (pa, pb) => {
      pa.addFault({ ...put('latest-stable'), times: 1, action: { delayMs: 300 } });
      pb.addFault({ ...put('latest-stable'), action: { delayMs: 2_000 } });
      return Promise.all([
        d2(['release', 'frontend/v1.0.1', `oci://${pa.host}/${repo}/{component}`, '--workspace', workspace('kind: A\n'), '-o', 'json']),
        d2(['release', 'frontend/v1.0.0', `oci://${pb.host}/${repo}/{component}`, '--workspace', workspace('kind: B\n'), '-o', 'json']),
      ]);
    });
    expect(hi.code, hi.err).toBe(0);
    const hiDigest = (JSON.parse(hi.out) as { digest: string }).digest;
    expect(await tagDigest(repository, 'latest-stable')).toBe(hiDigest);
    if (lo.code === 0) {
      const j = JSON.parse(lo.out) as { tags: string[]; stableSupersededBy: { version: string } };
      expect(j.tags).toEqual(['v1.0.0']);
      expect(j.stableSupersededBy.version).toBe('v1.0.1');
    } else {
      expect(lo.code).toBe(1);
      expect(lo.err).toMatch(/latest-stable[\s\S]*v1\.0\.1[\s\S]*hint: /);
    }
  });
});

describe('releasePolicy: outcomes that cannot be proven fail loudly (core, real registry)', () => {
  const release = (repository: string, version: string, content: string, settleMs: number) => {
    const policy = releasePolicy({ version, versionTag: version, stableTag: 'latest-stable', allowDowngrade: false, overwriteVersion: false, settleMs });
    const target = { component: 'frontend', repository: `${registry.host}/${repository}`, path: join(workspace(content), 'components/frontend') };
    return publishArtifact(client, target, {
      diffTag: version,
      tags: ['latest-stable'],
      build: { reproducible: true, annotations: { [ANNOTATION_VERSION]: version } },
      guard: policy.guard,
      moveTags: policy.moveTags,
    });
  };

  it('a latest-stable that keeps changing under the release ends in a loud failure after a bounded number of attempts', async () => {
    const repository = 'acme/race-churn/frontend';
    const repo = { registry: registry.host, repository };
    // Two lower versions that another writer keeps swapping on latest-stable.
    const lower: { bytes: Buffer }[] = [];
    for (const v of ['v0.9.0', 'v0.9.1']) {
      const r = await release(repository, v, `kind: Lower\nmetadata:\n  name: ${v}\n`, 1_000);
      lower.push({ bytes: (await client.getManifest(repo, r.digest)).bytes });
    }
    let stop = false;
    let puts = 0;
    const flipper = (async () => {
      for (let i = 0; !stop; i++) {
        await client.putManifest(repo, 'latest-stable', lower[i % 2].bytes, 'application/vnd.oci.image.manifest.v1+json');
        puts++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const err = await release(repository, 'v1.0.0', 'kind: ConfigMap\nmetadata:\n  name: churn\n', 300).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(D2Error);
      const e = err as D2Error;
      expect(e.code).toBe('RELEASE_RACE');
      expect(e.message).toMatch(new RegExp(`latest-stable (kept changing[^\\n]*\\(${RELEASE_MOVE_ATTEMPTS} times\\)|was moved to [^\\n]*\\(${RELEASE_MOVE_ATTEMPTS} times\\))`));
      expect(e.hint).toMatch(/concurrency group/);
    } finally {
      stop = true;
      await flipper;
    }
    expect(puts).toBeGreaterThan(RELEASE_MOVE_ATTEMPTS);
  });

  it('an artifact that cannot be ordered (no version) replacing ours after the move fails the release loudly', async () => {
    const repository = 'acme/race-unversioned/frontend';
    const repo = { registry: registry.host, repository };
    const releasing = release(repository, 'v1.0.0', 'kind: ConfigMap\nmetadata:\n  name: unversioned\n', 3_000);
    const outcome = releasing.then(() => undefined, (e: unknown) => e);
    // As soon as latest-stable points at the release, another tool pushes an unversioned artifact over it.
    await until(async () => (await client.headManifest(repo, 'v1.0.0')) !== undefined && (await client.headManifest(repo, 'latest-stable')) !== undefined, 60_000);
    const other = await pushTinyArtifact(client, repo, 'pushed by another tool');
    await client.tag(repo, other, ['latest-stable']);
    const err = await outcome;
    expect(err).toBeInstanceOf(D2Error);
    expect((err as D2Error).code).toBe('RELEASE_RACE');
    expect((err as D2Error).message).toMatch(/latest-stable was moved to an unversioned artifact \(sha256:[0-9a-f]{64}\) by a concurrent release after this release \(v1\.0\.0/);
    expect(await tagDigest(repository, 'latest-stable')).toBe(other);
  });
});
