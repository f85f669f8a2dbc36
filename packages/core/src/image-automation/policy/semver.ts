/**
 * SemVer as image-reflector-controller evaluates it: Masterminds/semver v3.5.0 (`NewVersion` in coerce mode,
 * `NewConstraint`, `Check`, `Compare`) behind fluxcd/pkg `version.ParseVersion` (docs/image-policies.md, "Decisions").
 *
 * Written by hand on purpose: no npm package implements Masterminds' semantics. npm `semver` differs in the parts that
 * decide which tag Flux elects — the AND-group prerelease rule (`>=1.0.0-0` admits `2.0.0-rc.1`), the "dirty" partial
 * meanings of `>1.2`, `<=1.2`, `~`, `^`, `=>`, `=<`, comma ANDs, leading zeros (`2022.04.1`), uint64 segments and the
 * pairwise prerelease ordering. The behaviour below was learned by reading Masterminds/semver `version.go` and
 * `constraints.go` (v3.5.0, including its 256/512-byte and 32-group limits) and fluxcd/pkg `version/version.go`.
 *
 * The constraint grammar uses Go's own regular expressions (leftmost-first, `\s` = `[\t\n\f\r ]`), evaluated with
 * RE2JS so that tokenisation matches Go exactly; version parsing uses an equivalent native RegExp (no ambiguity, no
 * `\s`) because it runs once per tag.
 */
import { RE2JS } from 're2js';
import { byteLength, goQuote } from '../../base/index.js';

/** Masterminds `MaxVersionLen`. */
export const MAX_VERSION_LEN = 256;
/** Masterminds `MaxConstraintLen`. */
export const MAX_CONSTRAINT_LEN = 512;
/** Masterminds `MaxConstraintGroups`. */
export const MAX_CONSTRAINT_GROUPS = 32;

const UINT64_MAX = (1n << 64n) - 1n;

/** A version or range that Masterminds/semver refuses; the message is Masterminds' own. */
export class SemverSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SemverSyntaxError';
  }
}

/** A parsed version. `original` is the text it was parsed from (Masterminds `Original()`, what Flux returns). */
export interface SemVersion {
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  /** Prerelease without the leading `-` ("" for a release). */
  readonly pre: string;
  /** Build metadata without the leading `+` (ignored for ordering). */
  readonly metadata: string;
  readonly original: string;
}

// Masterminds looseSemVerRegex, anchored. Groups: 1 major, 2 ".minor", 3 ".patch", 5 prerelease, 8 metadata.
const LOOSE_VERSION = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;
const DIGITS = /^[0-9]+$/;

/** Parses a uint64 segment, or returns Go's error text (`strconv.ParseUint` range error). */
function parseUint64(s: string): bigint | string {
  const n = BigInt(s);
  return n > UINT64_MAX ? `error parsing version segment: strconv.ParseUint: parsing ${goQuote(s)}: value out of range` : n;
}

/** Masterminds `validatePrerelease`: no empty identifiers, no leading zeros in numeric ones. Returns the error text. */
function prereleaseError(p: string): string | undefined {
  for (const part of p.split('.')) {
    if (part === '') return 'invalid prerelease string';
    if (part.length > 1 && part[0] === '0' && DIGITS.test(part)) return 'version segment starts with 0';
  }
  return undefined;
}

function metadataError(m: string): string | undefined {
  for (const part of m.split('.')) if (part === '') return 'invalid metadata string';
  return undefined;
}

/**
 * Masterminds `NewVersion` (coerce mode) without exceptions: the version, or Masterminds' error text. Tags that do not
 * parse are common (Flux ignores them silently), so the hot path builds no Error objects.
 */
