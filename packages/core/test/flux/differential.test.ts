/**
 * Differential test against Flux's own Go code: test/flux/fluxref/main.go archives with fluxcd/pkg tar v1.2.0 and
 * sourceignore v0.18.0 wired as pkg/oci v0.69.0 build() does. Our tar and go-flate layer must
 * be byte-identical for a tree full of edge cases (non-ASCII and invalid UTF-8 names, 100/101-byte names, USTAR
 * prefix split, PAX fallback, special mode bits, symlinks, a FIFO, empty directories) and many ignore pattern sets.
 *
 * Go's deflate output can depend on where its Write calls end (docs/flate.md), so the go-flate layer is also checked
 * against the Write calls fluxcd/pkg `tar.Tar` really makes (`fluxref … writes`), and on a tree built to hit the
 * write-boundary case.
 *
 * Needs Go and the two fluxcd modules in the Go module cache (it builds with GOPROXY=off, so no network is used);
 * populate once with `cd packages/core/test/flux/fluxref && go mod download`. Skipped when they are not available.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GoGzipWriter, goGzipSync } from '@d2/core/flate';
import { buildArtifact, COMPRESSORS, planEntries, tarBytes, writeFluxTar } from '@d2/core/flux';
import { corpusBase64, corpusYaml, corpusZeroRuns, prng, randomBytes } from '../flate/fixtures.js';
import { tempDir } from './fixtures.js';

let tmp: ReturnType<typeof tempDir>;
let fluxref: string | undefined;
let root: string;

const B = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s) : s);
const J = (...p: (string | Buffer)[]): Buffer => Buffer.concat(p.flatMap((x, i) => (i ? [Buffer.from('/'), B(x)] : [B(x)])));
function dir(p: Buffer, mode = 0o755): void {
  mkdirSync(p, { recursive: true });
  chmodSync(p, mode);
}
function file(p: Buffer, c: string | Buffer, mode = 0o644): void {
  writeFileSync(p, c);
  chmodSync(p, mode);
}

function makeEdgeTree(r: Buffer): void {
  dir(r);
  file(J(r, 'a'), 'a');
  dir(J(r, 'a-b'));
  file(J(r, 'a-b', 'x'), 'x');
  dir(J(r, 'a.d'));
  file(J(r, 'a.d', 'y'), 'y');
  file(J(r, 'ünïcödé.yaml'), 'u');
  dir(J(r, 'dír'));
  file(J(r, 'dír', 'ä'.repeat(60)), 'x');
  file(J(r, 'n'.repeat(100)), '100');
  file(J(r, 'm'.repeat(101)), '101');
  dir(J(r, 'd'.repeat(99)));
  file(J(r, 'd'.repeat(99), 'f'), 'slash at 99');
  dir(J(r, 'p'.repeat(150)));
  file(J(r, 'p'.repeat(150), 'q'.repeat(100)), 'split');
  file(J(r, 'p'.repeat(150), 'q'.repeat(101)), 'nosplit');
  dir(J(r, 'p'.repeat(150), 'z'.repeat(5)));
  file(J(r, 'p'.repeat(150), 'z'.repeat(5), 'é'), 'deep non-ascii');
  dir(J(r, 's'.repeat(160)));
  file(J(r, 's'.repeat(160), 'k'), 'prefix too long');
  file(J(r, Buffer.from([0x62, 0xff, 0xfe, 0x41])), 'invalid utf8 name');
  file(J(r, 'setuid'), 'x', 0o4755);
  file(J(r, 'ro'), 'x', 0o400);
  dir(J(r, 'sticky'), 0o1777);
  file(J(r, 'sticky', 'g'), 'g', 0o2644);
  symlinkSync('a', J(r, 'link-to-file'));
  symlinkSync('a-b', J(r, 'link-to-dir'));
  execFileSync('mkfifo', [join(r.toString(), 'fifo')]);
  dir(J(r, 'empty'));
  dir(J(r, 'keep', 'sub'));
  file(J(r, 'keep', 'sub', 'keep.yaml'), 'k');
  file(J(r, 'keep', 'sub', 'drop.yaml'), 'd');
  dir(J(r, 'deploy', 'x', 'y'));
  file(J(r, 'deploy', 'x', 'y', 'z.yaml'), 'z');
  file(J(r, 'deploy', 'x.yaml'), 'x');
  dir(J(r, '[br]'));
  file(J(r, '[br]', 'f*'), 'glob chars');
  file(J(r, 'sp '), 'trailing space');
  file(J(r, 'big'), 'B'.repeat(300000) + 'tail'.repeat(1000));
  dir(J(r, 'CAPS'));
  file(J(r, 'CAPS', 'Zz'), 'z');
  file(J(r, '.hidden'), 'h');
  dir(J(r, '.git'));
  file(J(r, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  file(J(r, 'logo.png'), 'PNG');
}

/** Ignore sets, comma-separated as the reference tool takes them; "-" = Flux's default list, "" = none. */
const SETS = [
  '-', '', 'keep/,!keep/sub/keep.yaml', '**/x,!deploy/x/y/z.yaml', 'deploy/**', '/*,!/deploy', '*.yaml,!/deploy/*.yaml',
  '[a-c]*,!a-b/', '\\[br\\]/', '[br]', 'sp\\ ', 'sp ', 'd*/,**/f', 'a**,/a/**/b', 'p*/*/é', '?,??/', '[^a-z]*', '/dír/ä*',
  'ä*', 'ünïcödé.*', '[', 'a\\', '*/', 'deploy/x', 'deploy//x', '#c,  ,!*.yaml', 'CAPS/**', '**/', '/', '!', '*', '!*', 'x/',
  '**/y/', 'deploy/**/z.yaml', 'deploy/**/y', '.*', 'b*A', 'b??A',
];

