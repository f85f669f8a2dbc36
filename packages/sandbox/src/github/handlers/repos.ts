import { repoObject } from '../model.js';
import type { Handler } from './context.js';

/** Repositories: GET /repos/{owner}/{repo}. */
export const repoHandlers: Record<string, Handler> = {
  'repos/get': async ({ state, op, docUrl }) => {
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    return { status: 200, body: repoObject(state.urls, r, true) };
  },
};
