/**
 * Differential tests against Go itself: the oracle (go-oracle.ts) is Go's compress/gzip and
 * compress/flate built from source with the local toolchain. Skipped, with a message, when `go` is not on PATH.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createGoGzip, goDeflateRawSync, GoGzipWriter, goGzipSync } from '../../src/flate/index.js';
import { goOracle } from './go-oracle.js';
import { corpusBase64, corpusYaml, corpusZeroRuns, fibonacciSymbols, mixed, prng, randomBytes, sha256, smallAlphabet, yamlText } from './fixtures.js';

const oracle = goOracle();
if (!oracle) console.warn('flate differential tests skipped: `go` is not on PATH (install Go to compare with compress/flate)');
afterAll(() => oracle?.dispose());

function oursChunked(input: Uint8Array, sizes: number[]): Buffer {
  const out: Uint8Array[] = [];
  const w = new GoGzipWriter((b) => out.push(b));
  for (let off = 0, i = 0; off < input.length; i++) {
    const n = Math.min(sizes[i % sizes.length], input.length - off);
    w.write(input.subarray(off, off + n));
    off += n;
  }
  w.close();
  return Buffer.concat(out);
}

/** Compares digests first (short failure messages), then bytes. */
function expectSame(ours: Buffer, go: Buffer): void {
  expect({ size: ours.length, digest: sha256(ours) }).toEqual({ size: go.length, digest: sha256(go) });
}

function repeat(pattern: string, n: number): Uint8Array {
  return new TextEncoder().encode(pattern.repeat(Math.ceil(n / pattern.length)).slice(0, n));
}

const cases: [string, () => Uint8Array][] = [
  ['empty input', () => new Uint8Array(0)],
  ['one byte', () => Uint8Array.of(0x41)],
  ['two bytes', () => Uint8Array.of(0, 0)],
  ['five bytes (shortest possible match)', () => new TextEncoder().encode('aaaaa')],
  ['1 MiB of zeros (long runs, many max-length matches)', () => new Uint8Array(1 << 20)],
  ['repeated 10-byte pattern, 70000 bytes', () => repeat('abcdefghij', 70000)],
  ['repeated 3-byte pattern, 200000 bytes', () => repeat('xy\n', 200000)],
  ['incompressible random data, 200 KiB (stored blocks)', () => randomBytes(200 * 1024, 1)],
  ['incompressible random data, 70000 bytes', () => randomBytes(70000, 2)],
  ['small alphabet, 300000 bytes (> 16384 tokens per block)', () => smallAlphabet(300000, 3)],
  ['YAML-like text, 500000 bytes', () => yamlText(500000, 4)],
  ['mixed text, runs, far copies and noise, 400000 bytes', () => mixed(400000, 5)],
  ['Fibonacci-distributed symbols (length-limited Huffman codes)', () => fibonacciSymbols(6)],
  ['fx big/data.txt lines', () => new TextEncoder().encode(Array.from({ length: 10000 }, (_, i) => `line ${String(i).padStart(6, '0')}\n`).join(''))],
];
cases.push([
  '17 MiB periodic input (stored positions rebased after 512 window slides)',
  () => {
    const block = mixed(20000, 77);
    const out = new Uint8Array(17 << 20);
    for (let off = 0; off < out.length; off += block.length) out.set(block.subarray(0, Math.min(block.length, out.length - off)), off);
    return out;
  },
]);
for (const size of [32767, 32768, 32769, 65273, 65274, 65275, 65535, 65536, 65537, 98304, 131071, 131072, 131073]) {
  cases.push([`${size} bytes (window/buffer boundary)`, () => mixed(size, size)]);
}

