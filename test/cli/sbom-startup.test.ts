/**
 * The CycloneDX library is loaded when an SBOM is made, not when the code that can make one starts: in the built d2
 * (code-split ESM), the `d2 sbom` command's chunk and its static imports do not contain it; a dynamic import() does
 * (docs/sbom.md, "Formats"). The same import() in a CommonJS action bundle runs the library's module code only then.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { repoRoot } from '@d2/sandbox/paths';
import { ensureCliBundle } from '../adversarial/helpers.js';

const dist = join(repoRoot(), 'packages', 'cli', 'dist');
/** A string only the CycloneDX library's code has (its 1.6 schema URL in the Spec module). */
const LIBRARY_MARKER = 'http://cyclonedx.org/schema/bom-1.6.schema.json';

function imports(file: string, dynamic: boolean): string[] {
  const text = readFileSync(join(dist, file), 'utf8');
  const re = dynamic
    ? /import\(\s*["'](\.{1,2}\/[^"']+\.mjs)["']\s*\)/g
    : /(?:^|[;}\n])\s*(?:import|export)\s*(?:[^"'()]*?from\s*)?["'](\.{1,2}\/[^"']+\.mjs)["']/g;
  return [...text.matchAll(re)].map((m) => relative(dist, join(dist, dirname(file), m[1])));
}

function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const f of imports(file, false)) staticClosure(f, seen);
  return seen;
}

const has = (files: Iterable<string>): boolean => [...files].some((f) => readFileSync(join(dist, f), 'utf8').includes(LIBRARY_MARKER));

beforeAll(() => ensureCliBundle(), 180_000);

it('d2 sbom starts without the CycloneDX library and loads it with import()', () => {
  const entry = staticClosure('d2.mjs');
  const sbomChunk = [...entry].flatMap((f) => imports(f, true)).find((f) => /\/sbom-[A-Z0-9]+\.mjs$/.test(f));
  expect(sbomChunk).toBeDefined();
  const atStart = staticClosure(sbomChunk as string, new Set(entry));
  expect(has(atStart)).toBe(false);
  const loadedLater = [...atStart].flatMap((f) => imports(f, true)).flatMap((f) => [...staticClosure(f)]);
  expect(has(loadedLater)).toBe(true);
});
