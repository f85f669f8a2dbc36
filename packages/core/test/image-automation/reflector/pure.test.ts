/**
 * ImageRepository parts that need no registry (cases E1–E8, L1–L2 of docs/image-policies.md "Tests"; an
 * explicit empty exclusion list still excludes .sig tags): `spec.image`
 * validation and canonicalisation (GGCR rules, Flux messages), exclusion lists, storage order, and manifest parsing.
 */
import { describe, expect, it } from 'vitest';
import {
  applyExclusionList,
  compileExclusionList,
  DEFAULT_EXCLUSION_LIST,
  parseImageName,
  parseImagePolicies,
  parseImagePolicy,
  parseImageRepository,
  scanImageRepository,
  type ScanRepository,
  type TagLister,
} from '@d2/core/image-automation';
import { InputError } from '@d2/core';

const exclude = (list: string[] | undefined, tags: string[]): string[] => applyExclusionList(tags, compileExclusionList(list)).kept;

describe('exclusion list (IRC scan_test.go)', () => {
  it.each([
    ['E1', undefined, ['0.1.0', '0.1.1', '0.2.0', '1.0.0', '1.1.0', '1.1.0-alpha'], ['0.1.0', '0.1.1', '0.2.0', '1.0.0', '1.1.0', '1.1.0-alpha']],
    ['E2', undefined, ['0.1.0', '0.1.1', '0.1.1.sig', '1.0.0-alpha', '1.0.0', '1.0.0.sig'], ['0.1.0', '0.1.1', '1.0.0-alpha', '1.0.0']],
    ['E2 (explicit [] still excludes .sig)', [], ['0.1.0', '0.1.1.sig'], ['0.1.0']],
    ['E3', ['^.*\\-alpha$'], ['0.1.0', '0.1.1-alpha', '0.1.1', '0.1.1.sig', '1.0.0-alpha', '1.0.0'], ['0.1.0', '0.1.1', '0.1.1.sig', '1.0.0']],
    ['E4', ['[abc]'], ['a', 'b', 'c', 'd'], ['d']],
    ['E5', ['[a]', '[d]'], ['a', 'b', 'c', 'd'], ['b', 'c']],
    ['E7', ['^.*\\-alpha$', '^.*\\.sig$'], ['0.1.0', '0.2.0', '0.2.-alpha', '0.3.0', '0.4.0', '0.4.0.sig'], ['0.1.0', '0.2.0', '0.3.0', '0.4.0']],
    ['E8', ['aaa|ccc'], ['aaa', 'bbb', 'ccc', 'ddd'], ['bbb', 'ddd']],
  ])('%s %j', (_id, list, tags, expected) => {
    expect(exclude(list, tags)).toEqual(expected);
  });

  it('E6 `[=` → error with Go\'s message', () => {
    expect(() => compileExclusionList(['[='])).toThrow('failed to compile regex [=: error parsing regexp: missing closing ]: `[=`');
  });

  it('at most 25 entries (CRD MaxItems)', () => {
    expect(() => compileExclusionList(Array.from({ length: 26 }, (_, i) => `x${i}`))).toThrow(InputError);
    expect(compileExclusionList(Array.from({ length: 25 }, (_, i) => `x${i}`))).toHaveLength(25);
    expect(DEFAULT_EXCLUSION_LIST).toEqual(['^.*\\.sig$']);
  });
});

