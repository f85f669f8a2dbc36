/**
 * Tar writer details and the reading side: PAX fallback bytes, prefix
 * split, special mode bits, specials skipped, round trip build → extract, unsafe names rejected, tar digest of a layer
 * independent of the compressor.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact, encodeHeader, extractArtifact, planEntries, splitUstarPath, tarChunks, tarDigestOfLayer, writeFluxTar, type TarChunk } from '@d2/core/flux';
import { D2Error } from '@d2/core';
import { regularFiles, tempDir, writeTree } from './fixtures.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

async function tarBytesOf(path: string, ignorePaths?: string[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await writeFluxTar(path, { ignorePaths }, new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
  return Buffer.concat(chunks);
}

const field = (b: Buffer, off: number, len: number): string => b.subarray(off, off + len).toString('latin1');

/** Independent checksum: unsigned byte sum with the checksum field counted as spaces. */
function checksum(h: Buffer): number {
  let s = 0;
  for (let i = 0; i < 512; i++) s += i >= 148 && i < 156 ? 32 : h[i];
  return s;
}

describe('USTAR headers', () => {
  it('numeric fields are width-1 octal digits + NUL; checksum is 6 digits, NUL, space', () => {
    const h = encodeHeader({ name: 'a/b.txt', type: 'file', mode: 0o644, size: 5 });
    expect(h.length).toBe(512);
    expect(field(h, 0, 8)).toBe('a/b.txt\0');
    expect(field(h, 100, 8)).toBe('0000644\0');
    expect(field(h, 124, 12)).toBe('00000000005\0');
    expect(field(h, 148, 8)).toBe(`${checksum(h).toString(8).padStart(6, '0')}\0 `);
    expect(field(h, 257, 8)).toBe('ustar\u000000');
    expect(field(h, 329, 16)).toBe('0000000\u00000000000\u0000');
  });

  it('setuid/setgid/sticky bits are kept in the mode', () => {
    expect(field(encodeHeader({ name: 'x', type: 'file', mode: 0o104755, size: 0 }), 100, 8)).toBe('0004755\0');
    expect(field(encodeHeader({ name: 'd', type: 'dir', mode: 0o41777, size: 0 }), 100, 8)).toBe('0001777\0');
  });

  it('paths over 100 bytes split at a / into prefix (<= 155) and name (<= 100), like Go', () => {
    const long = `${'p'.repeat(150)}/${'q'.repeat(100)}`;
    const [prefix, name] = splitUstarPath(Buffer.from(long)) ?? [];
    expect(Buffer.from(prefix ?? []).toString()).toBe('p'.repeat(150));
    expect(Buffer.from(name ?? []).toString()).toBe('q'.repeat(100));
    expect(splitUstarPath(Buffer.from(`${'p'.repeat(150)}/${'q'.repeat(101)}`))).toBeUndefined(); // name part too long
    expect(splitUstarPath(Buffer.from(`${'s'.repeat(160)}/k`))).toBeUndefined(); // prefix too long
    expect(splitUstarPath(Buffer.from('n'.repeat(100)))).toBeUndefined(); // fits as is
  });
});

