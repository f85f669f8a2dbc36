/** The credential provider registry (oci/credentials/registry.ts): which providers apply, and their precedence. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_PROVIDERS, credentialChain, StaticCredentials, type CredentialProviderFactory } from '../../src/oci/index.js';

function dockerConfigDir(auths: Record<string, { auth: string }>): string {
  const dir = mkdtempSync(join(tmpdir(), 'd2-cred-registry-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths }));
  return dir;
}
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('credential provider registry', () => {
  it('registers cloud, static, ghcr-token, gitlab-ci and docker-config, in that order (a cloud host is answered first)', () => {
    expect([...CREDENTIAL_PROVIDERS.keys()]).toEqual(['cloud', 'static', 'ghcr-token', 'gitlab-ci', 'docker-config']);
  });

  it('explicit credentials apply to the registries of the run only, before the Docker config', async () => {
    const env = { DOCKER_CONFIG: dockerConfigDir({ 'registry.example': { auth: b64('docker:fromconfig') }, 'other.example': { auth: b64('o:p') } }) };
    const chain = credentialChain({ registries: ['registry.example'], env, username: 'me', password: 'secret' });
    await expect(chain.get('registry.example')).resolves.toEqual({ username: 'me', password: 'secret' });
    await expect(chain.get('other.example')).resolves.toEqual({ username: 'o', password: 'p' });
  });

  it('a password without a username is the workflow token, sent to ghcr.io only', async () => {
    const env = { GITHUB_ACTOR: 'octocat', DOCKER_CONFIG: dockerConfigDir({}) };
    const chain = credentialChain({ registries: ['ghcr.io', 'registry.example'], env, password: 'ghs_token' });
    await expect(chain.get('ghcr.io')).resolves.toEqual({ username: 'octocat', password: 'ghs_token' });
    await expect(chain.get('registry.example')).resolves.toBeUndefined();
  });

  it('nothing given: the Docker config answers', async () => {
    const env = { DOCKER_CONFIG: dockerConfigDir({ 'registry.example': { auth: b64('docker:fromconfig') } }) };
    await expect(credentialChain({ registries: ['registry.example'], env }).get('registry.example')).resolves.toEqual({ username: 'docker', password: 'fromconfig' });
  });

  it('a new provider plugs in with one registration line', async () => {
    const cloud: CredentialProviderFactory = ({ env }) => (env.CLOUD_TOKEN ? StaticCredentials.for('cloud.example', { username: 'oauth2', password: env.CLOUD_TOKEN }) : undefined);
    const providers = new Map([...CREDENTIAL_PROVIDERS, ['cloud', cloud]]);
    const env = { CLOUD_TOKEN: 'tok', DOCKER_CONFIG: dockerConfigDir({}) };
    await expect(credentialChain({ registries: ['cloud.example'], env }, providers).get('cloud.example')).resolves.toEqual({ username: 'oauth2', password: 'tok' });
    await expect(credentialChain({ registries: ['cloud.example'], env: { DOCKER_CONFIG: env.DOCKER_CONFIG } }, providers).get('cloud.example')).resolves.toBeUndefined();
  });
});
