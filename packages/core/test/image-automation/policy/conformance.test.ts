/**
 * The policy cases of docs/image-policies.md "Tests", table-driven, case ids in the test names: upstream unit tests (S, A, N, F),
 * controller tests (C, P, D), PKG ParseVersion lists and the whole "Derived cases" table (read from
 * ../shared/specs/image-automation.md at test time, never copied).
 */
import { describe, expect, it } from 'vitest';
import {
  electLatest,
  filterTags,
  PolicyError,
  SemverConstraints,
  SemverPolicy,
  parseTagVersion,
  AlphabeticalPolicy,
  NumericalPolicy,
  type ImagePolicySpec,
} from '@d2/core/image-automation';
import { readDerivedCases } from './spec-table.js';

const ref = { name: 'repo' };
const semver = (range: string, filterTags?: ImagePolicySpec['filterTags']): ImagePolicySpec => ({
  imageRepositoryRef: ref,
  policy: { semver: { range } },
  filterTags,
});
const alphabetical = (order?: string, filterTags?: ImagePolicySpec['filterTags']): ImagePolicySpec => ({
  imageRepositoryRef: ref,
  policy: { alphabetical: order === undefined ? {} : { order } },
  filterTags,
});
const numerical = (order?: string, filterTags?: ImagePolicySpec['filterTags']): ImagePolicySpec => ({
  imageRepositoryRef: ref,
  policy: { numerical: order === undefined ? {} : { order } },
  filterTags,
});

