/**
 * Flux's ignore rules (docs/artifacts.md, "Decisions", Ignore rules): the go-git flavoured gitignore matcher of fluxcd/pkg `sourceignore`
 * (`sourceignore.go`, `gitignore/pattern.go`, `gitignore/matcher.go`), re-implemented from its documented behaviour.
 * The `ignore` npm package implements real git semantics, which differ (for example, git prunes excluded directories,
 * and `**`, trailing-`/` and anchoring rules are not go-git's), so its answers would change which files land in the
 * artifact and therefore its digest.
 *
 * Paths are handled as arrays of components relative to the archived directory; a pattern's `domain` is the
 * directory (as components relative to the same root) it was read in: `[]` for `--ignore-paths`, `['sub']` for
 * `sub/.sourceignore`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GoGlob } from './glob.js';
import { fsCallAsync, sourceReadError } from './source-errors.js';

/** Flux CLI default for `--ignore-paths` (fluxcd/pkg sourceignore `ExcludeVCS` + `ExcludeExt`). */
export const FLUX_DEFAULT_IGNORE_PATHS: readonly string[] = Object.freeze([
  '.git/', '.gitignore', '.gitmodules', '.gitattributes',
  '*.jpg', '*.jpeg', '*.gif', '*.png', '*.wmv', '*.flv', '*.tar.gz', '*.zip',
]);

/** The file source-controller reads ignore patterns from (fluxcd/pkg sourceignore `IgnoreFile`). */
export const SOURCEIGNORE_FILE = '.sourceignore';

/** A path component: a string, or the raw bytes of a file name read from disk. */
export type PathComponent = string | Uint8Array;

export type MatchResult = 'none' | 'exclude' | 'include';

/** One parsed ignore pattern (go-git `pattern`). */
export class IgnorePattern {
  readonly source: string;
  readonly domain: readonly string[];
  readonly inclusion: boolean;
  readonly dirOnly: boolean;
  /** Contains a `/`: anchored to the domain, components matched in sequence (prefix match). */
  readonly anchored: boolean;
  private readonly parts: readonly string[];
  private readonly globs: readonly GoGlob[];
  private readonly domainBytes: readonly Buffer[];

  constructor(source: string, domain: readonly string[] = []) {
    this.source = source;
    this.domain = [...domain];
    this.domainBytes = this.domain.map((d) => Buffer.from(d, 'utf8'));
    let p = source;
    this.inclusion = p.startsWith('!');
    if (this.inclusion) p = p.slice(1);
    // Trailing spaces are dropped unless the last one is escaped.
    if (!p.endsWith('\\ ')) p = p.replace(/ +$/, '');
    this.dirOnly = p.endsWith('/');
    if (this.dirOnly) p = p.slice(0, -1);
    this.anchored = p.includes('/');
    this.parts = p.split('/');
    this.globs = this.parts.map((part) => new GoGlob(part));
  }

  /** Matches a path (components relative to the archive root). */
  match(path: readonly PathComponent[], isDir: boolean): MatchResult {
    if (path.length <= this.domain.length) return 'none';
    for (let i = 0; i < this.domainBytes.length; i++) {
      if (!Buffer.from(toBytes(path[i])).equals(this.domainBytes[i])) return 'none';
    }
    const rest = path.slice(this.domain.length);
    const hit = this.anchored ? this.matchAnchored(rest, isDir) : this.matchAnyComponent(rest, isDir);
    if (!hit) return 'none';
    return this.inclusion ? 'include' : 'exclude';
  }

  /** A slash-less pattern: the first component it matches decides (a dir-only pattern cannot hit a file's own name). */
  private matchAnyComponent(path: readonly PathComponent[], isDir: boolean): boolean {
    const glob = this.globs[0];
    for (let i = 0; i < path.length; i++) {
      if (!glob.match(toBytes(path[i]))) continue;
      return !(this.dirOnly && !isDir && i === path.length - 1);
    }
    return false;
  }