describe('PAX fallback exactly as Go emits it', () => {
  it('non-ASCII name: an x header "PaxHeaders.0/<ascii basename>" with a path record, then the ASCII-stripped name', () => {
    const name = 'ünïcödé.yaml';
    const b = encodeHeader({ name, type: 'file', mode: 0o644, size: 1 });
    expect(b.length).toBe(512 * 3);
    const x = b.subarray(0, 512);
    expect(field(x, 0, 24)).toBe('PaxHeaders.0/ncd.yaml\0\0\0');
    expect(field(x, 156, 1)).toBe('x');
    for (const [off, len] of [[100, 8], [108, 8], [116, 8]]) expect(field(x, off, len)).toBe('0000000\0');
    expect(field(x, 136, 12)).toBe('00000000000\0');
    expect(field(x, 329, 16)).toBe('\0'.repeat(16)); // devmajor/devminor not formatted in the x header
    expect(field(x, 257, 8)).toBe('ustar\u000000');
    const record = `path=${name}\n`;
    const recLen = Buffer.byteLength(record) + 3; // "NN " prefix: two digits + space
    const rec = `${recLen} ${record}`;
    expect(Buffer.byteLength(rec)).toBe(recLen);
    expect(parseInt(field(x, 124, 12), 8)).toBe(recLen);
    expect(b.subarray(512, 512 + recLen).toString('utf8')).toBe(rec);
    expect(b.subarray(512 + recLen, 1024).every((c) => c === 0)).toBe(true);
    const main = b.subarray(1024);
    expect(field(main, 0, 12)).toBe('ncd.yaml\0\0\0\0');
    expect(field(main, 257, 8)).toBe('ustar\u000000');
    expect(field(main, 329, 16)).toBe('0000000\u00000000000\u0000');
    expect(parseInt(field(main, 148, 7), 8)).toBe(checksum(main));
    expect(parseInt(field(x, 148, 7), 8)).toBe(checksum(x));
  });

  it('nested long unsplittable path: x header named <dir>/PaxHeaders.0/<base>, truncated to 100 ASCII bytes', () => {
    const name = `${'p'.repeat(150)}/${'q'.repeat(101)}`;
    const b = encodeHeader({ name, type: 'file', mode: 0o644, size: 0 });
    expect(field(b, 0, 100)).toBe(`${'p'.repeat(150)}/PaxHeaders.0/`.slice(0, 100));
    const recLen = Buffer.byteLength(` path=${name}\n`) + 3;
    expect(b.subarray(512, 512 + recLen).toString()).toBe(`${recLen} path=${name}\n`);
    expect(field(b, 1024, 100)).toBe('p'.repeat(100)); // main header: truncated, no prefix
    expect(field(b, 1024 + 345, 1)).toBe('\0');
  });

  it('a truncated main-header name that would end in "/" loses the slash (Go formatString)', () => {
    const name = `${'d'.repeat(99)}/ü`; // not ASCII: PAX; toASCII gives d×99 + "/" → 100 bytes fits exactly
    const b = encodeHeader({ name, type: 'file', mode: 0o644, size: 0 });
    expect(field(b, 1024, 100)).toBe(`${'d'.repeat(99)}/`);
    const longer = `${'d'.repeat(99)}/x${'ü'.repeat(2)}y`; // toASCII = d×99 + "/xy" (102 bytes): byte 99 is "/"
    const c = encodeHeader({ name: longer, type: 'file', mode: 0o644, size: 0 });
    expect(field(c, 1024, 100)).toBe(`${'d'.repeat(99)}\0`);
  });
});

describe('files of 8 GiB or more', () => {
  it('get a PAX size record; the main header size field falls back to 0 (checked against Go archive/tar by hand)', () => {
    const size = 8 * 2 ** 30;
    const b = encodeHeader({ name: 'big.bin', type: 'file', mode: 0o644, size });
    expect(field(b, 0, 21)).toBe('PaxHeaders.0/big.bin\0');
    expect(b.subarray(512, 512 + 19).toString()).toBe('19 size=8589934592\n');
    expect(field(b, 1024, 8)).toBe('big.bin\0');
    expect(field(b, 1024 + 124, 12)).toBe('00000000000\0');
    // Just below the limit: plain USTAR with 11 octal digits.
    const ok = encodeHeader({ name: 'big.bin', type: 'file', mode: 0o644, size: size - 1 });
    expect(ok.length).toBe(512);
    expect(field(ok, 124, 12)).toBe('77777777777\0');
  });

  it('with a non-ASCII name: records sorted by key (path, then size)', () => {
    const name = `dir/ü/${'x'.repeat(120)}`;
    const b = encodeHeader({ name, type: 'file', mode: 0o644, size: 8 * 2 ** 30 });
    const path = ` path=${name}\n`;
    const pathRec = `${Buffer.byteLength(path) + 3}${path}`;
    expect(b.subarray(512, 512 + Buffer.byteLength(pathRec) + 19).toString()).toBe(`${pathRec}19 size=8589934592\n`);
    expect(field(b, 0, 100)).toBe(`dir//PaxHeaders.0/${'x'.repeat(82)}`);
  });
});

