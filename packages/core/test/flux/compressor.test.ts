/**
 * gzip framing and compressor determinism: the same layer bytes on every machine and Node version (docs/artifacts.md
 * "Decisions"). The Node 20 vs Node 24 check bundles a small build script with esbuild and runs it
 * under /usr/bin/node (Node 20 here) and under the current Node (24).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact, createZlibGzip, ZLIB_DEFLATE_OPTIONS } from '@d2/core/flux';
import { crc32, crc32Table, GZIP_HEADER } from '@d2/core/flate';
import { makeFx, tempDir, VECTOR_META } from './fixtures.js';

let tmp: ReturnType<typeof tempDir>;
let fx: string;
beforeAll(() => {
  tmp = tempDir();
  fx = makeFx(tmp.dir);
});
afterAll(() => tmp.cleanup());

async function gzipWith(factory: () => import('node:stream').Transform, input: Buffer): Promise<Buffer> {
  const t = factory();
  const out: Buffer[] = [];
  t.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve, reject) => (t.on('end', resolve), t.on('error', reject)));
  // Uneven chunking must not change the output.
  for (let i = 0; i < input.length; i += 7777) t.write(input.subarray(i, i + 7777));
  t.end();
  await done;
  return Buffer.concat(out);
}

describe('zlib compressor with Go gzip framing', () => {
  it("pins zlib's default strategy (written out as a number in the source)", () => {
    expect(ZLIB_DEFLATE_OPTIONS.strategy).toBe(zlib.constants.Z_DEFAULT_STRATEGY);
  });

  it('header 1f8b 0800 00000000 00ff, CRC32 + ISIZE trailer, decompresses to the input', async () => {
    const input = Buffer.from('hello flux '.repeat(10000));
    const gz = await gzipWith(createZlibGzip, input);
    expect(gz.subarray(0, 10).toString('hex')).toBe('1f8b08000000000000ff');
    expect(Buffer.from(GZIP_HEADER).toString('hex')).toBe('1f8b08000000000000ff');
    expect(gunzipSync(gz).equals(input)).toBe(true);
    expect(gz.readUInt32LE(gz.length - 8)).toBe(crc32Table(input));
    expect(gz.readUInt32LE(gz.length - 4)).toBe(input.length);
  });

  it('empty input still gives a valid gzip member', async () => {
    const gz = await gzipWith(createZlibGzip, Buffer.alloc(0));
    expect(gunzipSync(gz).length).toBe(0);
    expect(gz.subarray(gz.length - 8).toString('hex')).toBe('0000000000000000');
  });

  it('crc32 (zlib.crc32 when present) equals the table fallback, also when continued', () => {
    const a = Buffer.from('The quick brown fox');
    const b = Buffer.from(' jumps over the lazy dog');
    expect(crc32(Buffer.concat([a, b]))).toBe(0x414fa339);
    expect(crc32Table(Buffer.concat([a, b]))).toBe(0x414fa339);
    expect(crc32(b, crc32(a))).toBe(crc32Table(b, crc32Table(a)));
    if ((zlib as { crc32?: unknown }).crc32) expect(crc32(a)).toBe(crc32Table(a));
  });

  it('golden zlib layer for fx (defaults): same tar as Flux, deterministic layer', async () => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const a = await buildArtifact(fx, { ...VECTOR_META, compressor: 'zlib' });
      try {
        runs.push([a.layerSize, a.layerDigest, a.tarDigest, a.manifestDigest]);
        expect(gunzipSync(readFileSync(a.layerPath)).length).toBe(130560);
      } finally {
        await a.cleanup();
      }
    }
    expect(runs[0]).toEqual(runs[1]);
    // Recorded with Node 24 (zlib 1.3.2.1-motley) and Node 20 (zlib 1.3.1) on x86-64; see docs/artifacts.md.
    expect(runs[0]).toEqual([
      23873,
      'sha256:c968b59439cc873fda29f377f632ca92aa740cbbc9e70db26f62e57cf6abceeb',
      'sha256:ebba607881333b42a079cfea5b15319cab7452810b13251da96edca41ae0bb7b',
      'sha256:18f96ba5ee95e20a71179f45a28594a96fd60504928b03ac3afcefa7b41beaaf',
    ]);
  });
});

/** The script run under both Node versions: builds a generated ~3 MB tree with both compressors, prints digests. */
const SCRIPT = `
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { buildArtifact } from './src/flux/index.ts';
const root = process.argv[2];
let seed = 12345;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
const words = ['apiVersion', 'kind', 'metadata', 'name', 'spec', 'replicas', 'image', 'flux', 'kustomize', '  ', '\\n', ': ', '- '];
mkdirSync(root, { recursive: true });
for (let d = 0; d < 6; d++) {
  const dir = join(root, 'dir' + d);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  for (let f = 0; f < 25; f++) {
    const n = Math.floor(rnd() * 40000);
    let buf;
    if (f % 5 === 0) { buf = Buffer.alloc(n); for (let i = 0; i < n; i++) buf[i] = Math.floor(rnd() * 256); }
    else { let s = ''; while (s.length < n) s += words[Math.floor(rnd() * words.length)]; buf = Buffer.from(s); }
    writeFileSync(join(dir, 'f' + f + '.yaml'), buf);
    chmodSync(join(dir, 'f' + f + '.yaml'), 0o644);
  }
}
chmodSync(root, 0o755);
const out = {};
for (const compressor of ['zlib', 'go-flate']) {
  const a = await buildArtifact(root, { compressor, reproducible: true });
  out[compressor] = [a.layerSize, a.layerDigest, a.tarDigest];
  await a.cleanup();
}
out.node = process.version;
console.log(JSON.stringify(out));
`;

describe('determinism across Node versions', () => {
  it('zlib and go-flate layers are identical under /usr/bin/node (Node 20) and the current Node', async (ctx) => {
    const node20 = '/usr/bin/node';
    if (!existsSync(node20)) {
      ctx.skip();
      return;
    }
    const v20 = execFileSync(node20, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    if (v20.split('.')[0] === process.versions.node.split('.')[0]) {
      ctx.skip(); // same major: nothing to compare
      return;
    }
    const pkgDir = fileURLToPath(new URL('../../', import.meta.url));
    const bundle = join(tmp.dir, 'determinism.mjs');
    await build({
      stdin: { contents: SCRIPT, resolveDir: pkgDir, loader: 'ts', sourcefile: 'determinism.ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: bundle,
      logLevel: 'silent',
    });
    const run = (node: string, dir: string): Record<string, unknown> => {
      mkdirSync(dir, { recursive: true });
      return JSON.parse(execFileSync(node, [bundle, join(dir, 'tree')], { encoding: 'utf8', maxBuffer: 1 << 24 })) as Record<string, unknown>;
    };
    const a = run(node20, join(tmp.dir, 'n20'));
    const b = run(process.execPath, join(tmp.dir, 'ncur'));
    expect(a.node).not.toBe(b.node);
    expect(a.zlib).toEqual(b.zlib);
    expect(a['go-flate']).toEqual(b['go-flate']);
    // Same tar whichever compressor; different layers.
    expect((a.zlib as string[])[2]).toBe((a['go-flate'] as string[])[2]);
    expect((a.zlib as string[])[1]).not.toBe((a['go-flate'] as string[])[1]);
  });
});
