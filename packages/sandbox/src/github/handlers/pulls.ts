import { errorBody, HttpError, validationFailed } from '../http-error.js';
import { isoNow } from '../model.js';
import { pullObject } from '../render.js';
import { pullOf, refreshHead, type PullState } from '../state.js';
import { bodyObj, str, type Handler } from './context.js';

/**
 * Pull requests: list (filters, sort, Link pagination), create (GitHub's validation errors), get, update (close, reopen,
 * retarget), merge (merge, squash or fast-forward rebase on the real git state) and review requests.
 */
export const pullHandlers: Record<string, Handler> = {
  'pulls/list': async ({ state, op, query, docUrl }) => {
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const wanted = query.get('state') ?? 'open';
    const head = query.get('head');
    const base = query.get('base');
    let list = r.pulls.filter((p) => wanted === 'all' || p.state === wanted);
    if (head && head.includes(':')) {
      const [owner, branch] = [head.slice(0, head.indexOf(':')), head.slice(head.indexOf(':') + 1)];
      list = list.filter((p) => owner.toLowerCase() === r.owner.toLowerCase() && p.head === branch);
    }
    if (base) list = list.filter((p) => p.base === base);
    // GitHub: desc by default when sorting by created (the default), asc otherwise.
    const direction = query.get('direction') ?? ((query.get('sort') ?? 'created') === 'created' ? 'desc' : 'asc');
    list = [...list].sort((x, y) => (direction === 'asc' ? x.number - y.number : y.number - x.number));
    const perPage = Math.min(Number(query.get('per_page') ?? 30) || 30, 100);
    const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
    const slice = list.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < list.length) {
      const next = new URL(`${state.urls.api}/repos/${r.fullName}/pulls`);
      query.forEach((v, k) => next.searchParams.set(k, v));
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    return { status: 200, body: await Promise.all(slice.map((p) => pullObject(state.urls, r, p, false))), headers };
  },

  'pulls/create': async (ctx) => {
    const { state, op, docUrl, login } = ctx;
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const b = bodyObj(ctx);
    const head = str(b.head) ?? '';
    const base = str(b.base) ?? '';
    const headBranch = head.includes(':') ? head.slice(head.indexOf(':') + 1) : head;
    const headSha = await r.git.branchSha(headBranch);
    const baseSha = await r.git.branchSha(base);
    if (!headSha) throw validationFailed(docUrl, [{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    if (!baseSha) throw validationFailed(docUrl, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    if (r.pulls.some((p) => p.state === 'open' && p.head === headBranch && p.base === base)) {
      throw validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${r.owner}:${headBranch}.` }]);
    }
    const mb = await r.git.mergeBase(baseSha, headSha);
    if (!mb || (await r.git.count(mb, headSha)) === 0) {
      throw validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${headBranch}` }]);
    }
    if (!str(b.title)) throw validationFailed(docUrl, [{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
    const now = isoNow();
    const p: PullState = {
      number: r.nextNumber++,
      id: state.nextPullId++,
      title: str(b.title) ?? '',
      body: str(b.body) ?? null,
      state: 'open',
      draft: b.draft === true,
      head: headBranch,
      headSha,
      base,
      user: login,
      labels: [],
      assignees: [],
      reviewers: [],
      teams: [],
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      mergedAt: null,
      mergeCommitSha: null,
      mergedBy: null,
      autoMerge: null,
      maintainerCanModify: b.maintainer_can_modify !== false,
    };
    r.pulls.push(p);
    return { status: 201, body: await pullObject(state.urls, r, p, true), headers: { location: `${state.urls.api}/repos/${r.fullName}/pulls/${p.number}` } };
  },

  'pulls/get': async ({ state, op, docUrl }) => {
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    return { status: 200, body: await pullObject(state.urls, r, pullOf(r, op.params.pull_number, docUrl), true) };
  },

  'pulls/update': async (ctx) => {
    const { state, op, docUrl } = ctx;
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const p = pullOf(r, op.params.pull_number, docUrl);
    const b = bodyObj(ctx);
    if (typeof b.title === 'string') p.title = b.title;
    if (typeof b.body === 'string') p.body = b.body;
    if (typeof b.base === 'string') {
      if (!(await r.git.branchSha(b.base))) throw validationFailed(docUrl, [{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
      p.base = b.base;
    }
    if (typeof b.maintainer_can_modify === 'boolean') p.maintainerCanModify = b.maintainer_can_modify;
    if (b.state === 'closed' && p.state === 'open') {
      await refreshHead(r, p);
      p.state = 'closed';
      p.closedAt = isoNow();
      p.autoMerge = null;
    } else if (b.state === 'open' && p.state === 'closed') {
      if (p.mergedAt) throw validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: 'Cannot reopen a merged pull request' }]);
      if (!(await r.git.branchSha(p.head))) {
        throw validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: `state cannot be changed. The ${p.head} branch has been deleted.` }]);
      }
      p.state = 'open';
      p.closedAt = null;
    }
    p.updatedAt = isoNow();
    return { status: 200, body: await pullObject(state.urls, r, p, true) };
  },

  'pulls/merge': async (ctx) => {
    const { state, op, docUrl, login } = ctx;
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const p = pullOf(r, op.params.pull_number, docUrl);
    const b = bodyObj(ctx);
    await refreshHead(r, p);
    if (p.state !== 'open') throw new HttpError(405, errorBody(405, 'Pull Request is not mergeable', docUrl));
    if (p.draft) throw new HttpError(405, errorBody(405, 'Pull Request is still a draft', docUrl));
    if (typeof b.sha === 'string' && b.sha !== p.headSha) {
      throw new HttpError(409, errorBody(409, 'Head branch was modified. Review and try the merge again.', docUrl));
    }
    const baseSha = await r.git.branchSha(p.base);
    if (!baseSha) throw new HttpError(405, errorBody(405, 'Base branch was deleted', docUrl));
    const method = str(b.merge_method) ?? 'merge';
    const who = { name: login, email: `${login}@users.noreply.github.com` };
    let sha: string;
    if (method === 'rebase') {
      // Fast-forward when base is an ancestor of head; the emulator does not rewrite commits.
      if (!(await r.git.isAncestor(baseSha, p.headSha))) throw new HttpError(405, errorBody(405, 'This branch can\'t be rebased', docUrl));
      sha = p.headSha;
    } else {
      const tree = await r.git.mergeTree(baseSha, p.headSha);
      if (!tree) throw new HttpError(405, errorBody(405, 'Pull Request is not mergeable', docUrl));
      if (method === 'squash') {
        const title = str(b.commit_title) ?? `${p.title} (#${p.number})`;
        sha = await r.git.commitTree(tree, [baseSha], [title, str(b.commit_message) ?? ''].filter(Boolean).join('\n\n'), who);
      } else {
        const title = str(b.commit_title) ?? `Merge pull request #${p.number} from ${r.owner}/${p.head}`;
        sha = await r.git.commitTree(tree, [baseSha, p.headSha], [title, str(b.commit_message) ?? p.title].filter(Boolean).join('\n\n'), who);
      }
    }
    await r.git.updateRef(`refs/heads/${p.base}`, sha, baseSha);
    const now = isoNow();
    Object.assign(p, { state: 'closed', closedAt: now, mergedAt: now, updatedAt: now, mergeCommitSha: sha, mergedBy: login, autoMerge: null });
    return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
  },

  'pulls/request-reviewers': async (ctx) => {
    const { state, op, docUrl } = ctx;
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const p = pullOf(r, op.params.pull_number, docUrl);
    const b = bodyObj(ctx);
    const reviewers = (Array.isArray(b.reviewers) ? b.reviewers : []).filter((x): x is string => typeof x === 'string');
    const teams = (Array.isArray(b.team_reviewers) ? b.team_reviewers : []).filter((x): x is string => typeof x === 'string');
    if (reviewers.some((x) => x.toLowerCase() === p.user.toLowerCase())) {
      throw validationFailed(docUrl, [{ resource: 'PullRequest', code: 'custom', message: 'Review cannot be requested from pull request author.' }]);
    }
    for (const x of reviewers) if (!p.reviewers.includes(x)) p.reviewers.push(x);
    for (const x of teams) if (!p.teams.includes(x)) p.teams.push(x);
    p.updatedAt = isoNow();
    return { status: 201, body: await pullObject(state.urls, r, p, false) };
  },
};
