/**
 * Numerical policy (IRC `internal/policy/numerical.go`; docs/image-policies.md, "Decisions") and Go's
 * `strconv.ParseFloat(s, 64)`.
 *
 * ParseFloat is written by hand because JavaScript's `Number`, `parseFloat` and `BigInt` each accept or reject a
 * different set of strings (`""`, `0x10`, `1e400`, `inf`, `1_0`, trailing junk) and no npm package reproduces Go's
 * grammar. The grammar below follows Go's `internal/strconv/atof.go` (`special`, `readFloat`, `underscoreOK`):
 * optional sign; `inf`/`infinity`/`nan` in any case (a sign only before inf); decimal digits with an optional `.` and
 * `e` exponent; hexadecimal mantissas `0x…` that require a `p` exponent; `_` only between digits (so `1_000` parses, as
 * Go 1.13+ does, despite the spec's "[derived]" note); nothing else, no spaces. Values are correctly rounded (decimal by
 * V8's correctly rounded string-to-double after normalising the literal the way Go reads it; hexadecimal by exact
 * BigInt arithmetic with round-half-even); a finite literal that rounds to ±Inf is "value out of range" (Go returns
 * an error there, not Infinity), underflow gives ±0 without error.
 */
import { PolicyError } from './errors.js';
import { goQuote } from '../../base/index.js';
import { assertNotEmpty, normaliseOrder, type Policer, type SortOrder } from './policer.js';

/** Go's `*strconv.NumError` for ParseFloat. */
export class GoNumError extends Error {
  constructor(
    readonly input: string,
    readonly kind: 'invalid syntax' | 'value out of range',
  ) {
    super(`strconv.ParseFloat: parsing ${goQuote(input)}: ${kind}`);
    this.name = 'GoNumError';
  }
}

const INFINITY = 'infinity';

/** Go's `lower`: ASCII letters only (JavaScript's toLowerCase would also fold other scripts). */
function lower(c: string): string {
  return c >= 'A' && c <= 'Z' ? String.fromCharCode(c.charCodeAt(0) + 32) : c;
}

function commonPrefixLenIgnoreCase(s: string, prefix: string): number {
  const n = Math.min(s.length, prefix.length);
  let i = 0;
  while (i < n && lower(s[i]) === prefix[i]) i++;
  return i;
}

/** Go `special`: ±inf, ±infinity, nan (case-insensitive) as a prefix of s; returns [value, length] or undefined. */
function special(s: string): [number, number] | undefined {
  if (s.length === 0) return undefined;
  let sign = 1;
  let nsign = 0;
  let rest = s;
  const c = s[0];
  if (c === '+' || c === '-') {
    if (c === '-') sign = -1;
    nsign = 1;
    rest = s.slice(1);
  }
  if (nsign === 1 || c === 'i' || c === 'I') {
    let n = commonPrefixLenIgnoreCase(rest, INFINITY);
    if (n > 3 && n < 8) n = 3;
    if (n === 3 || n === 8) return [sign * Infinity, nsign + n];
    return undefined;
  }
  if ((c === 'n' || c === 'N') && commonPrefixLenIgnoreCase(s, 'nan') === 3) return [NaN, 3];
  return undefined;
}