const ignoreOf = (s: string): string[] | undefined => (s === '-' ? undefined : s === '' ? [] : s.split(','));

beforeAll(() => {
  tmp = tempDir();
  root = join(tmp.dir, 'tree');
  makeEdgeTree(Buffer.from(root));
  const src = fileURLToPath(new URL('./fluxref/', import.meta.url));
  const out = join(tmp.dir, 'fluxref');
  const r = spawnSync('go', ['build', '-o', out, '.'], { cwd: src, env: { ...process.env, GOPROXY: 'off', GOFLAGS: '-mod=readonly', GOTOOLCHAIN: 'local' }, encoding: 'utf8' });
  if (r.status === 0) fluxref = out;
  else console.warn(`differential tests skipped: cannot build the Flux reference archiver offline:\n${r.stderr ?? r.error}`);
});
afterAll(() => tmp.cleanup());

function reference(path: string, set: string, gz = false): Buffer {
  return execFileSync(fluxref as string, gz ? [path, set, 'gz'] : [path, set], { maxBuffer: 1 << 28 });
}

/** The sizes of the non-empty Write calls fluxcd/pkg tar.Tar makes on its (gzip) writer. */
function referenceWrites(path: string, set: string): number[] {
  return execFileSync(fluxref as string, [path, set, 'writes'], { encoding: 'utf8', maxBuffer: 1 << 28 }).trim().split('\n').map(Number);
}

/**
 * A tree whose Flux layer hits Go's write-boundary case (docs/flate.md, "Write boundaries"): the headers of `.` and
 * `f` (2 × 512), then the 64,511 random bytes of `f`, read as 32,768 + 31,743, so a Write ends at tar offset 65,535.
 * Go's compressor then stops at buffer position 65,535 - 261 = 65,274 with the window not full, and the 1-byte
 * padding Write slides the window before position 65,274 is compressed. 20 bytes copied there from 32,674 bytes back
 * (file offsets 31,576 → 64,250) give a match that only an unsplit stream can use.
 */
function makeWriteBoundaryTree(r: string): void {
  dir(Buffer.from(r));
  const data = Buffer.from(randomBytes(64511, 2026));
  data.copyWithin(64250, 31576, 31596);
  file(Buffer.from(join(r, 'f')), data);
}

/** Sizes of the GoGzipWriter.write calls buildArtifact makes (a spy on the real compressor, which still runs). */
async function buildWrites(path: string, ignorePaths: string[] | undefined): Promise<{ writes: number[]; layer: Buffer }> {
  const spy = vi.spyOn(GoGzipWriter.prototype, 'write');
  try {
    const a = await buildArtifact(path, { ignorePaths, reproducible: true, compressor: 'go-flate' });
    try {
      return { writes: spy.mock.calls.map(([d]) => d.length), layer: readFileSync(a.layerPath) };
    } finally {
      await a.cleanup();
    }
  } finally {
    spy.mockRestore();
  }
}

