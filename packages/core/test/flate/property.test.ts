/**
 * Properties that need no Go: random byte streams round-trip through
 * node:zlib's gunzip, output is deterministic across runs, independent of the streaming API used, and identical on
 * Node 20 and Node 24.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { createGoGzip, goDeflateRawSync, goGzipSync } from '../../src/flate/index.js';
import { fibonacciSymbols, mixed, prng, randomBytes, sha256, smallAlphabet, yamlText } from './fixtures.js';

/** Random streams: random length and a random generator (several statistics), all seeded. */
function randomStream(seed: number): Uint8Array {
  const r = prng(seed);
  const size = [0, 1, 3, 100, 5000, 40000, 70000, 140000][r() % 8] + (r() % 300);
  switch (r() % 5) {
    case 0:
      return randomBytes(size, seed);
    case 1:
      return smallAlphabet(size, seed, 2 + (r() % 30));
    case 2:
      return yamlText(size, seed);
    case 3:
      return fibonacciSymbols(seed, 5 + (r() % 20));
    default:
      return mixed(size, seed);
  }
}

async function viaStream(input: Uint8Array, chunk: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (let off = 0; off < input.length; off += chunk) parts.push(input.subarray(off, off + chunk));
  const out: Buffer[] = [];
  const sink = new PassThrough();
  sink.on('data', (b: Buffer) => out.push(b));
  await pipeline(Readable.from(parts, { objectMode: false }), createGoGzip(), sink);
  return Buffer.concat(out);
}

describe('flate properties', () => {
  it('random byte streams round-trip through node:zlib and compress identically twice', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const input = randomStream(seed);
      const a = goGzipSync(input);
      const b = goGzipSync(input);
      expect(b.equals(a)).toBe(true);
      expect(gunzipSync(a).equals(Buffer.from(input))).toBe(true);
      expect(inflateRawSync(goDeflateRawSync(input)).equals(Buffer.from(input))).toBe(true);
      // fixed header, trailer = CRC32 and ISIZE little-endian.
      expect(a.subarray(0, 10).toString('hex')).toBe('1f8b08000000000000ff');
      expect(a.readUInt32LE(a.length - 4)).toBe(input.length);
    }
  });

  it('createGoGzip() streams with bounded state and matches goGzipSync for the same single write', async () => {
    const input = mixed(300000, 99);
    expect((await viaStream(input, input.length)).equals(goGzipSync(input))).toBe(true);
    const chunked = await viaStream(input, 4096);
    expect(gunzipSync(chunked).equals(Buffer.from(input))).toBe(true);
    const empty = await viaStream(new Uint8Array(0), 1);
    expect(empty.equals(goGzipSync(new Uint8Array(0)))).toBe(true);
  });

  it('identical output on Node 20 (/usr/bin/node) and Node 24 (this runtime)', async () => {
    const node20 = '/usr/bin/node';
    const v = spawnSync(node20, ['--version'], { encoding: 'utf8' });
    if (v.status !== 0 || !v.stdout.startsWith('v20.')) {
      console.warn(`Node 20 comparison skipped: ${node20} is not Node 20 (${v.stdout.trim() || 'missing'})`);
      return;
    }
    const here = fileURLToPath(new URL('.', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'd2-flate-node-'));
    try {
      const entry = join(dir, 'entry.ts');
      writeFileSync(
        entry,
        `import { goGzipSync } from ${JSON.stringify(join(here, '../../src/flate/index.ts'))};\n` +
          `import { mixed, yamlText, randomBytes, fibonacciSymbols, sha256 } from ${JSON.stringify(join(here, 'fixtures.ts'))};\n` +
          `const inputs = [new Uint8Array(0), mixed(200000, 1), yamlText(150000, 2), randomBytes(70000, 3), fibonacciSymbols(4), new Uint8Array(1 << 20)];\n` +
          `console.log(JSON.stringify(inputs.map((i) => sha256(goGzipSync(i)))));\n`,
      );
      const out = join(dir, 'check.mjs');
      await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: out, logLevel: 'silent' });
      const run = (node: string) => {
        const r = spawnSync(node, [out], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        return JSON.parse(r.stdout) as string[];
      };
      const on20 = run(node20);
      const on24 = run(process.execPath);
      expect(on20).toHaveLength(6);
      expect(on20).toEqual(on24);
      // And equal to this process's in-process result.
      expect(on24[1]).toBe(sha256(goGzipSync(mixed(200000, 1))));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('flate internals', () => {
  it('CRC-32 fallback (Node < 20.15) equals zlib.crc32', async () => {
    const { crc32Table: fallback } = await import('../../src/flate/index.js');
    const zlib = await import('node:zlib');
    for (const input of [new Uint8Array(0), Uint8Array.of(0), yamlText(10000, 1), randomBytes(4097, 2)]) {
      const want = zlib.crc32(input, 0);
      expect(fallback(input, 0)).toBe(want);
      // Incremental update as GzipMember uses it.
      expect(fallback(input.subarray(1000), fallback(input.subarray(0, 1000), 0))).toBe(want);
    }
  });

  it('writing after close is rejected with a D2Error', async () => {
    const { GoDeflater } = await import('../../src/flate/index.js');
    const d = new GoDeflater(() => {});
    d.close();
    expect(() => d.write(Uint8Array.of(1))).toThrow(/write after close/);
  });
});