function parseVersion(v: string): SemVersion | string {
  if (v.length > MAX_VERSION_LEN || (v.length * 3 > MAX_VERSION_LEN && byteLength(v) > MAX_VERSION_LEN)) {
    return `version string is too long (max ${MAX_VERSION_LEN} bytes)`;
  }
  const m = LOOSE_VERSION.exec(v);
  if (!m) return 'invalid semantic version';
  const major = parseUint64(m[1]);
  if (typeof major === 'string') return major;
  const minor = m[2] ? parseUint64(m[2].slice(1)) : 0n;
  if (typeof minor === 'string') return minor;
  const patch = m[3] ? parseUint64(m[3].slice(1)) : 0n;
  if (typeof patch === 'string') return patch;
  const pre = m[5] ?? '';
  const metadata = m[8] ?? '';
  const err = (pre !== '' ? prereleaseError(pre) : undefined) ?? (metadata !== '' ? metadataError(metadata) : undefined);
  return err ?? { major, minor, patch, pre, metadata, original: v };
}

/** Masterminds `NewVersion` with `CoerceNewVersion = true` (the default): `1`, `1.2`, `v1.2.3`, `2022.04.1` all parse. */
export function newVersion(v: string): SemVersion {
  const r = parseVersion(v);
  if (typeof r === 'string') throw new SemverSyntaxError(r);
  return r;
}

/** fluxcd/pkg `ParseVersion`'s first rule: the text must split on `.` into three parts (at least two dots). */
function hasThreeParts(tag: string): boolean {
  const first = tag.indexOf('.');
  return first >= 0 && tag.indexOf('.', first + 1) >= 0;
}

/**
 * fluxcd/pkg `version.ParseVersion`, the parser image-reflector-controller applies to every tag: three parts, then
 * `newVersion`. Throws SemverSyntaxError.
 */
export function parseTagVersion(tag: string): SemVersion {
  if (!hasThreeParts(tag)) throw new SemverSyntaxError('invalid semantic version');
  return newVersion(tag);
}

/** `parseTagVersion`, or undefined for a tag Flux silently ignores. */
export function tryParseTagVersion(tag: string): SemVersion | undefined {
  if (!hasThreeParts(tag)) return undefined;
  const r = parseVersion(tag);
  return typeof r === 'string' ? undefined : r;
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Masterminds `comparePrePart`: numeric identifiers (those `ParseUint` accepts) numerically, others by bytes. */
function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const sNum = DIGITS.test(s) && BigInt(s) <= UINT64_MAX;
  const oNum = DIGITS.test(o) && BigInt(o) <= UINT64_MAX;
  if (!sNum && !oNum) return s > o ? 1 : -1; // identifiers are ASCII: UTF-16 order = byte order
  if (!oNum) return -1;
  if (!sNum) return 1;
  return BigInt(s) > BigInt(o) ? 1 : -1;
}

/** Masterminds `comparePrerelease`: identifier by identifier; a missing identifier sorts first. */
export function comparePrerelease(a: string, b: string): number {
  const sp = a.split('.');
  const op = b.split('.');
  const n = Math.max(sp.length, op.length);
  for (let i = 0; i < n; i++) {
    const d = comparePrePart(i < sp.length ? sp[i] : '', i < op.length ? op[i] : '');
    if (d !== 0) return d;
  }
  return 0;
}

/** Masterminds `Version.Compare`: major, minor, patch, then release > prerelease; build metadata ignored. */
export function compareVersions(a: SemVersion, b: SemVersion): number {
  return (
    cmpBig(a.major, b.major) ||
    cmpBig(a.minor, b.minor) ||
    cmpBig(a.patch, b.patch) ||
    (a.pre === '' && b.pre === '' ? 0 : a.pre === '' ? 1 : b.pre === '' ? -1 : comparePrerelease(a.pre, b.pre))
  );
}

// ---- Constraints (Masterminds constraints.go) ----

const OPS = '=||!=|>|<|>=|=>|<=|=<|~|~>|\\^';
const CV =
  'v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?' +
  '(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?' +
  '(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?';

