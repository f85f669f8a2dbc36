import { errorBody, HttpError } from '../http-error.js';
import { commitObject, diffEntry } from '../model.js';
import { resolveRefOrSha, type Handler } from './context.js';

/** Comparing two commits (`base...head`): status, ahead/behind counts, commits and files from git. */
export const compareHandlers: Record<string, Handler> = {
  'repos/compare-commits-with-basehead': async ({ state, op, docUrl }) => {
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const basehead = op.params.basehead ?? `${op.params.base}...${op.params.head}`;
    const m = /^(.+?)\.\.\.(.+)$/.exec(basehead);
    if (!m) throw new HttpError(404, errorBody(404, 'Not Found', docUrl));
    const base = await resolveRefOrSha(r, m[1], docUrl);
    const head = await resolveRefOrSha(r, m[2], docUrl);
    const mb = await r.git.mergeBase(base, head);
    if (!mb) throw new HttpError(404, errorBody(404, `No common ancestor between ${m[1]} and ${m[2]}.`, docUrl));
    const ahead = await r.git.count(base, head);
    const behind = await r.git.count(head, base);
    const status = ahead === 0 && behind === 0 ? 'identical' : behind === 0 ? 'ahead' : ahead === 0 ? 'behind' : 'diverged';
    const shas = await r.git.commitsBetween(base, head);
    const commits = await Promise.all(shas.map(async (s) => commitObject(state.urls, r.fullName, await r.git.commit(s))));
    const files = await r.git.diff(mb, head);
    const h = `${state.urls.html}/${r.fullName}/compare/${basehead}`;
    return {
      status: 200,
      body: {
        url: `${state.urls.api}/repos/${r.fullName}/compare/${basehead}`,
        html_url: h,
        permalink_url: `${state.urls.html}/${r.fullName}/compare/${r.owner}:${base.slice(0, 7)}...${r.owner}:${head.slice(0, 7)}`,
        diff_url: `${h}.diff`,
        patch_url: `${h}.patch`,
        base_commit: commitObject(state.urls, r.fullName, await r.git.commit(base)),
        merge_base_commit: commitObject(state.urls, r.fullName, await r.git.commit(mb)),
        status,
        ahead_by: ahead,
        behind_by: behind,
        total_commits: ahead,
        commits,
        files: files.map((f) => diffEntry(state.urls, r.fullName, head, f)),
      },
    };
  },
};

// The description keeps octokit's older template /compare/{base}...{head} beside /compare/{basehead}.
compareHandlers['repos/compare-commits'] = compareHandlers['repos/compare-commits-with-basehead'];
