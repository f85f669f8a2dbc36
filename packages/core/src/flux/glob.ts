/**
 * Go `path/filepath.Match` semantics (Unix), which Flux's ignore patterns use for every path component
 * (docs/artifacts.md, "Decisions", Glob). Written by hand: minimatch, picomatch and the `ignore` package implement shell/gitignore
 * globbing with different rules (brace and extglob syntax, `**` handling, `[!…]` negation, error recovery), while the
 * digest of an artifact depends on exactly which files Go's matcher excludes.
 *
 * Semantics reproduced:
 * - `*` matches any run of bytes except `/`; `?` matches one character (one UTF-8 sequence, or one invalid byte)
 *   except `/`; `[…]` / `[^…]` classes of runes and ranges `a-z`; `\` escapes the next character (also in classes).
 * - A malformed pattern (`[`, `[]`, `[a-`, trailing `\`, …) never matches (Go returns ErrBadPattern, which the
 *   gitignore matcher treats as "no match").
 * - Matching works on UTF-8 bytes: literals compare bytes; after a `*` the following segment is tried at every byte
 *   offset, leftmost first, and the last segment must consume the rest of the name.
 */

type Token =
  | { kind: 'byte'; value: number }
  | { kind: 'any' }
  | { kind: 'class'; negated: boolean; ranges: [number, number][] };

interface Segment {
  /** Preceded by one or more `*`. */
  star: boolean;
  tokens: Token[];
}

/** A compiled Go glob; `undefined` segments means the pattern is malformed and matches nothing. */
export class GoGlob {
  readonly pattern: string;
  private readonly segments: Segment[] | undefined;

  constructor(pattern: string) {
    this.pattern = pattern;
    this.segments = compile(Buffer.from(pattern, 'utf8'));
  }

  /** True when the pattern is well-formed (Go would not return ErrBadPattern). */
  get valid(): boolean {
    return this.segments !== undefined;
  }

  /** Whether `name` (a string or its raw bytes) matches the whole pattern. */
  match(name: string | Uint8Array): boolean {
    if (!this.segments) return false;
    const s = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
    let pos = 0;
    const segs = this.segments;
    for (let k = 0; k < segs.length; k++) {
      const seg = segs[k];
      const last = k === segs.length - 1;
      if (seg.star && seg.tokens.length === 0) {
        // A trailing star takes the rest of the name unless it contains a separator.
        return s.indexOf(0x2f, pos) < 0;
      }
      let end = matchAt(seg.tokens, s, pos);
      if (end >= 0 && (!last || end === s.length)) {
        pos = end;
        continue;
      }
      if (!seg.star) return false;
      // Try the segment after skipping 1..n bytes, never skipping a separator.
      let found = -1;
      for (let i = pos; i < s.length && s[i] !== 0x2f; i++) {
        end = matchAt(seg.tokens, s, i + 1);
        if (end >= 0 && (!last || end === s.length)) {
          found = end;
          break;
        }
      }
      if (found < 0) return false;
      pos = found;
    }
    return pos === s.length;
  }
}

/** Convenience: Go `filepath.Match(pattern, name)` with errors reported as "no match". */
export function goMatch(pattern: string, name: string | Uint8Array): boolean {
  return new GoGlob(pattern).match(name);
}

/** Matches the single-character tokens at `pos`; returns the end offset or -1. */
function matchAt(tokens: Token[], s: Uint8Array, pos: number): number {
  let p = pos;
  for (const t of tokens) {
    if (p >= s.length) return -1;
    if (t.kind === 'byte') {
      if (s[p] !== t.value) return -1;
      p++;
      continue;
    }
    const [rune, width] = decodeRune(s, p);
    if (t.kind === 'any') {
      if (s[p] === 0x2f) return -1;
    } else {
      let inClass = false;
      for (const [lo, hi] of t.ranges) {
        if (lo <= rune && rune <= hi) {
          inClass = true;
          break;
        }
      }
      if (inClass === t.negated) return -1;
    }
    p += width;
  }
  return p;
}

const RUNE_ERROR = 0xfffd;

