/**
 * Go `regexp` (RE2 syntax, leftmost-first, unanchored) through RE2JS, the engine shared by `filterTags` and
 * `exclusionList`, as in image-reflector-controller (docs/image-policies.md, "Decisions"). RE2JS is a port of RE2/J, itself a port of Go's package, so
 * syntax (`(?P<name>…)`, `(?U)`, `\pL`, `\Q…\E`), error messages ("error parsing regexp: missing closing ]: `[=`") and
 * match positions agree with Go. One gap is closed here: Go accepts duplicate group names (`(?P<x>a)|(?P<x>b)`), RE2JS
 * refuses them, so such patterns are compiled with the repeats renamed and the original names kept for expansion.
 */
import { RE2JS } from 're2js';

/** A compiled Go regular expression. */
export interface GoRegexp {
  readonly source: string;
  /** Go `MatchString`: a match anywhere. */
  test(input: string): boolean;
  /**
   * Go `FindStringSubmatchIndex`: `[start0, end0, start1, end1, …]` (UTF-16 offsets, -1 for a group that did not
   * participate), or undefined when there is no match.
   */
  findSubmatchIndex(input: string): number[] | undefined;
  /** Go `SubexpNames()`: index → name ("" for unnamed groups and for group 0). */
  readonly subexpNames: readonly string[];
}

/** Go's compile error: the message is Go's (`error parsing regexp: …`). */
export class GoRegexpError extends Error {
  constructor(
    readonly pattern: string,
    message: string,
  ) {
    super(message);
    this.name = 'GoRegexpError';
  }
}

const DUPLICATE_NAME = /duplicate capture group name/;

/**
 * Renames the second and later uses of each group name (`(?P<n>` / `(?<n>`) to unique names, skipping escapes, `\Q…\E`
 * literals and character classes. Returns the rewritten pattern and a map from the new names to the original ones.
 */
function renameDuplicateGroups(pattern: string): { pattern: string; renamed: Map<string, string> } {
  const seen = new Set<string>();
  const renamed = new Map<string, string>();
  let out = '';
  let i = 0;
  let counter = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      if (pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end < 0 ? pattern.length : end + 2;
        out += pattern.slice(i, stop);
        i = stop;
        continue;
      }
      out += pattern.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '[') {
      // A class runs to the first `]` that is not its first character (after an optional `^`); escapes skip.
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') {
        if (pattern[j] === '\\') j++;
        else if (pattern.startsWith('[:', j)) {
          const close = pattern.indexOf(':]', j + 2);
          if (close > 0) j = close + 1;
        }
        j++;
      }
      out += pattern.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const named = /^\(\?P?<([^>]*)>/.exec(pattern.slice(i, i + 300));
    if (named) {
      let name = named[1];
      if (seen.has(name)) {
        const fresh = `d2dup${counter++}x${name}`;
        renamed.set(fresh, name);
        name = fresh;
      } else seen.add(name);
      out += `(?P<${name}>`;
      i += named[0].length;
      continue;
    }
    out += c;
    i++;
  }
  return { pattern: out, renamed };
}

class Re2GoRegexp implements GoRegexp {
  readonly subexpNames: readonly string[];

  constructor(
    readonly source: string,
    private readonly re: RE2JS,
    renamed: Map<string, string>,
  ) {
    const names = new Array<string>(re.groupCount() + 1).fill('');
    for (const [name, index] of Object.entries(re.namedGroups())) names[index] = renamed.get(name) ?? name;
    this.subexpNames = names;
  }

  test(input: string): boolean {
    return this.re.test(input);
  }

  findSubmatchIndex(input: string): number[] | undefined {
    const m = this.re.matcher(input);
    if (!m.find()) return undefined;
    const out: number[] = [];
    for (let g = 0; g < this.subexpNames.length; g++) out.push(m.start(g), m.end(g));
    return out;
  }
}

/** Go `regexp.Compile`. Throws GoRegexpError with Go's message. */
export function compileGoRegexp(pattern: string): GoRegexp {
  try {
    return new Re2GoRegexp(pattern, RE2JS.compile(pattern), new Map());
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (DUPLICATE_NAME.test(message)) {
      const { pattern: rewritten, renamed } = renameDuplicateGroups(pattern);
      try {
        return new Re2GoRegexp(pattern, RE2JS.compile(rewritten), renamed);
      } catch (err2) {
        throw new GoRegexpError(pattern, err2 instanceof Error ? err2.message : String(err2));
      }
    }
    throw new GoRegexpError(pattern, message);
  }
}
