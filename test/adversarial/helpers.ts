/**
 * Shared checks of the adversarial suite: what the runner would do with a step's output, and whether a Markdown job
 * summary kept its structure.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
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
  // Code spans show their content literally (CommonMark: a run of n backticks closes only with n backticks).
  const outsideCode = md.replace(/(`+)(?!`)([^\n]*?[^`\n])\1(?!`)/g, '');
  if (/<[A-Za-z!/?]/.test(outsideCode)) problems.push(`raw HTML: ${outsideCode.match(/<[A-Za-z!/?][^\n]{0,40}/)?.[0]}`);
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

/** Creates `owner/name` on the sandbox git server with `files` on main (async: the git server runs in this process). */
export async function seedGitRepo(git: { createRepo(n: string): Promise<unknown>; authUrl(n: string): string }, fullName: string, files: Record<string, string>): Promise<void> {
  const t = tempDir('d2-adv-seed-');
  try {
    const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const run = (...args: string[]) => promisify(execFile)('git', ['-c', 'user.name=seed', '-c', 'user.email=seed@example.com', ...args], { cwd: t.dir, env });
    await git.createRepo(fullName);
    await run('init', '-q', '-b', 'main');
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(t.dir, path)), { recursive: true });
      writeFileSync(join(t.dir, path), content);
    }
    await run('add', '-A');
    await run('commit', '-q', '-m', 'seed');
    await run('push', '-q', git.authUrl(fullName), 'main');
  } finally {
    t.cleanup();
  }
}

/** An ImageRepository + ImagePolicy pair (Flux image.toolkit.fluxcd.io/v1) as a manifest file. */
export function imagePolicyYaml(name: string, image: string, policy: string, filterTags?: string): string {
  return [
    'apiVersion: image.toolkit.fluxcd.io/v1', 'kind: ImageRepository', 'metadata:', `  name: ${name}`, 'spec:', `  image: ${image}`, '  insecure: true', '---',
    'apiVersion: image.toolkit.fluxcd.io/v1', 'kind: ImagePolicy', 'metadata:', `  name: ${name}`, 'spec:', '  imageRepositoryRef:', `    name: ${name}`,
    ...(filterTags ? ['  filterTags:', `    pattern: '${filterTags}'`] : []),
    '  policy:', ...policy.split('\n').map((l) => `    ${l}`), '',
  ].join('\n');
}