async function ours(path: string, ignorePaths: string[] | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await writeFluxTar(path, { ignorePaths }, new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
  return Buffer.concat(chunks);
}

describe('byte-identical to fluxcd/pkg tar + sourceignore (Flux 2.9)', () => {
  it.for(SETS)('tar with ignore-paths %j', async (set, ctx) => {
    if (!fluxref) return ctx.skip();
    const mine = await ours(root, ignoreOf(set));
    const theirs = reference(root, set);
    expect(mine.length).toBe(theirs.length);
    expect(mine.equals(theirs)).toBe(true);
  });

  it.for(['-', '*.yaml', 'x.yaml', '/x.yaml', ''])('single file with ignore-paths %j', async (set, ctx) => {
    if (!fluxref) return ctx.skip();
    const path = join(root, 'deploy', 'x.yaml');
    expect((await ours(path, ignoreOf(set))).equals(reference(path, set))).toBe(true);
  });

  it('symlinked root: both give the empty archive', async (ctx) => {
    if (!fluxref) return ctx.skip();
    const path = join(root, 'link-to-dir');
    const mine = await ours(path, undefined);
    expect(mine.length).toBe(1024);
    expect(mine.equals(reference(path, '-'))).toBe(true);
  });

  it.for(['-', 'big,deploy/**'])('go-flate layer equals Flux gzip layer byte for byte (ignore-paths %j)', async (set, ctx) => {
    if (!fluxref) return ctx.skip();
    const a = await buildArtifact(root, { ignorePaths: ignoreOf(set), reproducible: true, compressor: 'go-flate' });
    try {
      expect(readFileSync(a.layerPath).equals(reference(root, set, true))).toBe(true);
    } finally {
      await a.cleanup();
    }
  });

  it.for(['-', '', 'big'])('go-flate gets exactly the Write calls fluxcd/pkg tar.Tar makes (ignore-paths %j)', async (set, ctx) => {
    if (!fluxref) return ctx.skip();
    // The edge tree has small files, a 304,000-byte file (32 KiB reads), PAX headers, empty directories.
    const { writes, layer } = await buildWrites(root, ignoreOf(set));
    const theirs = referenceWrites(root, set);
    expect(theirs.length).toBeGreaterThan(100);
    expect(writes).toEqual(theirs);
    expect(layer.equals(reference(root, set, true))).toBe(true);
  });

  // Random trees whose files come from the three corpora of the compression benchmark (YAML text, base64 noise, long
  // zero runs; docs/benchmarks.md), at random sizes — some larger than one 256 KiB tar chunk, so the tar writer's
  // buffer reuse and the deflater's fast paths all run — against the layer Flux's own code writes.
  it.for([1, 2, 3])('random tree %i of the three corpora: go-flate layer equals Flux byte for byte', async (seed, ctx) => {
    if (!fluxref) return ctx.skip();
    const r = prng(seed * 7127);
    const path = join(tmp.dir, `corpora-${seed}`);
    const makers = [corpusYaml, corpusBase64, (n: number, s: number) => corpusZeroRuns(n, s, 1 + (r() % 200_000))];
    for (let i = 0; i < 24; i++) {
      const d = join(path, `c${r() % 4}`, r() % 2 ? 'base' : 'overlays');
      mkdirSync(d, { recursive: true });
      const size = r() % 5 === 0 ? 200_000 + (r() % 600_000) : r() % 40_000;
      file(Buffer.from(join(d, `f${i}-${r() % 1000}.yaml`)), Buffer.from(makers[r() % 3](size, r())));
    }
    const a = await buildArtifact(path, { ignorePaths: [], reproducible: true, compressor: 'go-flate' });
    try {
      expect(a.tarSize).toBeGreaterThan(256 * 1024);
      expect(readFileSync(a.layerPath).equals(reference(path, '', true))).toBe(true);
    } finally {
      await a.cleanup();
    }
  });

  it('write-boundary case: the go-flate layer equals Flux even where one coalesced Write would not', async (ctx) => {
    if (!fluxref) return ctx.skip();
    const path = join(tmp.dir, 'write-boundary');
    makeWriteBoundaryTree(path);
    const flux = reference(path, '', true);
    const tar = reference(path, '');
    expect(tar.length).toBe(66560);
    expect(referenceWrites(path, '')).toEqual([512, 512, 32768, 31743, 1, 512, 512]);
    // The tree really is the rare case: Go's gzip of the same tar in one Write gives other bytes …
    expect(goGzipSync(tar).equals(flux)).toBe(false);
    // … and so does the go-flate compressor fed the coalesced tar chunks (what buildArtifact did before).
    const coalesced: Buffer[] = [];
    const plan = await planEntries(path, { ignorePaths: [] });
    await pipeline(Readable.from(tarBytes(plan.entries), { objectMode: false }), COMPRESSORS['go-flate'](), new Writable({ write: (c: Buffer, _e, cb) => (coalesced.push(c), cb()) }));
    expect(gunzipSync(Buffer.concat(coalesced)).equals(tar)).toBe(true);
    expect(Buffer.concat(coalesced).equals(flux)).toBe(false);
    // buildArtifact replays Go's Write calls and gets Flux's layer.
    const a = await buildArtifact(path, { ignorePaths: [], reproducible: true, compressor: 'go-flate' });
    try {
      expect(readFileSync(a.layerPath).equals(flux)).toBe(true);
    } finally {
      await a.cleanup();
    }
  });
});
