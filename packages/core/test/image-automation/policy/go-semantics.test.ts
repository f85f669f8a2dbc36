/**
 * Edge cases of the Go behaviours the policies depend on. Expected values
 * were observed by running Go 1.26 strconv/regexp and Masterminds/semver v3.5.0 (differential.test.ts re-checks them
 * against Go itself when Go is installed).
 */
import { describe, expect, it } from 'vitest';
import {
  compareBytes,
  compareVersions,
  compileGoRegexp,
  expandTemplate,
  GoNumError,
  goQuote,
  newVersion,
  parseGoFloat,
  SemverConstraints,
  sortDescendingBytes,
  tryParseTagVersion,
} from '@d2/core/image-automation';

describe('Go strconv.ParseFloat(s, 64)', () => {
  it.each([
    ['1e3', 1000],
    ['Inf', Infinity],
    ['+inf', Infinity],
    ['infinity', Infinity],
    ['-Infinity', -Infinity],
    ['INFINITY', Infinity],
    ['0x1p-2', 0.25],
    ['0X1P3', 8],
    ['0x1.8p1', 3],
    ['0x.8p1', 1],
    ['0x1.p1', 2],
    ['0x_1p0', 1],
    ['0x1_0p0', 16],
    ['1_000', 1000], // Go 1.13+ accepts underscores between digits (the spec's "rejects 1_000" is not what Go does)
    ['1_0', 10],
    ['1e1_0', 1e10],
    ['.5', 0.5],
    ['5.', 5],
    ['+.5e-3', 0.0005],
    ['00012', 12],
    ['1e-400', 0], // underflow is not an error
    ['4.9e-324', 5e-324],
    ['2.5e-324', 5e-324],
    ['1.7976931348623157e308', 1.7976931348623157e308],
    ['0x1fffffffffffffp971', 1.7976931348623157e308],
    ['0x1p-1074', 5e-324],
    ['0x1p-1075', 0], // exactly half of the smallest subnormal: round half to even → 0
    ['0x1.0000000000001p-1075', 5e-324],
    ['9007199254740993', 9007199254740992],
    ['0.1e-99999999999', 0],
  ])('%j → %d', (s, expected) => {
    expect(parseGoFloat(s)).toBe(expected);
  });

  it('NaN in any case, -0 keeps its sign', () => {
    expect(parseGoFloat('nan')).toBeNaN();
    expect(parseGoFloat('NaN')).toBeNaN();
    expect(Object.is(parseGoFloat('-0'), -0)).toBe(true);
  });

  it.each(['', '0x10', '0x1p', '.', '1e', '1e+', ' 1', '1 ', 'infx', 'in', 'infinit', '+nan', '-nan', 'nanx', '0b101', '0o17', '１',
    '1__0', '_1', '1_', '1_.5', '1._5', '0x', '1e_5', 'latest', '1a', '0x1.8'])(
    '%j → invalid syntax',
    (s) => {
      expect(() => parseGoFloat(s)).toThrow(new GoNumError(s, 'invalid syntax'));
    },
  );

  it.each(['1e400', '1.7976931348623159e308', '0x1p1024', '1e99999999999', '-1e400'])('%j → value out of range', (s) => {
    expect(() => parseGoFloat(s)).toThrow(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range`);
  });
});

describe('Go Regexp.ExpandString', () => {
  const expand = (pattern: string, template: string, src: string): string => {
    const re = compileGoRegexp(pattern);
    const m = re.findSubmatchIndex(src);
    if (!m) throw new Error('no match');
    return expandTemplate(re, template, src, m);
  };
  const named = '(?P<a>[a-z]+)-(?P<b>[0-9]+)';
  it.each([
    [named, '$a', 'abc-123', 'abc'],
    [named, '${a}', 'abc-123', 'abc'],
    [named, '$b$a', 'abc-123', '123abc'],
    [named, '$a-$b', 'abc-123', 'abc-123'],
    [named, '$1', 'abc-123', 'abc'],
    [named, '$0', 'abc-123', 'abc-123'],
    [named, '$2x', 'abc-123', ''], // the name is the longest run: group "2x" does not exist
    [named, '${1}x', 'abc-123', 'abcx'],
    [named, '$10', 'abc-123', ''], // group 10 does not exist
    [named, '$01', 'abc-123', ''], // leading zero: a name, not a number
    [named, '$x', 'abc-123', ''],
    [named, '$$', 'abc-123', '$'],
    [named, '$$a', 'abc-123', '$a'],
    [named, '$', 'abc-123', '$'], // malformed: kept literally
    [named, '${', 'abc-123', '${'],
    [named, '${a', 'abc-123', '${a'],
    [named, '$-', 'abc-123', '$-'],
    [named, 'é$aé', 'abc-123', 'é'], // `aé` is one name (Unicode letters count)
    [named, '$1_', 'abc-123', ''],
    ['(a)?(b)', '[$1][$2]', 'b', '[][b]'], // a group that did not participate expands to ""
    ['(?P<x>a)|(?P<x>b)', '$x', 'b', 'b'], // Go allows repeated names: the first that participated
    ['(?<n>v)(\\d+)', '$n$2', 'v12', 'v12'], // (?<name>) as well as (?P<name>)
    ['(?U)(a+)', '$1', 'aaa', 'a'], // Go flags
  ])('%s with %j on %j → %j', (pattern, template, src, expected) => {
    expect(expand(pattern, template, src)).toBe(expected);
  });

  it('matching is unanchored and leftmost-first', () => {
    const re = compileGoRegexp('ver(\\d+)');
    expect(re.findSubmatchIndex('xxver12yy')).toEqual([2, 7, 5, 7]);
    expect(re.findSubmatchIndex('nope')).toBeUndefined();
  });

  it('compile errors carry Go\'s message', () => {
    expect(() => compileGoRegexp('[=')).toThrow('error parsing regexp: missing closing ]: `[=`');
    expect(() => compileGoRegexp('(?=a)')).toThrow('error parsing regexp: invalid or unsupported Perl syntax: `(?=`');
    expect(() => compileGoRegexp('a{1001}')).toThrow('invalid repeat count');
  });
});

describe('Masterminds/semver semantics', () => {
  const ok = (range: string, version: string): boolean => SemverConstraints.parse(range).check(newVersion(version));

  it.each([
    // partials
    ['1.2', '1.2.9', true], ['1.2', '1.3.0', false], ['1', '1.9.9', true], ['1', '2.0.0', false],
    ['>1.2', '1.2.9', false], ['>1.2', '1.3.0', true], ['>1', '1.9.0', false], ['>1', '2.0.0', true],
    ['<=1.2', '1.2.9', true], ['<=1.2', '1.3.0', false], ['<1.2', '1.1.9', true], ['<1.2', '1.2.0', false],
    ['^0.2.3', '0.2.9', true], ['^0.2.3', '0.3.0', false], ['^0.0.3', '0.0.3', true], ['^0.0.3', '0.0.4', false],
    ['^1.2', '1.9.0', true], ['^1.2', '2.0.0', false], ['^0', '0.9.0', true], ['^0.0', '0.1.0', false],
    ['~1.2.3', '1.2.9', true], ['~1.2.3', '1.3.0', false], ['~1', '1.9.0', true], ['~>1.2', '1.2.5', true],
    ['*', '4.0.0', true], ['*', '4.0.0-beta', false], ['x', '0.0.1', true], ['1.x', '1.5.0', true], ['1.x.x', '2.0.0', false],
    ['=>1.0', '1.0.0', true], ['=<1.0', '1.0.9', true], ['=<1.0', '1.1.0', false],
    ['!=1.2.0', '1.2.0', false], ['!=1.2.x', '1.2.5', false], ['!=1.2.x', '1.3.0', true],
    // v prefixes on either side
    ['v1.0.x', '1.0.1', true], ['1.0.x', 'v1.0.1', true],
    // hyphen ranges and comma ANDs
    ['1.0.0 - 1.4.0', '1.4.0', true], ['1.0.0 - 1.4.0', '1.4.1', false], ['>=1.0.0, <2.0.0', '1.5.0', true],
    ['>=1.0.0,<2.0.0', '2.0.0', false], ['>= 1.0.0 < 2.0.0', '1.0.0', true],
    // the AND-group prerelease rule
    ['>=1.0.0', '2.0.0-rc.1', false], ['>=1.0.0-0', '2.0.0-rc.1', true], ['>=1.0.0-0 <3.0.0', '2.0.0-rc.1', true],
    ['<3.0.0 >=1.0.0-0', '2.0.0-rc.1', true], ['>=1.0.0 || >=1.0.0-0', '2.0.0-rc.1', true], ['>=1.0.0-0 || >=1.0.0', '0.9.0-rc.1', false],
    ['^1.x-0', '1.4.0-rc.1', true], ['>=2.0.300', '2.0.330-63-gc1cfb6864', false],
  ])('%s admits %s: %s', (range, version, expected) => {
    expect(ok(range, version)).toBe(expected);
  });

  it('ordering: prerelease identifiers pairwise, numeric < alphanumeric, shorter first, build ignored', () => {
    const order = ['1.0.0-1', '1.0.0-2', '1.0.0-10', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta',
      '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '2.0.0'];
    for (let i = 1; i < order.length; i++) {
      expect(compareVersions(newVersion(order[i - 1]), newVersion(order[i])), `${order[i - 1]} < ${order[i]}`).toBe(-1);
    }
    expect(compareVersions(newVersion('1.0.1-rc9'), newVersion('1.0.1-rc10'))).toBe(1); // alphanumeric: by bytes
    expect(compareVersions(newVersion('1.0.0+b1'), newVersion('1.0.0+b2'))).toBe(0);
    expect(compareVersions(newVersion('18446744073709551615.0.0'), newVersion('1.0.0'))).toBe(1);
  });

  it('parsing: uint64 segments, lowercase v only, three parts for tags, length limit', () => {
    expect(() => newVersion('18446744073709551616.0.0')).toThrow('value out of range');
    expect(tryParseTagVersion('V1.0.0')).toBeUndefined();
    expect(tryParseTagVersion('1.0')).toBeUndefined();
    expect(tryParseTagVersion('1.2-rc.1.4')?.pre).toBe('rc.1.4'); // two dots: three parts
    expect(tryParseTagVersion(`1.0.0-${'a'.repeat(250)}`)?.pre).toHaveLength(250); // 256 bytes: the limit
    expect(tryParseTagVersion(`1.0.0-${'a'.repeat(251)}`)).toBeUndefined(); // 257 bytes
    expect(() => SemverConstraints.parse(`>=1.0.0 ${'|| 1.0.0 '.repeat(40)}`)).toThrow(/too many constraint groups|too long/);
  });
});

describe('byte order', () => {
  it('compareBytes is UTF-8 byte order, not UTF-16 or locale', () => {
    expect(compareBytes('B', 'a')).toBe(-1);
    expect(compareBytes('v1.10', 'v1.9')).toBe(-1);
    expect(compareBytes('\uff01', '\u{1f600}')).toBe(-1); // EF BC 81 < F0 9F 98 80, though 0xFF01 > 0xD83D in UTF-16
    expect(compareBytes('abc', 'ab')).toBe(1);
    // The sort takes its slow (code point) path when such characters are present.
    expect(sortDescendingBytes(['\uff01', 'a', '\u{1f600}', 'B'])).toEqual(['\u{1f600}', '\uff01', 'a', 'B']);
  });
  it('L1 storage order of the numerical tags', () => {
    const tags = ['-62', '-88', '73', '72', '15', '16', '15', '29', '-33', '-91', '100', '101'];
    expect(sortDescendingBytes(tags).slice(0, 10)).toEqual(['73', '72', '29', '16', '15', '15', '101', '100', '-91', '-88']);
  });
  it('goQuote is Go %q', () => {
    expect(goQuote('a"b\\c\n\x07')).toBe('"a\\"b\\\\c\\n\\a"');
  });
});
