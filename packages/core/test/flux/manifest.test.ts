/**
 * Manifest encoding and annotations and the Go JSON helper (util/gojson.ts).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '@d2/core';
import { buildArtifact, encodeManifest, fluxAnnotations, formatRfc3339Utc, isRfc3339, parseAnnotations, REPRODUCIBLE_CREATED } from '@d2/core/flux';
import { goJson, goSortedMap } from '@d2/core/util';
import { tempDir, writeTree } from './fixtures.js';

const LAYER = { layerDigest: `sha256:${'ab'.repeat(32)}`, layerSize: 42 };

describe('goJson: Go encoding/json output', () => {
  it('escapes <, >, & and U+2028/U+2029 like Go; short escapes for \\n \\r \\t \\b \\f; \\u00XX for other controls', () => {
    expect(goJson('https://x/?a=1&b=<2>')).toBe('"https://x/?a=1\\u0026b=\\u003c2\\u003e"');
    expect(goJson('\u2028\u2029')).toBe('"\\u2028\\u2029"');
    expect(goJson('\n\r\t\b\f\u0001\u001f\u007f"\\')).toBe('"\\n\\r\\t\\b\\f\\u0001\\u001f\u007f\\"\\\\"');
    expect(goJson('é☺😀')).toBe('"é☺😀"');
    expect(goJson('\ud800x')).toBe('"\ufffdx"'); // lone surrogate = invalid UTF-8 for Go
  });

  it('compact, keys in the given order for structs, bytewise-sorted for maps (also integer-like and non-ASCII keys)', () => {
    expect(goJson({ b: 1, a: [true, null, 'x'], c: { z: 0 } })).toBe('{"b":1,"a":[true,null,"x"],"c":{"z":0}}');
    const m = goSortedMap({ '\uff5e': '1', '😀': '2', b: '3', '10': '4', '9': '5', B: '6' });
    // UTF-8 byte order: "10" < "9" < "B" < "b" < U+FF5E (ef bd be) < U+1F600 (f0 9f 98 80); UTF-16 order would swap the last two.
    expect(goJson(m)).toBe('{"10":"4","9":"5","B":"6","b":"3","～":"1","😀":"2"}');
  });
});

describe('manifest', () => {
  it('always carries created, source and revision (empty when unset); custom annotations override them', () => {
    const a = fluxAnnotations({ reproducible: true });
    expect(a).toEqual({ 'org.opencontainers.image.created': '1970-01-01T00:00:00Z', 'org.opencontainers.image.source': '', 'org.opencontainers.image.revision': '' });
    const b = fluxAnnotations({ reproducible: true, source: 's', revision: 'r', annotations: { 'org.opencontainers.image.source': 'custom', x: 'y' } });
    expect(b['org.opencontainers.image.source']).toBe('custom');
    expect(b.x).toBe('y');
    const m = encodeManifest({ ...LAYER, annotations: b }).bytes.toString();
    expect(m).toContain('"annotations":{"org.opencontainers.image.created":"1970-01-01T00:00:00Z","org.opencontainers.image.revision":"r","org.opencontainers.image.source":"custom","x":"y"}');
    expect(m).not.toContain('artifactType');
    expect(m).not.toContain('subject');
  });

  it('created: default now in UTC seconds; reproducible = the epoch in UTC; explicit created wins', () => {
    const now = new Date('2026-08-07T13:49:34.789Z');
    expect(fluxAnnotations({}, now)['org.opencontainers.image.created']).toBe('2026-08-07T13:49:34Z');
    expect(formatRfc3339Utc(new Date(0))).toBe(REPRODUCIBLE_CREATED);
    expect(fluxAnnotations({ reproducible: true }, now)['org.opencontainers.image.created']).toBe('1970-01-01T00:00:00Z');
    expect(fluxAnnotations({ reproducible: true, created: '2026-01-02T03:04:05+01:00' })['org.opencontainers.image.created']).toBe('2026-01-02T03:04:05+01:00');
  });

  it.each([
    ['2026-08-07T13:49:34Z', true], ['2026-08-07T13:49:34.123456789Z', true], ['2026-08-07T13:49:34+02:00', true], ['2024-02-29T00:00:00Z', true],
    ['2026-08-07 13:49:34Z', false], ['2026-08-07T13:49:34', false], ['2026-08-07t13:49:34z', false], ['2025-02-29T00:00:00Z', false],
    ['2026-13-01T00:00:00Z', false], ['2026-08-07T24:00:00Z', false], ['2026-08-07T13:60:00Z', false], ['2026-08-07T13:49:34+0200', false],
    ['now', false], ['', false],
  ])('created %j parses as RFC 3339: %j (pkg/oci >= v0.67 "invalid created timestamp")', (value, ok) => {
    expect(isRfc3339(value)).toBe(ok);
    const run = (): unknown => fluxAnnotations({ annotations: { 'org.opencontainers.image.created': value } });
    if (ok) expect(run()).toBeTruthy();
    else expect(run).toThrow(InputError);
  });

  it('descriptor sizes and digests are validated', () => {
    expect(() => encodeManifest({ layerDigest: 'sha256:xyz', layerSize: 1, annotations: {} })).toThrow(InputError);
    expect(() => encodeManifest({ layerDigest: LAYER.layerDigest, layerSize: -1, annotations: {} })).toThrow(InputError);
  });
});

describe('parseAnnotations', () => {
  it('parses key=value lines and skips blank lines', () => {
    expect(parseAnnotations(['a=1', '', 'b.c/d=two words\r', '  '])).toEqual({ a: '1', 'b.c/d': 'two words' });
  });

  it('accepts values containing "=" by splitting at the first one (decision documented in docs/artifacts.md)', () => {
    expect(parseAnnotations(['org.opencontainers.image.url=https://x/?a=b&c=d'])).toEqual({ 'org.opencontainers.image.url': 'https://x/?a=b&c=d' });
  });

  it('rejects a line without "=" and an empty key with an actionable message', () => {
    expect(() => parseAnnotations(['novalue'])).toThrow(/invalid annotation "novalue": expected key=value/);
    expect(() => parseAnnotations(['=v'])).toThrow(/the key is empty/);
    try {
      parseAnnotations(['novalue']);
    } catch (e) {
      expect((e as InputError).hint).toMatch(/key=value/);
    }
  });
});

describe('buildArtifact input validation happens before any side effect', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir();
    writeTree(join(tmp.dir, 'src'), { 'a.yaml': ['a', 0o644] });
  });
  afterAll(() => tmp.cleanup());

  it.each([
    ['bad created', { created: 'yesterday' }, /invalid created timestamp/],
    ['unknown compressor', { compressor: 'brotli' as 'zlib' }, /unknown compressor/],
    ['missing path', { path: 'nope' }, /source path does not exist/],
  ])('%s → InputError and no temp directory', async (_n, opts, msg) => {
    const work = join(tmp.dir, 'work');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(work, { recursive: true });
    const { path, ...rest } = opts as { path?: string };
    const err = await buildArtifact(join(tmp.dir, path ?? 'src'), { ...rest, workDir: work }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(msg);
    expect(readdirSync(work)).toEqual([]);
  });
});