describe('spec.image (IRC registry.ParseImageReference, GGCR name)', () => {
  it.each([
    ['alpine', 'index.docker.io', 'library/alpine'],
    ['docker.io/alpine', 'index.docker.io', 'library/alpine'],
    ['docker.io/library/alpine', 'index.docker.io', 'library/alpine'],
    ['stefanprodan/podinfo', 'index.docker.io', 'stefanprodan/podinfo'],
    ['ghcr.io/stefanprodan/podinfo', 'ghcr.io', 'stefanprodan/podinfo'],
    ['localhost:5000/app', 'localhost:5000', 'app'],
    ['localhost/app', 'localhost', 'app'],
    ['127.0.0.1:5001/a/b/c', '127.0.0.1:5001', 'a/b/c'],
  ])('%s → %s/%s', (image, registry, repository) => {
    const n = parseImageName(image);
    expect(n).toMatchObject({ image, registry, repository, canonicalName: `${registry}/${repository}` });
  });

  it('scheme follows GGCR: insecure, loopback, localhost:*, RFC 1918 → http', () => {
    expect(parseImageName('ghcr.io/a').scheme).toBe('https');
    expect(parseImageName('ghcr.io/a', true).scheme).toBe('http');
    expect(parseImageName('127.0.0.1:5000/a').scheme).toBe('http');
    expect(parseImageName('localhost:5000/a').scheme).toBe('http');
    expect(parseImageName('registry.localhost/a').scheme).toBe('http');
    expect(parseImageName('192.168.1.10:5000/a').scheme).toBe('http');
    expect(parseImageName('172.32.0.1/a').scheme).toBe('https');
  });

  it.each([
    ['https://ghcr.io/org/app', "image 'https://ghcr.io/org/app' should not include URL scheme; remove 'https://'"],
    ['oci://ghcr.io/org/app', "image 'oci://ghcr.io/org/app' should not include URL scheme; remove 'oci://'"],
    ['ghcr.io/org/app:1.0.0', "image 'ghcr.io/org/app:1.0.0' should not include a tag; remove ':1.0.0'"],
    ['alpine:3.19', "image 'alpine:3.19' should not include a tag; remove ':3.19'"],
    ['localhost:5000/app:v1', "image 'localhost:5000/app:v1' should not include a tag; remove ':v1'"],
    [`ghcr.io/org/app@sha256:${'a'.repeat(64)}`, `image 'ghcr.io/org/app@sha256:${'a'.repeat(64)}' should not include a tag; remove ':${'a'.repeat(64)}'`],
    ['ghcr.io/Org/App', 'could not parse reference: ghcr.io/Org/App'],
    ['', 'could not parse reference: '],
  ])('%j → %s', (image, message) => {
    expect(() => parseImageName(image)).toThrow(message);
    expect(() => parseImageName(image)).toThrow(InputError);
  });
});

