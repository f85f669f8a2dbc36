/**
 * Shared checks of the adversarial suite: what the runner would do with a step's output, and whether a Markdown job
 * summary kept its structure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWorkflowCommands, type ActionRun, type WorkflowCommand } from '@d2/sandbox';

/** Every injected command in this suite carries this marker at the start of its data. */
export const PAYLOAD = 'pwned';

/** The commands our actions issue themselves (with `@actions/core`), and the stop/resume pair of the log guard. */
const INTENDED = new Set(['add-mask', 'debug', 'warning', 'error', 'notice', 'group', 'endgroup', 'stop-commands', 'resume-commands']);

/**
 * Commands the runner would act on that our code did not issue: any name we never use (`set-output`, `add-path`, …),
 * any legacy `##[…]` command (we never write one), and any command whose data starts with the injected payload (an
 * injected `::warning::pwned…` line). A warning or error annotation that merely quotes untrusted text is fine.
 */
export function unintendedCommands(run: Pick<ActionRun, 'stdout' | 'stderr'>): WorkflowCommand[] {
  const all = [...parseWorkflowCommands(run.stdout), ...parseWorkflowCommands(run.stderr)];
  return all.filter((c) => !INTENDED.has(c.command) || c.form === 'legacy' || c.data.startsWith(PAYLOAD));
}

/** Group titles as the runner renders them: each must be one line. */
export function groupTitles(run: Pick<ActionRun, 'stdout'>): string[] {
  return parseWorkflowCommands(run.stdout).filter((c) => c.command === 'group').map((c) => c.data);
}

/** `|` cells of a GFM table row, split as GitHub does (a `|` after an odd number of backslashes does not split). */
export function tableCells(row: string): number {
  let n = 0;
  let backslashes = 0;
  for (const ch of row.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '')) {
    if (ch === '|' && backslashes % 2 === 0) n++;
    backslashes = ch === '\\' ? backslashes + 1 : 0;
  }
  return n + 1;
}

/**
 * Structural problems in a Markdown summary: raw HTML tags, table rows whose cell count differs from their header,
 * and lines that start with something other than our own markup (an untrusted line break).
 */
export function summaryProblems(md: string): string[] {
  const problems: string[] = [];
  const lines = md.split('\n');
  if (/<[A-Za-z!/]/.test(md)) problems.push(`raw HTML: ${md.match(/<[A-Za-z!/][^\n]{0,40}/)?.[0]}`);
  let header: number | undefined;
  for (const line of lines) {
    if (line.startsWith('|')) {
      const cells = tableCells(line);
      if (header === undefined) header = cells;
      else if (cells !== header) problems.push(`table row with ${cells} cells under a ${header}-cell header: ${line}`);
    } else header = undefined;
    if (/^\s*(::|##\[|pwned)/.test(line)) problems.push(`untrusted line: ${line}`);
  }
  return problems;
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
