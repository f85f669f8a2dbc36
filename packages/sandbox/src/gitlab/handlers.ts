import type { GitLabState, GitLabToken, ProjectState } from './state.js';
import { commitObject, mergeRequestObject, projectObject, type Json } from './render.js';

/**
 * The endpoints of the stand-in, each following GitLab's REST API documentation (doc/api/*.md in the GitLab
 * repository, cited per handler). Parameters are checked as Grape checks them: a missing required parameter is
 * `400 {"error": "<name> is missing"}`, a value outside its set `400 {"error": "<name> does not have a valid value"}`.
 */

export class GitLabHttpError extends Error {
  constructor(readonly status: number, readonly body: Json) {
    super(typeof body.message === 'string' ? body.message : JSON.stringify(body));
  }
}

export interface Request {
  method: string;
  /** Path segments after /api/v4, URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  body: Json;
  token: GitLabToken;
}

export interface Answer {
  status: number;
  body?: unknown;
}

type Handler = (state: GitLabState, req: Request) => Promise<Answer>;

const notFound = (what: string): GitLabHttpError => new GitLabHttpError(404, { message: `404 ${what} Not Found` });
const missing = (name: string): GitLabHttpError => new GitLabHttpError(400, { error: `${name} is missing` });
const invalid = (name: string): GitLabHttpError => new GitLabHttpError(400, { error: `${name} does not have a valid value` });

function projectOf(state: GitLabState, req: Request): ProjectState {
  const p = state.project(req.params.id);
  if (!p) throw notFound('Project');
  return p;
}

function needWrite(req: Request): void {
  const scopes = req.token.scopes ?? ['api'];
  if (!scopes.includes('api')) {
    throw new GitLabHttpError(403, { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: 'api' });
  }
}

function param(req: Request, name: string): unknown {
  return req.body[name] ?? req.query.get(name) ?? undefined;
}

function str(req: Request, name: string, required = false): string | undefined {
  const v = param(req, name);
  if (v === undefined || v === null || v === '') {
    if (required) throw missing(name);
    return undefined;
  }
  if (typeof v !== 'string') throw invalid(name);
  return v;
}

function bool(req: Request, name: string): boolean | undefined {
  const v = param(req, name);
  if (v === undefined) return undefined;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw invalid(name);
}

/** Grape's Array[Integer]: a JSON array of integers or a comma-separated string. */
function ids(req: Request, name: string): number[] | undefined {
  const v = param(req, name);
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v : String(v).split(',').filter(Boolean);
  const out = list.map((x) => (typeof x === 'number' ? x : /^\d+$/.test(String(x)) ? Number(x) : NaN));
  if (out.some((n) => !Number.isInteger(n))) throw invalid(name);
  return out;
}

/** Labels: a comma-separated string or an array of strings. */
function labels(req: Request, name: string): string[] | undefined {
  const v = param(req, name);
  if (v === undefined) return undefined;
  const list = Array.isArray(v) ? v.map(String) : String(v).split(',');
  return list.map((l) => l.trim()).filter(Boolean);
}

const DRAFT = /^\s*(\[draft\]|\(draft\)|draft:|draft\s*-)\s*/i;

export const routes: { method: string; path: string; pattern: RegExp; names: string[]; handler: Handler }[] = [];

function route(method: string, path: string, handler: Handler): void {
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/:(\w+)/g, (_, n: string) => (names.push(n), '([^/]+)'))}$`);
  routes.push({ method, path, pattern, names, handler });
}

// doc/api/projects.md "Get a single project": GET /projects/:id (id or URL-encoded path).
route('GET', '/projects/:id', async (state, req) => ({ status: 200, body: projectObject(state, projectOf(state, req)) }));

// doc/api/branches.md "List repository branches": `search` matches a substring, `^x` a prefix and `x$` a suffix.
route('GET', '/projects/:id/repository/branches', async (state, req) => {
  const p = projectOf(state, req);
  const search = str(req, 'search') ?? '';
  const names = (await p.git.git(['for-each-ref', '--format=%(refname:short)', 'refs/heads/'])).split('\n').filter(Boolean);
  const match = (n: string): boolean =>
    search.startsWith('^') ? n.startsWith(search.slice(1)) : search.endsWith('$') ? n.endsWith(search.slice(0, -1)) : n.includes(search);
  const list = [];
  for (const name of names.filter(match).sort()) {
    const c = await p.git.commit((await p.git.branchSha(name)) as string);
    list.push({ name, merged: false, protected: name === p.defaultBranch, default: name === p.defaultBranch, developers_can_push: false, developers_can_merge: false, can_push: true, web_url: `${state.baseUrl}/${p.path}/-/tree/${name}`, commit: commitObject(state, p, c) });
  }
  return { status: 200, body: list };
});

// doc/api/branches.md "Get single repository branch".
route('GET', '/projects/:id/repository/branches/:branch', async (state, req) => {
  const p = projectOf(state, req);
  const sha = await p.git.branchSha(req.params.branch);
  if (!sha) throw notFound('Branch');
  const c = await p.git.commit(sha);
  return {
    status: 200,
    body: {
      name: req.params.branch,
      merged: false,
      protected: req.params.branch === p.defaultBranch,
      default: req.params.branch === p.defaultBranch,
      developers_can_push: false,
      developers_can_merge: false,
      can_push: true,
      web_url: `${state.baseUrl}/${p.path}/-/tree/${req.params.branch}`,
      commit: commitObject(state, p, c),
    },
  };
});

// doc/api/branches.md "Delete repository branch": 204; the default branch cannot be deleted.
route('DELETE', '/projects/:id/repository/branches/:branch', async (state, req) => {
  needWrite(req);
  const p = projectOf(state, req);
  if (!(await p.git.branchSha(req.params.branch))) throw notFound('Branch');
  if (req.params.branch === p.defaultBranch) throw new GitLabHttpError(400, { message: 'Cannot remove the default branch' });
  await p.git.deleteRef(`refs/heads/${req.params.branch}`);
  return { status: 204 };
});

// doc/api/repositories.md "Compare branches, tags or commits": from/to required; straight=false (default) compares
// from the merge base (`from...to`); commits oldest first; diffs with old_path/new_path and flags.
route('GET', '/projects/:id/repository/compare', async (state, req) => {
  const p = projectOf(state, req);
  const from = str(req, 'from', true) as string;
  const to = str(req, 'to', true) as string;
  const straight = bool(req, 'straight') ?? false;
  const a = (await p.git.resolve(from)) ?? (await p.git.resolve(`refs/heads/${from}`));
  const b = (await p.git.resolve(to)) ?? (await p.git.resolve(`refs/heads/${to}`));
  if (!a || !b) throw notFound('Ref');
  const base = straight ? a : ((await p.git.mergeBase(a, b)) ?? a);
  const shas = await p.git.commitsBetween(base, b, 10_000);
  const commits = await Promise.all(shas.map(async (s) => commitObject(state, p, await p.git.commit(s))));
  const files = await p.git.diff(base, b);
  return {
    status: 200,
    body: {
      commit: commits.length > 0 ? commits[commits.length - 1] : null,
      commits,
      diffs: files.map((f) => ({
        old_path: f.previousFilename ?? f.filename,
        new_path: f.filename,
        a_mode: f.status === 'added' ? '0' : '100644',
        b_mode: f.status === 'removed' ? '0' : '100644',
        new_file: f.status === 'added',
        renamed_file: f.status === 'renamed',
        deleted_file: f.status === 'removed',
        diff: f.patch ? `${f.patch}\n` : '',
      })),
      compare_timeout: false,
      compare_same_ref: a === b,
      web_url: `${state.baseUrl}/${p.path}/-/compare/${a}...${b}`,
    },
  };
});

// doc/api/merge_requests.md "List project merge requests": state, source_branch, target_branch filters.
route('GET', '/projects/:id/merge_requests', async (state, req) => {
  const p = projectOf(state, req);
  const st = str(req, 'state');
  if (st !== undefined && !['opened', 'closed', 'locked', 'merged', 'all'].includes(st)) throw invalid('state');
  const source = str(req, 'source_branch');
  const target = str(req, 'target_branch');
  const list = p.mergeRequests
    .filter((m) => (!st || st === 'all' || m.state === st) && (!source || m.sourceBranch === source) && (!target || m.targetBranch === target))
    .sort((x, y) => y.iid - x.iid);
  return { status: 200, body: await Promise.all(list.map((m) => mergeRequestObject(state, p, m))) };
});

// doc/api/merge_requests.md "Get single MR".
route('GET', '/projects/:id/merge_requests/:iid', async (state, req) => {
  const p = projectOf(state, req);
  const mr = p.mergeRequests.find((m) => m.iid === Number(req.params.iid));
  if (!mr) throw notFound('');
  return { status: 200, body: await mergeRequestObject(state, p, mr) };
});

// doc/api/merge_requests.md "Create MR": source_branch, target_branch, title required; 409 when an open MR exists
// for the source branch; a title starting with "Draft:" makes a draft.
route('POST', '/projects/:id/merge_requests', async (state, req) => {
  needWrite(req);
  const p = projectOf(state, req);
  const source = str(req, 'source_branch', true) as string;
  const target = str(req, 'target_branch', true) as string;
  const title = str(req, 'title', true) as string;
  if (source === target) throw new GitLabHttpError(422, { message: ["You can't use same project/branch for source and target"] });
  if (!(await p.git.branchSha(source))) throw new GitLabHttpError(422, { message: ['Source branch does not exist'] });
  if (!(await p.git.branchSha(target))) throw new GitLabHttpError(422, { message: ['Target branch does not exist'] });
  const open = p.mergeRequests.find((m) => m.state === 'opened' && m.sourceBranch === source && m.targetBranch === target);
  if (open) throw new GitLabHttpError(409, { message: [`Another open merge request already exists for this source branch: !${open.iid}`] });
  const now = new Date().toISOString();
  const username = req.token.username ?? 'project_1_bot';
  const mr = {
    id: state.newMrId(),
    iid: p.nextIid++,
    title,
    description: str(req, 'description') ?? '',
    state: 'opened' as const,
    sourceBranch: source,
    targetBranch: target,
    author: username,
    labels: labels(req, 'labels') ?? [],
    assignees: ids(req, 'assignee_ids') ?? [],
    reviewers: ids(req, 'reviewer_ids') ?? [],
    draft: DRAFT.test(title),
    mergeWhenPipelineSucceeds: false,
    squash: bool(req, 'squash') ?? false,
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    mergedAt: null,
    mergeCommitSha: null,
  };
  p.mergeRequests.push(mr);
  return { status: 201, body: await mergeRequestObject(state, p, mr) };
});

// doc/api/merge_requests.md "Update MR": title, description, state_event (close|reopen), labels (replace),
// add_labels, remove_labels, assignee_ids, reviewer_ids; at least one parameter is required.
route('PUT', '/projects/:id/merge_requests/:iid', async (state, req) => {
  needWrite(req);
  const p = projectOf(state, req);
  const mr = p.mergeRequests.find((m) => m.iid === Number(req.params.iid));
  if (!mr) throw notFound('');
  const known = ['title', 'description', 'state_event', 'labels', 'add_labels', 'remove_labels', 'assignee_ids', 'assignee_id', 'reviewer_ids', 'target_branch', 'squash', 'remove_source_branch', 'discussion_locked', 'milestone_id', 'allow_collaboration'];
  if (!known.some((k) => param(req, k) !== undefined)) {
    throw new GitLabHttpError(400, { error: `${known.join(', ')} are missing, at least one parameter must be provided` });
  }
  const title = str(req, 'title');
  if (title !== undefined) {
    mr.title = title;
    mr.draft = DRAFT.test(title);
  }
  const description = param(req, 'description');
  if (description !== undefined) mr.description = String(description);
  const event = str(req, 'state_event');
  if (event !== undefined) {
    if (event !== 'close' && event !== 'reopen') throw invalid('state_event');
    if (event === 'close' && mr.state === 'opened') {
      mr.state = 'closed';
      mr.closedAt = new Date().toISOString();
    } else if (event === 'reopen' && mr.state === 'closed') {
      mr.state = 'opened';
      mr.closedAt = null;
    }
  }
  const set = labels(req, 'labels');
  if (set !== undefined) mr.labels = set;
  for (const l of labels(req, 'add_labels') ?? []) if (!mr.labels.includes(l)) mr.labels.push(l);
  const remove = labels(req, 'remove_labels') ?? [];
  mr.labels = mr.labels.filter((l) => !remove.includes(l));
  const assignees = ids(req, 'assignee_ids');
  if (assignees !== undefined) mr.assignees = assignees;
  const reviewers = ids(req, 'reviewer_ids');
  if (reviewers !== undefined) mr.reviewers = reviewers;
  mr.updatedAt = new Date().toISOString();
  return { status: 200, body: await mergeRequestObject(state, p, mr) };
});

// doc/api/merge_requests.md "Merge a merge request": with auto_merge (GitLab ≥ 17.11) or the deprecated
// merge_when_pipeline_succeeds, the MR is set to merge when its pipeline succeeds (the stand-in always has a pipeline
// running); 405 when the MR is not open or is a draft; 409 when `sha` is not the source branch's head.
route('PUT', '/projects/:id/merge_requests/:iid/merge', async (state, req) => {
  needWrite(req);
  const p = projectOf(state, req);
  const mr = p.mergeRequests.find((m) => m.iid === Number(req.params.iid));
  if (!mr) throw notFound('');
  if (mr.state !== 'opened' || mr.draft) throw new GitLabHttpError(405, { message: '405 Method Not Allowed' });
  const sha = str(req, 'sha');
  if (sha !== undefined && sha !== (await p.git.branchSha(mr.sourceBranch))) throw new GitLabHttpError(409, { message: 'SHA does not match HEAD of source branch' });
  const auto = bool(req, 'auto_merge') ?? bool(req, 'merge_when_pipeline_succeeds') ?? false;
  const squash = bool(req, 'squash');
  if (squash !== undefined) mr.squash = squash;
  if (!auto) throw new GitLabHttpError(405, { message: '405 Method Not Allowed' }); // the pipeline has not finished: only auto-merge is possible
  mr.mergeWhenPipelineSucceeds = true;
  mr.updatedAt = new Date().toISOString();
  return { status: 200, body: await mergeRequestObject(state, p, mr) };
});

// doc/api/users.md "List users": ?username= (case-insensitive exact match) answers [] or [user].
route('GET', '/users', async (state, req) => {
  const username = str(req, 'username');
  const list = username ? [...state.users.values()].filter((u) => u.username.toLowerCase() === username.toLowerCase()) : [...state.users.values()];
  return { status: 200, body: list.map((u) => ({ id: u.id, username: u.username, name: u.name, state: 'active', locked: false, avatar_url: null, web_url: `${state.baseUrl}/${u.username}` })) };
});
