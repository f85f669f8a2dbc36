/**
 * What an ESM bundle loads before it runs, read from its files: a module, its static imports, transitively (dynamic
 * `import()` is what loads a chunk later). Used on the built CLI (packages/cli/dist) and the committed action bundles
 * (actions/<name>/dist); docs/architecture.md "Action start-up" and "CLI start-up".
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Files (relative to `dist`) that `file` loads before it runs: itself and its static imports, transitively. */
export function staticClosure(dist: string, file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(join(dist, file), 'utf8');
  for (const m of text.matchAll(/(?:^|[;}\n])\s*(?:import|export)\s*(?:[^"'()]*?from\s*)?["'](\.{1,2}\/[^"']+\.mjs)["']/g)) {
    staticClosure(dist, relative(dist, join(dist, dirname(file), m[1])), seen);
  }
  return seen;
}

/** The text of `files` (relative to `dist`), joined. */
export function closureText(dist: string, files: Iterable<string>): string {
  return [...files].map((f) => readFileSync(join(dist, f), 'utf8')).join('\n');
}
