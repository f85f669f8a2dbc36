/**
 * The GitHub Actions adapter of publishing (action/publish.ts): inputs → PublishConfig and build options, the
 * credentials chain, and the errors raised before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { actionCredentials, Inputs, readCommonInputs, wireActionPublish } from '../../src/action/index.js';
import { InputError } from '../../src/errors.js';
import { DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL } from '../../src/publish/index.js';

const inputs = (values: Record<string, string>) => new Inputs((name) => values[name] ?? '');
const env = { GITHUB_REPOSITORY: 'acme/fleet', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: 'abc', DOCKER_CONFIG: '/nonexistent' };

describe('readCommonInputs', () => {
  it('signing on by default, with the public-good Sigstore and the legacy format', () => {
    const common = readCommonInputs(inputs({}), env);
    expect(common.config).toEqual({
      signing: { format: 'legacy', verifyAfterSign: true, fulcioURL: DEFAULT_FULCIO_URL, rekorURL: DEFAULT_REKOR_URL, tsaURL: undefined, trustedRoot: undefined },
    });
    expect(common.build).toMatchObject({ source: 'https://github.com/acme/fleet', revision: 'refs/heads/main@sha1:abc', compressor: 'go-flate', reproducible: true });
  });

  it('sign: false gives a config without signing', () => {
    expect(readCommonInputs(inputs({ sign: 'false' }), env).config).toEqual({});
  });

  it('refuses an unknown signature format', () => {
    expect(() => readCommonInputs(inputs({ 'signature-format': 'cosign' }), env)).toThrow(InputError);
  });
});

describe('actionCredentials / wireActionPublish', () => {
  it('refuses registry-username without registry-password', () => {
    const common = readCommonInputs(inputs({ 'registry-username': 'me', sign: 'false' }), env);
    expect(() => actionCredentials(['ghcr.io'], common, env)).toThrow(/registry-password is empty/);
  });

  it('the registry-password alone is the workflow token, for ghcr.io only', async () => {
    const common = readCommonInputs(inputs({ 'registry-password': 'ghs_token', sign: 'false' }), env);
    const creds = actionCredentials(['ghcr.io', 'registry.example'], common, { ...env, GITHUB_ACTOR: 'octocat' });
    await expect(creds.get('ghcr.io')).resolves.toEqual({ username: 'octocat', password: 'ghs_token' });
    await expect(creds.get('registry.example')).resolves.toBeUndefined();
  });

  it('signing without the id-token permission fails before a credentials mistake, naming the permission and sign: false', async () => {
    const common = readCommonInputs(inputs({ 'registry-username': 'me' }), env);
    const err = await wireActionPublish(['ghcr.io'], common, env).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toContain('ACTIONS_ID_TOKEN_REQUEST_URL');
    expect((err as InputError).hint).toContain('id-token: write');
    expect((err as InputError).hint).toContain('sign: false');
  });
});
