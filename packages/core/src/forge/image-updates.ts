import type { Logger } from '../base/index.js';
import { D2Error } from '../errors.js';
import { buildChangeRows, changesFromE2e, renderChangeTable, type ChangeTableRow, type E2eChange } from '../github/index.js';
import type { Forge, MergeMethod, PullRequestInfo } from './types.js';

/**
 * Opens, refreshes or closes the pull request from the image-updates branch, on any forge (./types.ts).
 * Safe to re-run from create, push, workflow_dispatch and schedule: an existing open PR is updated, never duplicated.
 */
export interface ImageUpdatesPrOptions {
  /** owner/name */
  repository: string;
  head: string;
  /** Default: the repository's default branch. */
  base?: string;
  /** Default: the first commit's subject (gh pr create --fill-first). */
  title?: string;
  /** Default: the first commit's body plus the change table. `{{ changes }}` in a given body is replaced by the table. */
  body?: string;
  /** e2e-update's `changes` output, preferred for the change table. */
  changes?: E2eChange[];
  labels?: string[];
  assignees?: string[];
  reviewers?: string[];
  teamReviewers?: string[];
  draft?: boolean;
  autoMerge?: MergeMethod | false;
  closeWhenEmpty?: boolean;
  deleteBranchWhenEmpty?: boolean;
}

export type ImageUpdatesOperation = 'created' | 'updated' | 'closed' | 'none';

export interface ImageUpdatesPrResult {
  operation: ImageUpdatesOperation;
  number?: number;
  url?: string;
  /** The head branch's SHA ('' when the branch does not exist). */
  headSha: string;
  base: string;
  /** Why this operation, for logs and the job summary. */
  reason: string;
  rows: ChangeTableRow[];
  title?: string;
  branchDeleted: boolean;
  autoMerge?: { mergeMethod: string };
  /** Non-fatal problems (labels, assignees, reviewers, auto-merge), each with its fix. */
  warnings: string[];
}

const BODY_LIMIT = 65_536;
/** `{{ changes }}` in a custom body is replaced by the change table. */
export const CHANGES_PLACEHOLDER = /\{\{\s*changes\s*\}\}/;

/** `gh pr create --fill-first`: subject of the first commit as title, the rest (trimmed) as body. */
export function fillFirst(message: string): { title: string; body: string } {
  const text = message.replace(/\r\n/g, '\n').trim();
  const blank = text.search(/\n\s*\n/);
  const subject = (blank < 0 ? text : text.slice(0, blank)).split('\n').map((l) => l.trim()).join(' ');
  const body = blank < 0 ? '' : text.slice(blank).trim();
  return { title: subject, body };
}

export function composeBody(fill: string, custom: string | undefined, table: string): string {
  let body: string;
  if (custom !== undefined && custom !== '') {
    body = CHANGES_PLACEHOLDER.test(custom) ? custom.replace(new RegExp(CHANGES_PLACEHOLDER.source, 'g'), () => table) : custom;
  } else {
    body = [fill, table ? `### Image updates\n\n${table}` : ''].filter(Boolean).join('\n\n');
  }
  return body.length > BODY_LIMIT ? `${body.slice(0, BODY_LIMIT - 40)}\n\n_…truncated (GitHub body limit)._` : body;
}

export class ImageUpdatesPr {
  constructor(
    private readonly pulls: Forge,
    private readonly log: Pick<Logger, 'info' | 'warn'> = { info: () => undefined, warn: () => undefined },
  ) {}

