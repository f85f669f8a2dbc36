/**
 * ImageRepository scanning and digest reflection against the real sandbox registry (CNCF distribution on 127.0.0.1):
 * all Link pages, exclusions, descending byte order, latestTags; the digest by HEAD, the index digest for multi-arch
 * (docs/image-policies.md "Pipeline"). The registry is seeded over the Distribution API with one tiny image manifest pushed under
 * many tags and an image index under one tag. (distribution 2.8.2 returns tags/list in one page and in no particular
 * order, which exercises the sort.)
 *
 * The registry client is @d2/core/oci's RegistryClient, which satisfies the reflector's `TagLister`/`ManifestHeader`.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { RegistryClient } from '@d2/core/oci';
import {
  electLatest,
  electLatestRef,
  PolicyError,
  resolveDigest,
  scanImageRepository,
  type ReflectorRegistry,
} from '@d2/core/image-automation';


const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The real registry client, recording the tag-list requests it makes (through its logger). */
function realClient(requests: string[]): ReflectorRegistry {
  return new RegistryClient({ logger: { debug: (m) => (/tags\/list/.test(m) ? requests.push(m) : undefined), info: () => {}, warn: () => {} } });
}

async function pushBlob(reg: SandboxRegistry, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  expect(start.status).toBe(202);
  const location = new URL(start.headers.get('location') ?? '', reg.url);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: data, headers: { 'content-type': 'application/octet-stream' } });
  expect(put.status).toBe(201);
  return digest;
}

async function putManifest(reg: SandboxRegistry, repo: string, ref: string, body: Buffer, mediaType: string): Promise<void> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', body, headers: { 'content-type': mediaType } });
  expect(res.status, `PUT ${repo}:${ref}`).toBe(201);
}

const PAGING_TAGS = Array.from({ length: 40 }, (_, i) => `build-${i}`);
const TAGS = ['1.0.0', '1.0.1', '1.1.0', 'v1.2.0', '1.2.0-rc.1', '1.0.0.sig', '1.1.0.sig', 'latest', 'Beta', ...PAGING_TAGS];

describe('scanImageRepository + resolveDigest against the sandbox registry', () => {
  let reg: SandboxRegistry;
  let imageDigest: string;
  let indexDigest: string;
  const requests: string[] = [];
  let client: ReflectorRegistry;

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous' });
    client = realClient(requests);
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const configDigest = await pushBlob(reg, 'acme/app', config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
        layers: [],
      }),
    );
    imageDigest = sha256(manifest);
    for (const tag of TAGS) await putManifest(reg, 'acme/app', tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: imageDigest, size: manifest.length, platform: { architecture: 'amd64', os: 'linux' } }],
      }),
    );
    indexDigest = sha256(index);
    await putManifest(reg, 'acme/app', '2.0.0', index, 'application/vnd.oci.image.index.v1+json');
  });
  afterAll(() => reg?.stop());

  it('lists the tags, drops *.sig by default, stores tags in descending byte order', async () => {
    requests.length = 0;
    const r = await scanImageRepository({ image: `${reg.host}/acme/app` }, client);
    const all = [...TAGS, '2.0.0'];
    // distribution 2.8.2 ignores `n` and answers in one page (pagination is the OCI client's job, docs/registry-client.md "Tag listing").
    expect(requests.length).toBeGreaterThanOrEqual(1);
    expect(r.canonicalImageName).toBe(`${reg.host}/acme/app`);
    expect(r.excluded.sort()).toEqual(['1.0.0.sig', '1.1.0.sig']);
    const expected = all.filter((t) => !t.endsWith('.sig')).sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    expect(r.tags).toEqual(expected);
    expect(r.tags[0]).toBe('v1.2.0');
    expect(r.tags.at(-1)).toBe('1.0.0');
    expect(r.tagCount).toBe(all.length - 2);
    expect(r.latestTags).toEqual(expected.slice(0, 10));
  });

  it('a non-empty exclusionList replaces the default (E3 semantics on a live registry)', async () => {
    const r = await scanImageRepository({ image: `${reg.host}/acme/app`, exclusionList: ['^build-', '-rc\\.'] }, client);
    expect(r.tags).toContain('1.0.0.sig');
    expect(r.tags.some((t) => t.startsWith('build-'))).toBe(false);
    expect(r.tags).not.toContain('1.2.0-rc.1');
  });

  it('elects from the stored tags and reflects the manifest digest by HEAD', async () => {
    const scan = await scanImageRepository({ image: `${reg.host}/acme/app` }, client);
    const { tag } = electLatest({ imageRepositoryRef: { name: 'app' }, policy: { semver: { range: '^1.0.0' } } }, scan.tags, { presorted: true });
    expect(tag).toBe('v1.2.0');
    expect(await resolveDigest(`${reg.host}/acme/app`, tag, client, 'IfNotPresent')).toBe(imageDigest);
    expect(await resolveDigest(`${reg.host}/acme/app`, tag, client, 'Always')).toBe(imageDigest);
    expect(await resolveDigest(`${reg.host}/acme/app`, tag, client, 'Never')).toBe('');
  });

  it('electLatestRef: latestRef {name: spec.image verbatim, tag, digest} per digestReflectionPolicy', async () => {
    const scan = await scanImageRepository({ image: `${reg.host}/acme/app` }, client);
    const policy = { imageRepositoryRef: { name: 'app' }, policy: { semver: { range: '>=2.0.0' } } };
    const base = { name: 'apps/app', image: `${reg.host}/acme/app`, tags: scan.tags, presorted: true };
    expect(await electLatestRef({ ...base, policy, registry: client })).toEqual({ name: `${reg.host}/acme/app`, tag: '2.0.0', digest: '' });
    expect(await electLatestRef({ ...base, policy: { ...policy, digestReflectionPolicy: 'IfNotPresent' }, registry: client })).toEqual({
      name: `${reg.host}/acme/app`,
      tag: '2.0.0',
      digest: indexDigest,
    });
    await expect(electLatestRef({ ...base, policy: { ...policy, digestReflectionPolicy: 'Always', interval: '5m' } })).rejects.toThrow(
      'ImagePolicy apps/app: digestReflectionPolicy Always needs registry access',
    );
  });

  it('a multi-arch tag reflects the index digest', async () => {
    expect(await resolveDigest(`${reg.host}/acme/app`, '2.0.0', client)).toBe(indexDigest);
    expect(indexDigest).not.toBe(imageDigest);
  });

  it('a missing tag fails digest reflection with DigestFailed', async () => {
    const err = await resolveDigest(`${reg.host}/acme/app`, '9.9.9', client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).reason).toBe('DigestFailed');
    expect((err as PolicyError).message).toContain(`${reg.host}/acme/app:9.9.9`);
  });

  it('a repository the registry does not know fails the scan with the repository named', async () => {
    await expect(scanImageRepository({ image: `${reg.host}/acme/missing` }, client)).rejects.toThrow(
      `ImageRepository ${reg.host}/acme/missing: scan failed`,
    );
  });
});
