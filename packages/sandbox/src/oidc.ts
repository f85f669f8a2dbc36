/**
 * An Actions-like OIDC token endpoint for tests: what the runner offers a job with `permissions: id-token: write`.
 * `envFor(context)` registers a run identity and returns the two variables the runner sets
 * (`ACTIONS_ID_TOKEN_REQUEST_URL`, `ACTIONS_ID_TOKEN_REQUEST_TOKEN`); `@actions/core` `getIDToken('sigstore')` then GETs
 * `<url>&audience=sigstore` with `Authorization: Bearer <token>` and receives `{"value": <JWT>}`.
 * The claims are GitHub's (`sub` = `repo:<owner>/<repo>:ref:<ref>`, `job_workflow_ref`, …); Fulcio derives the SAN
 * `https://github.com/` + `job_workflow_ref` from them (docs/signing.md, "GitHub Actions identities"), and the stand-in
 * Fulcio reads it from the claim {@link SAN_CLAIM}.
 *
 * The JWT is signed (ES256) with a throwaway key so that it has the real shape; the JWKS is served at
 * `/.well-known/jwks`. The mock Fulcio does not verify it.
 */
import { createHash, generateKeyPairSync, randomBytes, sign as cryptoSign, type JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { GITHUB_ACTIONS_ISSUER } from '@d2/core/base';
import { SAN_CLAIM } from './sigstore.js';
import { listenLoopback } from './process.js';

export { GITHUB_ACTIONS_ISSUER };

export interface OidcContext {
  /** `owner/repo` */
  repository: string;
  /** Workflow file path, e.g. `.github/workflows/push-artifact.yaml`. */
  workflow: string;
  /** e.g. `refs/heads/main`, `refs/tags/app/v1.2.3`. */
  ref: string;
  /** Commit SHA; default a random 40-hex value. */
  sha?: string;
  /** Default `push`. */
  eventName?: string;
  /** Default `public`. */
  visibility?: 'public' | 'private' | 'internal';
  /**
   * For a reusable workflow: the called workflow `owner/repo/.github/workflows/x.yaml@ref`. Default: the caller's
   * `repository/workflow@ref` (a JS action step in the workflow itself).
   */
  jobWorkflowRef?: string;
  /** Token lifetime; default 300 s. */
  ttlSeconds?: number;
  /** Extra or overriding claims. */
  claims?: Record<string, unknown>;
}

/**
 * A GitLab CI job's identity, for `id_tokens:` tokens as GitLab documents their claims (doc/ci/secrets/id_token_authentication.md,
 * "Token payload"). Real Fulcio maps gitlab.com tokens to the SAN `https://` + `ci_config_ref_uri`; the stand-in Fulcio
 * (sigstore.ts) derives it the same way.
 */
export interface GitLabOidcContext {
  /** `group[/subgroup]/project` */
  project: string;
  /** e.g. `refs/heads/main`, `refs/tags/frontend/v1.0.0`. */
  ref: string;
  /** CI configuration file; default `.gitlab-ci.yml`. */
  configPath?: string;
  /** Instance host; default `gitlab.com` (the issuer is then `https://gitlab.com`). */
  host?: string;
  sha?: string;
  /** Default `push`. */
  pipelineSource?: string;
  ttlSeconds?: number;
  claims?: Record<string, unknown>;
}

/** The issuer of gitlab.com's ID tokens (and of the certificates Fulcio issues for them). */
export const GITLAB_COM_ISSUER = 'https://gitlab.com';

export type OidcEnv = {
  ACTIONS_ID_TOKEN_REQUEST_URL: string;
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: string;
};

export interface SandboxOidc {
  url: string;
  issuer: string;
  /** The env a job with `id-token: write` and this identity would have. */
  envFor(ctx: OidcContext): OidcEnv;
  /** A token for the identity directly (for `SIGSTORE_ID_TOKEN`). */
  issueToken(ctx: OidcContext, audience?: string): string;
  /** The SAN the stand-in Fulcio (and real Fulcio) will put in the certificate for this identity. */
  expectedIdentity(ctx: OidcContext): string;
  /** A GitLab CI ID token (what `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore` gives a job), signed by this issuer's key. */
  issueGitLabToken(ctx: GitLabOidcContext, audience?: string): string;
  /** The SAN Fulcio puts in the certificate for a GitLab job: `https://<ci_config_ref_uri>`. */
  expectedGitLabIdentity(ctx: GitLabOidcContext): string;
  /** Token requests served (successful ones). */
  readonly requests: number;
  stop(): Promise<void>;
}

export async function startOidc(opts: { issuer?: string } = {}): Promise<SandboxOidc> {
  const issuer = opts.issuer ?? GITHUB_ACTIONS_ISSUER;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as JsonWebKey;
  const kid = createHash('sha256').update(JSON.stringify([jwk.x, jwk.y])).digest('hex').slice(0, 16);
  const contexts = new Map<string, OidcContext>();
  let requests = 0;

  const server = createServer();
  const port = await listenLoopback(server);
  const url = `http://127.0.0.1:${port}`;

  function claimsFor(ctx: OidcContext, audience: string): Record<string, unknown> {
    const [owner] = ctx.repository.split('/');
    const sha = ctx.sha ?? randomBytes(20).toString('hex');
    const jobWorkflowRef = ctx.jobWorkflowRef ?? `${ctx.repository}/${ctx.workflow}@${ctx.ref}`;
    const now = Math.floor(Date.now() / 1000);
    const refType = ctx.ref.startsWith('refs/tags/') ? 'tag' : 'branch';
    return {
      jti: randomBytes(16).toString('hex'),
      sub: `repo:${ctx.repository}:ref:${ctx.ref}`,
      aud: audience,
      ref: ctx.ref,
      sha,
      repository: ctx.repository,
      repository_owner: owner,
      repository_visibility: ctx.visibility ?? 'public',
      repository_id: '1',
      repository_owner_id: '1',
      run_id: '1',
      run_number: '1',
      run_attempt: '1',
      actor: owner,
      actor_id: '1',
      workflow: ctx.workflow.replace(/^.*\//, '').replace(/\.ya?ml$/, ''),
      head_ref: '',
      base_ref: '',
      event_name: ctx.eventName ?? 'push',
      ref_type: refType,
      ref_protected: 'false',
      workflow_ref: `${ctx.repository}/${ctx.workflow}@${ctx.ref}`,
      workflow_sha: sha,
      job_workflow_ref: jobWorkflowRef,
      job_workflow_sha: sha,
      runner_environment: 'github-hosted',
      [SAN_CLAIM]: `https://github.com/${jobWorkflowRef}`,
      iss: issuer,
      nbf: now - 5,
      iat: now - 5,
      exp: now + (ctx.ttlSeconds ?? 300),
      ...ctx.claims,
    };
  }

  function gitlabClaims(ctx: GitLabOidcContext, audience: string): Record<string, unknown> {
    const host = ctx.host ?? 'gitlab.com';
    const segments = ctx.project.split('/');
    const namespace = segments.slice(0, -1).join('/');
    const refType = ctx.ref.startsWith('refs/tags/') ? 'tag' : 'branch';
    const refName = ctx.ref.replace(/^refs\/(heads|tags)\//, '');
    const sha = ctx.sha ?? randomBytes(20).toString('hex');
    const now = Math.floor(Date.now() / 1000);
    return {
      namespace_id: '72',
      namespace_path: namespace,
      project_id: '4711',
      project_path: ctx.project,
      user_id: '42',
      user_login: 'maintainer',
      user_email: 'maintainer@example.com',
      user_access_level: 'maintainer',
      pipeline_id: '1001',
      pipeline_source: ctx.pipelineSource ?? 'push',
      job_id: '5001',
      ref: refName,
      ref_type: refType,
      ref_path: ctx.ref,
      ref_protected: 'true',
      runner_id: 1,
      runner_environment: 'gitlab-hosted',
      sha,
      project_visibility: 'private',
      ci_config_ref_uri: `${host}/${ctx.project}//${ctx.configPath ?? '.gitlab-ci.yml'}@${ctx.ref}`,
      ci_config_sha: sha,
      jti: randomBytes(16).toString('hex'),
      iss: `https://${host}`,
      iat: now - 5,
      nbf: now - 5,
      exp: now + (ctx.ttlSeconds ?? 300),
      sub: `project_path:${ctx.project}:ref_type:${refType}:ref:${refName}`,
      aud: audience,
      ...ctx.claims,
    };
  }

  function sign(claims: Record<string, unknown>): string {
    const header = { typ: 'JWT', alg: 'ES256', kid };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = cryptoSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  }

  function issueToken(ctx: OidcContext, audience = 'sigstore'): string {
    const header = { typ: 'JWT', alg: 'ES256', kid };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claimsFor(ctx, audience)))}`;
    const sig = cryptoSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', url);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    if (req.method !== 'GET') return json(405, { message: 'method not allowed' });
    if (u.pathname === '/.well-known/jwks') return json(200, { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] });
    if (u.pathname === '/.well-known/openid-configuration') {
      return json(200, { issuer, jwks_uri: `${url}/.well-known/jwks`, id_token_signing_alg_values_supported: ['ES256'] });
    }
    if (u.pathname !== '/token') return json(404, { message: 'not found' });
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const ctx = m ? contexts.get(m[1]) : undefined;
    if (!ctx) return json(401, { message: 'Bad credentials: unknown ACTIONS_ID_TOKEN_REQUEST_TOKEN' });
    const audience = u.searchParams.get('audience') ?? `https://github.com/${ctx.repository.split('/')[0]}`;
    requests++;
    return json(200, { value: issueToken(ctx, audience) });
  });

  let stopped = false;
  return {
    url,
    issuer,
    envFor(ctx) {
      const token = randomBytes(24).toString('hex');
      contexts.set(token, ctx);
      // Like the runner's URL, it already has a query string, so getIDToken appends `&audience=...`.
      return { ACTIONS_ID_TOKEN_REQUEST_URL: `${url}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: token };
    },
    issueToken,
    issueGitLabToken: (ctx, audience = 'sigstore') => sign(gitlabClaims(ctx, audience)),
    expectedGitLabIdentity: (ctx) => `https://${ctx.host ?? 'gitlab.com'}/${ctx.project}//${ctx.configPath ?? '.gitlab-ci.yml'}@${ctx.ref}`,
    expectedIdentity(ctx) {
      return `https://github.com/${ctx.jobWorkflowRef ?? `${ctx.repository}/${ctx.workflow}@${ctx.ref}`}`;
    },
    get requests() {
      return requests;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await closeServer(server);
    },
  };
}

function b64url(s: string): string {
  return Buffer.from(s).toString('base64url');
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
