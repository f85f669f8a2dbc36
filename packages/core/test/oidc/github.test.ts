/**
 * The GitHub Actions identity provider (src/oidc/providers/github.ts) against loopback servers: the sandbox's Actions-like OIDC
 * endpoint (packages/sandbox/src/oidc.ts) for the protocol (Bearer request token, `audience` query parameter appended
 * to a URL that already has a query, `{"value": <JWT>}`), and a scripted endpoint for error statuses. The token is
 * fetched lazily; SIGSTORE_ID_TOKEN wins without any request; a job without `id-token: write` fails early with the fix.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOidc, type OidcContext, type SandboxOidc } from '@d2/sandbox/oidc';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { assertIdTokenAvailable, decodeJwtClaims, expectedSignerIdentity, githubIdentityProvider, isPrivateRepository, SIGSTORE_AUDIENCE } from '../../src/oidc/index.js';
import { rejectedAs } from '../support/failures.js';

const ctx: OidcContext = { repository: 'acme/fleet', workflow: '.github/workflows/push.yaml', ref: 'refs/heads/main', visibility: 'private' };

let oidc: SandboxOidc;
beforeAll(async () => {
  oidc = await startOidc();
});
afterAll(async () => {
  await oidc.stop();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** A scripted token endpoint: answers each request with the next status/body and records what it was asked. */
