import { isoNow, labelObject, type JsonObject } from '../model.js';
import { issueObject } from '../render.js';
import { pullOf } from '../state.js';
import { bodyObj, str, type Handler } from './context.js';

/** The issue side of a pull request: labels and assignees. */
export const issueHandlers: Record<string, Handler> = {
  'issues/add-labels': async (ctx) => {
    const { state, op, docUrl } = ctx;
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const p = pullOf(r, op.params.issue_number, docUrl);
    const raw = Array.isArray(ctx.body) ? ctx.body : (bodyObj(ctx).labels ?? []);
    const names = (Array.isArray(raw) ? raw : []).map((l) => (typeof l === 'string' ? l : str((l as JsonObject).name) ?? '')).filter(Boolean);
    for (const n of names) if (!p.labels.includes(n)) p.labels.push(n);
    p.updatedAt = isoNow();
    return { status: 200, body: p.labels.map((l) => labelObject(state.urls, r.fullName, l)) };
  },

  'issues/add-assignees': async (ctx) => {
    const { state, op, docUrl } = ctx;
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const p = pullOf(r, op.params.issue_number, docUrl);
    const list = bodyObj(ctx).assignees;
    // GitHub silently ignores logins that cannot be assigned; all are accepted here.
    for (const a of Array.isArray(list) ? list : []) if (typeof a === 'string' && !p.assignees.includes(a)) p.assignees.push(a);
    p.updatedAt = isoNow();
    return { status: 201, body: issueObject(state.urls, r, p) };
  },
};
