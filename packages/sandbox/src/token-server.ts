/**
 * A Docker/OCI registry token server for the sandbox registry's token-auth mode (docs/registry-client.md, "Sandbox"):
 * plain node:http on 127.0.0.1, no dependencies. It implements the distribution token protocol
 * (GET <realm>?service=&scope=…, Basic credentials optional) and its OAuth2 variant (POST, grant_type=password or
 * refresh_token), grants scopes per user policy and signs RS256 JWTs whose `x5c` header
 * carries the self-signed certificate that distribution also has as its root bundle.
 *
 * Written by hand on purpose: it is a test fixture (~150 lines) and must expose its issuance log to tests.
 */
import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenLoopback } from './process.js';

export interface SandboxUser {
  username: string;
  password: string;
  /** Pull only (token mode: `pull` is granted, `push`/`delete` are not; htpasswd mode: writes answer 403 DENIED). */
  readOnly?: boolean;
}

export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

/** One issued token, as the tests see it. */
export interface TokenIssuance {
  at: string;
  method: 'GET' | 'POST';
  /** The authenticated user, or `anonymous`. */
  user: string;
  grantType?: 'password' | 'refresh_token';
  /** Scopes exactly as requested (each `scope` parameter; POST: split at spaces). */
  requested: string[];
  granted: TokenAccess[];
  refreshToken: boolean;
}

export interface TokenServerOptions {
  users: SandboxUser[];
  keyPem: string;
  certPem: string;
  issuer: string;
  service: string;
  /** Token lifetime in seconds (default 300). */
  expiresIn?: number;
}

export interface TokenServer {
  /** The realm, e.g. http://127.0.0.1:PORT/token. */
  url: string;
  /** Number of tokens issued so far (= log.length). */
  readonly issued: number;
  log: TokenIssuance[];
  stop(): Promise<void>;
}

/** Parses `type:name:actions`; the name is what lies between the first and the last `:` (names may contain `:`, e.g. a port). */
export function parseScope(scope: string): TokenAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter((a) => a !== ''),
  };
}

/** Policy: anonymous and read-only users get `pull` on repositories; full users get everything they ask for. */
export function grant(user: SandboxUser | undefined, access: TokenAccess): TokenAccess | undefined {
  if (access.type === 'repository') {
    const allowed = user && !user.readOnly ? ['pull', 'push', 'delete', '*'] : ['pull'];
    const actions = access.actions.filter((a) => allowed.includes(a));
    return { ...access, actions };
  }
  if (access.type === 'registry' && access.name === 'catalog' && user && !user.readOnly) return access;
  return undefined;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function pemToDerBase64(pem: string): string {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error('token server: certificate PEM not found');
  return m[1].replace(/\s+/g, '');
}

class TokenError extends Error {
  constructor(readonly status: number, readonly oauthError: string, message: string) {
    super(message);
  }
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const key: KeyObject = createPrivateKey(opts.keyPem);
  const x5c = [pemToDerBase64(opts.certPem)];
  const expiresIn = opts.expiresIn ?? 300;
  const log: TokenIssuance[] = [];
  const refreshTokens = new Map<string, string>();

  const findUser = (username: string, password: string): SandboxUser => {
    const u = opts.users.find((x) => x.username === username);
    if (!u || u.password !== password) throw new TokenError(401, 'invalid_grant', 'invalid username or password');
    return u;
  };

  const issue = (method: 'GET' | 'POST', user: SandboxUser | undefined, requested: string[], extra: { grantType?: 'password' | 'refresh_token'; offline?: boolean; service: string }) => {
    if (extra.service !== opts.service) throw new TokenError(400, 'invalid_request', `unknown service '${extra.service}'`);
    const granted: TokenAccess[] = [];
    for (const s of requested) {
      const parsed = parseScope(s);
      const g = parsed && grant(user, parsed);
      if (g) granted.push(g);
    }
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c };
    const claims = {
      iss: opts.issuer,
      sub: user?.username ?? '',
      aud: opts.service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access: granted,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const token = `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), key))}`;
    let refreshToken: string | undefined;
    if (user && (extra.grantType === 'refresh_token' || extra.offline)) {
      refreshToken = randomBytes(24).toString('hex');
      refreshTokens.set(refreshToken, user.username);
    }
    log.push({
      at: new Date().toISOString(),
      method,
      user: user?.username ?? 'anonymous',
      grantType: extra.grantType,
      requested,
      granted,
      refreshToken: refreshToken !== undefined,
    });
    return {
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date(now * 1000).toISOString(),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
  };

  const handleGet = (req: IncomingMessage, url: URL) => {
    let user: SandboxUser | undefined;
    const auth = req.headers.authorization;
    if (auth) {
      const m = /^basic\s+(\S+)$/i.exec(auth);
      if (!m) throw new TokenError(401, 'invalid_client', 'only Basic credentials are accepted');
      const decoded = Buffer.from(m[1], 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      user = findUser(i < 0 ? decoded : decoded.slice(0, i), i < 0 ? '' : decoded.slice(i + 1));
    }
    return issue('GET', user, url.searchParams.getAll('scope'), { service: url.searchParams.get('service') ?? '' });
  };

  const handlePost = (body: string) => {
    const form = new URLSearchParams(body);
    if (!form.get('client_id')) throw new TokenError(400, 'invalid_request', 'client_id is required');
    const grantType = form.get('grant_type');
    const requested = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
    const service = form.get('service') ?? '';
    const offline = form.get('access_type') === 'offline';
    if (grantType === 'password') {
      const user = findUser(form.get('username') ?? '', form.get('password') ?? '');
      return issue('POST', user, requested, { grantType, offline, service });
    }
    if (grantType === 'refresh_token') {
      const username = refreshTokens.get(form.get('refresh_token') ?? '');
      const user = username === undefined ? undefined : opts.users.find((u) => u.username === username);
      if (!user) throw new TokenError(401, 'invalid_grant', 'unknown refresh token');
      return issue('POST', user, requested, { grantType, offline, service });
    }
    throw new TokenError(400, 'unsupported_grant_type', `unsupported grant_type '${grantType ?? ''}'`);
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      try {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        if (url.pathname !== '/token') return send(404, { error: 'not_found' });
        if (req.method === 'GET') return send(200, handleGet(req, url));
        if (req.method === 'POST') return send(200, handlePost(Buffer.concat(chunks).toString('utf8')));
        return send(405, { error: 'method_not_allowed' });
      } catch (e) {
        if (e instanceof TokenError) {
          if (e.status === 401) res.setHeader('www-authenticate', 'Basic realm="token-server"');
          return send(e.status, { error: e.oauthError, error_description: e.message, details: e.message });
        }
        return send(500, { error: 'server_error' });
      }
    });
  });

  const port = await listenLoopback(server);

  return {
    url: `http://127.0.0.1:${port}/token`,
    get issued() {
      return log.length;
    },
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
