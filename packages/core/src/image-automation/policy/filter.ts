/**
 * `spec.filterTags` (IRC `internal/policy/filter.go`; docs/image-policies.md, "Decisions"): keep the tags the pattern
 * matches anywhere (Go RE2, unanchored `FindStringSubmatchIndex`), key each by `Regexp.ExpandString(extract)` when
 * `extract` is set, and map the elected key back to its original tag.
 */
import { PolicyError } from './errors.js';
import { compileGoRegexp, GoRegexpError, sortDescendingBytes, type GoRegexp } from '../../base/index.js';

const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;

/**
 * Go `extract` (regexp.go): the name after `$` (or inside `${…}`) is the longest run of letters, digits and `_`
 * (Unicode `IsLetter`/`IsDigit`); a name of ASCII digits without a leading zero (and below 1e8) is a group number.
 */
function extractName(template: string): { name: string; num: number; rest: string } | undefined {
  if (template === '') return undefined;
  let str = template;
  let brace = false;
  if (str[0] === '{') {
    brace = true;
    str = str.slice(1);
  }
  let i = 0;
  for (const ch of str) {
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === 0) return undefined;
  const name = str.slice(0, i);
  if (brace) {
    if (i >= str.length || str[i] !== '}') return undefined;
    i++;
  }
  let num = 0;
  for (let k = 0; k < name.length; k++) {
    const c = name.charCodeAt(k);
    if (c < 48 || c > 57 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (c - 48);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, rest: str.slice(i) };
}

/**
 * Go `Regexp.ExpandString(nil, template, src, match)`: `$name`, `${name}`, `$1`; unknown or non-participating groups
 * expand to ""; `$$` is `$`; a malformed `$` (`$`, `${x`, `$!`) is kept literally. For a repeated name the first group
 * that participated is used.
 */
export function expandTemplate(re: GoRegexp, template: string, src: string, match: readonly number[]): string {
  let out = '';
  let t = template;
  while (t.length > 0) {
    const dollar = t.indexOf('$');
    if (dollar < 0) break;
    out += t.slice(0, dollar);
    t = t.slice(dollar + 1);
    if (t !== '' && t[0] === '$') {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ex = extractName(t);
    if (!ex) {
      out += '$';
      continue;
    }
    t = ex.rest;
    if (ex.num >= 0) {
      if (2 * ex.num + 1 < match.length && match[2 * ex.num] >= 0) out += src.slice(match[2 * ex.num], match[2 * ex.num + 1]);
    } else {
      const names = re.subexpNames;
      for (let i = 0; i < names.length; i++) {
        if (ex.name === names[i] && 2 * i + 1 < match.length && match[2 * i] >= 0) {
          out += src.slice(match[2 * i], match[2 * i + 1]);
          break;
        }
      }
    }
  }
  return out + t;
}

/** The filtered candidates and the way back to the stored tags. */
export interface FilterResult {
  /**
   * The keys (extracted values, or the tags themselves) in the order the policy iterates them. Flux iterates a Go map
   * here (random order, so ties are nondeterministic in Flux itself); we use descending byte order of the keys, the
   * same rule as unfiltered tags, so results are reproducible.
   */
  candidates: string[];
  /** key → original tag. On collisions the last writer in storage order wins (the byte-smallest original tag). */
  original: Map<string, string>;
}

/** A compiled `filterTags`. */
export class TagFilter {
  readonly regexp: GoRegexp;

  /** Throws PolicyError(InvalidPolicy) "invalid regular expression pattern '…': …" for a bad pattern. */
  constructor(
    readonly pattern: string,
    readonly extract: string = '',
  ) {
    try {
      this.regexp = compileGoRegexp(pattern);
    } catch (err) {
      if (!(err instanceof GoRegexpError)) throw err;
      throw new PolicyError(
        'InvalidPolicy',
        `failed to filter tags: invalid regular expression pattern '${pattern}': ${err.message}`,
        { hint: 'spec.filterTags.pattern is a Go RE2 regular expression (no lookaround or backreferences)', cause: err },
      );
    }
  }

  /** IRC RegexFilter.Apply + Items, over tags in storage order (descending bytes). */
  apply(tags: readonly string[]): FilterResult {
    const original = new Map<string, string>();
    for (const tag of tags) {
      const match = this.regexp.findSubmatchIndex(tag);
      if (!match) continue;
      const key = this.extract !== '' ? expandTemplate(this.regexp, this.extract, tag, match) : tag;
      original.set(key, tag);
    }
    const candidates = sortDescendingBytes([...original.keys()]);
    return { candidates, original };
  }
}

/**
 * The keys `filterTags` leaves for the policy (for tests and `d2 policy` diagnostics), in ascending byte order; the
 * tags are first put in storage order (descending bytes), which decides collisions.
 */
export function filterTags(pattern: string, extract: string, tags: readonly string[]): string[] {
  return new TagFilter(pattern, extract).apply(sortDescendingBytes(tags)).candidates.reverse();
}