  private async step<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof D2Error) throw err;
      throw this.pulls.describeError(err, doing);
    }
  }

  /** Runs a follow-up call whose failure should not fail the run (the PR exists; a re-run retries it). */
  private async soft(doing: string, warnings: string[], fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const e = err instanceof D2Error ? err : this.pulls.describeError(err, doing);
      const text = e.hint ? `${e.message} (${e.hint})` : e.message;
      warnings.push(text);
      this.log.warn(text);
    }
  }

  async run(o: ImageUpdatesPrOptions): Promise<ImageUpdatesPrResult> {
    const p = this.pulls;
    const warnings: string[] = [];
    const base = o.base || (await this.step(`read the repository ${o.repository}`, () => p.repository())).defaultBranch;
    const headSha = await this.step(`read the branch ${o.head} of ${o.repository}`, () => p.branchSha(o.head));
    const result = (r: Partial<ImageUpdatesPrResult> & { operation: ImageUpdatesOperation; reason: string }): ImageUpdatesPrResult => ({
      headSha: headSha ?? '',
      base,
      rows: [],
      branchDeleted: false,
      warnings,
      ...r,
    });
    if (!headSha) {
      this.log.info(`Branch ${o.head} does not exist: nothing to do.`);
      return result({ operation: 'none', reason: `branch ${o.head} does not exist` });
    }
    if (o.head === base) throw new D2Error(`head and base are both '${base}'`, { code: 'INPUT_INVALID', hint: 'set head to the branch the image automation pushes (image-updates)' });

    const cmp = await this.step(`compare ${base}...${o.head} in ${o.repository}`, () => p.compare(base, o.head));
    const existing = await this.step(`list the open pull requests from ${o.head} in ${o.repository}`, () => p.findOpen(o.head, base));
    this.log.info(`${base}...${o.head}: ${cmp.status}, ${cmp.aheadBy} ahead, ${cmp.behindBy} behind, ${cmp.files.length} files changed.`);

    if (cmp.aheadBy === 0 || cmp.files.length === 0) {
      const why = cmp.aheadBy === 0 ? `${o.head} has no commits that ${base} lacks` : `${o.head} has no diff against ${base}`;
      let operation: ImageUpdatesOperation = 'none';
      let closed: PullRequestInfo | undefined;
      if (existing && o.closeWhenEmpty !== false) {
        closed = await this.step(`close pull request #${existing.number}`, () => p.close(existing.number));
        operation = 'closed';
        this.log.info(`Closed #${existing.number}: ${why}.`);
      }
      let branchDeleted = false;
      if (o.deleteBranchWhenEmpty === true && (operation === 'closed' || !existing)) {
        await this.step(`delete the branch ${o.head}`, () => p.deleteBranch(o.head));
        branchDeleted = true;
        this.log.info(`Deleted branch ${o.head}.`);
      }
      const pr = closed ?? existing;
      return result({ operation, reason: why, branchDeleted, ...(pr ? { number: pr.number, url: pr.url } : {}) });
    }

    const rows = o.changes && o.changes.length > 0 ? changesFromE2e(o.changes, o.repository) : buildChangeRows(cmp.commits.map((c) => c.message), cmp.files);
    const fill = fillFirst(cmp.commits[0]?.message ?? '');
    const title = o.title || fill.title || `Image updates from ${o.head}`;
    const body = composeBody(fill.body, o.body, renderChangeTable(rows));

    let pr: PullRequestInfo;
    let operation: ImageUpdatesOperation;
    if (existing) {
      pr = existing;
      operation = 'updated';
    } else {
      try {
        pr = await p.create({ head: o.head, base, title, body, draft: o.draft });
        operation = 'created';
        this.log.info(`Created #${pr.number}: ${pr.url}`);
      } catch (err) {
        const kind = this.pulls.errorKind(err);
        if (kind === 'no-commits') return result({ operation: 'none', reason: `GitHub sees no commits between ${base} and ${o.head}`, rows });
        if (kind !== 'pull-request-exists') throw this.pulls.describeError(err, `create the pull request ${o.repository} ${o.head} → ${base}`);
        // Another run created it in between: update that one instead (peter-evans/create-pull-request does the same).
        const again = await this.step(`find the pull request from ${o.head}`, () => p.findOpen(o.head, base));
        if (!again) throw this.pulls.describeError(err, `create the pull request ${o.repository} ${o.head} → ${base}`);
        pr = again;
        operation = 'updated';
      }
    }
    let touched = operation === 'created';
    if (operation === 'updated') {
      if (pr.title !== title || pr.body !== body) {
        pr = await this.step(`update pull request #${pr.number}`, () => p.update(pr.number, { title, body }));
        touched = true;
        this.log.info(`Updated #${pr.number}: ${pr.url}`);
      } else this.log.info(`#${pr.number} is up to date: ${pr.url}`);
    }

    const number = pr.number;
    const labels = (o.labels ?? []).filter((l) => !pr.labels.includes(l));
    const assignees = (o.assignees ?? []).filter((a) => !pr.assignees.some((x) => x.toLowerCase() === a.toLowerCase()));
    if (labels.length > 0 || assignees.length > 0) touched = true;
    await this.soft(`add labels to #${number}`, warnings, () => p.addLabels(number, labels));
    await this.soft(`add assignees to #${number}`, warnings, () => p.addAssignees(number, assignees));
    if (operation === 'created') {
      // Requested only on creation: re-requesting on every push would notify the reviewers again.
      await this.soft(`request reviewers on #${number}`, warnings, () => p.requestReviewers(number, o.reviewers ?? [], o.teamReviewers ?? []));
    }
    // An open PR that already says all this: nothing was changed (a re-run, or a push that changed nothing).
    if (!touched) operation = 'none';
    let autoMerge: { mergeMethod: string } | undefined;
    if (o.autoMerge) {
      const method = o.autoMerge;
      await this.soft(`enable auto-merge (${method}) on #${number}`, warnings, async () => {
        autoMerge = { mergeMethod: (await p.enableAutoMerge(pr.nodeId, method)).mergeMethod };
      });
    }
    return result({
      operation,
      number,
      url: pr.url,
      headSha: pr.headSha || headSha,
      reason:
        operation === 'created'
          ? `${o.head} is ${cmp.aheadBy} commit(s) ahead of ${base}`
          : operation === 'updated'
            ? `an open pull request from ${o.head} exists and was refreshed`
            : `the open pull request from ${o.head} is up to date`,
      rows,
      title,
      ...(autoMerge ? { autoMerge } : {}),
    });
  }
}
