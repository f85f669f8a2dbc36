import * as core from '@actions/core';
import { actionLog, Inputs, runAction, timeoutInput } from '@d2/core/action';
import { mdCode, mdText, mdUrl } from '@d2/core/util';
import { InputError } from '@d2/core';
import type { TimeBudget } from '@d2/core/util';
import { forgeFor, ImageUpdatesPr, type ImageUpdatesPrOptions, type ImageUpdatesPrResult, type MergeMethod } from '@d2/core/forge';
import { renderChangeTable, type E2eChange } from '@d2/core/github';

/** A branch name git and GitHub accept (git check-ref-format --branch, the common cases). */
function checkBranch(input: string, value: string): string {
  if (
    value === '' ||
    value.startsWith('-') ||
    value.startsWith('/') ||
    value.endsWith('/') ||
    value.endsWith('.') ||
    value.endsWith('.lock') ||
    value.includes('..') ||
    value.includes('//') ||
    value.includes('@{') ||
    /[\s~^:?*[\\\x00-\x1f\x7f]/.test(value)
  ) {
    throw new InputError(`input '${input}' is not a valid branch name: '${value}'`, 'use a plain branch name such as image-updates (no refs/heads/ prefix)');
  }
  return value.replace(/^refs\/heads\//, '');
}

function parseChanges(raw: string): E2eChange[] | undefined {
  if (raw.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new InputError(`input 'changes' is not JSON: ${(err as Error).message}`, "pass e2e-update's output: changes: ${{ steps.<id>.outputs.changes }}");
  }
  if (!Array.isArray(parsed) || parsed.some((c) => !c || typeof c !== 'object' || Array.isArray(c))) {
    throw new InputError("input 'changes' must be a JSON array of objects {repository, file, object, setter, old, new}");
  }
  const fields = ['repository', 'file', 'object', 'setter', 'old', 'new', 'group', 'branch'] as const;
  return (parsed as Record<string, unknown>[]).map((c, i) => {
    const out: E2eChange = {};
    for (const f of fields) {
      if (c[f] === undefined || c[f] === null) continue;
      if (typeof c[f] !== 'string') throw new InputError(`input 'changes'[${i}].${f} must be a string`);
      out[f] = c[f] as string;
    }
    return out;
  });
}

/**
 * `head: <prefix>/*`: every branch below the prefix (the branches e2e-update's group-by pushes, `image-updates/*`).
 * Returns the prefix with its trailing `/`, or undefined for a single branch.
 */
export function headPrefix(head: string): string | undefined {
  if (!head.endsWith('/*')) return undefined;
  const prefix = head.slice(0, -1);
  checkBranch('head', `${prefix}x`);
  if (prefix.includes('*')) throw new InputError(`input 'head' may hold one '*', at the end after a '/': '${head}'`, 'e.g. head: image-updates/*');
  return prefix;
}

export interface ParsedInputs extends ImageUpdatesPrOptions {
  token: string;
  /** With `head: <prefix>/*`: the prefix (`image-updates/`); `head` is then unused. */
  headPrefix?: string;
  /** The `timeout` input: the time limit of the whole run (every GitHub API request and retry). */
  budget: TimeBudget;
}

/** Reads and validates every input before any request (bad input fails with no side effect). */
export function parseInputs(inputs: Inputs, env: NodeJS.ProcessEnv = process.env): ParsedInputs {
  const repository = env.GITHUB_REPOSITORY ?? '';
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
    throw new InputError(`GITHUB_REPOSITORY must be owner/name, got '${repository}'`, 'run the action inside GitHub Actions, or set GITHUB_REPOSITORY');
  }
  const budget = timeoutInput(inputs);
  const token = inputs.string('token');
  if (token === '') {
    throw new InputError("input 'token' is empty", 'leave token unset to use github.token, or pass an App installation token / PAT (secrets from forks are empty)');
  }
  const autoMerge = inputs.oneOf('auto-merge', ['false', 'merge', 'squash', 'rebase'], 'false');
  const base = inputs.string('base');
  const headInput = inputs.string('head', 'image-updates');
  const prefix = headPrefix(headInput);
  return {
    token,
    budget,
    repository,
    head: prefix ? headInput : checkBranch('head', headInput),
    ...(prefix ? { headPrefix: prefix } : {}),
    ...(base !== '' ? { base: checkBranch('base', base) } : {}),
    title: inputs.string('title'),
    body: inputs.string('body'),
    changes: parseChanges(inputs.string('changes')),
    labels: inputs.list('labels'),
    assignees: inputs.list('assignees'),
    reviewers: inputs.list('reviewers'),
    teamReviewers: inputs.list('team-reviewers'),
    draft: inputs.boolean('draft', false),
    autoMerge: autoMerge === 'false' ? false : (autoMerge.toUpperCase() as MergeMethod),
    closeWhenEmpty: inputs.boolean('close-when-empty', true),
    deleteBranchWhenEmpty: inputs.boolean('delete-branch-when-empty', false),
  };
}

const VERB: Record<ImageUpdatesPrResult['operation'], string> = { created: 'Created', updated: 'Updated', closed: 'Closed', none: 'No change to' };

/** The job summary. The PR title (a commit subject), GitHub's messages and the change rows are escaped (util/markdown.ts). */
export async function writeSummary(r: ImageUpdatesPrResult, head: string): Promise<void> {
  const pr = r.number !== undefined && r.url ? `[#${r.number}${r.title ? ` ${mdText(r.title)}` : ''}](${mdUrl(r.url)})` : 'the pull request';
  const lines = [
    '## Image updates pull request',
    '',
    `**${VERB[r.operation]}** ${pr}: ${mdCode(head)} → ${mdCode(r.base)}${r.headSha ? ` at ${mdCode(r.headSha.slice(0, 12))}` : ''}.`,
    '',
    `Reason: ${mdText(r.reason)}.${r.branchDeleted ? ` Branch ${mdCode(head)} deleted.` : ''}${r.autoMerge ? ` Auto-merge enabled (${r.autoMerge.mergeMethod.toLowerCase()}).` : ''}`,
  ];
  const table = renderChangeTable(r.rows);
  if (table) lines.push('', table);
  if (r.warnings.length > 0) lines.push('', '### Warnings', '', ...r.warnings.map((w) => `- ${mdText(w.replace(/\s*\n\s*/g, ' '))}`));
  await core.summary.addRaw(`${lines.join('\n')}\n`).write();
}

export async function run(): Promise<void> {
  await runAction(async () => {
    const opts = parseInputs(new Inputs());
    core.setSecret(opts.token);
    actionLog.info(`Event ${process.env.GITHUB_EVENT_NAME ?? '?'} on ${process.env.GITHUB_REF ?? '?'}; head ${opts.head}, base ${opts.base ?? '(default branch)'}.`);
    const forge = forgeFor('github', { repository: opts.repository, token: opts.token, budget: opts.budget, warn: (m) => actionLog.warning(m) });
    const flow = new ImageUpdatesPr(forge, { info: (m) => actionLog.info(m), warn: (m) => actionLog.warning(m) });
    if (opts.headPrefix) {
      await runPerBranch(flow, forge, opts, opts.headPrefix);
      return;
    }
    const result = await flow.run(opts);
    core.setOutput('operation', result.operation);
    core.setOutput('pull-request-number', result.number !== undefined ? String(result.number) : '');
    core.setOutput('pull-request-url', result.url ?? '');
    core.setOutput('head-sha', result.headSha);
    actionLog.info(`operation: ${result.operation}${result.url ? ` (${result.url})` : ''}: ${result.reason}`);
    await writeSummary(result, opts.head);
  });
}

/**
 * `head: <prefix>/*`: one pull request per branch below the prefix (e2e-update's group-by branches), each opened,
 * refreshed or closed exactly as a single head is, with the change rows of that branch. The per-branch results are the
 * `pull-requests` output; the single-PR outputs stay empty.
 */
async function runPerBranch(flow: ImageUpdatesPr, forge: ReturnType<typeof forgeFor>, opts: ParsedInputs, prefix: string): Promise<void> {
  let branches: string[];
  try {
    branches = await forge.branchesWithPrefix(prefix);
  } catch (err) {
    throw forge.describeError(err, `list the branches ${prefix}* of ${opts.repository}`);
  }
  actionLog.info(`${branches.length} branch(es) match ${prefix}*: ${branches.join(', ') || '(none)'}`);
  const results: Array<{ head: string; operation: string; number?: number; url?: string; 'head-sha': string }> = [];
  const lines = ['## Image updates pull requests', ''];
  if (branches.length === 0) lines.push(`No branch matches ${mdCode(`${prefix}*`)}: nothing to do.`);
  for (const head of branches) {
    const changes = opts.changes?.filter((c) => c.branch === undefined || c.branch === head);
    const r = await actionLog.group(`${head}`, () => flow.run({ ...opts, head, ...(changes ? { changes } : {}) }));
    results.push({ head, operation: r.operation, ...(r.number !== undefined ? { number: r.number } : {}), ...(r.url ? { url: r.url } : {}), 'head-sha': r.headSha });
    const pr = r.number !== undefined && r.url ? `[#${r.number}${r.title ? ` ${mdText(r.title)}` : ''}](${mdUrl(r.url)})` : 'no pull request';
    lines.push(`- **${VERB[r.operation]}** ${pr}: ${mdCode(head)} → ${mdCode(r.base)} (${mdText(r.reason)}).`);
    for (const w of r.warnings) lines.push(`  - ⚠️ ${mdText(w.replace(/\s*\n\s*/g, ' '))}`);
  }
  core.setOutput('pull-requests', JSON.stringify(results));
  core.setOutput('operation', '');
  core.setOutput('pull-request-number', '');
  core.setOutput('pull-request-url', '');
  core.setOutput('head-sha', '');
  await core.summary.addRaw(`${lines.join('\n')}\n`).write();
}
