import { errorBody, HttpError } from '../http-error.js';
import { commitObject } from '../model.js';
import { resolveRefOrSha, type Handler } from './context.js';

/** One commit with its files (diff against the first parent, or the empty tree for a root commit). */
export const commitHandlers: Record<string, Handler> = {
  'repos/get-commit': async ({ state, op, docUrl }) => {
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const sha = await resolveRefOrSha(r, op.params.ref, docUrl).catch(() => {
      throw new HttpError(422, errorBody(422, `No commit found for SHA: ${op.params.ref}`, docUrl));
    });
    const c = await r.git.commit(sha);
    const files = await r.git.diff(c.parents[0] ?? '4b825dc642cb6eb9a060e54bf8d69288fbee4904', sha);
    return { status: 200, body: commitObject(state.urls, r.fullName, c, files) };
  },
};
