/**
 * Reads the "Derived cases" table of ../shared/specs/image-automation.md (third-party data, never copied into the repo) and turns
 * each row into an ImagePolicySpec, a tag list and the expected outcome.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@d2/sandbox/paths';
import type { ImagePolicySpec } from '@d2/core/image-automation';

export const SPEC_PATH = join(repoRoot(), '..', 'shared', 'specs', 'image-automation.md');

export interface DerivedCase {
  row: number;
  policyText: string;
  spec: ImagePolicySpec;
  tags: string[];
  /** The elected tag, or undefined when the row expects an error. */
  expected?: string;
  expectedText: string;
}

function cells(line: string): string[] {
  // Split on `|` that is not escaped as `\|`, then unescape.
  const parts = line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/);
  return parts.map((p) => p.trim().replace(/\\\|/g, '|'));
}

function unquote(s: string): string {
  const m = /^`(.*)`$/.exec(s.trim());
  return m ? m[1] : s.trim();
}

function parseTags(s: string): string[] {
  const m = /^\[(.*)\]$/.exec(s.trim());
  if (!m) throw new Error(`unexpected tags cell ${s}`);
  return m[1].split(',').map((t) => t.trim()).filter((t) => t !== '');
}

function parsePolicy(text: string): ImagePolicySpec {
  const ref = { name: 'repo' };
  const filter = /, filter `([^`]*)` \/ `([^`]*)`$/.exec(text);
  const filterTags = filter ? { pattern: filter[1], extract: filter[2] } : undefined;
  const head = filter ? text.slice(0, filter.index) : text;
  const kind = /^(numerical|alphabetical) (asc|desc)$/.exec(head);
  if (kind) {
    const policy = kind[1] === 'numerical' ? { numerical: { order: kind[2] } } : { alphabetical: { order: kind[2] } };
    return { imageRepositoryRef: ref, policy, filterTags };
  }
  if (head === 'semver') {
    // The row only says "semver": any range that admits every version shows that the empty extract is what fails.
    return { imageRepositoryRef: ref, policy: { semver: { range: '>=0.0.0-0' } }, filterTags };
  }
  return { imageRepositoryRef: ref, policy: { semver: { range: unquote(head) } }, filterTags };
}

export function readDerivedCases(): DerivedCase[] {
  const text = readFileSync(SPEC_PATH, 'utf8');
  const start = text.indexOf('**Derived cases [derived]**');
  if (start < 0) throw new Error('Derived cases table not found in image-automation.md');
  const lines = text.slice(start).split('\n');
  const rows: DerivedCase[] = [];
  let inTable = false;
  let previousTags: string[] = [];
  for (const line of lines) {
    if (line.startsWith('|')) {
      inTable = true;
      const [policyCell, tagsCell, resultCell] = cells(line);
      if (policyCell === 'policy' || /^-+$/.test(policyCell)) continue;
      const tags = tagsCell === 'same tags' ? previousTags : parseTags(tagsCell);
      previousTags = tags;
      const isError = /^error\b/.test(resultCell);
      rows.push({
        row: rows.length + 1,
        policyText: policyCell,
        spec: parsePolicy(policyCell),
        tags,
        expected: isError ? undefined : unquote(resultCell),
        expectedText: resultCell,
      });
    } else if (inTable) break;
  }
  return rows;
}
