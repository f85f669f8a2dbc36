/**
 * The GitHub Actions adapter of image-updates-pr (actions/image-updates-pr/README.md): the inputs → an
 * ImageUpdatesPrConfig (read and validated before any request: bad input fails with no side effect), and the outputs
 * and job summary of one pull request or of one per branch (`head: <prefix>/*`). The flow itself is forge/'s
 * ImageUpdatesPr; the entry point (actions/image-updates-pr/src/main.ts) only wires it.
 */
import * as core from '@actions/core';
import { InputError } from '../errors.js';
import type { ImageUpdatesPrOptions, ImageUpdatesPrResult, MergeMethod } from '../forge/index.js';
import { renderChangeTable, type E2eChange } from '../github/index.js';
import { mdCode, mdText, mdUrl, type TimeBudget } from '../util/index.js';
import { timeoutInput, type Inputs } from './inputs.js';
import { actionLog } from './log.js';

export interface ImageUpdatesPrConfig extends ImageUpdatesPrOptions {
  token: string;
  /** With `head: <prefix>/*`: the prefix (`image-updates/`); `head` is then unused. */
  headPrefix?: string;
  /** The `timeout` input: the time limit of the whole run (every GitHub API request and retry). */
  budget: TimeBudget;
}

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

/** Reads and validates every input of image-updates-pr before any request (bad input fails with no side effect); the token is masked. */
export function readImageUpdatesPrInputs(inputs: Inputs, env: NodeJS.ProcessEnv = process.env): ImageUpdatesPrConfig {
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
  const config: ImageUpdatesPrConfig = {
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
  core.setSecret(token);
  return config;
}

const VERB: Record<ImageUpdatesPrResult['operation'], string> = { created: 'Created', updated: 'Updated', closed: 'Closed', none: 'No change to' };

/** The pull request of a result as a summary link; the PR title (a commit subject) is escaped (util/markdown.ts). */
function prLink(r: ImageUpdatesPrResult, none: string): string {
  return r.number !== undefined && r.url ? `[#${r.number}${r.title ? ` ${mdText(r.title)}` : ''}](${mdUrl(r.url)})` : none;
}

/** A warning of the flow on one summary line: our own line breaks (before a hint) become spaces, then it is escaped. */
const warningText = (w: string) => mdText(w.replace(/\s*\n\s*/g, ' '));

/** One pull request: the outputs, the result's log line and the job summary. GitHub's messages and the change rows are escaped. */
export async function writeImageUpdatesPrOutputs(r: ImageUpdatesPrResult, head: string): Promise<void> {
  core.setOutput('operation', r.operation);
  core.setOutput('pull-request-number', r.number !== undefined ? String(r.number) : '');
  core.setOutput('pull-request-url', r.url ?? '');
  core.setOutput('head-sha', r.headSha);
  actionLog.info(`operation: ${r.operation}${r.url ? ` (${r.url})` : ''}: ${r.reason}`);
  const lines = [
    '## Image updates pull request',
    '',
    `**${VERB[r.operation]}** ${prLink(r, 'the pull request')}: ${mdCode(head)} → ${mdCode(r.base)}${r.headSha ? ` at ${mdCode(r.headSha.slice(0, 12))}` : ''}.`,
    '',
    `Reason: ${mdText(r.reason)}.${r.branchDeleted ? ` Branch ${mdCode(head)} deleted.` : ''}${r.autoMerge ? ` Auto-merge enabled (${r.autoMerge.mergeMethod.toLowerCase()}).` : ''}`,
  ];
  const table = renderChangeTable(r.rows);
  if (table) lines.push('', table);
  if (r.warnings.length > 0) lines.push('', '### Warnings', '', ...r.warnings.map((w) => `- ${warningText(w)}`));
  await core.summary.addRaw(`${lines.join('\n')}\n`).write();
}

/**
 * `head: <prefix>/*`: the per-branch results are the `pull-requests` output and one summary line each; the single-PR
 * outputs stay empty.
 */
export async function writePerBranchOutputs(runs: ReadonlyArray<{ head: string; result: ImageUpdatesPrResult }>, prefix: string): Promise<void> {
  const lines = ['## Image updates pull requests', ''];
  if (runs.length === 0) lines.push(`No branch matches ${mdCode(`${prefix}*`)}: nothing to do.`);
  for (const { head, result: r } of runs) {
    lines.push(`- **${VERB[r.operation]}** ${prLink(r, 'no pull request')}: ${mdCode(head)} → ${mdCode(r.base)} (${mdText(r.reason)}).`);
    for (const w of r.warnings) lines.push(`  - ⚠️ ${warningText(w)}`);
  }
  const results = runs.map(({ head, result: r }) => ({ head, operation: r.operation, ...(r.number !== undefined ? { number: r.number } : {}), ...(r.url ? { url: r.url } : {}), 'head-sha': r.headSha }));
  core.setOutput('pull-requests', JSON.stringify(results));
  core.setOutput('operation', '');
  core.setOutput('pull-request-number', '');
  core.setOutput('pull-request-url', '');
  core.setOutput('head-sha', '');
  await core.summary.addRaw(`${lines.join('\n')}\n`).write();
}
