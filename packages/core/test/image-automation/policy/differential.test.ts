/**
 * Differential tests against Go itself (docs/image-policies.md "Decisions"): Masterminds/semver v3.5.0 behind IRC's SemVer
 * election, strconv.ParseFloat, regexp + ExpandString and IRC's exclusion filter, on seeded random inputs built from
 * the grammar's corner cases plus every upstream semver case. The oracle (go-oracle.ts) is built with the local Go
 * toolchain; the tests skip with a message when it cannot be built.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  applyExclusionList,
  compileExclusionList,
  compileGoRegexp,
  expandTemplate,
  parseGoFloat,
  PolicyError,
  SemverPolicy,
  sortDescendingBytes,
} from '@d2/core/image-automation';
import { policyOracle, type OracleRequest } from './go-oracle.js';
import { readDerivedCases } from './spec-table.js';

const built = policyOracle();
const oracle = typeof built === 'string' ? undefined : built;
if (typeof built === 'string') console.warn(`policy differential tests skipped: ${built}`);
afterAll(() => oracle?.dispose());

/** mulberry32: small seeded PRNG so failures reproduce. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function semverCases(seed: number, count: number): OracleRequest[] {
  const rnd = prng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[rnd(xs.length)];
  const nums = ['0', '1', '2', '3', '10', '0', '1', '2', '01', '9', '18446744073709551615', '18446744073709551616'];
  const wild = ['x', 'X', '*'];
  const pres = ['-0', '-1', '-2', '-rc.1', '-rc.10', '-rc9', '-rc10', '-alpha', '-alpha.1', '-beta', '-a-b', '-1.x', '-01', '-'];
  const builds = ['+b1', '+b2', '+build.5', '+', '+a..b'];
  const version = (inRange: boolean): string => {
    const parts = Array.from({ length: inRange ? 1 + rnd(3) : rnd(5) === 0 ? 2 : 3 }, () =>
      inRange && rnd(4) === 0 ? pick(wild) : pick(nums),
    );
    return (
      (rnd(4) === 0 ? pick(['v', 'v', 'V']) : '') +
      parts.join('.') +
      (rnd(2) === 0 ? pick(pres) : '') +
      (rnd(5) === 0 ? pick(builds) : '') +
      (rnd(30) === 0 ? pick(['.1', 'p', ' ']) : '')
    );
  };
  const ops = ['', '=', '!=', '>', '<', '>=', '=>', '<=', '=<', '~', '~>', '^', '>= ', '~ '];
  const range = (): string => {
    const groups = Array.from({ length: 1 + rnd(2) }, () => {
      if (rnd(8) === 0) return `${version(true)} - ${version(true)}`;
      return Array.from({ length: 1 + rnd(2) }, () => pick(ops) + version(true)).join(pick([' ', ', ', ',', '  ']));
    });
    return groups.join(pick([' || ', '||']));
  };
  return Array.from({ length: count }, () => ({
    kind: 'semver' as const,
    range: range(),
    tags: Array.from({ length: 3 + rnd(6) }, () => version(false)),
  }));
}

function floatCases(seed: number, count: number): OracleRequest[] {
  const rnd = prng(seed);
  const parts = ['1', '0', '12', '007', '.', '.5', 'e', 'E', 'e-', 'e+', '3', '_', '0x', '0X', 'p', 'p-', 'a', 'F', 'inf', 'nan',
    'Infinity', '-', '+', '99999', '1e3', '9007199254740993', '1e308', 'e-324', '0x1.fffffffffffffp1023'];
  const out: OracleRequest[] = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + rnd(5);
    let s = '';
    for (let k = 0; k < n; k++) s += parts[rnd(parts.length)];
    out.push({ kind: 'float', s });
  }
  return out;
}

function bitsOf(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, f);
  return view.getBigUint64(0).toString(16);
}

describe.skipIf(!oracle)('differential against Go (Masterminds/semver v3.5.0, strconv, regexp)', () => {
  it('semver election: 3,000 random ranges × tag lists, plus every upstream semver case', () => {
    const derived = readDerivedCases()
      .filter((c) => c.spec.policy.semver && !c.spec.filterTags)
      .map((c): OracleRequest => ({ kind: 'semver', range: c.spec.policy.semver?.range ?? '', tags: c.tags }));
    const requests = [...derived, ...semverCases(20260424, 3000)];
    const go = oracle!.run(requests);
    const diffs: string[] = [];
    let elected = 0;
    requests.forEach((req, i) => {
      if (req.kind !== 'semver') return;
      let ours: { result: string; err: string };
      try {
        const policy = new SemverPolicy(req.range);
        try {
          ours = { result: policy.latest(sortDescendingBytes(req.tags)), err: '' };
        } catch (err) {
          ours = { result: '', err: (err as PolicyError).detail };
        }
      } catch (err) {
        ours = { result: '', err: (err as PolicyError).detail };
      }
      if (ours.result) elected++;
      if (ours.result !== go[i].result || ours.err !== go[i].err) {
        diffs.push(`${JSON.stringify(req)} go=${JSON.stringify(go[i])} ours=${JSON.stringify(ours)}`);
      }
    });
    expect(diffs.slice(0, 10)).toEqual([]);
    expect(elected).toBeGreaterThan(300); // the generator must produce real elections, not only errors
  });

  it('strconv.ParseFloat: 5,000 random strings from the grammar\'s pieces', () => {
    const requests = floatCases(7, 5000);
    const go = oracle!.run(requests);
    const diffs: string[] = [];
    let parsed = 0;
    requests.forEach((req, i) => {
      if (req.kind !== 'float') return;
      let ours: { result: string; err: string };
      try {
        ours = { result: bitsOf(parseGoFloat(req.s)), err: '' };
        parsed++;
      } catch (err) {
        ours = { result: '', err: (err as Error).message };
      }
      if (ours.result !== go[i].result || ours.err !== go[i].err) diffs.push(`${JSON.stringify(req.s)} go=${JSON.stringify(go[i])} ours=${JSON.stringify(ours)}`);
    });
    expect(diffs.slice(0, 10)).toEqual([]);
    expect(parsed).toBeGreaterThan(500);
  });

  it('regexp FindStringSubmatchIndex + ExpandString over a grid of patterns, templates and inputs', () => {
    const patterns = ['(?P<a>[a-z]+)-(?P<b>[0-9]+)', '(a)?(b)', '^v(\\d+)\\.(\\d+)', '(?P<x>a)|(?P<x>b)', '(?P<n1>\\w)(?P<n>\\w)',
      '(?i)(?P<w>[A-Z]+)', '(?U)(a+)(a*)', '(?<n>v)(\\d+)', '[=', '(?P<é>x)'];
    const templates = ['$a', '${a}', '$b$a', '$1', '$2x', '${1}x', '$$', '$', '${', '${a', '$0', '$01', '$10', '$x', '$n1', '${n}1',
      'é$aé', '$a-$b', '$é', '$1_', '$w', '${é}', '$$$1', 'x$'];
    const inputs = ['abc-123', 'ab', 'b', 'v1.2', 'xx', 'zz-9-y', 'aaa', 'ABC-1', 'x'];
    const requests: OracleRequest[] = [];
    for (const pattern of patterns) for (const template of templates) for (const s of inputs) requests.push({ kind: 'expand', pattern, template, s });
    const go = oracle!.run(requests);
    const diffs: string[] = [];
    requests.forEach((req, i) => {
      if (req.kind !== 'expand') return;
      let ours: { result: string; err: string };
      try {
        const re = compileGoRegexp(req.pattern);
        const m = re.findSubmatchIndex(req.s);
        ours = m ? { result: expandTemplate(re, req.template, req.s, m), err: '' } : { result: '', err: 'no match' };
      } catch (err) {
        ours = { result: '', err: (err as Error).message };
      }
      if (ours.result !== go[i].result || ours.err !== go[i].err) diffs.push(`${JSON.stringify(req)} go=${JSON.stringify(go[i])} ours=${JSON.stringify(ours)}`);
    });
    expect(diffs.slice(0, 10)).toEqual([]);
  });

  it('exclusion lists (IRC filterOutTags)', () => {
    const tags = ['0.1.0', '0.1.1.sig', '1.0.0-alpha', 'sha256-abc.sig', 'latest', 'v1.0.0', 'main-abc123', 'x.SIG', 'Ünicode-1'];
    const lists = [['^.*\\.sig$'], ['(?i)\\.sig$'], ['^.*\\-alpha$', '^latest$'], ['a'], ['^\\p{Lu}'], ['\\d{3}$', '^v']];
    const requests: OracleRequest[] = lists.map((patterns) => ({ kind: 'exclude', patterns, tags }));
    const go = oracle!.run(requests);
    lists.forEach((list, i) => {
      expect(applyExclusionList(tags, compileExclusionList(list)).kept, JSON.stringify(list)).toEqual(go[i].list);
    });
  });
});
