/**
 * image-policies bench (200 policies × 1,000 tags): ImagePolicy election (packages/core/src/image-automation/
 * policy) side by side with Go running image-reflector-controller's algorithm on Masterminds/semver v3.5.0 (the policy
 * test oracle, built with the local Go toolchain when available).
 *  - semver: 200 semver policies (ranges of every shape) × 1,000 tags: ours in-process, and the Go oracle as a process
 *    reading the same 200 requests (JSON decode + sort + election; process start-up included).
 *  - mixed: 200 policies (semver, alphabetical, numerical, with and without filterTags/extract) × 1,000 tags, ours only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyElector, type ImagePolicySpec } from '../packages/core/src/image-automation/policy/index.js';
import { policyOracle } from '../packages/core/test/image-automation/policy/go-oracle.js';
import { fmtMs, ratio, selfPeakRssMiB, timeAsync, timeCommand, writeSection } from './harness.js';
import { prngInt as prng } from '../packages/sandbox/src/random.js';


/** 1,000 realistic tags: semver with and without v, prereleases, sha/ts builds, signatures, `latest`. */
function tagList(seed: number): string[] {
  const r = prng(seed);
  const tags = new Set<string>();
  while (tags.size < 1000) {
    const k = r(10);
    const v = `${r(8)}.${r(30)}.${r(40)}`;
    if (k < 4) tags.add(v);
    else if (k < 5) tags.add(`v${v}`);
    else if (k < 6) tags.add(`${v}-rc.${r(12)}`);
    else if (k < 7) tags.add(`main-${(r(1 << 30) >>> 0).toString(16)}-${1700000000 + r(9000000)}`);
    else if (k < 8) tags.add(`${1600000000 + r(90000000)}`);
    else if (k < 9) tags.add(`sha256-${(r(1 << 30) >>> 0).toString(16)}.sig`);
    else tags.add(`RELEASE.2024-0${1 + r(9)}-1${r(9)}T0${r(9)}-00-00Z`);
  }
  tags.add('latest');
  return [...tags];
}

const RANGES = ['>=1.0.0', '^1.0', '~2.3', '1.x', '>=1.0.0-0', '>=1.0.0 <3.0.0 || >=5.0.0', '1.2.0 - 4.5.6', '>1.2, <=6', '*', '!=3.1.2',
  '^0.5.0', '=>2', '5.x-0', '>=0.0.0-0 <7'];

function semverPolicies(): ImagePolicySpec[] {
  return Array.from({ length: 200 }, (_, i) => ({ imageRepositoryRef: { name: `repo${i}` }, policy: { semver: { range: RANGES[i % RANGES.length] } } }));
}

function mixedPolicies(): ImagePolicySpec[] {
  const ref = { name: 'repo' };
  const shapes: ImagePolicySpec[] = [
    { imageRepositoryRef: ref, policy: { semver: { range: '>=1.0.0' } } },
    { imageRepositoryRef: ref, policy: { semver: { range: '^2.x-0' } }, filterTags: { pattern: '^v?(?P<v>[0-9.]+(-rc\\.[0-9]+)?)$', extract: '$v' } },
    { imageRepositoryRef: ref, policy: { numerical: { order: 'asc' } }, filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)', extract: '$ts' } },
    { imageRepositoryRef: ref, policy: { alphabetical: { order: 'asc' } }, filterTags: { pattern: '^RELEASE\\.(?P<t>.*)Z$', extract: '$t' } },
    { imageRepositoryRef: ref, policy: { numerical: { order: 'desc' } }, filterTags: { pattern: '^[0-9]+$' } },
  ];
  return Array.from({ length: 200 }, (_, i) => shapes[i % shapes.length]);
}

async function main(): Promise<void> {
  const tagLists = Array.from({ length: 200 }, (_, i) => tagList(i + 1));
  const semver = semverPolicies();
  const mixed = mixedPolicies();
  let sink = 0;
  const elect = (policies: ImagePolicySpec[]) => async () => {
    for (let i = 0; i < policies.length; i++) {
      try {
        sink += new PolicyElector(policies[i]).elect(tagLists[i]).tag.length;
      } catch {
        sink++;
      }
    }
  };
  const oursSemver = await timeAsync(elect(semver), 5, 1);
  const oursMixed = await timeAsync(elect(mixed), 5, 1);
  const rss = selfPeakRssMiB();

  const lines = [
    '## Image policies (200 policies × 1,000 tags)',
    '',
    'Each policy gets its own 1,000-tag list (semver with/without `v`, prereleases, `main-<sha>-<ts>`, timestamps,',
    '`.sig` tags, `RELEASE.*`), sorted descending by bytes first as Flux does.',
    '',
    '| workload | D2 (in-process) | Go IRC algorithm, Masterminds/semver v3.5.0 (process) | ratio |',
    '|---|---|---|---|',
  ];
  const oracle = policyOracle();
  if (typeof oracle === 'string') {
    lines.push(`| semver, 200 × 1,000 | ${fmtMs(oursSemver)} | skipped: ${oracle} | |`);
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'd2-bench-policies-'));
    try {
      const input = join(dir, 'requests.jsonl');
      writeFileSync(input, semver.map((p, i) => JSON.stringify({ kind: 'semver', range: p.policy.semver?.range, tags: tagLists[i] })).join('\n') + '\n');
      const go = timeCommand(`"${oracle.binary}" < "${input}" > /dev/null`, 5, 1);
      lines.push(`| semver, 200 × 1,000 | ${fmtMs(oursSemver)} | ${fmtMs(go)}, peak RSS ${go.peakRssMiB?.toFixed(0) ?? '?'} MiB | ${ratio(oursSemver, go)} |`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      oracle.dispose();
    }
  }
  lines.push(`| mixed (semver, numerical, alphabetical, filterTags/extract), 200 × 1,000 | ${fmtMs(oursMixed)} | — | |`);
  lines.push('', `D2 process peak RSS after both workloads: ${rss.toFixed(0)} MiB. The Go column includes process start-up and JSON decoding of the 200 requests (≈ 2 MB).`);
  if (sink < 0) lines.push('');
  writeSection('image-policies', lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