async function scripted(answers: { status: number; body: unknown }[]): Promise<{ url: string; seen: { url: string; auth?: string }[]; close: () => Promise<void> }> {
  const seen: { url: string; auth?: string }[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    const a = answers[Math.min(seen.length - 1, answers.length - 1)];
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(a.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token?api-version=2.0`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const refusal = (p: Promise<unknown>): Promise<InputError> => rejectedAs(InputError, p);

describe('githubIdentityProvider with an explicit env (CLI, tests)', () => {
  it('gets a token for audience sigstore from the Actions endpoint; the claims name the workflow', async () => {
    const env = oidc.envFor(ctx);
    const before = oidc.requests;
    const provider = githubIdentityProvider({ env });
    expect(oidc.requests).toBe(before); // lazy: nothing is fetched until a token is needed
    const token = await provider.getToken();
    expect(oidc.requests).toBe(before + 1);
    const claims = decodeJwtClaims(token);
    expect(claims.aud).toBe(SIGSTORE_AUDIENCE);
    expect(claims.iss).toBe('https://token.actions.githubusercontent.com');
    expect(expectedSignerIdentity(claims)).toBe(oidc.expectedIdentity(ctx));
    expect(isPrivateRepository({ claims })).toBe(true);
  });

  it('asks for another audience when told to', async () => {
    const token = await githubIdentityProvider({ env: oidc.envFor(ctx), audience: 'https://registry.test' }).getToken();
    expect(decodeJwtClaims(token).aud).toBe('https://registry.test');
  });

  it('sends the request token as a Bearer header and appends the audience to the URL query', async () => {
    const srv = await scripted([{ status: 200, body: { value: 'a.b.c' } }]);
    try {
      const token = await githubIdentityProvider({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: srv.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-token' }, audience: 'a b&c' }).getToken();
      expect(token).toBe('a.b.c');
      expect(srv.seen).toEqual([{ url: '/token?api-version=2.0&audience=a%20b%26c', auth: 'Bearer req-token' }]);
    } finally {
      await srv.close();
    }
  });

  it('SIGSTORE_ID_TOKEN wins: no request is made', async () => {
    const env = { ...oidc.envFor(ctx), SIGSTORE_ID_TOKEN: 'given.jwt.token' };
    const before = oidc.requests;
    expect(await githubIdentityProvider({ env }).getToken()).toBe('given.jwt.token');
    expect(oidc.requests).toBe(before);
  });

  it('an unknown request token (401) fails at once with the status and the permission to check', async () => {
    const err = await refusal(githubIdentityProvider({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: `${oidc.url}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong' } }).getToken());
    expect(err.message).toBe('could not get an OIDC token from ACTIONS_ID_TOKEN_REQUEST_URL (HTTP 401)');
    expect(err.hint).toContain('id-token: write');
  });

  it('a 4xx is not retried; a 5xx is retried (3 attempts) and then fails', async () => {
    const forbidden = await scripted([{ status: 403, body: { message: 'no' } }]);
    const failing = await scripted([{ status: 503, body: {} }]);
    try {
      await refusal(githubIdentityProvider({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: forbidden.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' } }).getToken());
      expect(forbidden.seen).toHaveLength(1);
      const err = await refusal(githubIdentityProvider({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: failing.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' } }).getToken());
      expect(err.message).toContain('(HTTP 503)');
      expect(failing.seen).toHaveLength(3);
    } finally {
      await forbidden.close();
      await failing.close();
    }
  });

  it('a 5xx followed by a token succeeds', async () => {
    const srv = await scripted([
      { status: 502, body: {} },
      { status: 200, body: { value: 'x.y.z' } },
    ]);
    try {
      expect(await githubIdentityProvider({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: srv.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' } }).getToken()).toBe('x.y.z');
      expect(srv.seen).toHaveLength(2);
    } finally {
      await srv.close();
    }
  });

  it('a response without a value is refused, not returned as an empty token', async () => {
    const srv = await scripted([{ status: 200, body: { value: '' } }]);
    try {
      const err = await refusal(githubIdentityProvider({ env: { ACTIONS_ID_TOKEN_REQUEST_URL: srv.url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' } }).getToken());
      expect(err.message).toBe('could not get an OIDC token from ACTIONS_ID_TOKEN_REQUEST_URL (response has no "value")');
    } finally {
      await srv.close();
    }
  });
});

describe('githubIdentityProvider on the runner (process.env, through @actions/core)', () => {
  it('gets the token from the endpoint named in the process environment', async () => {
    const env = oidc.envFor(ctx);
    vi.stubEnv('SIGSTORE_ID_TOKEN', '');
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_URL', env.ACTIONS_ID_TOKEN_REQUEST_URL);
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_TOKEN', env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const token = await githubIdentityProvider().getToken();
      expect(decodeJwtClaims(token).aud).toBe(SIGSTORE_AUDIENCE);
      expect(expectedSignerIdentity(decodeJwtClaims(token))).toBe(oidc.expectedIdentity(ctx));
    } finally {
      out.mockRestore();
    }
  });
});

describe('assertIdTokenAvailable', () => {
  it('fails early without id-token: write, naming the permission and the way out', () => {
    for (const env of [{}, { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:1/token?x=1' }, { ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' }]) {
      let caught: unknown;
      try {
        assertIdTokenAvailable(env);
      } catch (e) {
        caught = e;
      }
      expect(caught, JSON.stringify(env)).toBeInstanceOf(InputError);
      expect((caught as InputError).hint).toContain('`permissions: id-token: write`');
      expect((caught as InputError).hint).toContain('`sign: false`');
    }
  });

  it('passes with both runner variables or with SIGSTORE_ID_TOKEN', () => {
    expect(() => assertIdTokenAvailable({ ACTIONS_ID_TOKEN_REQUEST_URL: 'u', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' })).not.toThrow();
    expect(() => assertIdTokenAvailable({ SIGSTORE_ID_TOKEN: 'x' })).not.toThrow();
  });

  it('the provider checks it before any request', async () => {
    await refusal(githubIdentityProvider({ env: {} }).getToken());
  });
});

describe('claims helpers', () => {
  it('decodeJwtClaims never throws on garbage', () => {
    expect(decodeJwtClaims('')).toEqual({});
    expect(decodeJwtClaims('a.!!!.c')).toEqual({});
    expect(decodeJwtClaims(`a.${Buffer.from('"str"').toString('base64url')}.c`)).toEqual({});
  });

  it('expectedSignerIdentity uses job_workflow_ref (a reusable workflow is the signer)', () => {
    const reusable = { ...ctx, jobWorkflowRef: 'acme/shared/.github/workflows/release.yaml@refs/tags/v1' };
    const claims = decodeJwtClaims(oidc.issueToken(reusable));
    expect(expectedSignerIdentity(claims)).toBe('https://github.com/acme/shared/.github/workflows/release.yaml@refs/tags/v1');
    expect(expectedSignerIdentity({})).toBeUndefined();
  });

  it('isPrivateRepository: the claim decides; without it, the event payload', () => {
    const dir = mkdtempSync(join(tmpdir(), 'd2-oidc-event-'));
    try {
      const event = join(dir, 'event.json');
      writeFileSync(event, JSON.stringify({ repository: { private: false, visibility: 'internal' } }));
      expect(isPrivateRepository({ claims: { repository_visibility: 'public' }, env: { GITHUB_EVENT_PATH: event } })).toBe(false);
      expect(isPrivateRepository({ claims: {}, env: { GITHUB_EVENT_PATH: event } })).toBe(true);
      writeFileSync(event, JSON.stringify({ repository: { private: true } }));
      expect(isPrivateRepository({ env: { GITHUB_EVENT_PATH: event } })).toBe(true);
      writeFileSync(event, 'not json');
      expect(isPrivateRepository({ env: { GITHUB_EVENT_PATH: event } })).toBe(false);
      expect(isPrivateRepository({ env: {} })).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
