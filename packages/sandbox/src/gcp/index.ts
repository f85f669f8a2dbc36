/**
 * A stand-in for Google Cloud's workload identity federation and Artifact Registry, on 127.0.0.1 (no emulator exists
 * for these services). It accepts exactly the requests the services document and refuses anything else with their
 * documented error shapes:
 *  - Security Token Service `POST /v1/token` (https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token):
 *    an RFC 8693 token exchange (`grant_type=urn:ietf:params:oauth:grant-type:token-exchange`, `audience` =
 *    `//iam.googleapis.com/<provider>`, `subject_token_type` jwt or id_token, `requested_token_type` access_token,
 *    `scope`); the subject token is verified against the sandbox issuer's JWKS, its `aud` must be the provider's default
 *    audience (https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines), its `sub` one
 *    the provider's attribute condition admits. Errors are OAuth 2.0 `{error, error_description}`.
 *  - IAM Credentials `POST /v1/projects/-/serviceAccounts/<email>:generateAccessToken`
 *    (https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken):
 *    Bearer = a federated token from the STS above, whose principal must hold `roles/iam.workloadIdentityUser` on the
 *    service account; errors are Google API errors `{error: {code, message, status}}` (PERMISSION_DENIED,
 *    UNAUTHENTICATED, NOT_FOUND).
 *  - An Artifact Registry host (https://cloud.google.com/artifact-registry/docs/docker/authentication, "Access token"):
 *    a token-auth distribution registry whose realm accepts only `oauth2accesstoken` with an access token issued above.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenLoopback } from '../process.js';
import { startFrontedRegistry, type FrontedRegistry } from '../fronted-registry.js';
import { OidcTokenRejected, verifyOidcToken } from '../oidc-verify.js';

export const GCP_TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const GCP_ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const GCP_SUBJECT_TOKEN_TYPES = ['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token'];
export const GCP_CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export interface GcpStandInOptions {
  /** The sandbox OIDC issuer (oidc.ts) the provider trusts. */
  oidc: { url: string; issuer: string };
  /** `projects/<n>/locations/global/workloadIdentityPools/<p>/providers/<q>`. */
  provider: string;
  /** Subjects the provider's attribute condition admits (empty: any). */
  subjects?: string[];
  /** Service accounts and the subjects holding roles/iam.workloadIdentityUser on them. */
  serviceAccounts?: Record<string, string[]>;
  /** The registry accepts federated tokens directly (direct resource access); default true. */
  federatedRegistryAccess?: boolean;
  /** Lifetime of issued tokens, seconds (default 3600). */
  expiresIn?: number;
}

export interface GcpRequest {
  service: 'sts' | 'iamcredentials';
  path: string;
  status: number;
}

export interface GcpStandIn {
  /** The STS token URL (`<base>/v1/token`), for the library's `token_url`. */
  stsUrl: string;
  /** The IAM Credentials base URL (`<base>`, without `/v1/…`). */
  iamCredentialsUrl: string;
  /** The Artifact Registry stand-in. */
  registry: FrontedRegistry;
  /** The environment that points the gcp provider at this stand-in: D2_GCP_STS_URL and D2_GCP_IAMCREDENTIALS_URL. */
  env: Record<string, string>;
  /** Every access token issued (STS and IAM Credentials), for the tests' no-secret greps. */
  issued: string[];
  requests: GcpRequest[];
  stop(): Promise<void>;
}

