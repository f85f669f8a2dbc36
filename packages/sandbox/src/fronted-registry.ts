/**
 * A token-auth sandbox registry (registry.ts) behind a front server that plays a cloud registry's host: the front
 * answers the registry's token realm itself, accepting only the credentials `authenticate` recognises (the ones a cloud
 * stand-in issued), forwards accepted token requests to the sandbox token server as an internal user, serves any extra
 * routes the cloud has on the registry host (ACR's `/oauth2/exchange`), and passes everything else to distribution
 * unchanged, Host header included, so distribution's absolute Locations point at the front.
 *
 * Token requests follow the distribution token protocol (GET with Basic credentials) and its OAuth2 variant (POST,
 * `grant_type=password` or `refresh_token`), as docs/registry-client.md describes.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { passThrough, readBody, sendJson } from './http-util.js';
import { listenLoopback } from './process.js';
import { startRegistry, type SandboxRegistry } from './registry.js';

/** What the front got as credentials on a token request. */
export interface FrontCredentials {
  username?: string;
  password?: string;
  /** OAuth2 POST `grant_type=refresh_token`. */
  refreshToken?: string;
}

/** A refusal the front answers with (status, JSON body, optional WWW-Authenticate). */
export class FrontRefusal extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`refused with ${status}`);
  }
}

export interface FrontedRegistryOptions {
  /** The realm path on the front, e.g. `/v2/token` (Artifact Registry) or `/oauth2/token` (ACR). */
  realmPath: string;
  /** Accepts (returns true) or refuses (false, or throws FrontRefusal for a provider-shaped answer) the credentials. */
  authenticate(creds: FrontCredentials): boolean | Promise<boolean>;
  /** Extra routes on the registry host; return true when handled. */
  route?(req: IncomingMessage, body: Buffer, res: ServerResponse): boolean | Promise<boolean>;
}

export interface FrontedRegistry {
  /** 127.0.0.1:PORT (the front). */
  host: string;
  url: string;
  registry: SandboxRegistry;
  /** Token requests the front refused. */
  readonly refused: number;
  stop(): Promise<void>;
}

export async function startFrontedRegistry(opts: FrontedRegistryOptions): Promise<FrontedRegistry> {
  const internal = { username: `front-${randomBytes(4).toString('hex')}`, password: randomBytes(16).toString('hex') };
  let registry: SandboxRegistry | undefined;
  let upstreamPort = 0;
  let refused = 0;

  const forwardToken = (url: URL, service: string, scopes: string[], res: ServerResponse): void => {
    const realm = new URL(registry?.tokenServer?.url ?? 'http://127.0.0.1:1/token');
    realm.searchParams.set('service', service);
    for (const s of scopes) realm.searchParams.append('scope', s);
    const auth = `Basic ${Buffer.from(`${internal.username}:${internal.password}`).toString('base64')}`;
    const up = request(realm, { method: 'GET', headers: { authorization: auth } }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, { 'content-type': 'application/json' });
      ures.pipe(res);
    });
    up.on('error', () => sendJson(res, 502, { error: 'server_error' }));
    up.end();
  };

  const handleToken = async (req: IncomingMessage, body: Buffer, url: URL, res: ServerResponse): Promise<void> => {
    const creds: FrontCredentials = {};
    let service = url.searchParams.get('service') ?? '';
    let scopes = url.searchParams.getAll('scope');
    if (req.method === 'GET') {
      const m = /^basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
      if (m) {
        const decoded = Buffer.from(m[1], 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        creds.username = i < 0 ? decoded : decoded.slice(0, i);
        creds.password = i < 0 ? '' : decoded.slice(i + 1);
      }
    } else if (req.method === 'POST') {
      const form = new URLSearchParams(body.toString('utf8'));
      service = form.get('service') ?? '';
      scopes = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
      const grant = form.get('grant_type');
      if (grant === 'password') Object.assign(creds, { username: form.get('username') ?? '', password: form.get('password') ?? '' });
      else if (grant === 'refresh_token') creds.refreshToken = form.get('refresh_token') ?? '';
      else return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: `unsupported grant_type '${grant ?? ''}'` });
    } else {
      return sendJson(res, 405, { error: 'method_not_allowed' });
    }
    if (creds.username === undefined && creds.refreshToken === undefined) {
      // Anonymous: this registry allows nothing without credentials.
      refused++;
      return sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': 'Basic realm="front"' });
    }
    try {
      if (!(await opts.authenticate(creds))) {
        refused++;
        return sendJson(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': 'Basic realm="front"' });
      }
    } catch (e) {
      if (e instanceof FrontRefusal) {
        refused++;
        return sendJson(res, e.status, e.body);
      }
      throw e;
    }
    forwardToken(url, service, scopes, res);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const handle = async (): Promise<void> => {
      if (url.pathname === opts.realmPath) return handleToken(req, await readBody(req), url, res);
      if (opts.route && !url.pathname.startsWith('/v2/')) {
        const body = await readBody(req);
        if (await opts.route(req, body, res)) return;
        return sendJson(res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] });
      }
      passThrough(req, res, upstreamPort);
    };
    handle().catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.end();
    });
  });
  const port = await listenLoopback(server);
  const host = `127.0.0.1:${port}`;
  const closeFront = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  try {
    registry = await startRegistry({ auth: 'token', users: [internal], tokenRealm: `http://${host}${opts.realmPath}` });
  } catch (e) {
    await closeFront();
    throw e;
  }
  upstreamPort = Number(new URL(registry.url).port);
  const reg = registry;
  return {
    host,
    url: `http://${host}`,
    registry: reg,
    get refused() {
      return refused;
    },
    async stop() {
      await closeFront();
      await reg.stop();
    },
  };
}
