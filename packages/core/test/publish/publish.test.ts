/**
 * The ordering guarantees of publishing (src/publish/publish.ts), against an in-memory registry that records every
 * call: blobs, then the manifest by digest, then sign, then verify, and only then the tag PUTs; a failing step leaves
 * every tag where it was; unchanged content is not pushed again; a tag that already points at the digest is not PUT.
 * Each test asserts the exact recorded call order, so moving a tag PUT earlier, or dropping a check, fails it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { D2Error } from '../../src/errors.js';
import { publishAll, publishArtifact, type PublishOptions, type PublishTarget } from '../../src/publish/index.js';
import type { Descriptor } from '../../src/oci/types.js';
import { MemoryRegistry, memorySigner, memoryVerifier } from './memory-registry.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'd2-publish-unit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A directory with one manifest file of the given content. */
function source(name: string, content: string): string {
  const p = join(dir, name);
  mkdirSync(p, { recursive: true });
  writeFileSync(join(p, 'deploy.yaml'), content);
  return p;
}

function target(name: string, content: string): PublishTarget {
  return { component: name, repository: `registry.test/fleet/${name}`, path: source(name, content) };
}

const build: PublishOptions['build'] = { reproducible: true, source: 'https://github.com/o/r', revision: 'main@sha1:0123' };

/** The calls of one repository, with the repository name dropped (`<op> <reference>`). */
function callsOf(reg: MemoryRegistry, repository: string): string[] {
  return reg.calls.filter((c) => c.split(' ')[1] === repository).map((c) => `${c.split(' ')[0]} ${c.split(' ')[2]}`);
}

describe('publishArtifact: order of writes', () => {
  it('pushes the blobs, then the manifest by digest, then signs, verifies, and only then PUTs each tag (read while the rest runs)', async () => {
    const reg = new MemoryRegistry();
    const t = target('app', 'kind: ConfigMap\n');
    const r = await publishArtifact(reg, t, { build, tags: ['v1', 'latest'], signer: memorySigner(reg), verifier: memoryVerifier(reg) });
    const d = r.digest;
    const [config, layer] = reg.calls.filter((c) => c.startsWith('pushBlob')).map((c) => c.split(' ')[2]);
    expect(reg.calls).toEqual([
      // Where the tags point is read first, at once, and written last.
      'headManifest fleet/app v1',
      'headManifest fleet/app latest',
      `pushBlob fleet/app ${config}`,
      `pushBlob fleet/app ${layer}`,
      `putManifest fleet/app ${d}`,
      `sign fleet/app ${d}`,
      `verify fleet/app ${d}`,
      'putManifest fleet/app v1',
      'putManifest fleet/app latest',
    ]);
    expect(layer).toBe(r.layerDigest);
    expect(r).toMatchObject({ pushed: true, tags: ['v1', 'latest'], movedTags: ['v1', 'latest'], digestUrl: `registry.test/fleet/app@${d}` });
    expect(reg.tag('fleet/app', 'v1')).toBe(d);
    expect(reg.tag('fleet/app', 'latest')).toBe(d);
  });

  it('with neither tags nor diff-tag, moves latest (Flux default), diff-tag first and de-duplicated otherwise', async () => {
    const reg = new MemoryRegistry();
    const r1 = await publishArtifact(reg, target('a', 'a: 1\n'), { build });
    expect(reg.tagPuts()).toEqual(['putManifest fleet/a latest']);
    expect(r1.tags).toEqual(['latest']);
    const r2 = await publishArtifact(reg, target('b', 'b: 1\n'), { build, diffTag: 'main', tags: ['x', 'main', 'x'] });
    expect(reg.tagPuts()).toEqual(['putManifest fleet/a latest', 'putManifest fleet/b main', 'putManifest fleet/b x']);
    expect(r2.tags).toEqual(['main', 'x']);
  });
});

