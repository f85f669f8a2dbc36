import { InputError } from '@d2/core';
import { forgeFor, GITLAB_DEFAULT_API_URL, ImageUpdatesPr, type MergeMethod } from '@d2/core/forge';
import { renderChangeTable, type E2eChange } from '@d2/core/github';
import { readFile } from 'node:fs/promises';
import { EXIT_OK, list, str, type Command } from '../cli.js';
import { TIMEOUT_HELP, timeBudget, timeoutOption } from '../wiring.js';

const USAGE = 'd2 pr [--forge github|gitlab] --repository owner/name [--head image-updates] [--base main] [--token T]';

/** A GitLab project path: a group, any subgroups and the project. */
const GITLAB_PROJECT = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
const GITHUB_REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * GitLab's CI/CD job token cannot call the merge request API (docs/gitlab.md "Tokens"): refused before any request,
 * with the access token to create instead.
 */
function jobTokenError(): InputError {
  return new InputError(
    'CI_JOB_TOKEN cannot create or update merge requests',
    'create a project (or group) access token with the Developer role and the api scope, store it as a masked CI/CD variable GITLAB_TOKEN, and pass it with --token or GITLAB_TOKEN',
  );
}

const BRANCH = /^(?!-|\/)(?!.*(\.\.|\/\/|@\{|\.lock$|\/$|\.$))[^\s~^:?*[\\\x00-\x1f\x7f]+$/;

export const prCommand: Command = {
  name: 'pr',
  summary: 'Open, refresh or close the image-updates pull request (GitHub) or merge request (GitLab)',
  usage: USAGE,
  help: `The image-updates-pr action as a command (docs/github.md): no open PR and head ahead of base →
create it (title/body as gh pr create --fill-first, plus a change table); an open PR → refresh title/body/labels; no
diff → close it; head missing → nothing. Talks to GITHUB_API_URL (default https://api.github.com; GitHub Enterprise
and the sandbox emulator work the same way). With --forge gitlab the same rules apply to the merge request
(docs/gitlab.md "Merge requests"); auto-merge is GitLab's "merge when pipeline succeeds".

  --forge github|gitlab       default gitlab when GITLAB_CI=true, else github
  --repository OWNER/NAME     default $GITHUB_REPOSITORY (GitLab: the project path, default $CI_PROJECT_PATH)
  --head BRANCH               default image-updates
  --base BRANCH               default: the repository's default branch
  --token TOKEN               default $GITHUB_TOKEN or $GH_TOKEN (pull-requests: write, contents: read);
                              GitLab: $GITLAB_TOKEN, a project or group access token with the api scope
                              (CI_JOB_TOKEN cannot create merge requests)
  --api-url URL               default $GITHUB_API_URL (GitLab: $CI_API_V4_URL, else https://gitlab.com/api/v4)
  --title T --body B          custom title/body ({{ changes }} in the body is replaced by the change table)
  --changes FILE              e2e-update's changes JSON, or d2 update's -o json result (for the change table)
  --labels L --assignees A --reviewers R --team-reviewers T   comma lists
  --draft                     create as draft
  --auto-merge merge|squash|rebase   enable auto-merge (GraphQL enablePullRequestAutoMerge)
  --close-when-empty true|false      default true
  --delete-branch-when-empty         delete head when there is nothing to merge
${TIMEOUT_HELP}

Prints {operation: created|updated|closed|none, number, url, headSha}.
Exit codes: 0 done (including "none"), 1 the forge's API refused (the fix is printed), 2 usage or input error.`,
  options: {
    forge: { type: 'string' },
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
    const forgeName = str(ctx, 'forge') ?? (ctx.env.GITLAB_CI === 'true' ? 'gitlab' : 'github');
    if (forgeName !== 'github' && forgeName !== 'gitlab') throw new InputError(`--forge must be github or gitlab, got '${forgeName}'`);
    const gitlab = forgeName === 'gitlab';
    const repository = str(ctx, 'repository') ?? (gitlab ? ctx.env.CI_PROJECT_PATH : ctx.env.GITHUB_REPOSITORY) ?? '';
    if (gitlab && !GITLAB_PROJECT.test(repository)) throw new InputError(`--repository must be the GitLab project path group[/subgroup]/project, got '${repository}'`, 'or set CI_PROJECT_PATH');
    if (!gitlab && !GITHUB_REPOSITORY.test(repository)) throw new InputError(`--repository must be owner/name, got '${repository}'`, 'or set GITHUB_REPOSITORY');
    const token = str(ctx, 'token') ?? (gitlab ? ctx.env.GITLAB_TOKEN : (ctx.env.GITHUB_TOKEN ?? ctx.env.GH_TOKEN)) ?? '';
    if (gitlab && (token === '' ? ctx.env.CI_JOB_TOKEN : token === ctx.env.CI_JOB_TOKEN)) throw jobTokenError();
    if (!token && gitlab) throw new InputError('no GitLab token', 'pass --token or set GITLAB_TOKEN: a project or group access token with the Developer role and the api scope');
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
        const parsed = JSON.parse(await readFile(changesFile, 'utf8')) as E2eChange[] | { changes?: E2eChange[] };
        // The changes array, or d2 update's whole -o json result (the e2e-update component's artifact).
        changes = Array.isArray(parsed) ? parsed : (parsed.changes as E2eChange[]);
      } catch (err) {
        throw new InputError(`--changes ${changesFile} is not a readable JSON file: ${(err as Error).message}`);
      }
      if (!Array.isArray(changes)) throw new InputError('--changes must hold a JSON array of {repository, file, object, setter, old, new}');
    }
    const apiUrl = (str(ctx, 'api-url') ?? (gitlab ? (ctx.env.CI_API_V4_URL ?? GITLAB_DEFAULT_API_URL) : (ctx.env.GITHUB_API_URL ?? 'https://api.github.com'))).replace(/\/+$/, '');
    const graphqlUrl = ctx.env.GITHUB_GRAPHQL_URL ?? (apiUrl.endsWith('/api/v3') ? `${apiUrl.slice(0, -3)}graphql` : `${apiUrl}/graphql`);
    const warn = (m: string): void => ctx.log(`  ! ${m}`);
    const forge = forgeFor(forgeName, { repository, token, apiUrl, ...(gitlab ? {} : { graphqlUrl }), warn, budget: timeBudget(ctx) });
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