  /**
   * A pattern with `/`: its parts match the leading components in order; once all parts matched, deeper components
   * are inside the match (prefix semantics). `**` matches zero or more components; a trailing `**` ends the pattern;
   * a part that merely contains `**` (like `a**`) never matches; empty parts (leading `/`, `a//b`) are skipped.
   */
  private matchAnchored(path: readonly PathComponent[], isDir: boolean): boolean {
    let matched = false;
    let traverse = false;
    let k = 0;
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i];
      if (part === '') {
        traverse = false;
        continue;
      }
      if (part === '**') {
        if (i === this.parts.length - 1) break;
        traverse = true;
        continue;
      }
      if (part.includes('**')) return false;
      if (k >= path.length) return false;
      const glob = this.globs[i];
      if (traverse) {
        traverse = false;
        // Consume components until one matches; failing on the last one leaves `matched` false.
        while (k < path.length) {
          const hit = glob.match(toBytes(path[k]));
          k++;
          if (hit) {
            matched = true;
            break;
          }
          if (k === path.length) matched = false;
        }
      } else {
        if (!glob.match(toBytes(path[k]))) return false;
        matched = true;
        k++;
      }
    }
    if (matched && this.dirOnly && !isDir && k === path.length) return false;
    return matched;
  }
}

function toBytes(c: PathComponent): Uint8Array {
  return typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
}

/**
 * The matcher: patterns are checked last to first and the first one that matches decides (`!` = keep).
 * The root itself (an empty path) is never excluded.
 */
export class IgnoreMatcher {
  readonly patterns: readonly IgnorePattern[];

  constructor(patterns: readonly IgnorePattern[]) {
    this.patterns = patterns;
  }

  /** True when the path is excluded. */
  excludes(path: readonly PathComponent[], isDir: boolean): boolean {
    return this.excludedBy(path, isDir) !== undefined;
  }

  /** The pattern that excludes the path (the one that decides), or undefined when the path is kept. */
  excludedBy(path: readonly PathComponent[], isDir: boolean): IgnorePattern | undefined {
    for (let i = this.patterns.length - 1; i >= 0; i--) {
      const r = this.patterns[i].match(path, isDir);
      if (r !== 'none') return r === 'exclude' ? this.patterns[i] : undefined;
    }
    return undefined;
  }
}

/**
 * Parses ignore text the way `sourceignore.ReadPatterns` does: one pattern per line (a trailing `\r` is dropped),
 * lines starting with `#` and blank lines are skipped, other lines are kept verbatim (leading spaces included).
 */
export function readPatterns(text: string, domain: readonly string[] = []): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let line of lines) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('#') || line.trim() === '') continue;
    out.push(new IgnorePattern(line, domain));
  }
  return out;
}

/**
 * The patterns of `--ignore-paths`: `undefined` gives Flux's default list; a given list replaces it. Entries are
 * joined with newlines and parsed like an ignore file (so an entry containing a newline yields several patterns).
 * Callers that take a single comma-separated string (the Flux CLI's StringSlice) split it with `splitIgnorePaths`.
 */
export function ignorePathPatterns(ignorePaths: readonly string[] | undefined): IgnorePattern[] {
  return readPatterns((ignorePaths ?? FLUX_DEFAULT_IGNORE_PATHS).join('\n'));
}

/** Splits an `ignore-paths` input like the Flux CLI (cobra StringSlice = CSV on commas) and the push action (lines). */
export function splitIgnorePaths(input: string): string[] {
  return input
    .split(/\r?\n|,/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Reads `.sourceignore` files below `dir` the way source-controller does (fluxcd/pkg sourceignore
 * `LoadIgnorePatterns`): the file in a directory first, then each sub-directory in byte order, skipping `.git`
 * directories and symlinks to directories; each file's patterns are relative to its own directory. Later (deeper)
 * files come later in the list, so they take precedence.
 */
export async function loadSourceIgnorePatterns(dir: string, domain: readonly string[] = []): Promise<IgnorePattern[]> {
  const out: IgnorePattern[] = [];
  let text: string | undefined;
  try {
    text = await readFile(join(dir, SOURCEIGNORE_FILE), 'utf8');
  } catch (err) {
    // Missing: no patterns. A directory named .sourceignore: Go's scanner reads nothing from it either.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR') throw sourceReadError(err, join(dir, SOURCEIGNORE_FILE), 'file');
  }
  if (text !== undefined) out.push(...readPatterns(text, domain));
  const entries = await fsCallAsync(dir, 'directory', () => readdir(dir, { withFileTypes: true }));
  const names = entries.filter((e) => e.isDirectory() && e.name !== '.git').map((e) => e.name);
  names.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  for (const name of names) out.push(...(await loadSourceIgnorePatterns(join(dir, name), [...domain, name])));
  return out;
}
