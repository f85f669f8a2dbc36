/**
 * Registry authentication (docs/registry-client.md, "Decisions", Auth): remembers per registry whether it wants Basic or Bearer,
 * fetches Bearer tokens with the distribution token protocol (GET, Basic credentials) or its OAuth2 variant (POST with
 * a refresh token, or with a password when asked to, falling back to GET on 404), caches tokens per
 * (registry, normalised scope set) until `expires_in` minus a margin, and single-flights concurrent fetches of the
 * same token. The oras-go `auth.Client` design, written for node:http.
 *
 * Credentials only ever go to the registry's own origin and to the realm its challenge names; client.ts makes sure
 * no Authorization header follows a cross-origin redirect.
 */
import { isLoopback } from './references.js';
import { bearerOf, mergeScopes, type BearerChallenge, type Challenge } from './challenge.js';
import { parseErrorBody, RegistryError, RegistryErrorCode } from './errors.js';
import type { Transport } from './transport.js';
import type { Budget, CredentialProvider, Credentials, Logger } from './types.js';
import { redactUrl } from '../util/index.js';

interface HostState {
  scheme: 'basic' | 'bearer';
  bearer?: BearerChallenge;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export interface AuthOptions {
  credentials: CredentialProvider;
  transport: Transport;
  logger?: Logger;
  /** Socket inactivity timeout of a token request. */
  timeoutMs: number;
  /** Deadline of a whole token request (transport default when absent). */
  requestTimeoutMs?: number;
  /** The operation's time limit. */
  budget?: Budget;
  /** OAuth2 client_id (default `d2`). */
  clientId?: string;
  /** Use the OAuth2 password grant (POST) instead of GET for username/password (falls back to GET on 404). */
  oauth2Password?: boolean;
  /** Registries whose realm may be plain http even when not loopback. */
  insecure: (registry: string) => boolean;
}

/** Every token issued, for callers that count them (tests, diagnostics). */
export interface TokenFetch {
  registry: string;
  scopes: string[];
  method: 'GET' | 'POST';
}

export class AuthManager {
  private readonly hosts = new Map<string, HostState>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly creds = new Map<string, Promise<Credentials | undefined>>();
  /** Tokens fetched so far (never the token values). */
  readonly fetches: TokenFetch[] = [];

  constructor(private readonly opts: AuthOptions) {}

  credentialsFor(registry: string): Promise<Credentials | undefined> {
    let p = this.creds.get(registry);
    if (!p) {
      p = this.opts.credentials.get(registry);
      this.creds.set(registry, p);
      p.catch(() => this.creds.delete(registry));
    }
    return p;
  }

  /** The Authorization header to send up front, if the registry's scheme is already known. */
  async preemptive(registry: string, scopes: string[]): Promise<string | undefined> {
    const creds = await this.credentialsFor(registry);
    if (creds?.registryToken) return `Bearer ${creds.registryToken}`;
    const state = this.hosts.get(registry);
    if (!state) return undefined;
    if (state.scheme === 'basic') return basicHeader(creds);
    if (!state.bearer) return undefined;
    const key = cacheKey(registry, scopes);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
    return `Bearer ${await this.token(registry, state.bearer, scopes)}`;
  }

  /**
   * Handles a 401: returns the header to retry with, or undefined when retrying cannot help (no credentials for
   * Basic, unknown scheme, or the same token was just refused).
   */
  async onChallenge(registry: string, challenge: Challenge | undefined, hintScopes: string[], sent: string | undefined): Promise<string | undefined> {
    if (!challenge) return undefined;
    const creds = await this.credentialsFor(registry);
    if (challenge.scheme === 'basic') {
      this.hosts.set(registry, { scheme: 'basic' });
      const header = basicHeader(creds);
      return header && header !== sent ? header : undefined;
    }
    const bearer = bearerOf(challenge);
    if (!bearer) return undefined;
    this.hosts.set(registry, { scheme: 'bearer', bearer: { realm: bearer.realm, service: bearer.service, scopes: [] } });
    const scopes = mergeScopes(bearer.scopes, hintScopes);
    const key = cacheKey(registry, scopes);
    const cached = this.tokens.get(key);
    if (cached && sent === `Bearer ${cached.token}`) {
      // The token we sent was refused: one fresh fetch (it may have expired); insufficient_scope stays refused.
      this.tokens.delete(key);
    } else if (cached && cached.expiresAt > Date.now()) {
      return `Bearer ${cached.token}`;
    }
    const header = `Bearer ${await this.token(registry, bearer, scopes)}`;
    return header === sent ? undefined : header;
  }