interface Issued {
  kind: 'federated' | 'service-account';
  subject: string;
  expiresAt: number;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startGcpStandIn(opts: GcpStandInOptions): Promise<GcpStandIn> {
  const expiresIn = opts.expiresIn ?? 3600;
  const tokens = new Map<string, Issued>();
  const issued: string[] = [];
  const requests: GcpRequest[] = [];
  const audiences = [`//iam.googleapis.com/${opts.provider}`, `https://iam.googleapis.com/${opts.provider}`];

  const mint = (kind: Issued['kind'], subject: string): string => {
    // Google access tokens are opaque `ya29.` strings.
    const token = `ya29.${kind === 'federated' ? 'd2fed' : 'd2sa'}_${randomBytes(32).toString('base64url')}`;
    tokens.set(token, { kind, subject, expiresAt: Date.now() + expiresIn * 1000 });
    issued.push(token);
    return token;
  };

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const oauthError = (res: ServerResponse, status: number, error: string, description: string) => json(res, status, { error, error_description: description });
  const apiError = (res: ServerResponse, code: number, status: string, message: string) => json(res, code, { error: { code, message, status } });

  async function sts(req: IncomingMessage, res: ServerResponse): Promise<number> {
    if (req.method !== 'POST') return (oauthError(res, 405, 'invalid_request', 'Only POST is supported.'), 405);
    if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) return (oauthError(res, 400, 'invalid_request', 'Invalid content type.'), 400);
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') !== GCP_TOKEN_EXCHANGE_GRANT) return (oauthError(res, 400, 'unsupported_grant_type', `Invalid value for "grant_type".`), 400);
    if (form.get('requested_token_type') !== GCP_ACCESS_TOKEN_TYPE) return (oauthError(res, 400, 'invalid_request', 'Invalid value for "requested_token_type".'), 400);
    if (!GCP_SUBJECT_TOKEN_TYPES.includes(form.get('subject_token_type') ?? '')) return (oauthError(res, 400, 'invalid_request', 'Invalid value for "subject_token_type".'), 400);
    if (form.get('audience') !== `//iam.googleapis.com/${opts.provider}`) {
      return (oauthError(res, 400, 'invalid_target', 'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.'), 400);
    }
    if (!(form.get('scope') ?? '').split(' ').includes(GCP_CLOUD_PLATFORM_SCOPE)) return (oauthError(res, 400, 'invalid_scope', 'Invalid value for "scope".'), 400);
    let claims: Record<string, unknown> | undefined;
    let lastRejection: OidcTokenRejected | undefined;
    for (const audience of audiences) {
      try {
        claims = await verifyOidcToken(form.get('subject_token') ?? '', { jwksBase: opts.oidc.url, issuer: opts.oidc.issuer, audience, subjects: opts.subjects });
        break;
      } catch (e) {
        if (!(e instanceof OidcTokenRejected)) throw e;
        lastRejection = e;
        if (e.reason !== 'audience') break;
      }
    }
    if (!claims) {
      const r = lastRejection;
      if (r?.reason === 'subject') return (oauthError(res, 400, 'unauthorized_client', 'The given credential is rejected by the attribute condition.'), 400);
      if (r?.reason === 'audience') return (oauthError(res, 400, 'invalid_grant', 'The audience in ID Token does not match the expected audience.'), 400);
      if (r?.reason === 'expired') return (oauthError(res, 400, 'invalid_grant', 'ID Token has expired.'), 400);
      return (oauthError(res, 400, 'invalid_grant', `Invalid ID Token: ${r?.message ?? 'unreadable'}.`), 400);
    }
    const token = mint('federated', String(claims.sub));
    json(res, 200, { access_token: token, issued_token_type: GCP_ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: expiresIn });
    return 200;
  }

  async function iamCredentials(req: IncomingMessage, res: ServerResponse, path: string): Promise<number> {
    const m = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(path);
    if (!m) return (apiError(res, 404, 'NOT_FOUND', 'The requested URL was not found on this server.'), 404);
    if (req.method !== 'POST') return (apiError(res, 405, 'METHOD_NOT_ALLOWED', 'Method not allowed.'), 405);
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const who = bearer ? tokens.get(bearer) : undefined;
    if (!who || who.expiresAt <= Date.now()) {
      return (apiError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'), 401);
    }
    let body: { scope?: unknown; lifetime?: unknown };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      return (apiError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'), 400);
    }
    if (!Array.isArray(body.scope) || body.scope.length === 0) return (apiError(res, 400, 'INVALID_ARGUMENT', 'Scope required.'), 400);
    if (body.lifetime !== undefined && !/^\d+(\.\d+)?s$/.test(String(body.lifetime))) return (apiError(res, 400, 'INVALID_ARGUMENT', 'Invalid value at \'lifetime\'.'), 400);
    const email = decodeURIComponent(m[1]);
    const holders = opts.serviceAccounts?.[email];
    if (!holders || who.kind !== 'federated' || !holders.includes(who.subject)) {
      return (apiError(res, 403, 'PERMISSION_DENIED', "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist)."), 403);
    }
    const token = mint('service-account', email);
    json(res, 200, { accessToken: token, expireTime: new Date(Date.now() + expiresIn * 1000).toISOString() });
    return 200;
  }

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const service: GcpRequest['service'] = path === '/v1/token' ? 'sts' : 'iamcredentials';
    const run = service === 'sts' ? sts(req, res) : iamCredentials(req, res, path);
    run.then(
      (status) => requests.push({ service, path, status }),
      () => {
        requests.push({ service, path, status: 500 });
        if (!res.headersSent) apiError(res, 500, 'INTERNAL', 'Internal error.');
      },
    );
  });
  const port = await listenLoopback(server);
  const base = `http://127.0.0.1:${port}`;
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  let registry: FrontedRegistry;
  try {
    registry = await startFrontedRegistry({
      realmPath: '/v2/token',
      authenticate({ username, password }) {
        if (username !== 'oauth2accesstoken' || !password) return false;
        const t = tokens.get(password);
        if (!t || t.expiresAt <= Date.now()) return false;
        return t.kind === 'service-account' || opts.federatedRegistryAccess !== false;
      },
    });
  } catch (e) {
    await closeServer();
    throw e;
  }
  return {
    stsUrl: `${base}/v1/token`,
    iamCredentialsUrl: base,
    env: { D2_GCP_STS_URL: `${base}/v1/token`, D2_GCP_IAMCREDENTIALS_URL: base },
    registry,
    issued,
    requests,
    async stop() {
      await closeServer();
      await registry.stop();
    },
  };
}
