import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback } from '../process.js';
import type { SandboxGitServer } from '../git-server.js';
import { GitLabHttpError, routes, type Answer } from './handlers.js';
import { GitLabState, type GitLabRecordedRequest, type GitLabToken, type ProjectState } from './state.js';

/**
 * A GitLab REST API (v4) stand-in on 127.0.0.1, backed by the sandbox git server's real bare repositories: projects,
 * branches, compare, merge requests (create/list/update/close, labels, assignees, reviewers, auto-merge) and users.
 *
 * No GitLab emulator exists, and GitLab's OpenAPI description (doc/api/openapi/openapi_v2.yaml in the GitLab
 * repository) cannot be had from a package registry here, so the stand-in follows GitLab's REST API documentation
 * (doc/api/rest/authentication.md, doc/api/rest/troubleshooting.md for the error shapes, and the endpoint pages cited
 * in handlers.ts) and is driven in its tests by @gitbeaker/rest, a widely used GitLab client whose typed schemas
 * disagree with it if it drifts.
 *
 * Authentication (doc/api/rest/authentication.md): `PRIVATE-TOKEN: <token>`, `Authorization: Bearer <token>` or the
 * `private_token` query parameter for personal/project/group access tokens; `JOB-TOKEN: <CI_JOB_TOKEN>` for the CI/CD
 * job token, which the merge request and branch-deletion endpoints do not accept. A bad token is
 * `401 {"message":"401 Unauthorized"}`; a token without the `api` scope gets `403 insufficient_scope` on writes.
 */

export interface StartGitLabOptions {
  git: SandboxGitServer;
  /** Accepted tokens (default: the git server's token as a project access token with the `api` scope). */
  tokens?: (string | GitLabToken)[];
}

export interface SandboxGitLab {
  /** The instance URL (CI_SERVER_URL); the API is at `${url}/api/v4` (CI_API_V4_URL). */
  url: string;
  apiUrl: string;
  requests: GitLabRecordedRequest[];
  /** Registers a project `group[/subgroup]/name` (creating its bare repository on the git server when missing). */
  addProject(path: string, opts?: { defaultBranch?: string; visibility?: 'public' | 'internal' | 'private' }): Promise<{ id: number; path: string; gitPath: string }>;
  /** The project's merge requests as the API shows them. */
  mergeRequests(path: string): Promise<Record<string, unknown>[]>;
  /** Answer the next `times` requests of `route` (`METHOD /path/pattern`, e.g. `POST /projects/:id/merge_requests`) with `status` and `body`. */
  failNext(route: string, status: number, body: Record<string, unknown>, times?: number): void;
  /** Registers a user (for assignees and reviewers by username). */
  addUser(username: string): number;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, a: Answer): void {
  if (a.body === undefined) {
    res.writeHead(a.status);
    res.end();
    return;
  }
  const text = JSON.stringify(a.body);
  res.writeHead(a.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'x-request-id': `sandbox-${Date.now().toString(36)}` });
  res.end(text);
}

export async function startGitLabStandIn(opts: StartGitLabOptions): Promise<SandboxGitLab> {
  const state = new GitLabState(opts.git, opts.tokens ?? [opts.git.token]);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const record: GitLabRecordedRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: undefined, status: 0 };
    state.requests.push(record);
    const reply = (a: Answer): void => {
      record.status = a.status;
      if (a.status >= 400 && a.body && typeof a.body === 'object') {
        const b = a.body as { message?: unknown; error?: unknown };
        record.message = typeof b.message === 'string' ? b.message : Array.isArray(b.message) ? b.message.join('; ') : typeof b.error === 'string' ? b.error : undefined;
      }
      send(res, a);
    };
    if (!url.pathname.startsWith('/api/v4/')) return reply({ status: 404, body: { error: '404 Not Found' } });
    // Path parameters are URL-encoded (`group%2Fproject`): split first, then decode each segment.
    const rest = url.pathname.slice('/api/v4'.length);
    let body: Record<string, unknown> = {};
    if (raw !== '') {
      const type = String(req.headers['content-type'] ?? '');
      try {
        body = type.includes('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(raw)) : (JSON.parse(raw) as Record<string, unknown>);
      } catch {
        return reply({ status: 400, body: { error: 'The request body is not valid JSON' } });
      }
    }
    record.body = body;

    const header = (n: string): string | undefined => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const bearer = /^Bearer\s+(.+)$/i.exec(header('authorization') ?? '')?.[1];
    const presented: [GitLabRecordedRequest['auth'], string | undefined][] = [
      ['PRIVATE-TOKEN', header('private-token') ?? url.searchParams.get('private_token') ?? undefined],
      ['Bearer', bearer],
      ['JOB-TOKEN', header('job-token')],
    ];
    const [auth, secret] = presented.find(([, v]) => v !== undefined) ?? [undefined, undefined];
    const token = secret !== undefined ? state.tokens.get(secret) : undefined;
    if (secret !== undefined && (!token || (auth === 'JOB-TOKEN') !== (token.job === true))) {
      return reply({ status: 401, body: { message: '401 Unauthorized' } });
    }
    record.auth = auth;
    record.username = token?.username ?? (token ? 'project_1_bot' : undefined);

    for (const r of routes) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(rest);
      if (!m) continue;
      const params = Object.fromEntries(r.names.map((n, j) => [n, decodeURIComponent(m[j + 1])]));
      const failure = state.failures.find((f) => f.left > 0 && (f.route === `${r.method} ${r.path}` || f.route === '*'));
      if (failure) {
        failure.left--;
        return reply({ status: failure.status, body: failure.body });
      }
      if (!token) {
        // Anonymous: public projects are readable; everything else is hidden (404) or refused (401).
        const p = params.id ? state.project(params.id) : undefined;
        if (method === 'GET' && p && p.visibility === 'public') {
          // fall through with a read-only anonymous identity
        } else if (method === 'GET' && params.id) return reply({ status: 404, body: { message: '404 Project Not Found' } });
        else return reply({ status: 401, body: { message: '401 Unauthorized' } });
      }
      // The job token reaches a small allow-list of endpoints (doc/ci/jobs/ci_job_token.md); merge requests, users
      // and branch deletion are not on it.
      if (token?.job === true) return reply({ status: 401, body: { message: '401 Unauthorized' } });
      try {
        const answer = await r.handler(state, { method, params, query: url.searchParams, body, token: token ?? { token: '', scopes: ['read_api'] } });
        return reply(answer);
      } catch (err) {
        if (err instanceof GitLabHttpError) return reply({ status: err.status, body: err.body });
        return reply({ status: 500, body: { message: '500 Internal Server Error' } });
      }
    }
    return reply({ status: 404, body: { error: '404 Not Found' } });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, { status: 500, body: { message: '500 Internal Server Error' } });
    });
  });
  const port = await listenLoopback(server);
  const url = `http://127.0.0.1:${port}`;
  state.baseUrl = url;
  const mrsOf = async (p: ProjectState): Promise<Record<string, unknown>[]> => {
    const { mergeRequestObject } = await import('./render.js');
    return Promise.all(p.mergeRequests.map((m) => mergeRequestObject(state, p, m)));
  };

  return {
    url,
    apiUrl: `${url}/api/v4`,
    requests: state.requests,
    async addProject(path, o) {
      const p = await state.addProject(path, o);
      return { id: p.id, path: p.path, gitPath: p.git.path };
    },
    async mergeRequests(path) {
      const p = state.project(path);
      return p ? mrsOf(p) : [];
    },
    failNext(route, status, body, times = 1) {
      state.failures.push({ route, status, body, left: times });
    },
    addUser: (username) => state.user(username).id,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
