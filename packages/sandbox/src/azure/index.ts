/**
 * A stand-in for Microsoft Entra workload identity federation and Azure Container Registry, on 127.0.0.1 (no emulator
 * exists for these services). It accepts exactly the requests the services document and refuses anything else with
 * their documented error shapes:
 *  - Microsoft identity platform (https, a self-signed certificate for 127.0.0.1: MSAL insists on https authorities;
 *    tests trust `caPem`): OpenID discovery `GET /<tenant>/v2.0/.well-known/openid-configuration` and the token
 *    endpoint `POST /<tenant>/oauth2/v2.0/token` with the client credentials grant and a JWT client assertion
 *    (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow, "Second case:
 *    Access token request with a certificate"); the assertion is the workflow's OIDC token, checked like a federated
 *    identity credential (https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation): signature
 *    against the sandbox issuer's JWKS, `iss`, `aud` = `api://AzureADTokenExchange`, `sub` exact. Errors are the
 *    platform's `{error, error_description: "AADSTS…", error_codes, timestamp, trace_id, correlation_id}`.
 *  - ACR's token endpoints on the registry host (https://github.com/Azure/acr/blob/main/docs/AAD-OAuth.md):
 *    `POST /oauth2/exchange` (`grant_type=access_token`, `service`, `tenant`, `access_token` = an Entra token issued
 *    above for the ARM audience) → `{refresh_token}`, and `/oauth2/token` (the registry's realm) accepting that refresh
 *    token (`grant_type=refresh_token`, or Basic `00000000-0000-0000-0000-000000000000:<refresh token>`). The
 *    registry behind is a token-auth distribution registry (fronted-registry.ts). A principal without a role
 *    assignment on the registry is refused at the exchange with 401.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBody, sendJson } from '../http-util.js';
import { listenLoopback } from '../process.js';
import { startFrontedRegistry, type FrontedRegistry } from '../fronted-registry.js';
import { OidcTokenRejected, verifyOidcToken } from '../oidc-verify.js';

export const AZURE_TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
export const AZURE_CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** The user name ACR documents for a refresh token (`docker login -u 00000000-…`). */
export const ACR_REFRESH_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';
/** The Azure Resource Manager audience the ACR exchange accepts (public cloud). */
export const ARM_SCOPE = 'https://management.azure.com/.default';

export interface AzureApp {
  clientId: string;
  /** Federated identity credentials: the `sub` claims accepted (issuer: the sandbox issuer; audience: api://AzureADTokenExchange). */
  subjects: string[];
  /** Role on the registry (AcrPush lets it push); none: the exchange refuses it. */
  role?: 'AcrPush';
}

export interface AzureStandInOptions {
  oidc: { url: string; issuer: string };
  tenantId: string;
  apps: AzureApp[];
  /** Lifetime of issued tokens, seconds (default 3600). */
  expiresIn?: number;
}

export interface AzureRequest {
  service: 'entra' | 'acr';
  path: string;
  status: number;
}

export interface AzureStandIn {
  /** `https://127.0.0.1:PORT` (for AZURE_AUTHORITY_HOST). */
  authorityHost: string;
  /** The self-signed certificate of the identity platform stand-in (trust it in the test process). */
  caPem: string;
  /** The same certificate in a file, for NODE_EXTRA_CA_CERTS of a child process (an action bundle, the CLI). */
  caFile: string;
  /** The environment a child process needs to reach the stand-in: AZURE_AUTHORITY_HOST and NODE_EXTRA_CA_CERTS. */
  env: Record<string, string>;
  registry: FrontedRegistry;
  /** Every token issued (Entra access tokens, ACR refresh tokens), for the tests' no-secret greps. */
  issued: string[];
  requests: AzureRequest[];
  stop(): Promise<void>;
}

interface EntraToken {
  tenantId: string;
  clientId: string;
  scope: string;
  expiresAt: number;
}