let regexes: { constraint: RE2JS; range: RE2JS; find: RE2JS; valid: RE2JS } | undefined;
function re(): NonNullable<typeof regexes> {
  regexes ??= {
    constraint: RE2JS.compile(`^\\s*(${OPS})\\s*(${CV})\\s*$`),
    range: RE2JS.compile(`\\s*(${CV})\\s+-\\s+(${CV})\\s*`),
    find: RE2JS.compile(`(${OPS})\\s*(${CV})`),
    valid: RE2JS.compile(`^(\\s*(${OPS})\\s*(${CV})\\s*)((?:\\s+|,\\s*)(${OPS})\\s*(${CV})\\s*)*$`),
  };
  return regexes;
}

type Op = '' | '=' | '!=' | '>' | '<' | '>=' | '=>' | '<=' | '=<' | '~' | '~>' | '^';

interface Comparator {
  op: Op;
  /** The version text as written (`4.x` in `!= 4.x`). */
  orig: string;
  con: SemVersion;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

function isX(s: string): boolean {
  return s === 'x' || s === 'X' || s === '*';
}

/** Go `FindAllStringSubmatch` / `FindAllString` over RE2JS (matches are never empty here). */
function findAll(regex: RE2JS, input: string): string[][] {
  const out: string[][] = [];
  const m = regex.matcher(input);
  while (m.find()) {
    const groups: string[] = [];
    for (let i = 0; i <= m.groupCount(); i++) groups.push(m.group(i) ?? '');
    out.push(groups);
  }
  return out;
}

/** Masterminds `rewriteRange`: every `A - B` becomes `>= A, <= B `. */
function rewriteRange(input: string): string {
  let out = input;
  for (const m of findAll(re().range, input)) {
    const i = out.indexOf(m[0]);
    if (i >= 0) out = out.slice(0, i) + `>= ${m[1]}, <= ${m[11]} ` + out.slice(i + m[0].length);
  }
  return out;
}

function parseComparator(c: string): Comparator {
  const m = re().constraint.matcher(c);
  if (!m.matches()) throw new SemverSyntaxError(`improper constraint: ${goQuote(c)}`);
  const g = (i: number): string => m.group(i) ?? '';
  const op = g(1) as Op;
  let ver = g(2);
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(g(3)) || g(3) === '') {
    ver = `0.0.0${g(6)}`;
    dirty = true;
  } else if (isX(g(4).replace(/^\./, '')) || g(4) === '') {
    minorDirty = true;
    dirty = true;
    ver = `${g(3)}.0.0${g(6)}`;
  } else if (isX(g(5).replace(/^\./, '')) || g(5) === '') {
    dirty = true;
    patchDirty = true;
    ver = `${g(3)}${g(4)}.0${g(6)}`;
  }
  let con: SemVersion;
  try {
    con = newVersion(ver);
  } catch {
    throw new SemverSyntaxError('constraint parser error');
  }
  return { op, orig: g(2), con, dirty, minorDirty, patchDirty };
}

// Each check assumes the group-level prerelease gate has already run (see SemverConstraints.check).

function checkNotEqual(v: SemVersion, c: Comparator): boolean {
  if (c.dirty) {
    if (c.con.major !== v.major) return true;
    if (c.con.minor !== v.minor && !c.minorDirty) return true;
    else if (c.minorDirty) return false;
    else if (c.con.patch !== v.patch && !c.patchDirty) return true;
    else if (c.patchDirty) {
      if (v.pre !== '' || c.con.pre !== '') return comparePrerelease(v.pre, c.con.pre) !== 0;
      return false;
    }
  }
  return compareVersions(v, c.con) !== 0;
}

function checkGreaterThan(v: SemVersion, c: Comparator): boolean {
  if (!c.dirty) return compareVersions(v, c.con) === 1;
  if (v.major > c.con.major) return true;
  if (v.major < c.con.major) return false;
  if (c.minorDirty) return false; // >11 needs 12 or higher
  if (c.patchDirty) return v.minor > c.con.minor; // >11.1 needs 11.2 or higher
  return compareVersions(v, c.con) === 1;
}

