/** The identity provider registry (oidc/identity.ts): precedence, and what each provider needs from the environment. */
import { describe, expect, it } from 'vitest';
import {
  envIdentityProvider,
  githubActionsIdentityProvider,
  IDENTITY_PROVIDERS,
  resolveIdentityProvider,
  type IdentityProviderFactory,
} from '../../src/oidc/index.js';

describe('identity providers', () => {
  it('registers env, then file, before github-actions', () => {
    expect([...IDENTITY_PROVIDERS.keys()]).toEqual(['env', 'file', 'github-actions']);
  });

  it('SIGSTORE_ID_TOKEN wins over the GitHub Actions token endpoint', async () => {
    const env = { SIGSTORE_ID_TOKEN: 'explicit.token.sig', ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/token?x=1', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' };
    await expect(resolveIdentityProvider(env)?.getToken()).resolves.toBe('explicit.token.sig');
  });

  it('the GitHub Actions provider needs both the request URL and token', () => {
    expect(githubActionsIdentityProvider({ ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/t' })).toBeUndefined();
    expect(githubActionsIdentityProvider({ ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' })).toBeUndefined();
    expect(githubActionsIdentityProvider({ ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/t', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' })).toBeDefined();
    expect(resolveIdentityProvider({ ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/t', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' })).toBeDefined();
  });

  it('no token source: undefined (the caller reports its own hint)', () => {
    expect(envIdentityProvider({ SIGSTORE_ID_TOKEN: '' })).toBeUndefined();
    expect(resolveIdentityProvider({})).toBeUndefined();
  });

  it('a registry of providers is tried in order', async () => {
    const calls: string[] = [];
    const none: IdentityProviderFactory = () => (calls.push('none'), undefined);
    const file: IdentityProviderFactory = () => (calls.push('file'), { getToken: () => Promise.resolve('from.file.sig') });
    const provider = resolveIdentityProvider({}, new Map([['none', none], ['file', file]]));
    await expect(provider?.getToken()).resolves.toBe('from.file.sig');
    expect(calls).toEqual(['none', 'file']);
  });
});
