/**
 * Credential sources and challenge parsing. The credential
 * helper is a real executable `docker-credential-test` on PATH in a temp dir; the end-to-end cases push to the real
 * sandbox registry (htpasswd and token modes) with a capturing logger to prove no secret is logged.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { D2Error, InputError } from '../../src/errors.js';
import { bearerOf, mergeScopes, parseChallenge } from '../../src/oci/challenge.js';
import { RegistryClient } from '../../src/oci/client.js';
import { ChainCredentials, DockerConfigCredentials, GitHubTokenCredentials, StaticCredentials, parseDockerAuthConfig } from '../../src/oci/index.js';
import { CaptureLogger, makeArtifact, OCI_MANIFEST, tempDir } from './helpers.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function configDir(cfg: unknown): string {
  const dir = tempDir('dockercfg');
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  return dir;
}

/**
 * A bin dir with `docker-credential-test` (answers for any server URL, recording what it was asked) and
 * `docker-credential-other` (answers "credentials not found" except for one host).
 */
function helperBin(secret: string): { bin: string; asked: string } {
  const bin = tempDir('helpers');
  const asked = join(bin, 'asked.txt');
  writeFileSync(
    join(bin, 'docker-credential-test'),
    `#!/bin/sh\n[ "$1" = get ] || exit 2\nread url\necho "$url" >> ${asked}\ncase "$url" in\n  token.example) printf '{"ServerURL":"%s","Username":"<token>","Secret":"refresh-xyz"}' "$url" ;;\n  *) printf '{"ServerURL":"%s","Username":"testuser","Secret":"${secret}"}' "$url" ;;\nesac\n`,
  );
  writeFileSync(join(bin, 'docker-credential-other'), `#!/bin/sh\nread url\nif [ "$url" = store.example ]; then printf '{"Username":"storeuser","Secret":"s"}'; else echo "credentials not found in native keychain"; exit 1; fi\n`);
  writeFileSync(join(bin, 'docker-credential-broken'), `#!/bin/sh\necho "fatal: leaked-looking output" >&2\nexit 3\n`);
  for (const f of ['docker-credential-test', 'docker-credential-other', 'docker-credential-broken']) chmodSync(join(bin, f), 0o755);
  return { bin, asked };
}