function checkLessThanEqual(v: SemVersion, c: Comparator): boolean {
  if (!c.dirty) return compareVersions(v, c.con) <= 0;
  if (v.major > c.con.major) return false;
  if (v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty) return false;
  return true;
}

function checkTilde(v: SemVersion, c: Comparator): boolean {
  if (compareVersions(v, c.con) < 0) return false;
  if (c.con.major === 0n && c.con.minor === 0n && c.con.patch === 0n && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  if (v.minor !== c.con.minor && !c.minorDirty) return false;
  return true;
}

function checkCaret(v: SemVersion, c: Comparator): boolean {
  if (compareVersions(v, c.con) < 0) return false;
  if (c.con.major > 0n || c.minorDirty) return v.major === c.con.major;
  if (c.con.major === 0n && v.major > 0n) return false;
  if (c.con.minor > 0n || c.patchDirty) return v.minor === c.con.minor;
  if (c.con.minor === 0n && v.minor > 0n) return false;
  return c.con.patch === v.patch;
}

function checkComparator(v: SemVersion, c: Comparator): boolean {
  switch (c.op) {
    case '':
    case '=':
      return c.dirty ? checkTilde(v, c) : compareVersions(v, c.con) === 0;
    case '!=':
      return checkNotEqual(v, c);
    case '>':
      return checkGreaterThan(v, c);
    case '<':
      return compareVersions(v, c.con) < 0;
    case '>=':
    case '=>':
      return compareVersions(v, c.con) >= 0;
    case '<=':
    case '=<':
      return checkLessThanEqual(v, c);
    case '~':
    case '~>':
      return checkTilde(v, c);
    case '^':
      return checkCaret(v, c);
  }
}

/** A parsed range (Masterminds `Constraints`): OR-groups of AND-ed comparators. */
export class SemverConstraints {
  private constructor(
    readonly range: string,
    private readonly groups: Comparator[][],
    /** Per OR-group: does any comparator carry a prerelease (the group then admits prereleases)? */
    private readonly groupHasPre: boolean[],
  ) {}

  /** Masterminds `NewConstraint`. Throws SemverSyntaxError with Masterminds' message for an invalid range. */
  static parse(range: string): SemverConstraints {
    if (byteLength(range) > MAX_CONSTRAINT_LEN) {
      throw new SemverSyntaxError(`constraint string is too long (max ${MAX_CONSTRAINT_LEN} bytes)`);
    }
    const rewritten = rewriteRange(range);
    const ors = rewritten.split('||');
    if (ors.length > MAX_CONSTRAINT_GROUPS) {
      throw new SemverSyntaxError(`too many constraint groups (max ${MAX_CONSTRAINT_GROUPS})`);
    }
    const groups: Comparator[][] = [];
    const hasPre: boolean[] = [];
    for (const segment of ors) {
      if (!re().valid.matcher(segment).matches()) throw new SemverSyntaxError(`improper constraint: ${goQuote(segment)}`);
      const found = findAll(re().find, segment).map((m) => m[0]);
      const parts = found.length > 0 ? found : [segment];
      const group = parts.map(parseComparator);
      groups.push(group);
      hasPre.push(group.some((c) => c.con.pre !== ''));
    }
    return new SemverConstraints(range, groups, hasPre);
  }

  /**
   * Masterminds `Constraints.Check`: some OR-group whose comparators all pass. A prerelease version passes a group only
   * if some comparator of that group has a prerelease (Masterminds' prerelease rule, unlike npm `semver`).
   */
  check(v: SemVersion): boolean {
    for (let i = 0; i < this.groups.length; i++) {
      if (v.pre !== '' && !this.groupHasPre[i]) continue;
      if (this.groups[i].every((c) => checkComparator(v, c))) return true;
    }
    return false;
  }
}