export async function startAzureStandIn(opts: AzureStandInOptions): Promise<AzureStandIn> {
  const expiresIn = opts.expiresIn ?? 3600;
  const entraTokens = new Map<string, EntraToken>();
  const refreshTokens = new Map<string, { clientId: string; expiresAt: number }>();
  const issued: string[] = [];
  const requests: AzureRequest[] = [];

  const certDir = mkdtempSync(join(tmpdir(), 'd2-azure-standin-'));
  const keyPath = join(certDir, 'key.pem');
  const certPath = join(certDir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
  const caPem = readFileSync(certPath, 'utf8');
  const keyPem = readFileSync(keyPath, 'utf8');
  rmSync(keyPath, { force: true });

  const aadError = (res: ServerResponse, status: number, error: string, code: number, description: string): number => {
    sendJson(res, status, {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    });
    return status;
  };

  let base = '';
  async function entra(req: IncomingMessage, res: ServerResponse, path: string): Promise<number> {
    const m = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(path);
    if (!m) return aadError(res, 404, 'invalid_request', 90002, 'The requested resource was not found.');
    const tenant = m[1];
    if (tenant !== opts.tenantId) return aadError(res, 400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    if (m[2].startsWith('v2.0')) {
      if (req.method !== 'GET') return aadError(res, 405, 'invalid_request', 90056, 'Method not allowed.');
      sendJson(res, 200, {
        token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${base}/${tenant}/v2.0`,
        authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
      });
      return 200;
    }
    if (req.method !== 'POST') return aadError(res, 405, 'invalid_request', 90056, 'The token endpoint only accepts POST requests.');
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    if (form.get('grant_type') !== 'client_credentials') return aadError(res, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    const clientId = form.get('client_id') ?? '';
    const app = opts.apps.find((a) => a.clientId === clientId);
    if (!app) return aadError(res, 400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
    if (form.get('client_assertion_type') !== AZURE_CLIENT_ASSERTION_TYPE || !form.get('client_assertion')) {
      return aadError(res, 401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const scope = form.get('scope') ?? '';
    if (!/\/\.default$/.test(scope) || scope.split(' ').length !== 1) return aadError(res, 400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`);
    try {
      await verifyOidcToken(form.get('client_assertion') ?? '', { jwksBase: opts.oidc.url, issuer: opts.oidc.issuer, audience: AZURE_TOKEN_EXCHANGE_AUDIENCE, subjects: app.subjects });
    } catch (e) {
      if (!(e instanceof OidcTokenRejected)) throw e;
      if (e.reason === 'expired') return aadError(res, 400, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
      if (e.reason === 'audience') return aadError(res, 400, 'invalid_client', 700212, `No matching federated identity record found for presented assertion audience. Expected audience '${AZURE_TOKEN_EXCHANGE_AUDIENCE}'.`);
      if (e.reason === 'subject' || e.reason === 'issuer') {
        const claims = JSON.parse(Buffer.from((form.get('client_assertion') ?? '').split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
        return aadError(res, 400, 'invalid_request', 70021, `No matching federated identity record found for presented assertion. Assertion Issuer: '${String(claims.iss)}'. Assertion Subject: '${String(claims.sub)}'. Assertion Audience: '${String(claims.aud)}'.`);
      }
      return aadError(res, 401, 'invalid_client', 5002738, 'Invalid JWT token. The token signature could not be validated.');
    }
    const token = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ aud: scope.replace(/\/\.default$/, ''), tid: tenant, appid: clientId })).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
    entraTokens.set(token, { tenantId: tenant, clientId, scope, expiresAt: Date.now() + expiresIn * 1000 });
    issued.push(token);
    sendJson(res, 200, { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token });
    return 200;
  }

  const entraServer = createHttpsServer({ key: keyPem, cert: caPem }, (req, res) => {
    const path = new URL(req.url ?? '/', 'https://127.0.0.1').pathname;
    entra(req, res, path).then(
      (status) => requests.push({ service: 'entra', path, status }),
      () => {
        requests.push({ service: 'entra', path, status: 500 });
        if (!res.headersSent) sendJson(res, 500, { error: 'temporarily_unavailable' });
      },
    );
  });
  const entraPort = await listenLoopback(entraServer);
  base = `https://127.0.0.1:${entraPort}`;
  const closeEntra = () =>
    new Promise<void>((resolve) => {
      entraServer.close(() => resolve());
      entraServer.closeAllConnections();
    });

  const acrError = (res: ServerResponse, status: number, code: string, message: string): boolean => {
    sendJson(res, status, { errors: [{ code, message, detail: null }] });
    return true;
  };

  let registry: FrontedRegistry;
  try {
    registry = await startFrontedRegistry({
      realmPath: '/oauth2/token',
      authenticate({ username, password, refreshToken }) {
        const rt = refreshToken ?? (username === ACR_REFRESH_TOKEN_USERNAME ? password : undefined);
        const known = rt ? refreshTokens.get(rt) : undefined;
        return Boolean(known && known.expiresAt > Date.now());
      },
      async route(req, body, res) {
        const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
        if (path !== '/oauth2/exchange') return false;
        const done = (status: number) => requests.push({ service: 'acr', path, status });
        if (req.method !== 'POST') return (done(405), acrError(res, 405, 'UNSUPPORTED', 'The requested method is not supported.'));
        if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) return (done(400), acrError(res, 400, 'UNSUPPORTED', 'The content type must be application/x-www-form-urlencoded.'));
        const form = new URLSearchParams(body.toString('utf8'));
        if (form.get('grant_type') !== 'access_token') return (done(400), acrError(res, 400, 'UNSUPPORTED', "grant_type must be 'access_token'."));
        if (form.get('service') !== registry.host) return (done(400), acrError(res, 400, 'UNSUPPORTED', `service '${form.get('service') ?? ''}' does not name this registry.`));
        const aad = entraTokens.get(form.get('access_token') ?? '');
        if (!aad || aad.expiresAt <= Date.now() || aad.scope !== ARM_SCOPE) {
          return (done(401), acrError(res, 401, 'UNAUTHORIZED', 'Invalid Azure active directory access token.'));
        }
        if (form.get('tenant') && form.get('tenant') !== aad.tenantId) return (done(401), acrError(res, 401, 'UNAUTHORIZED', 'The access token was issued for another tenant.'));
        const app = opts.apps.find((a) => a.clientId === aad.clientId);
        if (!app?.role) {
          return (done(401), acrError(res, 401, 'UNAUTHORIZED', `The identity '${aad.clientId}' is not authorized to access the registry; it has no role assignment on it.`));
        }
        const refresh = `${randomBytes(48).toString('base64url')}`;
        refreshTokens.set(refresh, { clientId: aad.clientId, expiresAt: Date.now() + 3 * 3600 * 1000 });
        issued.push(refresh);
        done(200);
        sendJson(res, 200, { refresh_token: refresh });
        return true;
      },
    });
  } catch (e) {
    await closeEntra();
    rmSync(certDir, { recursive: true, force: true });
    throw e;
  }
  return {
    authorityHost: base,
    caPem,
    caFile: certPath,
    env: { AZURE_AUTHORITY_HOST: base, NODE_EXTRA_CA_CERTS: certPath },
    registry,
    issued,
    requests,
    async stop() {
      await closeEntra();
      await registry.stop();
      rmSync(certDir, { recursive: true, force: true });
    },
  };
}
