/**
 * image-reflector-controller `internal/policy/*_test.go`: the policer, factory and filter tables, case for case
 * (test data restated; the policers are ours). The Go tests call `Latest` on the list as given, so do we.
 */
import { describe, expect, it } from 'vitest';
import { AlphabeticalPolicy, filterTags, NumericalPolicy, PolicyError, policerFromSpec, SemverPolicy, type Policer } from '../../../src/image-automation/policy/index.js';

/** A deterministic permutation (the Go test shuffles with math/rand: the result must not depend on the order). */
function permute<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** `policy.Latest(versions)`: the elected version, or the PolicyError. */
function latest(p: Policer, versions: readonly string[]): string | PolicyError {
  try {
    return p.latest(versions);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
}

describe('IRC internal/policy/alphabetical_test.go', () => {
  it.each([
    ['With valid empty order', '', false],
    ['With valid asc order', 'asc', false],
    ['With valid desc order', 'desc', false],
    ['With invalid order', 'invalid', true],
  ])('TestNewAlphabetical: %s', (_label, order, expectErr) => {
    if (expectErr) expect(() => new AlphabeticalPolicy(order)).toThrow(PolicyError);
    else expect(new AlphabeticalPolicy(order)).toBeInstanceOf(AlphabeticalPolicy);
  });

  const calver = ['16.04', '16.04.1', '16.10', '20.04', '20.10'];
  const codenames = ['xenial', 'yakkety', 'zesty', 'artful', 'bionic'];
  const timestamps = ['1606234201', '1606364286', '1606334092', '1606334284', '1606334201'];
  const rfc3339 = ['2021-01-08T21-18-21Z', '2020-05-08T21-18-21Z', '2021-01-08T19-20-00Z', '1990-01-08T00-20-00Z', '2023-05-08T00-20-00Z'];
  it.each([
    ['With Ubuntu CalVer', '', calver, '20.10'],
    ['With Ubuntu CalVer descending', 'desc', calver, '16.04'],
    ['With Ubuntu code names', '', codenames, 'zesty'],
    ['With Ubuntu code names descending', 'desc', codenames, 'artful'],
    ['With Timestamps', '', timestamps, '1606364286'],
    ['With Unix Timestamps desc', 'desc', timestamps, '1606234201'],
    ['With Unix Timestamps prefix', '', timestamps.map((t) => `rel-${t}`), 'rel-1606364286'],
    ['With RFC3339', '', rfc3339, '2023-05-08T00-20-00Z'],
    ['With RFC3339 desc', 'desc', rfc3339, '1990-01-08T00-20-00Z'],
  ])('TestAlphabetical_Latest: %s', (_label, order, versions, expected) => {
    expect(latest(new AlphabeticalPolicy(order), versions)).toBe(expected);
  });

  it('TestAlphabetical_Latest: Empty version list', () => {
    expect(latest(new AlphabeticalPolicy(''), [])).toMatchObject({ reason: 'EmptyList' });
  });
});

describe('IRC internal/policy/factory_test.go TestFactory_PolicerFromSpec', () => {
  it('with an invalid ImagePolicyChoice: error', () => {
    expect(() => policerFromSpec({})).toThrow(/given ImagePolicyChoice object is invalid/);
  });
  it('with SemVerPolicy 1.0.x', () => {
    expect(policerFromSpec({ semver: { range: '1.0.x' } })).toBeInstanceOf(SemverPolicy);
  });
  it('with AlphabeticalPolicy {}', () => {
    expect(policerFromSpec({ alphabetical: {} })).toBeInstanceOf(AlphabeticalPolicy);
  });
  it('an invalid semver range *-*: error, no policer', () => {
    let p: Policer | undefined;
    expect(() => {
      p = policerFromSpec({ semver: { range: '*-*' } });
    }).toThrow(PolicyError);
    expect(p).toBeUndefined();
  });
});

describe('IRC internal/policy/filter_test.go TestRegexFilter (items sorted)', () => {
  const complex = ['123-123.123.abcd123-debug', '123-123.123.abcd123', '123-123.123.abcd456-debug', '123-123.123.abcd456'];
  it.each([
    ['none', ['a'], '', '', ['a']],
    ['valid pattern', ['ver1', 'ver2', 'ver3', 'rel1'], '^ver', '', ['ver1', 'ver2', 'ver3']],
    ['valid pattern with capture group', ['ver1', 'ver2', 'ver3', 'rel1'], 'ver(\\d+)', '$1', ['1', '2', '3']],
    ['valid pattern (complex regex 1)', complex, '^(123-[0-9]+\\.[0-9]+\\.[a-z0-9]+-debug)', '', ['123-123.123.abcd123-debug', '123-123.123.abcd456-debug']],
    ['valid pattern with capture group (complex regex 2)', complex, '^(?P<tag>123-[0-9]+\\.[0-9]+\\.[a-z0-9]+[^-debug])', '$tag', ['123-123.123.abcd123', '123-123.123.abcd456']],
    ['valid pattern with capture group (complex regex 3)', complex, '^(?P<tag>123-[0-9]+\\.[0-9]+\\.[a-z0-9]+$)', '$tag', ['123-123.123.abcd123', '123-123.123.abcd456']],
  ])('%s', (_label, tags, pattern, extract, expected) => {
    expect(filterTags(pattern, extract, tags)).toEqual(expected);
  });
});

describe('IRC internal/policy/numerical_test.go', () => {
  it.each([
    ['With valid empty order', '', false],
    ['With valid asc order', 'asc', false],
    ['With valid desc order', 'desc', false],
    ['With invalid order', 'invalid', true],
  ])('TestNewNumerical: %s', (_label, order, expectErr) => {
    if (expectErr) expect(() => new NumericalPolicy(order)).toThrow(PolicyError);
    else expect(new NumericalPolicy(order)).toBeInstanceOf(NumericalPolicy);
  });

  const unix = ['1606234201', '1606364286', '1606334092', '1606334284', '1606334201'];
  // [label, order, versions, expected, shuffled?]
  it.each([
    ['With unordered list of integers ascending', '', ['-62', '-88', '73', '72', '15', '16', '15', '29', '-33', '-91'], '73'],
    ['With unordered list of integers descending', 'desc', ['5', '-8', '-78', '25', '70', '-4', '80', '92', '-20', '-24'], '-78'],
    [
      'With unordered list of floats ascending',
      '',
      ['47.40896403322944', '-27.8520927455902', '-27.930666514224427', '-31.352485948094568', '-50.41072694704882', '-21.962849842263736', '24.71884721436865', '-39.99177354004344', '53.47333823144817', '3.2008658570411086'],
      '53.47333823144817',
    ],
    [
      'With unordered list of floats descending',
      'desc',
      ['-65.27202780220686', '57.82948329142309', '22.40184684363291', '-86.36934305697784', '-90.29082099756083', '-12.041712603564264', '77.70488240399305', '-38.98425003883552', '16.06867070412028', '53.735674335181216'],
      '-90.29082099756083',
    ],
    ['With Unix Timestamps ascending', '', unix, '1606364286'],
    ['With Unix Timestamps descending', 'desc', unix, '1606234201'],
    ['With single value ascending', '', ['1'], '1'],
    ['With single value descending', 'desc', ['1'], '1'],
  ])('TestNumerical_Latest: %s (in 5 shuffled orders)', (_label, order, versions, expected) => {
    for (let seed = 1; seed <= 5; seed++) expect(latest(new NumericalPolicy(order), permute(versions, seed))).toBe(expected);
  });

  it('TestNumerical_Latest: With invalid numerical value', () => {
    expect(latest(new NumericalPolicy(''), ['0', '1a', 'b'])).toBeInstanceOf(PolicyError);
  });

  it('TestNumerical_Latest: Empty version list', () => {
    expect(latest(new NumericalPolicy(''), [])).toMatchObject({ reason: 'EmptyList' });
  });
});

describe('IRC internal/policy/semver_test.go', () => {
  it.each(['1.0.x', '^1.0', '=1.0.0', '~1.0', '>=1.0', '>0,<2.0'])('TestNewSemVer: With valid range %j', (range) => {
    expect(new SemverPolicy(range)).toBeInstanceOf(SemverPolicy);
  });
  it.each(['1.0.0p', '1x', 'x1', '-1', 'a', ''])('TestNewSemVer: With invalid range %j', (range) => {
    expect(() => new SemverPolicy(range)).toThrow(PolicyError);
  });

  it.each([
    ['With valid format', '1.0.x', ['1.0.0', '1.0.0.1', '1.0.0p', '1.0.1', '1.2.0', '0.1.0'], '1.0.1'],
    ['With valid format prefix', '1.0.x', ['v1.2.3', 'v1.0.0', 'v0.1.0'], 'v1.0.0'],
  ])('TestSemVer_Latest: %s', (_label, range, versions, expected) => {
    expect(latest(new SemverPolicy(range), versions)).toBe(expected);
  });
  it.each([
    ['With invalid format prefix', '1.0.x', ['b1.2.3', 'b1.0.0', 'b0.1.0']],
    ['With empty list', '1.0.x', []],
    ['With non-matching version list', '1.0.x', ['1.2.0']],
  ])('TestSemVer_Latest: %s → error', (_label, range, versions) => {
    expect(latest(new SemverPolicy(range), versions)).toBeInstanceOf(PolicyError);
  });
});
