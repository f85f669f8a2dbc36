import { InputError } from '@d2/core';
import { forgeFor, ImageUpdatesPr, type MergeMethod } from '@d2/core/forge';
import { renderChangeTable, type E2eChange } from '@d2/core/github';
import { readFile } from 'node:fs/promises';
import { EXIT_OK, list, str, type Command } from '../cli.js';
import { TIMEOUT_HELP, timeBudget, timeoutOption } from '../wiring.js';

const USAGE = 'd2 pr --repository owner/name [--head image-updates] [--base main] [--token T]';

const BRANCH = /^(?!-|\/)(?!.*(\.\.|\/\/|@\{|\.lock$|\/$|\.$))[^\s~^:?*[\\\x00-\x1f\x7f]+$/;

export const prCommand: Command = {
  name: 'pr',
  summary: 'Open, refresh or close the image-updates pull request (GitHub API)',
  usage: USAGE,
  help: `The image-updates-pr action as a command (docs/github.md): no open PR and head ahead of base →
create it (title/body as gh pr create --fill-first, plus a change table); an open PR → refresh title/body/labels; no
diff → close it; head missing → nothing. Talks to GITHUB_API_URL (default https://api.github.com; GitHub Enterprise
and the sandbox emulator work the same way).

  --repository OWNER/NAME     default $GITHUB_REPOSITORY
  --head BRANCH               default image-updates
  --base BRANCH               default: the repository's default branch
  --token TOKEN               default $GITHUB_TOKEN or $GH_TOKEN (pull-requests: write, contents: read)
  --api-url URL               default $GITHUB_API_URL
  --title T --body B          custom title/body ({{ changes }} in the body is replaced by the change table)
  --changes FILE              e2e-update's changes JSON (for the change table)
  --labels L --assignees A --reviewers R --team-reviewers T   comma lists
  --draft                     create as draft
  --auto-merge merge|squash|rebase   enable auto-merge (GraphQL enablePullRequestAutoMerge)
  --close-when-empty true|false      default true
  --delete-branch-when-empty         delete head when there is nothing to merge
${TIMEOUT_HELP}

Prints {operation: created|updated|closed|none, number, url, headSha}.
Exit codes: 0 done (including "none"), 1 the GitHub API refused (the fix is printed), 2 usage or input error.`,
  options: {
    repository: { type: 'string' },
    head: { type: 'string' },
    base: { type: 'string' },
    token: { type: 'string' },
    'api-url': { type: 'string' },
    title: { type: 'string' },
    body: { type: 'string' },
    changes: { type: 'string' },
    labels: { type: 'string', multiple: true },
    assignees: { type: 'string', multiple: true },
    reviewers: { type: 'string', multiple: true },
    'team-reviewers': { type: 'string', multiple: true },
    draft: { type: 'boolean' },
    'auto-merge': { type: 'string' },
    'close-when-empty': { type: 'string' },
    'delete-branch-when-empty': { type: 'boolean' },
    ...timeoutOption,
  },
  async run(ctx) {
    timeBudget(ctx); // rejects a bad --timeout first, and starts the command's time limit
    const repository = str(ctx, 'repository') ?? ctx.env.GITHUB_REPOSITORY ?? '';
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) throw new InputError(`--repository must be owner/name, got '${repository}'`, 'or set GITHUB_REPOSITORY');
    const token = str(ctx, 'token') ?? ctx.env.GITHUB_TOKEN ?? ctx.env.GH_TOKEN ?? '';
    if (!token) throw new InputError('no GitHub token', 'pass --token or set GITHUB_TOKEN (a GitHub App token or PAT lets checks run on the PR)');
    const head = str(ctx, 'head') ?? 'image-updates';
    const base = str(ctx, 'base');
    for (const [flag, b] of [['head', head], ['base', base]] as const) {
      if (b !== undefined && !BRANCH.test(b)) throw new InputError(`--${flag} is not a valid branch name: '${b}'`);
    }
    const autoMerge = str(ctx, 'auto-merge');
    if (autoMerge !== undefined && !['false', 'merge', 'squash', 'rebase'].includes(autoMerge)) throw new InputError(`--auto-merge must be merge, squash or rebase, got '${autoMerge}'`);
    const closeWhenEmpty = str(ctx, 'close-when-empty') ?? 'true';
    if (closeWhenEmpty !== 'true' && closeWhenEmpty !== 'false') throw new InputError('--close-when-empty must be true or false');
    let changes: E2eChange[] | undefined;
    const changesFile = str(ctx, 'changes');
    if (changesFile) {
      try {
        changes = JSON.parse(await readFile(changesFile, 'utf8')) as E2eChange[];
      } catch (err) {
        throw new InputError(`--changes ${changesFile} is not a readable JSON file: ${(err as Error).message}`);
      }
      if (!Array.isArray(changes)) throw new InputError('--changes must hold a JSON array of {repository, file, object, setter, old, new}');
    }
    const apiUrl = (str(ctx, 'api-url') ?? ctx.env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, '');
    const graphqlUrl = ctx.env.GITHUB_GRAPHQL_URL ?? (apiUrl.endsWith('/api/v3') ? `${apiUrl.slice(0, -3)}graphql` : `${apiUrl}/graphql`);
    const warn = (m: string): void => ctx.log(`  ! ${m}`);
    const forge = forgeFor('github', { repository, token, apiUrl, graphqlUrl, warn, budget: timeBudget(ctx) });
    const flow = new ImageUpdatesPr(forge, { info: (m) => ctx.log(`  ${m}`), warn });
    const r = await flow.run({
      repository,
      head,
      ...(base ? { base } : {}),
      title: str(ctx, 'title'),
      body: str(ctx, 'body'),
      changes,
      labels: list(ctx, 'labels'),
      assignees: list(ctx, 'assignees'),
      reviewers: list(ctx, 'reviewers'),
      teamReviewers: list(ctx, 'team-reviewers'),
      draft: ctx.values.draft === true,
      autoMerge: autoMerge && autoMerge !== 'false' ? (autoMerge.toUpperCase() as MergeMethod) : false,
      closeWhenEmpty: closeWhenEmpty === 'true',
      deleteBranchWhenEmpty: ctx.values['delete-branch-when-empty'] === true,
    });
    ctx.result(
      { operation: r.operation, number: r.number ?? null, url: r.url ?? null, headSha: r.headSha, base: r.base, reason: r.reason, title: r.title ?? null, warnings: r.warnings },
      `${r.operation}${r.url ? ` ${r.url}` : ''}: ${r.reason}${r.rows.length ? `\n\n${renderChangeTable(r.rows)}` : ''}`,
    );
    return EXIT_OK;
  },
};