describe('DockerConfigCredentials', () => {
  it('reads auths (auth, identitytoken, registrytoken); keys may be full URLs (ConvertToHostname)', async () => {
    const dir = configDir({
      auths: {
        'https://reg.example:5000/v1/': { auth: b64('u1:p:with:colons') },
        'id.example': { identitytoken: 'refresh-1' },
        'rt.example': { registrytoken: 'direct-bearer' },
      },
    });
    const p = new DockerConfigCredentials({ configDir: dir, env: {} });
    expect(await p.get('reg.example:5000')).toEqual({ username: 'u1', password: 'p:with:colons' });
    expect(await p.get('id.example')).toEqual({ identityToken: 'refresh-1' });
    expect(await p.get('rt.example')).toEqual({ registryToken: 'direct-bearer' });
    expect(await p.get('other.example')).toBeUndefined();
  });

  it('finds Docker Hub credentials under https://index.docker.io/v1/', async () => {
    const p = new DockerConfigCredentials({ configDir: configDir({ auths: { 'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') } } }), env: {} });
    expect(await p.get('registry-1.docker.io')).toEqual({ username: 'hubuser', password: 'hubpass' });
    expect(await p.get('docker.io')).toEqual({ username: 'hubuser', password: 'hubpass' });
  });

  it('honours DOCKER_CONFIG, and a missing file means anonymous', async () => {
    const dir = configDir({ auths: { 'x.example': { auth: b64('a:b') } } });
    expect(await new DockerConfigCredentials({ env: { DOCKER_CONFIG: dir } }).get('x.example')).toEqual({ username: 'a', password: 'b' });
    expect(await new DockerConfigCredentials({ env: { DOCKER_CONFIG: join(dir, 'nope') } }).get('x.example')).toBeUndefined();
  });

  it('rejects a config that is not JSON', async () => {
    const dir = tempDir('badcfg');
    writeFileSync(join(dir, 'config.json'), '{nope');
    await expect(new DockerConfigCredentials({ configDir: dir, env: {} }).get('x')).rejects.toBeInstanceOf(InputError);
  });

  it('runs credential helpers: credHelpers before credsStore before auths; <token> = identity token', async () => {
    const { bin, asked } = helperBin('helper-secret');
    const dir = configDir({
      auths: { 'h1.example': { auth: b64('from:auths') }, 'plain.example': { auth: b64('from:auths') } },
      credHelpers: { 'h1.example': 'test', 'token.example': 'test', 'registry-1.docker.io': 'test' },
      credsStore: 'other',
    });
    const p = new DockerConfigCredentials({ configDir: dir, env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
    expect(await p.get('h1.example')).toEqual({ username: 'testuser', password: 'helper-secret' });
    expect(await p.get('token.example')).toEqual({ identityToken: 'refresh-xyz' });
    expect(await p.get('store.example')).toEqual({ username: 'storeuser', password: 's' });
    expect(await p.get('plain.example')).toBeUndefined(); // credsStore says not found: auths entries are placeholders then
    expect(await p.get('registry-1.docker.io')).toEqual({ username: 'testuser', password: 'helper-secret' });
    expect(readFileSync(asked, 'utf8').split('\n').filter(Boolean)).toEqual(['h1.example', 'token.example', 'https://index.docker.io/v1/']);
  });

  it('reports a missing or failing helper without echoing its output', async () => {
    const { bin } = helperBin('x');
    const env = { PATH: `${bin}:/usr/bin:/bin` };
    const missing = new DockerConfigCredentials({ configDir: configDir({ credsStore: 'nonexistent' }), env });
    await expect(missing.get('a.example')).rejects.toThrow(/docker-credential-nonexistent' is not installed/);
    const broken = await new DockerConfigCredentials({ configDir: configDir({ credsStore: 'broken' }), env }).get('a.example').catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(D2Error);
    expect((broken as D2Error).message).toMatch(/failed for a.example \(exit 3\)/);
    expect((broken as D2Error).message).not.toContain('leaked');
  });

  it('overlays DOCKER_AUTH_CONFIG, parsed strictly (auths with auth only)', async () => {
    const env = { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'o.example': { auth: b64('ov:pw') } } }) };
    const p = new DockerConfigCredentials({ configDir: configDir({ auths: { 'o.example': { auth: b64('file:pw') }, 'f.example': { auth: b64('file:pw') } } }), env });
    expect(await p.get('o.example')).toEqual({ username: 'ov', password: 'pw' });
    expect(await p.get('f.example')).toEqual({ username: 'file', password: 'pw' });
    expect(() => parseDockerAuthConfig('{"auths":{"a":{"auth":"eDp5"}},"credsStore":"x"}')).toThrow(/unknown field\(s\) 'credsStore'/);
    expect(() => parseDockerAuthConfig('{"auths":{"a":{"username":"x"}}}')).toThrow(/unknown field\(s\) 'username'/);
    expect(() => parseDockerAuthConfig('{"auths":{"a":{}}}')).toThrow(/has no 'auth'/);
    expect(() => parseDockerAuthConfig('[]')).toThrow(/not a JSON object/);
    expect(() => parseDockerAuthConfig('nope')).toThrow(/not JSON/);
    expect(() => parseDockerAuthConfig(`{"auths":{"a":{"auth":"${b64('nocolon')}"}}}`)).toThrow(/not base64 of 'username:password'/);
  });
});

describe('Static, GitHub token and chained credentials', () => {
  it('StaticCredentials matches hosts and Docker Hub aliases', async () => {
    const p = new StaticCredentials({ 'docker.io': { username: 'a', password: 'b' }, 'r.example:5000': { registryToken: 't' } });
    expect(await p.get('registry-1.docker.io')).toEqual({ username: 'a', password: 'b' });
    expect(await p.get('r.example:5000')).toEqual({ registryToken: 't' });
    expect(await p.get('r.example')).toBeUndefined();
  });

  it('GitHubTokenCredentials answers for ghcr.io only, username = actor', async () => {
    const p = GitHubTokenCredentials.fromEnv({ GITHUB_TOKEN: 'ghs_x', GITHUB_ACTOR: 'octocat' });
    expect(await p?.get('ghcr.io')).toEqual({ username: 'octocat', password: 'ghs_x' });
    expect(await p?.get('registry.example')).toBeUndefined();
    expect(GitHubTokenCredentials.fromEnv({})).toBeUndefined();
  });

  it('ChainCredentials takes the first provider with credentials', async () => {
    const chain = new ChainCredentials([new StaticCredentials({ 'a.example': {} }), undefined, new StaticCredentials({ 'a.example': { username: 'second', password: 'p' } })]);
    expect(await chain.get('a.example')).toEqual({ username: 'second', password: 'p' });
    expect(await chain.get('b.example')).toBeUndefined();
  });
});