describe('scanImageRepository without a registry', () => {
  it('rejects a bad image or exclusion list before any request', async () => {
    const calls: ScanRepository[] = [];
    const client: TagLister = { listTags: async (r) => (calls.push(r), []) };
    await expect(scanImageRepository({ image: 'ghcr.io/a:1' }, client)).rejects.toThrow('should not include a tag');
    await expect(scanImageRepository({ image: 'ghcr.io/a', exclusionList: ['('] }, client)).rejects.toThrow('failed to compile regex');
    expect(calls).toEqual([]);
  });

  it('L1 latestTags are the first 10 in descending byte order; Docker Hub naming', async () => {
    // Stand-in client (the registry part is covered by scan.test.ts against the sandbox registry).
    const client: TagLister = {
      listTags: async () => ['-62', '-88', '73', '72', '15', '16', '15', '29', '-33', '-91', '100', '101', 'x.sig'],
    };
    const r = await scanImageRepository({ image: 'alpine' }, client);
    expect(r.canonicalImageName).toBe('index.docker.io/library/alpine');
    expect(r.latestTags).toEqual(['73', '72', '29', '16', '15', '15', '101', '100', '-91', '-88']);
    expect(r.tagCount).toBe(12);
    expect(r.excluded).toEqual(['x.sig']);
  });

  it('registry failures name the repository', async () => {
    const client: TagLister = { listTags: async () => Promise.reject(new Error('connection refused')) };
    await expect(
      scanImageRepository({ apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImageRepository', name: 'podinfo', namespace: 'apps', labels: {}, spec: { image: 'ghcr.io/a' } }, client),
    ).rejects.toThrow('ImageRepository apps/podinfo: scan failed: connection refused');
  });
});

describe('manifests', () => {
  const policyYaml = `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: frontend-podinfo
  labels: {app: podinfo}
spec:
  imageRepositoryRef:
    name: podinfo
  filterTags:
    pattern: '^v(?P<v>.*)$'
    extract: '$v'
  policy:
    semver:
      range: 6.x
`;

  it('parses an ImagePolicy (v1) as the CRD defines it', () => {
    const p = parseImagePolicy(policyYaml);
    expect(p).toEqual({
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImagePolicy',
      name: 'frontend-podinfo',
      namespace: undefined,
      labels: { app: 'podinfo' },
      spec: {
        imageRepositoryRef: { name: 'podinfo' },
        filterTags: { pattern: '^v(?P<v>.*)$', extract: '$v' },
        policy: { semver: { range: '6.x' } },
      },
    });
  });

  it('v1beta2 and multi-document files', () => {
    const text = `${policyYaml.replace('/v1\n', '/v1beta2\n')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n${policyYaml.replace('frontend-podinfo', 'other')}`;
    expect(parseImagePolicies(text).map((p) => `${p.apiVersion} ${p.name}`)).toEqual([
      'image.toolkit.fluxcd.io/v1beta2 frontend-podinfo',
      'image.toolkit.fluxcd.io/v1 other',
    ]);
    expect(() => parseImagePolicy(text)).toThrow('expected exactly one ImagePolicy, found 2');
  });

  it.each([
    [policyYaml.replace('image.toolkit.fluxcd.io/v1', 'image.toolkit.fluxcd.io/v1beta1'), 'unsupported apiVersion'],
    [policyYaml.replace('    name: podinfo\n', '    namespace: apps\n'), 'spec.imageRepositoryRef.name is required'],
    [policyYaml.replace('range: 6.x', 'range: 6'), 'spec.policy.semver.range must be a string'],
    [policyYaml.replace('    semver:\n      range: 6.x\n', '    alphabetical: {order: up}\n'), 'spec.policy.alphabetical.order must be one of asc, desc'],
    [policyYaml.replace('  policy:\n    semver:\n      range: 6.x\n', '  policy: {}\n'), 'spec.policy must set one of semver, alphabetical or numerical'],
    [`${policyYaml}  digestReflectionPolicy: Always\n`, "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'"],
    [`${policyYaml}  interval: 5m\n`, "spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'"],
    [`${policyYaml}  digestReflectionPolicy: Sometimes\n`, 'spec.digestReflectionPolicy must be one of'],
  ])('invalid ImagePolicy %#', (text, message) => {
    expect(() => parseImagePolicy(text)).toThrow(message);
    expect(() => parseImagePolicy(text)).toThrow(InputError);
  });

  it('accepts Always with an interval', () => {
    expect(parseImagePolicy(`${policyYaml}  digestReflectionPolicy: Always\n  interval: 10m\n`).spec).toMatchObject({
      digestReflectionPolicy: 'Always',
      interval: '10m',
    });
  });

  const repoYaml = `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
  namespace: apps
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 10m
  provider: generic
  secretRef: {name: ghcr-auth}
`;

  it('parses an ImageRepository', () => {
    expect(parseImageRepository(repoYaml)).toEqual({
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImageRepository',
      name: 'podinfo',
      namespace: 'apps',
      labels: {},
      spec: { image: 'ghcr.io/stefanprodan/podinfo', interval: '10m', provider: 'generic', secretRef: { name: 'ghcr-auth' } },
    });
  });

  it.each([
    [repoYaml.replace('ghcr.io/stefanprodan/podinfo', 'ghcr.io/stefanprodan/podinfo:6.0.0'), "should not include a tag; remove ':6.0.0'"],
    [repoYaml.replace('  image: ghcr.io/stefanprodan/podinfo\n', ''), 'spec.image is required'],
    [`${repoYaml}  exclusionList: ['[=']\n`, 'failed to compile regex [='],
    [repoYaml.replace('provider: generic', 'provider: ibm'), 'spec.provider must be one of'],
    [repoYaml.replace('interval: 10m', 'interval: 10 minutes'), 'spec.interval must be a duration'],
    ['apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata: {name: x}\nspec: [', 'invalid YAML'],
  ])('invalid ImageRepository %#', (text, message) => {
    expect(() => parseImageRepository(text)).toThrow(message);
  });
});