/** Decodes one UTF-8 sequence like Go's utf8.DecodeRune: invalid input gives (U+FFFD, 1). */
export function decodeRune(s: Uint8Array, i: number): [number, number] {
  const b0 = s[i];
  if (b0 < 0x80) return [b0, 1];
  const cont = (j: number): number => (j < s.length && (s[j] & 0xc0) === 0x80 ? s[j] & 0x3f : -1);
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const c1 = cont(i + 1);
    return c1 < 0 ? [RUNE_ERROR, 1] : [((b0 & 0x1f) << 6) | c1, 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const c1 = cont(i + 1);
    const c2 = cont(i + 2);
    if (c1 < 0 || c2 < 0) return [RUNE_ERROR, 1];
    const r = ((b0 & 0x0f) << 12) | (c1 << 6) | c2;
    if (r < 0x800 || (r >= 0xd800 && r <= 0xdfff)) return [RUNE_ERROR, 1];
    return [r, 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const c1 = cont(i + 1);
    const c2 = cont(i + 2);
    const c3 = cont(i + 3);
    if (c1 < 0 || c2 < 0 || c3 < 0) return [RUNE_ERROR, 1];
    const r = ((b0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
    if (r < 0x10000 || r > 0x10ffff) return [RUNE_ERROR, 1];
    return [r, 4];
  }
  return [RUNE_ERROR, 1];
}

/**
 * Splits the pattern into star-prefixed segments (a `*` inside a class does not split, `\` protects the next byte)
 * and parses each segment; any syntax error makes the whole pattern invalid.
 */
function compile(p: Uint8Array): Segment[] | undefined {
  const segments: Segment[] = [];
  let i = 0;
  while (i < p.length) {
    let star = false;
    while (i < p.length && p[i] === 0x2a) {
      star = true;
      i++;
    }
    let j = i;
    let inRange = false;
    for (; j < p.length; j++) {
      const c = p[j];
      if (c === 0x5c) {
        if (j + 1 < p.length) j++;
      } else if (c === 0x5b) {
        inRange = true;
      } else if (c === 0x5d) {
        inRange = false;
      } else if (c === 0x2a && !inRange) {
        break;
      }
    }
    const tokens = parseSegment(p.subarray(i, j));
    if (!tokens) return undefined;
    segments.push({ star, tokens });
    i = j;
  }
  return segments;
}

function parseSegment(c: Uint8Array): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < c.length) {
    const b = c[i];
    if (b === 0x3f) {
      tokens.push({ kind: 'any' });
      i++;
    } else if (b === 0x5c) {
      if (i + 1 >= c.length) return undefined;
      tokens.push({ kind: 'byte', value: c[i + 1] });
      i += 2;
    } else if (b === 0x5b) {
      i++;
      let negated = false;
      if (i < c.length && c[i] === 0x5e) {
        negated = true;
        i++;
      }
      const ranges: [number, number][] = [];
      for (;;) {
        if (i < c.length && c[i] === 0x5d && ranges.length > 0) {
          i++;
          break;
        }
        const lo = classChar(c, i);
        if (!lo) return undefined;
        i = lo.next;
        let hi = lo.rune;
        if (c[i] === 0x2d) {
          const h = classChar(c, i + 1);
          if (!h) return undefined;
          hi = h.rune;
          i = h.next;
        }
        ranges.push([lo.rune, hi]);
      }
      tokens.push({ kind: 'class', negated, ranges });
    } else {
      tokens.push({ kind: 'byte', value: b });
      i++;
    }
  }
  return tokens;
}

/** One (possibly escaped) class character; something must follow it (at least the closing `]`). */
function classChar(c: Uint8Array, i: number): { rune: number; next: number } | undefined {
  if (i >= c.length || c[i] === 0x2d || c[i] === 0x5d) return undefined;
  if (c[i] === 0x5c) {
    i++;
    if (i >= c.length) return undefined;
  }
  const [rune, width] = decodeRune(c, i);
  if (rune === RUNE_ERROR && width === 1) return undefined;
  const next = i + width;
  if (next >= c.length) return undefined;
  return { rune, next };
}