describe.skipIf(!oracle)(`differential vs Go compress/gzip (${oracle?.version ?? 'no Go'})`, () => {
  for (const [name, make] of cases) {
    it(`gzip: ${name}`, () => {
      const input = make();
      const ours = goGzipSync(input);
      expectSame(ours, oracle!.gzip(input));
      expect(gunzipSync(ours).equals(Buffer.from(input))).toBe(true);
    });
  }

  it('raw deflate stream equals flate.NewWriter(w, 6)', () => {
    for (const input of [new Uint8Array(0), yamlText(100000, 7), randomBytes(40000, 8)]) {
      expectSame(goDeflateRawSync(input), oracle!.deflateRaw(input));
    }
  });

  it('real tar streams (GNU tar of Go source trees)', () => {
    const dirs = ['/usr/local/go/src/compress', '/usr/local/go/src/archive'].filter((d) => existsSync(d));
    const tarOk = spawnSync('tar', ['--version']).status === 0;
    if (!dirs.length || !tarOk) {
      console.warn('real tar stream case skipped: no tar or no Go source tree');
      return;
    }
    for (const d of dirs) {
      const r = spawnSync('tar', ['-cf', '-', '--sort=name', '--mtime=@0', '--owner=0', '--group=0', '-C', d, '.'], { maxBuffer: 1 << 28 });
      expect(r.status).toBe(0);
      expectSame(goGzipSync(r.stdout), oracle!.gzip(r.stdout));
    }
  });

  it('random write chunkings: same bytes as Go given the same Write calls', () => {
    const r = prng(11);
    const inputs = [mixed(300000, 12), yamlText(200000, 13)];
    for (const input of inputs) {
      for (let t = 0; t < 6; t++) {
        const sizes = Array.from({ length: 7 }, () => 1 + (r() % (t % 2 ? 40000 : 600)));
        expectSame(oursChunked(input, sizes), oracle!.gzip(input, sizes));
      }
      // Flux's pattern: 512-byte tar headers and 32 KiB file reads.
      expectSame(oursChunked(input, [512, 32768, 32768, 1000]), oracle!.gzip(input, [512, 32768, 32768, 1000]));
    }
  });

  it('Go output can depend on Write boundaries (window slide timing); ours follows the same Write calls', () => {
    // Random bytes with a copy placed so that position 65274 matches data 32674 bytes back. Written at once, Go
    // finds that match before the buffer slides; written as 65535 + rest, the slide happens first and the match
    // source is gone.
    const input = randomBytes(70000, 21);
    input.copyWithin(65274, 32600, 32620);
    const goWhole = oracle!.gzip(input);
    const goSplit = oracle!.gzip(input, [65535, 100000]);
    expect(goSplit.equals(goWhole)).toBe(false);
    expectSame(goGzipSync(input), goWhole);
    expectSame(oursChunked(input, [65535, 100000]), goSplit);
  });

  // The three corpora of the throughput goal, at random sizes, with random Write sizes: the paths the fast loop takes
  // for each (literal runs for base64, chain walks for YAML, runs linked without hashing for zero runs) against Go.
  const corpora: [string, (n: number, seed: number) => Uint8Array][] = [
    ['YAML text', corpusYaml],
    ['base64 noise', corpusBase64],
    ['long zero runs', (n, seed) => corpusZeroRuns(n, seed)],
    ['short zero runs (4-300 bytes)', (n, seed) => corpusZeroRuns(n, seed, 300)],
    [
      'segments of all three plus runs of one repeated byte',
      (n, seed) => {
        const r = prng(seed);
        const out = new Uint8Array(n);
        for (let p = 0; p < n; ) {
          const len = Math.min(n - p, 1 + (r() % 40000));
          const kind = r() % 4;
          if (kind === 3) out.fill(r() & 0xff, p, p + len);
          else out.set([corpusYaml, corpusBase64, corpusZeroRuns][kind](len, r()), p);
          p += len;
        }
        return out;
      },
    ],
  ];
  for (const [name, make] of corpora) {
    it(`random ${name}: random sizes and Write sizes give Go's bytes`, () => {
      const r = prng(name.length * 7919);
      for (let t = 0; t < 6; t++) {
        const size = t === 0 ? 1 + (r() % 600) : t === 5 ? 1_500_000 + (r() % 1_000_000) : 1 + (r() % 400_000);
        const input = make(size, 1 + r());
        const writes = t % 3 === 0 ? undefined : t % 3 === 1 ? [512, 32768, 32768, 1 + (r() % 1000)] : Array.from({ length: 5 }, () => 1 + (r() % 70000));
        const ours = writes ? oursChunked(input, writes) : goGzipSync(input);
        expectSame(ours, oracle!.gzip(input, writes));
      }
    });
  }

  it('copies at the window edge (distance 32767, 32768, 32769) in incompressible data', () => {
    // Random bytes have no matches, so the literal path runs; a copy whose source is exactly 32768 back is the oldest
    // position a match may use, one 32769 back is outside the window.
    const input = randomBytes(300_000, 41);
    for (const [at, distance] of [[40_000, 32768], [70_123, 32767], [100_000, 32769], [150_001, 32768], [200_000, 32768], [230_000, 4096], [240_000, 4097]]) {
      input.copyWithin(at, at - distance, at - distance + (distance > 4000 && distance < 5000 ? 4 : 24));
    }
    expectSame(goGzipSync(input), oracle!.gzip(input));
    expectSame(oursChunked(input, [512, 32768, 32768, 700]), oracle!.gzip(input, [512, 32768, 32768, 700]));
  });

  it('createGoGzip() stream: each chunk is one Go Write', async () => {
    const input = mixed(250000, 31);
    const sizes = [512, 32768, 7, 32768, 4096];
    const chunks: Uint8Array[] = [];
    for (let off = 0, i = 0; off < input.length; i++) {
      const n = Math.min(sizes[i % sizes.length], input.length - off);
      chunks.push(input.subarray(off, off + n));
      off += n;
    }
    const out: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (b: Buffer) => out.push(b));
    await pipeline(Readable.from(chunks, { objectMode: false }), createGoGzip(), sink);
    expectSame(Buffer.concat(out), oracle!.gzip(input, sizes));
  });
});
