/**
 * image-reflector-controller `internal/controller/*_test.go`: the scan, exclusion, election and digest-reflection
 * tables. Where the Go test loads images into a test registry (`test.LoadImages`), the images go to a CNCF
 * distribution registry from the sandbox; where it uses an in-memory tag database, the tags are passed to the election
 * directly (that database is the storage our stateless run does not have). Test data restated, not copied.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForwardProxy, type ForwardProxy } from '@d2/sandbox/proxy';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { RegistryClient } from '../../../src/oci/index.js';
import {
  applyExclusionList,
  compileExclusionList,
  electLatest,
  electLatestRef,
  electPolicies,
  ImageNameError,
  parseImageName,
  PolicyError,
  scanImageRepository,
  sortTagsAndGetLatestTags,
  toImagePolicy,
  LATEST_TAGS_COUNT,
  type ImagePolicySpec,
  type ImageRef,
  type ImageRepository,
} from '../../../src/image-automation/index.js';
import { compileGoRegexp } from '../../../src/base/index.js';
import { loadImages } from './stack.js';

/** IRC `ImageRef.String()`: `name:tag` or `name:tag@digest`. */
const imageRefString = (ref: ImageRef): string => (ref.digest ? `${ref.name}:${ref.tag}@${ref.digest}` : `${ref.name}:${ref.tag}`);

let reg: SandboxRegistry;
let client: RegistryClient;
beforeAll(async () => {
  reg = await startRegistry({ auth: 'anonymous' });
  client = new RegistryClient({ proxy: false });
});
afterAll(async () => {
  client?.close();
  await reg?.stop();
});

let seq = 0;
/** `test.LoadImages(registry, "<prefix>-<random>", tags)`: the image name and its tag digests. */
async function load(prefix: string, tags: readonly string[]): Promise<{ image: string; digests: Record<string, string> }> {
  const repository = `${prefix}-${++seq}x`;
  return { image: `${reg.host}/${repository}`, digests: await loadImages(client, reg.host, repository, tags) };
}

const spec = (policy: ImagePolicySpec['policy'], extra: Partial<ImagePolicySpec> = {}): ImagePolicySpec => ({ imageRepositoryRef: { name: 'repo' }, policy, ...extra });