describe('WWW-Authenticate parsing', () => {
  it('parses Bearer with several space-separated scopes and error=insufficient_scope', () => {
    const ch = parseChallenge('Bearer realm="http://127.0.0.1:5/token",service="test-registry",scope="repository:flux/demo:pull,push repository:flux/src:pull",error="insufficient_scope"');
    expect(bearerOf(ch)).toEqual({ realm: 'http://127.0.0.1:5/token', service: 'test-registry', scopes: ['repository:flux/demo:pull,push', 'repository:flux/src:pull'], error: 'insufficient_scope' });
  });

  it('is case-insensitive for the scheme and parameter names; handles tokens, escapes and commas in quotes', () => {
    const ch = parseChallenge('bEaReR Realm="https://a/t?x=1,2",SERVICE=reg.io , scope="a \\"b\\""');
    expect(ch).toEqual({ scheme: 'bearer', params: { realm: 'https://a/t?x=1,2', service: 'reg.io', scope: 'a "b"' } });
    expect(parseChallenge(['Basic realm="basic-realm"'])).toEqual({ scheme: 'basic', params: { realm: 'basic-realm' } });
    expect(parseChallenge('Basic')).toEqual({ scheme: 'basic', params: {} });
  });

  it('copes with missing or unusable challenges', () => {
    expect(parseChallenge(undefined)).toBeUndefined();
    expect(parseChallenge('')).toBeUndefined();
    expect(bearerOf(parseChallenge('Bearer service="x"'))).toBeUndefined();
    expect(bearerOf(parseChallenge('Basic realm="r"'))).toBeUndefined();
  });

  it('merges scopes per resource into a stable cache key; malformed scopes are kept verbatim (ECR "aws")', () => {
    expect(mergeScopes(['repository:a:push', 'repository:b:pull'], ['repository:a:pull', 'aws'])).toEqual(['aws', 'repository:a:pull,push', 'repository:b:pull']);
    expect(mergeScopes(['repository:a:pull,push'])).toEqual(mergeScopes(['repository:a:push,pull', 'repository:a:pull']));
  });
});

describe.each(['htpasswd', 'token'] as const)('credentials end to end against the sandbox registry (%s)', (mode) => {
  let reg: SandboxRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ auth: mode });
  });
  afterAll(() => reg?.stop());

  it('a docker-credential-test helper on PATH supplies the credentials; nothing secret is logged', async () => {
    const { bin, asked } = helperBin('testpass');
    const dir = tempDir('helper-cfg');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ credHelpers: { [reg.host]: 'test' } }));
    const log = new CaptureLogger();
    const client = new RegistryClient({ env: { DOCKER_CONFIG: dir, PATH: `${bin}:${process.env.PATH ?? ''}` }, logger: log });
    const a = makeArtifact();
    const repo = { registry: reg.host, repository: 'flux/helper' };
    expect((await client.pushImage(repo, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] })).digest).toBe(a.digest);
    expect((await client.getManifest(repo, 'v1')).digest).toBe(a.digest);
    expect(readFileSync(asked, 'utf8').trim()).toBe(reg.host); // asked once, for the registry host
    const text = log.lines.join('\n');
    expect(log.lines.length).toBeGreaterThan(0);
    expect(text).not.toContain('testpass');
    expect(text).not.toContain(b64('testuser:testpass'));
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    client.close();
  });

  it('DOCKER_AUTH_CONFIG alone is enough to push', async () => {
    const client = new RegistryClient({ env: { DOCKER_CONFIG: tempDir('empty'), DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { [reg.host]: { auth: b64('testuser:testpass') } } }) } });
    const a = makeArtifact();
    const repo = { registry: reg.host, repository: 'flux/authconfig' };
    expect((await client.pushImage(repo, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] })).digest).toBe(a.digest);
    client.close();
  });
});