/** Go `underscoreOK`: underscores only between digits (a base prefix counts as a digit). */
function underscoreOK(str: string): boolean {
  let saw = '^';
  let i = 0;
  let s = str;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && (lower(s[1]) === 'b' || lower(s[1]) === 'o' || lower(s[1]) === 'x')) {
    i = 2;
    saw = '0';
    hex = lower(s[1]) === 'x';
  }
  for (; i < s.length; i++) {
    const ch = s[i];
    if ((ch >= '0' && ch <= '9') || (hex && lower(ch) >= 'a' && lower(ch) <= 'f')) {
      saw = '0';
      continue;
    }
    if (ch === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

interface ReadFloat {
  neg: boolean;
  hex: boolean;
  /** All mantissa digits (leading zeros dropped, no `_`, no `.`), in the mantissa's base. */
  digits: string;
  /** Decimal: power of ten to apply to `digits` as an integer. Hex: power of two. */
  exp: number;
  /** Characters consumed. */
  n: number;
}

/** Go `readFloat`, keeping every digit (Go truncates to 19/16 digits plus a sticky bit; rounding is the same). */
function readFloat(s: string): ReadFloat | undefined {
  let i = 0;
  let underscores = false;
  let neg = false;
  if (i >= s.length) return undefined;
  if (s[i] === '+') i++;
  else if (s[i] === '-') {
    i++;
    neg = true;
  }
  let hex = false;
  let expChar = 'e';
  if (i + 2 < s.length && s[i] === '0' && lower(s[i + 1]) === 'x') {
    hex = true;
    expChar = 'p';
    i += 2;
  }
  let sawdot = false;
  let sawdigits = false;
  let nd = 0; // significant digits seen (Go's nd: leading zeros not counted)
  let dp = 0; // position of the point, in digits from the first significant one
  let digits = '';
  loop: for (; i < s.length; i++) {
    const c = s[i];
    if (c === '_') {
      underscores = true;
      continue;
    }
    if (c === '.') {
      if (sawdot) break loop;
      sawdot = true;
      dp = nd;
      continue;
    }
    if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
      sawdigits = true;
      if (c === '0' && nd === 0) {
        dp--;
        continue;
      }
      nd++;
      digits += c;
      continue;
    }
    break;
  }
  if (!sawdigits) return undefined;
  if (!sawdot) dp = nd;
  if (hex) dp *= 4;

  let e = 0;
  let esign = 1;
  if (i < s.length && lower(s[i]) === expChar) {
    i++;
    if (i >= s.length) return undefined;
    if (s[i] === '+') i++;
    else if (s[i] === '-') {
      i++;
      esign = -1;
    }
    if (i >= s.length || s[i] < '0' || s[i] > '9') return undefined;
    for (; i < s.length && ((s[i] >= '0' && s[i] <= '9') || s[i] === '_'); i++) {
      if (s[i] === '_') {
        underscores = true;
        continue;
      }
      if (e < 10000) e = e * 10 + (s.charCodeAt(i) - 48); // Go stops accumulating here too
    }
  } else if (hex) {
    return undefined; // a hexadecimal mantissa must have a p exponent
  }
  if (underscores && !underscoreOK(s.slice(0, i))) return undefined;
  // value = 0.digits × base^dp × 2^(e·esign) (hex) or × 10^(e·esign) (decimal); as an integer mantissa:
  const exp = hex ? dp - 4 * nd + esign * e : dp - nd + esign * e;
  return { neg, hex, digits, exp, n: i };
}

/** Exact m × 2^e (m > 0) rounded half-to-even to a double; ±Infinity when it overflows. */
function binaryToDouble(m: bigint, e: number): number {
  const bits = m.toString(2).length;
  const top = bits - 1 + e; // value in [2^top, 2^(top+1))
  if (top > 1100) return Infinity;
  if (top < -1200) return 0;
  const lsb = Math.max(top - 52, -1074); // exponent of the last kept bit
  let q: bigint;
  const shift = lsb - e;
  if (shift <= 0) q = m << BigInt(-shift);
  else {
    const s = BigInt(shift);
    q = m >> s;
    const rem = m - (q << s);
    const half = 1n << (s - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  return Number(q) * 2 ** lsb;
}

/**
 * Go `strconv.ParseFloat(s, 64)`. Throws GoNumError ("invalid syntax" / "value out of range") exactly where Go
 * returns an error.
 */
export function parseGoFloat(s: string): number {
  const sp = special(s);
  if (sp) {
    if (sp[1] === s.length) return sp[0];
    throw new GoNumError(s, 'invalid syntax');
  }
  const r = readFloat(s);
  if (!r || r.n !== s.length) throw new GoNumError(s, 'invalid syntax');
  let value: number;
  if (r.digits === '') value = 0;
  else if (r.hex) value = binaryToDouble(BigInt(`0x${r.digits}`), r.exp);
  else value = Number(`${r.digits}e${r.exp}`); // V8 rounds correctly, like Go
  if (!Number.isFinite(value)) throw new GoNumError(s, 'value out of range');
  return r.neg ? -value : value;
}

/**
 * IRC Numerical.Latest: every candidate must parse (one failure fails the whole policy); ASC keeps the maximum, DESC the
 * minimum; only strictly worse values are skipped, so among equal values the last one in iteration order wins (with
 * descending storage order: the byte-smallest tag, `1`,`1.0`,`01` → `01`). NaN compares false both ways, as in Go.
 */
export class NumericalPolicy implements Policer {
  readonly order: SortOrder;

  constructor(order?: string) {
    this.order = normaliseOrder(order);
  }

  latest(candidates: readonly string[]): string {
    assertNotEmpty(candidates);
    let latest = '';
    let pv = 0;
    for (let i = 0; i < candidates.length; i++) {
      const tag = candidates[i];
      let cv: number;
      try {
        cv = parseGoFloat(tag);
      } catch (err) {
        if (!(err instanceof GoNumError)) throw err;
        throw new PolicyError('InvalidNumeric', `failed to parse invalid numeric value '${tag}'`, {
          hint: 'every candidate tag must be a number; add spec.filterTags (pattern/extract) to select and extract the numeric part',
          cause: err,
        });
      }
      if (i !== 0 && ((this.order === 'ASC' && cv < pv) || (this.order === 'DESC' && cv > pv))) continue;
      latest = tag;
      pv = cv;
    }
    return latest;
  }
}