/** Deterministic shuffle (the upstream numerical tests shuffle their input; order must not matter). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function electError(spec: ImagePolicySpec, tags: string[]): PolicyError {
  try {
    electLatest(spec, tags);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error(`expected an election error, got ${electLatest(spec, tags).tag}`);
}

describe('SemVer upstream unit tests (IRC semver_test.go)', () => {
  it.each([
    ['S1', '1.0.x', ['1.0.0', '1.0.0.1', '1.0.0p', '1.0.1', '1.2.0', '0.1.0'], '1.0.1'],
    ['S2', '1.0.x', ['v1.2.3', 'v1.0.0', 'v0.1.0'], 'v1.0.0'],
  ])('%s %s on %j → %s', (_id, range, tags, expected) => {
    expect(electLatest(semver(range), tags).tag).toBe(expected);
    // The policer on its own, in the given order, agrees.
    expect(new SemverPolicy(range).latest(tags)).toBe(expected);
  });

  it.each([
    ['S3', '1.0.x', ['b1.2.3', 'b1.0.0', 'b0.1.0'], 'NoMatch'],
    ['S4', '1.0.x', [], 'EmptyList'],
    ['S5', '1.0.x', ['1.2.0'], 'NoMatch'],
  ])('%s %s on %j → error (%s)', (_id, range, tags, reason) => {
    let caught: unknown;
    try {
      new SemverPolicy(range).latest(tags);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    expect((caught as PolicyError).reason).toBe(reason);
  });

  it('S4 through electLatest: no tags at all is "no tags in database"', () => {
    const err = electError(semver('1.0.x'), []);
    expect(err.reason).toBe('NoTags');
    expect(err.detail).toBe('no tags in database');
  });

  it.each(['1.0.x', '^1.0', '=1.0.0', '~1.0', '>=1.0', '>0,<2.0'])('S6 valid range %s', (range) => {
    expect(() => SemverConstraints.parse(range)).not.toThrow();
    expect(() => new SemverPolicy(range)).not.toThrow();
  });

  it.each(['1.0.0p', '1x', 'x1', '-1', 'a', '', '*-*'])('S7 invalid range %j → InvalidPolicy', (range) => {
    const err = electError(semver(range), ['1.0.0']);
    expect(err.reason).toBe('InvalidPolicy');
    expect(err.detail).toMatch(/^invalid policy: (improper constraint|constraint parser error)/);
  });

  it('S7 messages are Masterminds\' own', () => {
    expect(() => SemverConstraints.parse('1.0.0p')).toThrow('improper constraint: "1.0.0p"');
    expect(() => SemverConstraints.parse('')).toThrow('improper constraint: ""');
    expect(() => SemverConstraints.parse('1x')).toThrow('constraint parser error');
  });
});

describe('Alphabetical upstream unit tests (IRC alphabetical_test.go)', () => {
  const ubuntu = ['16.04', '16.04.1', '16.10', '20.04', '20.10'];
  const names = ['xenial', 'yakkety', 'zesty', 'artful', 'bionic'];
  const stamps = ['1606234201', '1606364286', '1606334092', '1606334284', '1606334201'];
  const times = ['2021-01-08T21-18-21Z', '2020-05-08T21-18-21Z', '2021-01-08T19-20-00Z', '1990-01-08T00-20-00Z', '2023-05-08T00-20-00Z'];
  it.each([
    ['A1', undefined, ubuntu, '20.10'],
    ['A2', 'desc', ubuntu, '16.04'],
    ['A3', 'asc', names, 'zesty'],
    ['A4', 'desc', names, 'artful'],
    ['A5', 'asc', stamps, '1606364286'],
    ['A6', 'desc', stamps, '1606234201'],
    ['A7', 'asc', stamps.map((s) => `rel-${s}`), 'rel-1606364286'],
    ['A8', 'asc', times, '2023-05-08T00-20-00Z'],
    ['A9', 'desc', times, '1990-01-08T00-20-00Z'],
  ])('%s order=%s → %s', (_id, order, tags, expected) => {
    expect(electLatest(alphabetical(order), tags).tag).toBe(expected);
    expect(new AlphabeticalPolicy(order).latest(tags)).toBe(expected);
  });

  it('A10 [] → error', () => {
    expect(() => new AlphabeticalPolicy().latest([])).toThrow('version list argument cannot be empty');
  });

  it('order is case-insensitive (IRC upper-cases it); anything else is InvalidPolicy', () => {
    expect(electLatest(alphabetical('DESC'), ubuntu).tag).toBe('16.04');
    expect(electError(alphabetical('up'), ubuntu).reason).toBe('InvalidPolicy');
  });
});

describe('Numerical upstream unit tests (IRC numerical_test.go, input shuffled)', () => {
  const stamps = ['1606234201', '1606364286', '1606334092', '1606334284', '1606334201'];
  it.each([
    ['N1', 'asc', ['-62', '-88', '73', '72', '15', '16', '15', '29', '-33', '-91'], '73'],
    ['N2', 'desc', ['5', '-8', '-78', '25', '70', '-4', '80', '92', '-20', '-24'], '-78'],
    [
      'N3',
      'asc',
      ['47.40896403322944', '-27.8520927455902', '-27.930666514224427', '-31.352485948094568', '-50.41072694704882',
        '-21.962849842263736', '24.71884721436865', '-39.99177354004344', '53.47333823144817', '3.2008658570411086'],
      '53.47333823144817',
    ],
    [
      'N4',
      'desc',
      ['-65.27202780220686', '57.82948329142309', '22.40184684363291', '-86.36934305697784', '-90.29082099756083',
        '-12.041712603564264', '77.70488240399305', '-38.98425003883552', '16.06867070412028', '53.735674335181216'],
      '-90.29082099756083',
    ],
    ['N5', 'asc', stamps, '1606364286'],
    ['N6', 'desc', stamps, '1606234201'],
    ['N7', 'asc', ['1'], '1'],
    ['N8', 'desc', ['1'], '1'],
  ])('%s %s → %s', (_id, order, tags, expected) => {
    for (const seed of [1, 2, 3]) expect(electLatest(numerical(order), shuffled(tags, seed)).tag).toBe(expected);
  });

  it('N9 [0, 1a, b] → error naming the bad value', () => {
    const err = electError(numerical('asc'), ['0', '1a', 'b']);
    expect(err.reason).toBe('InvalidNumeric');
    // Storage order is descending bytes: b, 1a, 0 — the first unparsable one is reported.
    expect(err.detail).toBe("failed to parse invalid numeric value 'b'");
  });

  it('N10 [] → error', () => {
    expect(() => new NumericalPolicy('asc').latest([])).toThrow('version list argument cannot be empty');
  });
});

describe('filterTags upstream unit tests (IRC filter_test.go, sorted output)', () => {
  const debug = ['123-123.123.abcd123-debug', '123-123.123.abcd123', '123-123.123.abcd456-debug', '123-123.123.abcd456'];
  it.each([
    ['F1', '', '', ['a'], ['a']],
    ['F2', '^ver', '', ['ver1', 'ver2', 'ver3', 'rel1'], ['ver1', 'ver2', 'ver3']],
    ['F3', 'ver(\\d+)', '$1', ['ver1', 'ver2', 'ver3', 'rel1'], ['1', '2', '3']],
    ['F4', '^(123-[0-9]+\\.[0-9]+\\.[a-z0-9]+-debug)', '', debug, ['123-123.123.abcd123-debug', '123-123.123.abcd456-debug']],
    ['F5', '^(?P<tag>123-[0-9]+\\.[0-9]+\\.[a-z0-9]+[^-debug])', '$tag', debug, ['123-123.123.abcd123', '123-123.123.abcd456']],
    ['F6', '^(?P<tag>123-[0-9]+\\.[0-9]+\\.[a-z0-9]+$)', '$tag', debug, ['123-123.123.abcd123', '123-123.123.abcd456']],
  ])('%s pattern %j extract %j', (_id, pattern, extract, tags, expected) => {
    expect(filterTags(pattern, extract, tags)).toEqual(expected);
  });

  it('F5 collision: both …abcd123 tags extract the same key; the byte-smallest original wins (last writer in storage order)', () => {
    const spec = alphabetical('asc', { pattern: '^(?P<tag>123-[0-9]+\\.[0-9]+\\.[a-z0-9]+[^-debug])', extract: '$tag' });
    // Candidates 123-123.123.abcd123 and …abcd456; asc picks …abcd456, whose originals are …abcd456-debug and …abcd456.
    expect(electLatest(spec, debug).tag).toBe('123-123.123.abcd456');
  });
});

describe('controller tests (IRC imagepolicy_controller_test.go, policy_test.go)', () => {
  const c1 = ['1.0.0', '2.0.0', '1.0.1', '1.2.0'];
  const c2 = ['v1.0.0', 'v2.0.0', 'v1.0.1', 'v1.2.0'];
  const p = ['0.1.0', '0.1.1', '0.2.0', '1.0.0', '1.0.1', '1.0.2', '1.1.0-alpha'];
  it.each([
    ['C1', semver('1.0.x'), c1, '1.0.1'],
    ['C2', semver('v1.0.x'), c2, 'v1.0.1'],
    ['C3', semver('v1.0.x'), c1, '1.0.1'],
    ['C4', semver('1.0.x'), c2, 'v1.0.1'],
    [
      'C6',
      numerical('asc', { pattern: '1.0.0-rc\\.(?P<num>[0-9]+)', extract: '$num' }),
      ['1.0.0', '1.0.0-rc.1', '1.0.0-rc.2', '1.0.0-rc.3', '1.0.1-rc.2'],
      '1.0.0-rc.3',
    ],
    [
      'C7',
      alphabetical('asc', { pattern: 'foo-(?P<word>[a-z]+)', extract: '$word' }),
      ['foo-aaa', 'bar-bbb', 'foo-zzz', 'baz-nnn', 'foo-ooo'],
      'foo-zzz',
    ],
    ['P1', semver('1.0.x'), p, '1.0.2'],
    ['P2', alphabetical(), ['xenial', 'yakkety', 'zesty', 'artful', 'bionic'], 'zesty'],
    ['P3', semver('>=0.x', { pattern: '^test-(.*)$', extract: '$1' }), ['test-0.1.0', 'test-0.1.1', 'dev-0.2.0', ...p.slice(3)], 'test-0.1.1'],
    ['D1', semver('v1.x'), ['v1.0.0', 'v1.1.0', 'v1.1.1', 'v2.0.0'], 'v1.1.1'],
    ['D1 (then v2.x)', semver('v2.x'), ['v1.0.0', 'v1.1.0', 'v1.1.1', 'v2.0.0'], 'v2.0.0'],
  ])('%s → %s', (_id, spec, tags, expected) => {
    expect(electLatest(spec, tags).tag).toBe(expected);
  });

  it('C5 filter `[=` → InvalidPolicy', () => {
    const err = electError(semver('1.0.x', { pattern: '[=' }), ['1.0.0']);
    expect(err.reason).toBe('InvalidPolicy');
    expect(err.detail).toBe("failed to filter tags: invalid regular expression pattern '[=': error parsing regexp: missing closing ]: `[=`");
  });

  it('C8 empty policy choice → InvalidPolicy', () => {
    const err = electError({ imageRepositoryRef: ref, policy: {} }, ['1.0.0']);
    expect(err.reason).toBe('InvalidPolicy');
    expect(err.detail).toBe('invalid policy: given ImagePolicyChoice object is invalid');
  });

  it('C9 no tags → error', () => {
    expect(electError(semver('1.0.x'), []).reason).toBe('NoTags');
    expect(electError(alphabetical(), []).reason).toBe('NoTags');
  });

  it('P4 pattern `^test-(.*` → "invalid regular expression pattern"', () => {
    const err = electError(semver('>=0.x', { pattern: '^test-(.*' }), ['test-0.1.0']);
    expect(err.message).toContain('invalid regular expression pattern');
    expect(err.detail).toContain('missing closing )');
  });

  it('errors name the policy', () => {
    let caught: unknown;
    try {
      electLatest(semver('1.0.x'), ['2.0.0'], { name: 'apps/podinfo' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    expect((caught as PolicyError).message).toBe('ImagePolicy apps/podinfo: unable to determine latest version from provided list');
    expect((caught as PolicyError).policy).toBe('apps/podinfo');
  });

  it('a filter that matches nothing → "version list argument cannot be empty" with the pattern', () => {
    const err = electError(semver('*', { pattern: '^release-' }), ['1.0.0']);
    expect(err.reason).toBe('EmptyList');
    expect(err.detail).toContain('version list argument cannot be empty');
    expect(err.detail).toContain("'^release-'");
  });
});

describe('PKG version_test.go (ParseVersion)', () => {
  it.each(['v1.2.3', 'v2025.07.03', 'v1.2.0-x.Y.0+metadata', 'v1.2.0-x.Y.0+metadata-width-hypen', 'v1.2.3-rc1-with-hypen'])(
    'OK %j',
    (tag) => {
      expect(parseTagVersion(tag).original).toBe(tag);
    },
  );
  it.each(['v1.0', 'v1', 'v1.2.beta', 'v1.2-5', 'v1.2-beta5', '\nv1.2', 'v1.2.3.4'])('Error %j', (tag) => {
    expect(() => parseTagVersion(tag)).toThrow();
  });
  it('leading zeros in major/minor/patch are coerced (v2025.07.03 = 2025.7.3)', () => {
    const v = parseTagVersion('v2025.07.03');
    expect([v.major, v.minor, v.patch]).toEqual([2025n, 7n, 3n]);
  });
});

describe('Derived cases (the whole table, read from the image automation spec)', () => {
  const rows = readDerivedCases();
  it('the table was read', () => {
    expect(rows.length).toBeGreaterThanOrEqual(36);
  });
  it.each(rows.map((r) => [r.row, r.policyText, r.tags.join(', '), r.expectedText, r] as const))(
    'row %i: %s on [%s] → %s',
    (_row, _policy, _tags, _expected, r) => {
      if (r.expected === undefined) {
        expect(() => electLatest(r.spec, r.tags)).toThrow(PolicyError);
      } else {
        expect(electLatest(r.spec, r.tags).tag).toBe(r.expected);
        // Input order never matters: the tags are put in storage order first.
        expect(electLatest(r.spec, [...r.tags].reverse()).tag).toBe(r.expected);
      }
    },
  );
});
