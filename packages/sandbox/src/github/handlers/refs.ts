import { errorBody, HttpError } from '../http-error.js';
import { hashId, isoNow, nodeId, type JsonObject } from '../model.js';
import type { EmulatorState, RepoState } from '../state.js';
import type { Handler } from './context.js';

function refObject(state: EmulatorState, r: RepoState, ref: string, sha: string): JsonObject {
  return {
    ref,
    node_id: nodeId('REF', hashId(`${r.fullName}:${ref}`)),
    url: `${state.urls.api}/repos/${r.fullName}/git/${ref}`,
    object: { type: 'commit', sha, url: `${state.urls.api}/repos/${r.fullName}/git/commits/${sha}` },
  };
}

/**
 * Git references (branches and tags): get, create, update (a fast-forward unless `force`), and delete (which closes
 * the open pull requests of a head branch). Lightweight refs to commits, as the git server stores them.
 */
export const refHandlers: Record<string, Handler> = {
  'git/get-ref': async ({ state, op, docUrl }) => {
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const ref = `refs/${op.params.ref}`;
    const sha = op.params.ref.startsWith('heads/') || op.params.ref.startsWith('tags/') ? await r.git.resolve(ref) : undefined;
    if (!sha) throw new HttpError(404, errorBody(404, 'Not Found', docUrl));
    return { status: 200, body: refObject(state, r, ref, sha) };
  },

  // git/create-ref and git/update-ref: git-data.ts (with the signed-commit rule of protected branches).

  'git/delete-ref': async ({ state, op, docUrl }) => {
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const ref = `refs/${op.params.ref}`;
    const sha = await r.git.resolve(ref);
    if (!sha) throw new HttpError(422, errorBody(422, 'Reference does not exist', docUrl));
    await r.git.deleteRef(ref);
    // As on GitHub, deleting a head branch closes its open pull requests.
    if (ref.startsWith('refs/heads/')) {
      const branch = ref.slice('refs/heads/'.length);
      for (const p of r.pulls) {
        if (p.state === 'open' && p.head === branch) Object.assign(p, { state: 'closed', closedAt: isoNow(), updatedAt: isoNow(), headSha: sha });
      }
    }
    return { status: 204 };
  },
};