  /** Single-flight token fetch for (registry, scopes). */
  private token(registry: string, bearer: BearerChallenge, scopesIn: string[]): Promise<string> {
    const scopes = mergeScopes(scopesIn);
    const key = cacheKey(registry, scopes);
    const running = this.inflight.get(key);
    if (running) return running;
    const p = this.fetchToken(registry, bearer, scopes)
      .then((t) => {
        this.tokens.set(key, t);
        return t.token;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async fetchToken(registry: string, bearer: BearerChallenge, scopes: string[]): Promise<CachedToken> {
    const creds = await this.credentialsFor(registry);
    let realm: URL;
    try {
      realm = new URL(bearer.realm);
    } catch {
      throw new RegistryError({ registry, operation: 'token request', code: RegistryErrorCode.Protocol, message: `registry ${registry} sent an invalid token realm '${redactUrl(bearer.realm)}'` });
    }
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && (isLoopback(realm.host) || this.opts.insecure(registry) || this.opts.insecure(realm.host)))) {
      throw new RegistryError({
        registry,
        operation: 'token request',
        code: RegistryErrorCode.Protocol,
        message: `registry ${registry} asks for credentials at ${realm.origin}, which is not https`,
        hint: 'refusing to send credentials over plain http; mark the registry insecure only if you trust the network',
      });
    }
    if (creds?.identityToken) {
      const r = await this.post(registry, realm, bearer, scopes, { grant_type: 'refresh_token', refresh_token: creds.identityToken });
      if (r) return r;
    }
    if (this.opts.oauth2Password && creds?.username && creds.password !== undefined) {
      const r = await this.post(registry, realm, bearer, scopes, { grant_type: 'password', username: creds.username, password: creds.password });
      if (r) return r;
    }
    return this.get(registry, realm, bearer, scopes, creds);
  }

  private async get(registry: string, realm: URL, bearer: BearerChallenge, scopes: string[], creds: Credentials | undefined): Promise<CachedToken> {
    const url = new URL(realm);
    if (bearer.service) url.searchParams.set('service', bearer.service);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { accept: 'application/json' };
    const basic = basicHeader(creds);
    if (basic) headers.authorization = basic;
    this.opts.logger?.debug(`token GET ${url.origin}${url.pathname} scopes=${scopes.join(' ') || '(none)'}${basic ? ' (with credentials)' : ' (anonymous)'}`);
    const res = await this.opts.transport.send({ method: 'GET', url, headers, timeoutMs: this.opts.timeoutMs, deadlineMs: this.opts.requestTimeoutMs, budget: this.opts.budget }, { kind: 'buffer', limit: 4 << 20 });
    return this.parse(registry, res.status, res.body, scopes, 'GET');
  }

  /** OAuth2 POST; undefined when the realm answers 404 (no OAuth2 support: fall back to GET). */
  private async post(registry: string, realm: URL, bearer: BearerChallenge, scopes: string[], grant: Record<string, string>): Promise<CachedToken | undefined> {
    const form = new URLSearchParams({ ...grant, service: bearer.service ?? '', client_id: this.opts.clientId ?? 'd2' });
    if (scopes.length) form.set('scope', scopes.join(' '));
    this.opts.logger?.debug(`token POST ${realm.origin}${realm.pathname} grant_type=${grant.grant_type} scopes=${scopes.join(' ') || '(none)'}`);
    const res = await this.opts.transport.send(
      { method: 'POST', url: realm, headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: Buffer.from(form.toString()), timeoutMs: this.opts.timeoutMs, deadlineMs: this.opts.requestTimeoutMs, budget: this.opts.budget },
      { kind: 'buffer', limit: 4 << 20 },
    );
    if (res.status === 404) return undefined;
    return this.parse(registry, res.status, res.body, scopes, 'POST');
  }

  private parse(registry: string, status: number, body: Buffer, scopes: string[], method: 'GET' | 'POST'): CachedToken {
    if (status !== 200) {
      const parsed = parseErrorBody(body);
      throw new RegistryError({ registry, operation: 'token request', status, errors: parsed.errors, body: parsed.text });
    }
    let json: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      json = JSON.parse(body.toString('utf8')) as typeof json;
    } catch {
      throw new RegistryError({ registry, operation: 'token request', status, code: RegistryErrorCode.Protocol, message: `the token server for ${registry} answered with something that is not JSON` });
    }
    const token = typeof json.access_token === 'string' && json.access_token ? json.access_token : typeof json.token === 'string' ? json.token : '';
    if (!token) throw new RegistryError({ registry, operation: 'token request', status, code: RegistryErrorCode.Protocol, message: `the token server for ${registry} returned no token` });
    const expiresIn = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 60;
    // Refresh a little early: 10 s, or a fifth of a short lifetime.
    const margin = Math.min(10, expiresIn / 5);
    this.fetches.push({ registry, scopes, method });
    return { token, expiresAt: Date.now() + (expiresIn - margin) * 1000 };
  }
}

function cacheKey(registry: string, scopes: string[]): string {
  return `${registry}|${mergeScopes(scopes).join(' ')}`;
}

function basicHeader(creds: Credentials | undefined): string | undefined {
  if (!creds || creds.username === undefined || creds.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}
