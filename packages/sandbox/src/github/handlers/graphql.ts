import { isoNow, nodeId, type JsonObject } from '../model.js';
import type { EmulatorState, PullState, RepoState } from '../state.js';
import { str, type Answer } from './context.js';

/**
 * GraphQL (POST /graphql): only the `enablePullRequestAutoMerge` mutation, with GitHub's error answers (auto-merge not
 * allowed, clean status, closed pull request, read-only token). Arguments come from an `input` variable or inline.
 */
export async function graphql(state: EmulatorState, ctx: { body: JsonObject; login: string; readOnly: boolean }): Promise<Answer> {
  const query = str(ctx.body.query) ?? '';
  const vars = (ctx.body.variables && typeof ctx.body.variables === 'object' && !Array.isArray(ctx.body.variables) ? ctx.body.variables : {}) as JsonObject;
  const gqlError = (message: string, type?: string): Answer => ({
    status: 200,
    body: { data: { enablePullRequestAutoMerge: null }, errors: [{ ...(type ? { type } : {}), path: ['enablePullRequestAutoMerge'], locations: [{ line: 2, column: 3 }], message }] },
  });
  if (!/\benablePullRequestAutoMerge\b/.test(query)) {
    return { status: 200, body: { errors: [{ message: 'The emulator implements only the enablePullRequestAutoMerge mutation.' }] } };
  }
  // Arguments come from an `input: $input` variable, or inline: `pullRequestId: $id` / "literal", `mergeMethod: $m` / SQUASH.
  const input = (vars.input && typeof vars.input === 'object' && !Array.isArray(vars.input) ? vars.input : {}) as JsonObject;
  const arg = (name: string): string | undefined => {
    if (typeof input[name] === 'string') return input[name] as string;
    // Not the variable declarations ($mergeMethod: PullRequestMergeMethod!), only the arguments.
    const m = new RegExp(`(?<![$\\w])${name}:\\s*(?:"([^"]*)"|\\$(\\w+)|([A-Z_]+)\\b)`).exec(query);
    if (!m) return undefined;
    return m[1] ?? (m[2] !== undefined ? str(vars[m[2]]) : m[3]);
  };
  const prId = arg('pullRequestId');
  const method = arg('mergeMethod') ?? 'MERGE';
  if (!['MERGE', 'SQUASH', 'REBASE'].includes(method)) {
    return { status: 200, body: { errors: [{ message: `Argument 'mergeMethod' on InputObject 'EnablePullRequestAutoMergeInput' has an invalid value (${method}). Expected type 'PullRequestMergeMethod'.` }] } };
  }
  let found: { r: RepoState; p: PullState } | undefined;
  for (const r of state.repos.values()) {
    const p = r.pulls.find((x) => nodeId('PR', x.id) === prId);
    if (p) found = { r, p };
  }
  if (!found) return gqlError(`Could not resolve to a node with the global id of '${prId ?? ''}'`, 'NOT_FOUND');
  const failure = state.takeFailure('graphql');
  if (failure === 'auto-merge-not-allowed' || !found.r.allowAutoMerge) return gqlError('Pull request Auto merge is not allowed for this repository', 'UNPROCESSABLE');
  if (ctx.readOnly) return gqlError('Resource not accessible by integration', 'FORBIDDEN');
  if (failure === 'clean-status' || !found.r.requiredChecks) return gqlError('Pull request is in clean status', 'UNPROCESSABLE');
  if (found.p.state !== 'open') return gqlError('Pull request is closed', 'UNPROCESSABLE');
  found.p.autoMerge = { method, enabledBy: ctx.login };
  return {
    status: 200,
    body: {
      data: {
        enablePullRequestAutoMerge: {
          pullRequest: { id: prId ?? '', number: found.p.number, autoMergeRequest: { enabledAt: isoNow(), mergeMethod: method } },
        },
      },
    },
  };
}
