/**
 * GitHub Actions OIDC helpers for keyless signing (docs/signing.md, "GitHub Actions identities").
 * The token is fetched lazily (it is short-lived) with `@actions/core` `getIDToken('sigstore')`, or taken from
 * `SIGSTORE_ID_TOKEN` (CLI, other CI systems).
 */
import { readFileSync } from 'node:fs';
import type { IdentityProvider } from '../../base/index.js';
import { InputError } from '../../errors.js';

export { GITHUB_ACTIONS_ISSUER } from '../../base/index.js';
/** Fulcio requires this audience (`client-id: sigstore`). */
export const SIGSTORE_AUDIENCE = 'sigstore';

export type { IdentityProvider } from '../../base/index.js';

type Env = Record<string, string | undefined>;

/**
 * Fails early (before anything is pushed) when no OIDC token can be had: the job lacks `permissions: id-token: write`
 * and no `SIGSTORE_ID_TOKEN` is set.
 */
export function assertIdTokenAvailable(env: Env = process.env): void {
  if (env.SIGSTORE_ID_TOKEN) return;
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) return;
  throw missingIdTokenError();
}

/** The error of a job that signs without `permissions: id-token: write`. */
export function missingIdTokenError(): InputError {
  return new InputError(
    'keyless signing needs a GitHub OIDC token, but ACTIONS_ID_TOKEN_REQUEST_URL is not set',
    'add `permissions: id-token: write` to the job (a reusable workflow\'s caller must grant it too), ' +
      'or set `sign: false` to push without a signature',
  );
}

/**
 * The identity provider for signing: `SIGSTORE_ID_TOKEN` when set, else the workflow's OIDC token for audience `sigstore`
 * via `@actions/core` (which masks it with setSecret).
 */
export function githubIdentityProvider(opts: { env?: Env; audience?: string } = {}): IdentityProvider {
  const env = opts.env ?? process.env;
  return {
    async getToken() {
      if (env.SIGSTORE_ID_TOKEN) return env.SIGSTORE_ID_TOKEN;
      assertIdTokenAvailable(env);
      if (opts.env && opts.env !== process.env) {
        // An explicit env (tests, CLI) is not process.env, which @actions/core reads: fetch the token ourselves.
        return fetchActionsIdToken(env, opts.audience ?? SIGSTORE_AUDIENCE);
      }
      // Loaded when a token is asked for: a command that does not sign starts without @actions/core and its HTTP client.
      const core = await import('@actions/core');
      return core.getIDToken(opts.audience ?? SIGSTORE_AUDIENCE);
    },
  };
}

/** The GET that `core.getIDToken` does, for an explicit environment. */
export async function fetchActionsIdToken(env: Env, audience: string): Promise<string> {
  const url = `${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent(audience)}`;
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}`, accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
      if (res.ok) {
        const body = (await res.json()) as { value?: unknown };
        if (typeof body.value === 'string' && body.value) return body.value;
        lastError = 'response has no "value"';
        break;
      }
      lastError = `HTTP ${res.status}`;
      if (res.status < 500) break;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
  }
  throw new InputError(`could not get an OIDC token from ACTIONS_ID_TOKEN_REQUEST_URL (${lastError})`, 'check that the job has `permissions: id-token: write`');
}

/** Claims of a JWT, decoded WITHOUT verifying the signature (for messages and warnings only, never for trust). */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length < 2) return {};
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The certificate SAN Fulcio derives from a GitHub token: `https://github.com/` + `job_workflow_ref`. */
export function expectedSignerIdentity(claims: Record<string, unknown>): string | undefined {
  const ref = claims.job_workflow_ref;
  return typeof ref === 'string' && ref ? `https://github.com/${ref}` : undefined;
}

/**
 * Whether the repository is private or internal, from the token's `repository_visibility` claim or the event payload's
 * `repository.private` (GITHUB_EVENT_PATH). Rekor entries are public and reveal repository and workflow names.
 */
export function isPrivateRepository(opts: { claims?: Record<string, unknown>; env?: Env } = {}): boolean {
  const vis = opts.claims?.repository_visibility;
  if (vis === 'private' || vis === 'internal') return true;
  if (vis === 'public') return false;
  const path = (opts.env ?? process.env).GITHUB_EVENT_PATH;
  if (!path) return false;
  try {
    const event = JSON.parse(readFileSync(path, 'utf8')) as { repository?: { private?: unknown; visibility?: unknown } };
    return event.repository?.private === true || event.repository?.visibility === 'internal';
  } catch {
    return false;
  }
}