describe('publishArtifact: a failing step moves no tag', () => {
  async function seeded(): Promise<{ reg: MemoryRegistry; before: string }> {
    const reg = new MemoryRegistry();
    const r = await publishArtifact(reg, target('app', 'v: 1\n'), { build, diffTag: 'main', tags: ['stable'] });
    reg.calls.length = 0;
    return { reg, before: r.digest };
  }

  it('a failing signer: the manifest is pushed by digest, no tag is PUT, every tag stays where it was', async () => {
    const { reg, before } = await seeded();
    const err = await publishArtifact(reg, target('app', 'v: 2\n'), { build, diffTag: 'main', tags: ['stable'], signer: memorySigner(reg, { fail: () => true }), verifier: memoryVerifier(reg) }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('signing fleet/app failed');
    expect(reg.tagPuts()).toEqual([]);
    expect(reg.calls.filter((c) => c.startsWith('verify'))).toEqual([]);
    expect(reg.calls.at(-1)).toMatch(/^sign fleet\/app sha256:/);
    expect(reg.tag('fleet/app', 'main')).toBe(before);
    expect(reg.tag('fleet/app', 'stable')).toBe(before);
  });

  it('a failing verifier (a signature Flux would not accept): no tag is PUT', async () => {
    const { reg, before } = await seeded();
    await expect(publishArtifact(reg, target('app', 'v: 2\n'), { build, diffTag: 'main', tags: ['stable'], signer: memorySigner(reg), verifier: memoryVerifier(reg, { fail: () => true }) })).rejects.toThrow('verifying fleet/app failed');
    expect(reg.tagPuts()).toEqual([]);
    expect(reg.calls.slice(-2).map((c) => c.split(' ')[0])).toEqual(['sign', 'verify']);
    expect([reg.tag('fleet/app', 'main'), reg.tag('fleet/app', 'stable')]).toEqual([before, before]);
  });

  it('a failing manifest push: nothing is signed and no tag is PUT', async () => {
    const { reg, before } = await seeded();
    reg.failOn = (c) => (/^putManifest fleet\/app sha256:/.test(c) ? new Error('manifest push refused') : undefined);
    await expect(publishArtifact(reg, target('app', 'v: 2\n'), { build, diffTag: 'main', tags: ['stable'], signer: memorySigner(reg), verifier: memoryVerifier(reg) })).rejects.toThrow('manifest push refused');
    expect(reg.calls.filter((c) => c.startsWith('sign') || c.startsWith('verify'))).toEqual([]);
    expect(reg.tagPuts()).toEqual([]);
    expect([reg.tag('fleet/app', 'main'), reg.tag('fleet/app', 'stable')]).toEqual([before, before]);
  });

  it('a failing blob push: no manifest, no signature, no tag', async () => {
    const { reg, before } = await seeded();
    reg.failOn = (c) => (c.startsWith('pushBlob') ? new Error('blob upload refused') : undefined);
    await expect(publishArtifact(reg, target('app', 'v: 2\n'), { build, diffTag: 'main', signer: memorySigner(reg) })).rejects.toThrow('blob upload refused');
    expect(reg.calls.filter((c) => c.startsWith('putManifest') || c.startsWith('sign'))).toEqual([]);
    expect(reg.tag('fleet/app', 'main')).toBe(before);
  });

  it('a registry that stores the manifest under another digest: refused before signing, no tag', async () => {
    const { reg, before } = await seeded();
    reg.reportDigest = (_ref, d) => d.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    const err = await publishArtifact(reg, target('app', 'v: 2\n'), { build, diffTag: 'main', signer: memorySigner(reg) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(D2Error);
    expect((err as D2Error).code).toBe('REGISTRY_DIGEST_MISMATCH');
    expect(reg.calls.filter((c) => c.startsWith('sign'))).toEqual([]);
    expect(reg.tagPuts()).toEqual([]);
    expect(reg.tag('fleet/app', 'main')).toBe(before);
  });

  it('a tag PUT the registry resolves to another digest fails loudly and the later tags are not PUT', async () => {
    const reg = new MemoryRegistry();
    reg.reportDigest = (ref, d) => (ref === 'a' ? `sha256:${'0'.repeat(64)}` : d);
    const err = await publishArtifact(reg, target('app', 'v: 1\n'), { build, tags: ['a', 'b'] }).catch((e: unknown) => e);
    expect((err as D2Error).code).toBe('REGISTRY_DIGEST_MISMATCH');
    expect(reg.tagPuts()).toEqual(['putManifest fleet/app a']);
  });
});

describe('publishArtifact: unchanged content and tags already in place', () => {
  it('content equal to diff-tag is not pushed again; tags that point at the digest are not PUT, the others are', async () => {
    const reg = new MemoryRegistry();
    const first = await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main' });
    reg.calls.length = 0;
    const r = await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main', tags: ['v2'] });
    expect(r).toMatchObject({ pushed: false, digest: first.digest, movedTags: ['v2'], tags: ['main', 'v2'] });
    expect(reg.writes()).toEqual(['putManifest fleet/app v2']);
    expect(reg.calls.filter((c) => c.startsWith('fetchBlobToFile'))).toEqual([]);
  });

  it('a second identical publish writes nothing at all', async () => {
    const reg = new MemoryRegistry();
    await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main', tags: ['v1'] });
    reg.calls.length = 0;
    const r = await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main', tags: ['v1'] });
    expect(r.movedTags).toEqual([]);
    expect(reg.writes()).toEqual([]);
  });

  it('same files with another created time (another manifest digest) count as unchanged: compared by tar content', async () => {
    const reg = new MemoryRegistry();
    const first = await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main' });
    reg.calls.length = 0;
    const r = await publishArtifact(reg, target('app', 'same: 1\n'), { build: { ...build, reproducible: false, created: '2030-01-01T00:00:00Z' }, diffTag: 'main' });
    expect(r.pushed).toBe(false);
    expect(r.digest).toBe(first.digest);
    expect(reg.writes()).toEqual([]);
  });

  it('changed content is pushed and the diff-tag moved, after reading the old layer to compare', async () => {
    const reg = new MemoryRegistry();
    const first = await publishArtifact(reg, target('app', 'v: 1\n'), { build, diffTag: 'main' });
    reg.calls.length = 0;
    const r = await publishArtifact(reg, target('app', 'v: 2\n'), { build, diffTag: 'main' });
    expect(r.pushed).toBe(true);
    expect(r.digest).not.toBe(first.digest);
    // The diff tag's HEAD (the comparison) is also where it points when it moves: no second HEAD.
    expect(callsOf(reg, 'fleet/app').map((c) => c.split(' ')[0])).toEqual(['headManifest', 'getManifest', 'fetchBlobToFile', 'pushBlob', 'pushBlob', 'putManifest', 'putManifest']);
    expect(reg.tag('fleet/app', 'main')).toBe(r.digest);
  });

  it('hands the signer the descriptor of the manifest it has just pushed, and none for unchanged content (the signer asks the registry)', async () => {
    const reg = new MemoryRegistry();
    const subjects: (Descriptor | undefined)[] = [];
    const r = await publishArtifact(reg, target('app', 'subject: 1\n'), { build, diffTag: 'main', signer: memorySigner(reg, { subjects }) });
    const pushed = await reg.getManifest({ registry: 'registry.test', repository: 'fleet/app' }, r.digest);
    expect(subjects).toEqual([{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: r.digest, size: pushed.bytes.length }]);
    subjects.length = 0;
    const again = await publishArtifact(reg, target('app', 'subject: 1\n'), { build, diffTag: 'main', signer: memorySigner(reg, { subjects }) });
    expect(again.pushed).toBe(false);
    expect(subjects).toEqual([undefined]);
  });

  it('unchanged content already signed is not signed again; unsigned unchanged content is signed before any tag moves', async () => {
    const reg = new MemoryRegistry();
    const first = await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main' });
    reg.calls.length = 0;
    // Pushed by another tool without a signature: signed now, before :v2 moves.
    const r = await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main', tags: ['v2'], signer: memorySigner(reg), verifier: memoryVerifier(reg) });
    expect(r.alreadySigned).toBeUndefined();
    const sigTag = `${first.digest.replace(':', '-')}.sig`;
    expect(reg.calls.filter((c) => !c.startsWith('getManifest') && !c.startsWith('headManifest fleet/app main'))).toEqual([
      'headManifest fleet/app v2',
      `headManifest fleet/app ${sigTag}`,
      `sign fleet/app ${first.digest}`,
      `verify fleet/app ${first.digest}`,
      'putManifest fleet/app v2',
    ]);
    // Now it carries a signature: the next run does not sign it again.
    reg.seed('fleet/app', Buffer.from('{"sig":1}'), sigTag);
    reg.calls.length = 0;
    const again = await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main', tags: ['v2'], signer: memorySigner(reg), verifier: memoryVerifier(reg) });
    expect(again.alreadySigned).toBe(true);
    expect(again.signature).toBeUndefined();
    expect(reg.calls.filter((c) => c.startsWith('sign') || c.startsWith('verify') || c.startsWith('put'))).toEqual([]);
  });

  it('bundle format: an unchanged artifact counts as signed only when it has a referrer', async () => {
    const reg = new MemoryRegistry();
    const first = await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main' });
    reg.calls.length = 0;
    await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main', signer: memorySigner(reg, { format: 'bundle' }) });
    expect(reg.calls.filter((c) => c.startsWith('referrers') || c.startsWith('sign'))).toEqual([`referrers fleet/app ${first.digest}`, `sign fleet/app ${first.digest}`]);
    reg.referrerMap.set(first.digest, [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 1 }]);
    reg.calls.length = 0;
    const r = await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main', signer: memorySigner(reg, { format: 'bundle' }) });
    expect(r.alreadySigned).toBe(true);
    expect(reg.calls.filter((c) => c.startsWith('sign'))).toEqual([]);
  });

  it('bundle format: an attestation referrer alone is not a signature', async () => {
    const reg = new MemoryRegistry();
    const first = await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main' });
    const annotated = (predicateType: string, c: string) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${c.repeat(64)}`,
      size: 1,
      annotations: { 'dev.sigstore.bundle.predicateType': predicateType },
    });
    reg.referrerMap.set(first.digest, [annotated('https://slsa.dev/provenance/v1', 'b')]);
    reg.calls.length = 0;
    const r = await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main', signer: memorySigner(reg, { format: 'bundle' }) });
    expect(r.alreadySigned).toBeUndefined();
    expect(reg.calls.filter((c) => c.startsWith('sign'))).toEqual([`sign fleet/app ${first.digest}`]);
    reg.referrerMap.set(first.digest, [annotated('https://slsa.dev/provenance/v1', 'b'), annotated('https://sigstore.dev/cosign/sign/v1', 'c')]);
    expect((await publishArtifact(reg, target('app', 'same: 1\n'), { build, diffTag: 'main', signer: memorySigner(reg, { format: 'bundle' }) })).alreadySigned).toBe(true);
  });

  it('attestations run after the signature and its verification and before any tag moves; a failing attestor moves no tag', async () => {
    const reg = new MemoryRegistry();
    const attestor = (fail: boolean) => ({
      attest: async (ctx: { repo: { repository: string }; digest: string; path: string; version?: string }) => {
        reg.calls.push(`attest ${ctx.repo.repository} ${ctx.digest} ${ctx.version ?? ''}`);
        if (fail) throw new Error('the registry refused the referrer');
        return [];
      },
    });
    await expect(
      publishArtifact(reg, target('app', 'a: 1\n'), { build, diffTag: 'main', signer: memorySigner(reg), verifier: memoryVerifier(reg), attestor: attestor(true), version: 'v1.0.0' }),
    ).rejects.toThrow(/refused the referrer/);
    expect(reg.tag('fleet/app', 'main')).toBeUndefined();
    reg.calls.length = 0;
    const r = await publishArtifact(reg, target('app', 'a: 1\n'), { build, diffTag: 'main', signer: memorySigner(reg), verifier: memoryVerifier(reg), attestor: attestor(false), version: 'v1.0.0' });
    const order = reg.calls.filter((c) => /^(sign|verify|attest|putManifest fleet\/app main)/.test(c)).map((c) => c.split(' ')[0]);
    expect(order).toEqual(['sign', 'verify', 'attest', 'putManifest']);
    expect(reg.calls.find((c) => c.startsWith('attest'))).toBe(`attest fleet/app ${r.digest} v1.0.0`);
    expect(r.attestations).toEqual([]);
  });
});

describe('publishAll', () => {
  it('a component whose signing fails moves no tag; the others complete; failures are reported per component', async () => {
    const reg = new MemoryRegistry();
    const targets = [target('a', 'a: 1\n'), target('b', 'b: 1\n'), target('c', 'c: 1\n')];
    const settled: string[] = [];
    const out = await publishAll(reg, targets, { build, tags: ['latest'], signer: memorySigner(reg, { fail: (r) => r === 'fleet/b' }), verifier: memoryVerifier(reg) }, 2, {
      onSettled: (t, o) => settled.push(`${t.component}:${o.error ? 'failed' : 'ok'}`),
    });
    expect(out.results.map((r) => r.component)).toEqual(['a', 'c']);
    expect(out.failures.map((f) => [f.component, f.repository, f.error.message])).toEqual([['b', 'registry.test/fleet/b', 'signing fleet/b failed']]);
    expect(settled.sort()).toEqual(['a:ok', 'b:failed', 'c:ok']);
    expect(reg.tag('fleet/b', 'latest')).toBeUndefined();
    expect(reg.tagPuts().sort()).toEqual(['putManifest fleet/a latest', 'putManifest fleet/c latest']);
    for (const r of out.results) {
      expect(callsOf(reg, `fleet/${r.component}`)[0]).toBe('headManifest latest');
      expect(callsOf(reg, `fleet/${r.component}`).slice(-4)).toEqual([`putManifest ${r.digest}`, `sign ${r.digest}`, `verify ${r.digest}`, 'putManifest latest']);
    }
  });

  it('a failing manifest push of one component leaves its tags; the others complete', async () => {
    const reg = new MemoryRegistry();
    reg.failOn = (c) => (/^putManifest fleet\/a sha256:/.test(c) ? new Error('quota exceeded') : undefined);
    const out = await publishAll(reg, [target('a', 'a: 1\n'), target('b', 'b: 1\n')], { build, tags: ['latest'] }, 1);
    expect(out.failures.map((f) => f.error.message)).toEqual(['quota exceeded']);
    expect(out.results.map((r) => r.component)).toEqual(['b']);
    expect(reg.tag('fleet/a', 'latest')).toBeUndefined();
    expect(reg.tag('fleet/b', 'latest')).toBe(out.results[0].digest);
  });
});
