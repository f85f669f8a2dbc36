import { execFile, spawn } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { listenLoopback } from './process.js';

const execFileAsync = promisify(execFile);

/**
 * A git remote reached the way GitHub is reached: smart HTTP with Basic auth, on 127.0.0.1 and a free port.
 *
 * A node:http server authenticates each request and hands it to the real `git http-backend` as a CGI program
 * (GIT_PROJECT_ROOT, GIT_HTTP_EXPORT_ALL, REMOTE_USER; `http.receivepack` enabled in every repository), so clone,
 * fetch and push run git's own server code. Written here because no maintained npm package wraps http-backend
 * with auth and the CGI glue is ~60 lines; the protocol itself is entirely git's.
 */
export interface GitUser {
  username: string;
  password: string;
}

export interface StartGitServerOptions {
  /** Accepted Basic credentials. Default: one user `x-access-token` with a generated token (as GitHub accepts). */
  users?: GitUser[];
  /** Directory for the bare repositories (default a new temp dir, removed on stop). */
  root?: string;
  /**
   * Called for every authenticated request before git answers it; the request waits until the returned promise
   * settles (a rejection answers 500). Tests use it to interleave concurrent clients deterministically, e.g. to
   * move a branch between a client's fetch and its push.
   */
  onRequest?: (r: GitRequestInfo) => Promise<void> | void;
}

export interface GitRequestInfo {
  method: string;
  /** `owner/name` of the repository (without .git), or '' when the path names none. */
  repo: string;
  /** `git-upload-pack` (clone, fetch, ls-remote) or `git-receive-pack` (push), or '' for other paths. */
  service: string;
  /** true for the ref advertisement (`GET …/info/refs?service=…`), false for the pack exchange (`POST …/<service>`). */
  advertisement: boolean;
}

/** What a smart-HTTP request is about, from its path and query. */
function requestInfo(req: IncomingMessage): GitRequestInfo {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const path = decodeURIComponent(url.pathname);
  const m = /^\/(.+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/.exec(path);
  if (!m) return { method: req.method ?? 'GET', repo: '', service: '', advertisement: false };
  const advertisement = m[2] === 'info/refs';
  return { method: req.method ?? 'GET', repo: m[1], service: advertisement ? (url.searchParams.get('service') ?? '') : m[2], advertisement };
}

export interface SandboxGitRepo {
  /** Clone URL without credentials: http://127.0.0.1:P/owner/name.git */
  url: string;
  /** The bare repository directory. */
  path: string;
}

export interface SandboxGitServer {
  /** Base URL, http://127.0.0.1:P */
  url: string;
  /** Directory holding `<owner>/<name>.git` bare repositories. */
  root: string;
  /** The password of the first user (the generated token by default). */
  token: string;
  /** The first user's name (`x-access-token` by default). */
  username: string;
  /** Creates a bare repository `owner/name` (idempotent). */
  createRepo(fullName: string, opts?: { defaultBranch?: string }): Promise<SandboxGitRepo>;
  /** The bare repository directory of `owner/name` (whether or not it exists). */
  repoPath(fullName: string): string;
  /** Clone URL of `owner/name` with the first user's credentials embedded (for tests only). */
  authUrl(fullName: string): string;
  /** Number of requests answered, and of those refused with 401. */
  stats: { requests: number; unauthorized: number };
  stop(): Promise<void>;
}

const FULL_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

function checkFullName(fullName: string): string {
  const name = fullName.replace(/\.git$/, '');
  if (!FULL_NAME.test(name) || name.split('/').some((p) => p === '.' || p === '..')) {
    throw new Error(`git server: repository name must be owner/name, got '${fullName}'`);
  }
  return name;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The user named by a valid `Authorization: Basic` header, or undefined. */
function authenticate(header: string | undefined, users: GitUser[]): string | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const ok = users.some((u) => safeEqual(u.username, username) && safeEqual(u.password, password));
  return ok ? username : undefined;
}

/** Runs `git http-backend` for one request and streams its CGI response back. */
function serveCgi(req: IncomingMessage, res: ServerResponse, root: string, user: string, backend: string): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
    REMOTE_USER: user,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    SERVER_PROTOCOL: 'HTTP/1.1',
    GATEWAY_INTERFACE: 'CGI/1.1',
  };
  if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding'] !== undefined) env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding']);
  if (req.headers['git-protocol'] !== undefined) env.GIT_PROTOCOL = String(req.headers['git-protocol']);

  const child = spawn(backend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);

  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    let end = head.indexOf('\r\n\r\n');
    let sepLen = 4;
    if (end < 0) {
      end = head.indexOf('\n\n');
      sepLen = 2;
    }
    if (end < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    const rest = head.subarray(end + sepLen);
    if (rest.length > 0) res.write(rest);
  });
  child.on('close', (code) => {
    if (!headersDone) {
      res.statusCode = 500;
      res.end(`git http-backend failed (${code}): ${stderr}`);
      return;
    }
    res.end();
  });
  child.on('error', (err) => {
    if (!res.headersSent) res.statusCode = 500;
    res.end(`git http-backend: ${err.message}`);
  });
}

async function gitBackendPath(): Promise<string> {
  const { stdout } = await execFileAsync('git', ['--exec-path']);
  return join(stdout.trim(), 'git-http-backend');
}

export async function startGitServer(opts: StartGitServerOptions = {}): Promise<SandboxGitServer> {
  const users: GitUser[] =
    opts.users && opts.users.length > 0 ? opts.users : [{ username: 'x-access-token', password: `ghs_${randomBytes(18).toString('hex')}` }];
  const ownRoot = opts.root === undefined;
  const root = opts.root ?? mkdtempSync(join(tmpdir(), 'd2-git-'));
  mkdirSync(root, { recursive: true });
  const backend = await gitBackendPath();
  const stats = { requests: 0, unauthorized: 0 };

  const server: Server = createServer((req, res) => {
    stats.requests++;
    const user = authenticate(req.headers.authorization, users);
    if (!user) {
      stats.unauthorized++;
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="GitHub"', 'Content-Type': 'text/plain' });
      res.end('Unauthorized\n');
      return;
    }
    if (!opts.onRequest) {
      serveCgi(req, res, root, user, backend);
      return;
    }
    req.pause();
    Promise.resolve()
      .then(() => opts.onRequest?.(requestInfo(req)))
      .then(
        () => serveCgi(req, res, root, user, backend),
        (err: unknown) => {
          req.resume();
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`git server onRequest hook failed: ${String(err)}\n`);
        },
      );
  });
  const port = await listenLoopback(server);
  const base = `http://127.0.0.1:${port}`;

  const repoPath = (fullName: string): string => join(root, `${checkFullName(fullName)}.git`);

  return {
    url: base,
    root,
    token: users[0].password,
    username: users[0].username,
    stats,
    repoPath,
    async createRepo(fullName, repoOpts = {}) {
      const name = checkFullName(fullName);
      const path = repoPath(name);
      const branch = repoOpts.defaultBranch ?? 'main';
      mkdirSync(path, { recursive: true });
      await execFileAsync('git', ['init', '--quiet', '--bare', `--initial-branch=${branch}`, path]);
      await execFileAsync('git', ['-C', path, 'config', 'http.receivepack', 'true']);
      return { url: `${base}/${name}.git`, path };
    },
    authUrl(fullName) {
      const u = new URL(`${base}/${checkFullName(fullName)}.git`);
      u.username = encodeURIComponent(users[0].username);
      u.password = encodeURIComponent(users[0].password);
      return u.toString();
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownRoot) rmSync(root, { recursive: true, force: true });
    },
  };
}