describe('the walk on disk', () => {
  it('skips FIFOs and keeps special mode bits from disk', async () => {
    const root = join(tmp.dir, 'special');
    writeTree(root, regularFiles({ 'suid': 'x', 'sticky/f': 'f' }));
    chmodSync(join(root, 'suid'), 0o4755);
    chmodSync(join(root, 'sticky'), 0o1777);
    execFileSync('mkfifo', [join(root, 'fifo')]);
    const tar = await tarBytesOf(root, []);
    expect(tar.includes(Buffer.from('fifo\0'))).toBe(false);
    const at = (n: string): Buffer => {
      const i = tar.indexOf(Buffer.from(`${n}\0`));
      expect(i % 512).toBe(0);
      return tar.subarray(i, i + 512);
    };
    expect(field(at('suid'), 100, 8)).toBe('0004755\0');
    expect(field(at('sticky'), 100, 8)).toBe('0001777\0');
    expect(tar.length % 512).toBe(0);
    expect(tar.subarray(tar.length - 1024).every((c) => c === 0)).toBe(true);
  });

  it('an unreadable file fails the build with an actionable error (as Go fails), unless it is ignored', async () => {
    if (process.getuid?.() === 0) {
      // root reads mode-000 files anyway; simulate unreadability with a file that vanishes between walk and read.
      const root = join(tmp.dir, 'vanish');
      writeTree(root, regularFiles({ 'a.yaml': 'a' }));
      const { walkFluxTree, tarBytes } = await import('@d2/core/flux');
      const { rmSync } = await import('node:fs');
      const entries = [];
      for await (const e of walkFluxTree(root)) entries.push(e);
      rmSync(join(root, 'a.yaml'));
      const err = await (async () => {
        for await (const _c of tarBytes(entries)) void _c;
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(D2Error);
      expect((err as D2Error).code).toBe('ARTIFACT_SOURCE_UNREADABLE');
      expect((err as Error).message).toContain('a.yaml');
      return;
    }
    const root = join(tmp.dir, 'unreadable');
    writeTree(root, { 'secret.yaml': ['s', 0o000], 'ok.yaml': ['o', 0o644] });
    const err = await tarBytesOf(root, []).catch((e: unknown) => e);
    expect((err as D2Error).code).toBe('ARTIFACT_SOURCE_UNREADABLE');
    expect((err as D2Error).hint).toMatch(/ignore-paths/);
    expect((await tarBytesOf(root, ['secret.yaml'])).includes(Buffer.from('ok.yaml\0'))).toBe(true);
  });

  it('streams files larger than one chunk and rejects nothing about them', async () => {
    const root = join(tmp.dir, 'large');
    mkdirSync(root);
    const big = Buffer.alloc(700_001);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    writeFileSync(join(root, 'big.bin'), big);
    const tar = await tarBytesOf(root, []);
    const i = tar.indexOf(Buffer.from('big.bin\0'));
    expect(tar.subarray(i + 512, i + 512 + big.length).equals(big)).toBe(true);
    expect(tar.length).toBe(512 + 512 + 512 * Math.ceil(big.length / 512) + 1024);
  });

  it('a file whose size changed since it was listed fails with ARTIFACT_SOURCE_CHANGED (small and large files)', async () => {
    const root = join(tmp.dir, 'changed');
    mkdirSync(root);
    const drain = async (entries: Parameters<typeof tarChunks>[0]): Promise<unknown> => {
      try {
        for await (const c of tarChunks(entries)) void c;
        return 'no error';
      } catch (err) {
        return err instanceof D2Error ? err.code : err;
      }
    };
    for (const actual of [100, 300_000]) {
      const source = join(root, `f${actual}`);
      writeFileSync(source, Buffer.alloc(actual, 1));
      for (const listed of [actual - 1, actual + 1, actual === 100 ? 0 : 1]) {
        // `listed` is the size the walk saw; the file on disk has `actual` bytes (it grew or shrank since).
        expect(await drain([{ name: 'f', type: 'file', mode: 0o644, size: listed, source }]), `${actual} listed as ${listed}`).toBe('ARTIFACT_SOURCE_CHANGED');
      }
      expect(await drain([{ name: 'f', type: 'file', mode: 0o644, size: actual, source }])).toBe('no error');
    }
  });
});

describe("Go's Write calls (docs/flate.md \"Write boundaries\")", () => {
  it('tarChunks splits the stream exactly where archive/tar + fluxcd/pkg copyBuffer end their Writes', async () => {
    const root = join(tmp.dir, 'writes');
    writeTree(root, regularFiles({ a: 'hello', big: Buffer.alloc(600_000, 7), z: '', 'ü.yaml': 'k: ' }));
    mkdirSync(join(root, 'empty'));
    const { entries } = await planEntries(root, { ignorePaths: [] });
    const chunks: TarChunk[] = [];
    for await (const c of tarChunks(entries)) chunks.push(c);
    const writes = chunks.flatMap((c) => c.writeEnds.map((end, i) => end - (c.writeEnds[i - 1] ?? 0)));
    // Walk order is bytewise: ., a, big, empty, z, ü.yaml (0xc3 > 'z').
    expect(writes).toEqual([
      512, // .
      512, 5, // a: header, data
      507, 512, ...Array<number>(18).fill(32768), 10176, // a's padding, big: header, 600,000 bytes in 32 KiB reads
      64, 512, // big's padding (600,000 = 1171 × 512 + 448), empty/
      512, // z (no data, no Write)
      512, 16, 496, 512, 3, // ü.yaml: PAX x header, "16 path=ü.yaml\n", its padding, main header, data
      509, 512, 512, // ü.yaml's padding, then the two trailer blocks as two Writes
    ]);
    expect(chunks.length).toBeGreaterThan(1); // big spans chunks: each chunk ends on a Write boundary
    for (const c of chunks) expect(c.writeEnds[c.writeEnds.length - 1]).toBe(c.data.length);
    expect(Buffer.concat(chunks.map((c) => c.data)).equals(await tarBytesOf(root, []))).toBe(true);
  });

  it('released chunk buffers are reused, and reuse changes no byte (tar, and the go-flate layer of buildArtifact)', async () => {
    const root = join(tmp.dir, 'reuse');
    const files: Record<string, [Buffer, number]> = {};
    for (let i = 0; i < 40; i++) files[`f${String(i).padStart(2, '0')}.bin`] = [Buffer.alloc(30_000 + i * 1000, (i * 37) & 0xff), 0o644];
    files['z-large.bin'] = [Buffer.alloc(700_000, 9), 0o644];
    writeTree(root, files);
    const expected = await tarBytesOf(root, []);
    const { entries } = await planEntries(root, { ignorePaths: [] });
    const copies: Buffer[] = [];
    const seen = new Set<ArrayBufferLike>();
    let reused = 0;
    for await (const c of tarChunks(entries)) {
      if (seen.has(c.data.buffer)) reused++;
      seen.add(c.data.buffer);
      copies.push(Buffer.from(c.data));
      c.release?.();
      c.release?.(); // a second call is harmless
    }
    expect(copies.length).toBeGreaterThan(4);
    expect(reused).toBeGreaterThan(0);
    expect(Buffer.concat(copies).equals(expected)).toBe(true);
    // buildArtifact's go-flate compressor releases each chunk once compressed: the layer still holds the same tar.
    const a = await buildArtifact(root, { compressor: 'go-flate', reproducible: true, ignorePaths: [], workDir: tmp.dir });
    try {
      expect((await tarDigestOfLayer(a.layerPath)).digest).toBe(`sha256:${createHash('sha256').update(expected).digest('hex')}`);
      expect(a.tarDigest).toBe(`sha256:${createHash('sha256').update(expected).digest('hex')}`);
    } finally {
      await a.cleanup();
    }
  });
});

describe('round trip and extraction', () => {
  it('build then extract gives the same files, bytes and modes (both compressors)', async () => {
    const src = join(tmp.dir, 'rt-src');
    writeTree(src, {
      'a.yaml': ['a: 1\n', 0o644],
      'bin/run.sh': ['#!/bin/sh\n', 0o755],
      'ro/secret.txt': ['ro\n', 0o400],
      'ünï/ça.yaml': ['u\n', 0o640],
      [`${'l'.repeat(120)}/${'m'.repeat(90)}.yaml`]: ['long\n', 0o644],
      'empty.txt': ['', 0o600],
    });
    chmodSync(join(src, 'ro'), 0o500);
    mkdirSync(join(src, 'emptydir'), { mode: 0o750 });
    chmodSync(join(src, 'emptydir'), 0o750);
    for (const compressor of ['go-flate', 'zlib'] as const) {
      const a = await buildArtifact(src, { compressor, ignorePaths: [], reproducible: true });
      const out = join(tmp.dir, `rt-out-${compressor}`);
      try {
        const r = await extractArtifact(a.layerPath, out);
        expect(r).toEqual({ files: 6, dirs: 5, skipped: [] });
        expect(listTree(out)).toEqual(listTree(src));
        expect(await tarDigestOfLayer(a.layerPath)).toEqual({ digest: a.tarDigest, size: a.tarSize });
      } finally {
        await a.cleanup();
        chmodSync(join(out, 'ro'), 0o700); // so the temp dir can be removed without root
      }
    }
  });

  it('the tar digest of a layer ignores the compressor: go-flate and zlib layers differ, tar digests agree', async () => {
    const src = join(tmp.dir, 'rt-src');
    const g = await buildArtifact(src, { compressor: 'go-flate', reproducible: true });
    const z = await buildArtifact(src, { compressor: 'zlib', reproducible: true });
    try {
      expect(g.layerDigest).not.toBe(z.layerDigest);
      const [tg, tz] = [await tarDigestOfLayer(readFileSync(g.layerPath)), await tarDigestOfLayer(z.layerPath)];
      expect(tg).toEqual(tz);
      expect(tg.digest).toBe(g.tarDigest);
    } finally {
      await g.cleanup();
      await z.cleanup();
      chmodSync(join(src, 'ro'), 0o700);
    }
  });

  it.each([['../evil'], ['/etc/evil'], ['a/../../evil'], ['a\\b']])('rejects the unsafe name %j before writing it', async (name) => {
    const tar = Buffer.concat([encodeHeader({ name, type: 'file', mode: 0o644, size: 4 }), Buffer.from('evil'), Buffer.alloc(508), Buffer.alloc(1024)]);
    const out = join(tmp.dir, `unsafe-${Math.random().toString(36).slice(2)}`);
    const err = await extractArtifact(gzipSync(tar), out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(D2Error);
    expect((err as D2Error).code).toBe('ARTIFACT_UNSAFE_PATH');
    expect(readdirSync(out)).toEqual([]);
  });

  it('skips symlinks and hard links instead of creating them', async () => {
    const link = encodeHeader({ name: 'link', type: 'file', mode: 0o777, size: 0 });
    link[156] = 0x32; // '2' symlink
    link.write('/etc/passwd\0', 157, 'latin1');
    const hard = encodeHeader({ name: 'hard', type: 'file', mode: 0o644, size: 0 });
    hard[156] = 0x31; // '1' hard link
    for (const h of [link, hard]) {
      h.fill(0x20, 148, 156);
      const sum = checksum(h);
      h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    }
    const tar = Buffer.concat([link, hard, encodeHeader({ name: 'ok', type: 'file', mode: 0o644, size: 0 }), Buffer.alloc(1024)]);
    const out = join(tmp.dir, 'links-out');
    const r = await extractArtifact(gzipSync(tar), out);
    expect(r).toEqual({ files: 1, dirs: 0, skipped: ['link', 'hard'] });
    expect(readdirSync(out)).toEqual(['ok']);
  });

  it('a layer that is not gzip is reported as such', async () => {
    const err = await tarDigestOfLayer(Buffer.from('not gzip')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(D2Error);
    expect((err as D2Error).code).toBe('ARTIFACT_LAYER_INVALID');
  });
});

/** Relative path → [type, mode, content] of everything below `root` (not the root itself). */
function listTree(root: string): Record<string, [string, number, string]> {
  const out: Record<string, [string, number, string]> = {};
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out[r] = ['dir', st.mode & 0o7777, ''];
        if (st.mode & 0o100) walk(p, r);
        else {
          chmodSync(p, 0o700);
          walk(p, r);
          chmodSync(p, st.mode & 0o7777);
        }
      } else {
        const content = st.mode & 0o400 ? readFileSync(p, 'utf8') : `(${statSync(p).size} bytes)`;
        out[r] = ['file', st.mode & 0o7777, content];
      }
    }
  };
  walk(root, '');
  return out;
}