async function caught<T>(p: Promise<T>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('IRC TestImageRepositoryReconciler_scan', () => {
  it('no tags: the repository does not exist (404)', async () => {
    const err = await caught(scanImageRepository({ image: `${reg.host}/test-fetch-none` }, client));
    expect(err.message).toMatch(/404|not found|NAME_UNKNOWN/i);
  });

  it.each([
    ['simple tags', ['a', 'b', 'c', 'd'], undefined, ['d', 'c', 'b', 'a']],
    // The Go test also checks the scan revision (a checksum of the sorted tags); a stateless run keeps no revision.
    ['tags are sorted for checksum - order 1', ['c', 'd', 'a', 'b'], undefined, ['d', 'c', 'b', 'a']],
    ['tags are sorted for checksum - order 2', ['c', 'b', 'a', 'd'], undefined, ['d', 'c', 'b', 'a']],
    ['more than maximum amount of tags for latest tags', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'], undefined, ['k', 'j', 'i', 'h', 'g', 'f', 'e', 'd', 'c', 'b', 'a']],
    ['with single exclusion pattern', ['a', 'b', 'c', 'd'], ['c'], ['d', 'b', 'a']],
    ['with multiple exclusion pattern', ['a', 'b', 'c', 'd'], ['c', 'a'], ['d', 'b']],
  ])('%s', async (_name, tags, exclusionList, wantTags) => {
    const { image } = await load('test-fetch', tags);
    const scan = await scanImageRepository({ image, exclusionList }, client);
    expect(scan.tags).toEqual(wantTags);
    expect(scan.tagCount).toBe(wantTags.length);
    expect(scan.latestTags.length).toBeLessThanOrEqual(LATEST_TAGS_COUNT);
    expect(scan.latestTags).toEqual(wantTags.slice(0, LATEST_TAGS_COUNT));
  });

  describe('through a proxy', () => {
    let proxy: ForwardProxy;
    beforeAll(async () => {
      proxy = await startForwardProxy();
    });
    afterAll(async () => {
      await proxy?.stop();
    });

    it('simple tags with proxy', async () => {
      const { image } = await load('test-fetch', ['a', 'b', 'c', 'd']);
      const proxied = new RegistryClient({ proxy: { url: proxy.url, loopback: true } });
      try {
        const scan = await scanImageRepository({ image }, proxied);
        expect(scan.tags).toEqual(['d', 'c', 'b', 'a']);
        expect(proxy.log.some((r) => r.target.includes(reg.host))).toBe(true);
      } finally {
        proxied.close();
      }
    });

    it('simple tags with incorrect proxy: connection refused', async () => {
      const { image } = await load('test-fetch', ['a', 'b', 'c', 'd']);
      // A port nothing listens on any more: bound, then released.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const wrong = `http://127.0.0.1:${port}`;
      const proxied = new RegistryClient({ proxy: { url: wrong, loopback: true }, retry: { attempts: 1 } });
      try {
        const err = await caught(scanImageRepository({ image }, proxied));
        expect(err.message).toMatch(/ECONNREFUSED|connection refused/i);
      } finally {
        proxied.close();
      }
    });
  });

  it('bad exclusion pattern: failed to compile regex, before any request', async () => {
    const { image } = await load('test-fetch', ['a']);
    const err = await caught(scanImageRepository({ image, exclusionList: ['[='] }, client));
    expect(err.message).toContain('failed to compile regex');
  });
});

describe('IRC TestSortTagsAndGetLatestTags', () => {
  it.each([
    ['no tags', [], []],
    ['few semver tags', ['1.0.0', '0.0.8', '1.2.5', '3.0.1', '1.0.1'], ['3.0.1', '1.2.5', '1.0.1', '1.0.0', '0.0.8']],
    ['10 semver tags', ['1.0.0', '0.0.8', '1.2.5', '3.0.1', '1.0.1', '5.1.1', '4.1.0', '4.5.0', '4.0.3', '2.2.2'], ['5.1.1', '4.5.0', '4.1.0', '4.0.3', '3.0.1', '2.2.2', '1.2.5', '1.0.1', '1.0.0', '0.0.8']],
    [
      '10+ semver tags',
      ['1.0.0', '0.0.8', '1.2.5', '3.0.1', '1.0.1', '5.1.1', '4.1.0', '4.5.0', '4.0.3', '2.2.2', '0.5.1', '0.1.0'],
      ['5.1.1', '4.5.0', '4.1.0', '4.0.3', '3.0.1', '2.2.2', '1.2.5', '1.0.1', '1.0.0', '0.5.1'],
    ],
    ['few numerical tags', ['-62', '-88', '73', '72', '15'], ['73', '72', '15', '-88', '-62']],
    ['few numerical tags (12)', ['-62', '-88', '73', '72', '15', '16', '15', '29', '-33', '-91', '100', '101'], ['73', '72', '29', '16', '15', '15', '101', '100', '-91', '-88']],
    ['few word tags', ['aaa', 'bbb', 'ccc'], ['ccc', 'bbb', 'aaa']],
    ['few word tags (12)', ['aaa', 'bbb', 'ccc', 'ddd', 'eee', 'fff', 'ggg', 'hhh', 'iii', 'jjj', 'kkk', 'lll'], ['lll', 'kkk', 'jjj', 'iii', 'hhh', 'ggg', 'fff', 'eee', 'ddd', 'ccc']],
  ])('%s', (_name, tags, want) => {
    expect(sortTagsAndGetLatestTags(tags).latestTags).toEqual(want);
  });
});

describe('IRC TestFilterOutTags', () => {
  // filterOutTags applies exactly the patterns given (the default ^.*\.sig$ comes from GetExclusionList, not here).
  const filterOut = (tags: string[], patterns: string[] | undefined) =>
    applyExclusionList(tags, patterns && patterns.length > 0 ? compileExclusionList(patterns) : []).kept;
  it.each([
    ['no pattern', ['a', 'b', 'c', 'd'], undefined, ['a', 'b', 'c', 'd']],
    ['single patterns', ['a', 'b', 'c', 'd'], ['[abc]'], ['d']],
    ['multiple patterns', ['a', 'b', 'c', 'd'], ['[a]', '[d]'], ['b', 'c']],
    ['version tags', ['0.1.0', '0.2.0', '0.2.-alpha', '0.3.0', '0.4.0', '0.4.0.sig'], ['^.*\\-alpha$', '^.*\\.sig$'], ['0.1.0', '0.2.0', '0.3.0', '0.4.0']],
    ['multiple matches in single pattern', ['aaa', 'bbb', 'ccc', 'ddd'], ['aaa|ccc'], ['bbb', 'ddd']],
  ])('%s', (_name, tags, patterns, want) => {
    expect(filterOut(tags, patterns)).toEqual(want);
  });
  it('invalid pattern', () => {
    expect(() => filterOut([], ['[='])).toThrow(/failed to compile regex \[=/);
    expect(() => compileGoRegexp('[=')).toThrow();
  });
});

describe('IRC TestImageRepositoryReconciler_fetchImageTags', () => {
  it.each([
    ['fetch image tags', ['0.1.0', '0.1.1', '0.2.0', '1.0.0', '1.1.0', '1.1.0-alpha'], undefined, ['0.1.0', '0.1.1', '0.2.0', '1.0.0', '1.1.0', '1.1.0-alpha']],
    ['fetch image tags - .sig is excluded', ['0.1.0', '0.1.1', '0.1.1.sig', '1.0.0-alpha', '1.0.0', '1.0.0.sig'], undefined, ['0.1.0', '0.1.1', '1.0.0-alpha', '1.0.0']],
    ['fetch image tags - tags in exclusionList are excluded', ['0.1.0', '0.1.1-alpha', '0.1.1', '0.1.1.sig', '1.0.0-alpha', '1.0.0'], ['^.*\\-alpha$'], ['0.1.0', '0.1.1', '0.1.1.sig', '1.0.0']],
  ])('%s', async (_name, versions, exclusionList, wantVersions) => {
    const { image } = await load('test-fetch', versions);
    const scan = await scanImageRepository({ image, exclusionList }, client);
    expect(scan.canonicalImageName).toBe(image);
    expect(scan.tagCount).toBe(wantVersions.length);
    expect([...scan.tags].sort()).toEqual([...wantVersions].sort());
    expect(scan.latestTags).not.toEqual([]);
  });
});

describe('IRC scan_test.go image attribute tests', () => {
  it('TestImageRepositoryReconciler_canonicalImageName: alpine → index.docker.io/library/alpine', () => {
    expect(parseImageName('alpine').canonicalName).toBe('index.docker.io/library/alpine');
  });

  it('TestImageRepositoryReconciler_imageAttribute_schemePrefix: should not include URL scheme (no request made)', async () => {
    const { image } = await load('test-fetch', ['1.0.0']);
    const err = await caught(scanImageRepository({ image: `https://${image}` }, client));
    expect(err).toBeInstanceOf(ImageNameError);
    expect(err.message).toContain('should not include URL scheme');
  });

  it('TestImageRepositoryReconciler_imageAttribute_withTag: should not include a tag', async () => {
    const { image } = await load('test-fetch', ['1.0.0']);
    const err = await caught(scanImageRepository({ image: `${image}:1.0.0` }, client));
    expect(err).toBeInstanceOf(ImageNameError);
    expect(err.message).toContain('should not include a tag');
  });

  it('TestImageRepositoryReconciler_imageAttribute_hostPort: localhost:<port>/… is scanned and is its own canonical name', async () => {
    const { image } = await load('test-fetch', ['1.0.0']);
    const local = image.replace('127.0.0.1', 'localhost');
    const scan = await scanImageRepository({ image: local }, client);
    expect(scan.canonicalImageName).toBe(local);
    expect(scan.tags).toEqual(['1.0.0']);
  });
});

describe('IRC TestImagePolicyReconciler_calculateImageFromRepoTags', () => {
  const versions = ['0.1.0', '0.1.1', '0.2.0', '1.0.0', '1.0.1', '1.0.2', '1.1.0-alpha'];
  it.each([
    ['using SemVerPolicy', versions, { semver: { range: '1.0.x' } }, ':1.0.2'],
    ['using AlphabeticalPolicy', ['xenial', 'yakkety', 'zesty', 'artful', 'bionic'], { alphabetical: {} }, ':zesty'],
  ])('%s', async (_name, tags, policy, wantImageTag) => {
    const { image } = await load('test-semver-policy', tags);
    const scan = await scanImageRepository({ image }, client);
    expect(scan.canonicalImageName).toBe(image);
    expect(scan.tagCount).toBe(tags.length);
    const ref = await electLatestRef({ policy: spec(policy), image, tags: scan.tags, presorted: true });
    expect(imageRefString(ref)).toBe(image + wantImageTag);
  });

  it('using SemVerPolicy with invalid range: InvalidPolicy', async () => {
    const { image } = await load('test-semver-policy', versions);
    const scan = await scanImageRepository({ image }, client);
    const err = await caught(electLatestRef({ policy: spec({ semver: { range: '*-*' } }), image, tags: scan.tags, presorted: true }));
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).reason).toContain('InvalidPolicy');
  });
});

describe('IRC TestImagePolicyReconciler_filterTags', () => {
  const versions = ['test-0.1.0', 'test-0.1.1', 'dev-0.2.0', '1.0.0', '1.0.1', '1.0.2', '1.1.0-alpha'];
  it('valid regex', async () => {
    const { image } = await load('test-semver-policy', versions);
    const scan = await scanImageRepository({ image }, client);
    const ref = await electLatestRef({ policy: spec({ semver: { range: '>=0.x' } }, { filterTags: { pattern: '^test-(.*)$', extract: '$1' } }), image, tags: scan.tags, presorted: true });
    expect(imageRefString(ref)).toBe(`${image}:test-0.1.1`);
  });
  it('invalid regex', async () => {
    const { image } = await load('test-semver-policy', versions);
    const scan = await scanImageRepository({ image }, client);
    const err = await caught(electLatestRef({ policy: spec({ semver: { range: '>=0.x' } }, { filterTags: { pattern: '^test-(.*', extract: '$1' } }), image, tags: scan.tags, presorted: true }));
    expect(err.message).toContain('invalid regular expression pattern');
  });
});

describe('IRC TestImagePolicyReconciler_applyPolicy', () => {
  it.each([
    ['semver, no tag filter', { semver: { range: '1.0.x' } }, undefined, ['1.0.0', '2.0.0', '1.0.1', '1.2.0'], '1.0.1'],
    ["semver with 'v' prefix, no tag filter", { semver: { range: 'v1.0.x' } }, undefined, ['v1.0.0', 'v2.0.0', 'v1.0.1', 'v1.2.0'], 'v1.0.1'],
    ["semver with 'v' prefix but data without 'v' prefix, no tag filter", { semver: { range: 'v1.0.x' } }, undefined, ['1.0.0', '2.0.0', '1.0.1', '1.2.0'], '1.0.1'],
    ["semver without 'v' prefix but data with 'v' prefix, no tag filter", { semver: { range: '1.0.x' } }, undefined, ['v1.0.0', 'v2.0.0', 'v1.0.1', 'v1.2.0'], 'v1.0.1'],
    ['valid tag filter with numerical policy', { numerical: { order: 'asc' } }, { pattern: '1.0.0-rc\\.(?P<num>[0-9]+)', extract: '$num' }, ['1.0.0', '1.0.0-rc.1', '1.0.0-rc.2', '1.0.0-rc.3', '1.0.1-rc.2'], '1.0.0-rc.3'],
    ['valid tag filter with alphabetical policy', { alphabetical: { order: 'asc' } }, { pattern: 'foo-(?P<word>[a-z]+)', extract: '$word' }, ['foo-aaa', 'bar-bbb', 'foo-zzz', 'baz-nnn', 'foo-ooo'], 'foo-zzz'],
  ])('%s', (_name, policy, filterTags, tags, want) => {
    expect(electLatest(spec(policy, filterTags ? { filterTags } : {}), tags).tag).toBe(want);
  });

  it.each([
    ['invalid policy', {}, undefined, ['1.0.0'], /ImagePolicyChoice object is invalid/],
    ['no tags in database', { semver: { range: '1.0.x' } }, undefined, [], /no tags in database/],
    ['invalid tag filter', { semver: { range: '1.0.x' } }, { pattern: '[=' }, ['1.0.0', '1.0.1'], /invalid regular expression pattern/],
  ])('%s → error', (_name, policy, filterTags, tags, want) => {
    expect(() => electLatest(spec(policy, filterTags ? { filterTags } : {}), tags)).toThrow(want);
  });

  it('database read fail: the tags cannot be read (the registry refuses), the policy fails and is reported', async () => {
    const repo: ImageRepository = { apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImageRepository', name: 'repo', namespace: 'ns', labels: {}, spec: { image: `${reg.host}/never-pushed` } };
    const { sources, errors } = await electPolicies(
      [repo],
      [{ apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImagePolicy', name: 'p', namespace: 'ns', labels: {}, spec: spec({ semver: { range: '1.0.x' } }) }],
      client,
    );
    expect(sources).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0].policy).toBe('ns/p');
    expect(errors[0].message).toMatch(/scan failed/);
  });
});

describe('IRC TestImagePolicyReconciler_imageRepoHasNoTags', () => {
  it('an ImagePolicy over a repository without tags fails with "no tags in database"', async () => {
    const err = await caught(electLatestRef({ policy: spec({ alphabetical: {} }), image: 'ghcr.io/doesnot/exist', tags: [] }));
    expect(err).toBeInstanceOf(PolicyError);
    expect(err.message).toContain('no tags in database');
  });
});

describe('IRC TestImagePolicyReconciler_invalidImage', () => {
  it('ghcr.io/stefanprodan/podinfo/foo:bar:zzz:qqq/aaa is an invalid image URL', () => {
    expect(() => parseImageName('ghcr.io/stefanprodan/podinfo/foo:bar:zzz:qqq/aaa')).toThrow(ImageNameError);
  });
});

describe('IRC TestImagePolicyReconciler_apiServerValidation / _intervalNotConfigured', () => {
  const policy = (specExtra: Record<string, unknown>) => ({
    apiVersion: 'image.toolkit.fluxcd.io/v1',
    kind: 'ImagePolicy',
    metadata: { name: 'test-imagepolicy', namespace: 'ns' },
    spec: { imageRepositoryRef: { name: 'foo' }, policy: { alphabetical: {} }, ...specExtra },
  });
  it('interval without digestReflectionPolicy Always is refused', () => {
    expect(() => toImagePolicy(policy({ interval: '1m' }))).toThrow("spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'");
  });
  it('Always without interval is refused (also IntervalNotConfigured)', () => {
    expect(() => toImagePolicy(policy({ digestReflectionPolicy: 'Always' }))).toThrow("spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'");
  });
  it('Always with an interval is valid', () => {
    expect(toImagePolicy(policy({ digestReflectionPolicy: 'Always', interval: '1m' })).spec.interval).toBe('1m');
  });
});

describe('IRC TestImagePolicyReconciler_digestReflection', () => {
  // Each case: reconcile, then move every tag to new content (LoadImages again), change the policy, reconcile again.
  // A stateless run has no status to keep, so IfNotPresent reads the registry like Always (docs/image-automation.md,
  // "Engine"); the three cases where Flux keeps the previous status's digest are marked `stateful`.
  const versions = ['v1.0.0', 'v1.1.0', 'v1.1.1', 'v2.0.0'];
  type Reflect = 'Always' | 'IfNotPresent' | 'Never' | undefined;
  type Want = '' | '1st' | '2nd';
  const CASES: Array<{ name: string; ref1: Reflect; ref2?: Reflect; range2?: string; want1: Want; want2: Want; wantTag2?: string; stateful?: boolean }> = [
    { name: 'missing policy leaves digest empty', ref1: undefined, want1: '', want2: '' },
    { name: "'Never' policy leaves digest empty", ref1: 'Never', want1: '', want2: '' },
    { name: "'Always' policy always updates digest", ref1: 'Always', ref2: 'Always', want1: '1st', want2: '2nd' },
    { name: "'IfNotPresent' policy updates digest when new tag is selected", ref1: 'IfNotPresent', ref2: 'IfNotPresent', range2: 'v2.x', want1: '1st', want2: '2nd', wantTag2: 'v2.0.0' },
    { name: "'IfNotPresent' policy only sets digest once", ref1: 'IfNotPresent', ref2: 'IfNotPresent', want1: '1st', want2: '1st', stateful: true },
    { name: "changing 'Never' to 'IfNotPresent' sets observedPreviousRef correctly", ref1: 'Never', ref2: 'IfNotPresent', want1: '', want2: '2nd' },
    { name: "unsetting 'Always' policy removes digest", ref1: 'Always', ref2: 'Never', want1: '1st', want2: '' },
    { name: "unsetting 'IfNotPresent' policy removes digest", ref1: 'IfNotPresent', ref2: 'Never', want1: '1st', want2: '' },
    { name: "changing 'IfNotPresent' to 'Always' sets new digest", ref1: 'IfNotPresent', ref2: 'Always', want1: '1st', want2: '2nd' },
    { name: "changing 'Always' to 'IfNotPresent' leaves digest untouched", ref1: 'Always', ref2: 'IfNotPresent', want1: '1st', want2: '1st', stateful: true },
    { name: 'selecting same tag with different policy leaves observedPreviousRef empty', ref1: 'IfNotPresent', ref2: 'IfNotPresent', range2: '=v1.1.1', want1: '1st', want2: '1st', stateful: true },
  ];

  it.each(CASES)('$name', async (tt) => {
    const { image, digests: first } = await load('foo/bar', versions);
    const policy1 = spec({ semver: { range: 'v1.x' } }, tt.ref1 ? { digestReflectionPolicy: tt.ref1, interval: '10m' } : {});
    const pass1 = await electLatestRef({ policy: policy1, image, tags: versions, registry: client });
    expect(pass1.tag).toBe('v1.1.1');
    expect(pass1.digest).toBe(tt.want1 === '' ? '' : first['v1.1.1']);

    const repository = image.slice(reg.host.length + 1);
    const second = await loadImages(client, reg.host, repository, versions);
    const ref2 = tt.ref2 ?? tt.ref1;
    const policy2 = spec({ semver: { range: tt.range2 ?? 'v1.x' } }, ref2 ? { digestReflectionPolicy: ref2, interval: '10m' } : {});
    const pass2 = await electLatestRef({ policy: policy2, image, tags: versions, registry: client });
    const tag2 = tt.wantTag2 ?? 'v1.1.1';
    expect(pass2.tag).toBe(tag2);
    // Flux keeps the previous status's digest where `stateful`; the stateless run reflects the registry's current one.
    const want2 = tt.stateful ? '2nd' : tt.want2;
    expect(pass2.digest).toBe(want2 === '' ? '' : want2 === '1st' ? first[tag2] : second[tag2]);
    if (want2 === '2nd') expect(second[tag2]).not.toBe(first[tag2]);
  });
});
