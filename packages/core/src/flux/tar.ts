/**
 * A streaming tar writer whose bytes are identical to what Flux writes (fluxcd/pkg `tar/tar.go` on top of Go
 * `archive/tar`); docs/artifacts.md, "Decisions" (Tar, Walk).
 *
 * Written by hand: node-tar, tar-stream and GNU tar all differ from Go's writer in details that change the digest:
 * Go's octal field formatting (width-1 digits + NUL, devmajor/devminor `0000000\0`, checksum `NNNNNN\0 `),
 * its USTAR prefix split, its PAX fallback header (`…/PaxHeaders.0/<name>`), and no record padding after the
 * 1024-byte trailer. The walk order (per-directory bytewise, depth-first pre-order) is also Go's `filepath.WalkDir`.
 */
import { isAscii as bufferIsAscii } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readSync, type Stats } from 'node:fs';
import { D2Error } from '../errors.js';
import type { IgnoreMatcher, IgnorePattern } from './ignore.js';
import { fsCall, sourceReadError } from './source-errors.js';

export const TAR_BLOCK = 512;
/** USTAR field widths (Go archive/tar `nameSize`, `prefixSize`). */
const NAME_SIZE = 100;
const PREFIX_SIZE = 155;
/** Largest size that fits the 12-byte octal size field (8 GiB - 1); larger files need a PAX `size` record. */
const MAX_OCTAL_SIZE = 8 ** 11 - 1;

/** Typeflags written (Go `TypeReg`, `TypeDir`, `TypeXHeader`). */
export type TarEntryType = 'file' | 'dir';

/** One archive entry as Flux writes it: uid/gid 0, empty user/group names, zero mtime. */
export interface TarEntry {
  /** Slash-separated path relative to the root (`.` for the root), as raw bytes or a string. */
  name: Uint8Array | string;
  type: TarEntryType;
  /** Permission bits plus setuid/setgid/sticky (12 bits), straight from disk. */
  mode: number;
  /** Data size (0 for directories). */
  size: number;
}

/** An entry found by the walk, with where to read its data from. */
export interface WalkEntry extends TarEntry {
  name: Buffer;
  /**
   * Absolute path: a string when it is ASCII, raw bytes otherwise (so names that are not valid UTF-8 survive); Node's
   * fs calls take a string for less than a Buffer (docs/artifacts.md, "Decisions").
   */
  source: Buffer | string;
}

// --- header encoding -------------------------------------------------------------------------------------------

/** 8^(width-1) by field width: the smallest value that does not fit in width-1 octal digits. */
const OCTAL_LIMIT = Array.from({ length: 13 }, (_, width) => 8 ** (width - 1));

/**
 * Writes `value` as Go's formatOctal: zero-padded to width-1 digits and a NUL; a value too large becomes 0. Returns
 * the sum of the bytes written (for the header checksum).
 */
function putOctal(b: Buffer, off: number, width: number, value: number): number {
  let v = value >= 0 && value < OCTAL_LIMIT[width] ? value : 0;
  b[off + width - 1] = 0;
  let sum = 0x30 * (width - 1);
  let i = off + width - 2;
  // Digits from the right: by division while the value needs more than 31 bits (sizes reach 8^11), then by shifts.
  for (; v > 0x7fffffff; i--) {
    const q = Math.floor(v / 8);
    b[i] = 0x30 + (v - q * 8);
    sum += v - q * 8;
    v = q;
  }
  for (; i >= off; i--) {
    b[i] = 0x30 + (v & 7);
    sum += v & 7;
    v >>>= 3;
  }
  return sum;
}

/**
 * Go's formatString: copy (truncating), NUL-terminate when shorter; a truncated value that would end in `/` loses its
 * trailing slashes so readers do not take a file for a directory.
 */
function putString(b: Buffer, off: number, width: number, s: Uint8Array): void {
  if (s.length < width) {
    b.set(s, off);
    b[off + s.length] = 0;
    return;
  }
  b.set(s.length === width ? s : s.subarray(0, width), off);
  if (s.length > width && b[off + width - 1] === 0x2f) {
    let end = width - 1;
    while (end > 0 && s[end - 1] === 0x2f) end--;
    b[off + end] = 0;
  }
}

const USTAR_MAGIC = Buffer.from('ustar\u000000', 'latin1');
const NO_PREFIX = new Uint8Array(0);

/** The fields every main header has in common: uid, gid, mtime, devmajor, devminor 0 (octal), the USTAR magic. */
const USTAR_TEMPLATE: Buffer = (() => {
  const t = Buffer.alloc(TAR_BLOCK);
  putOctal(t, 108, 8, 0);
  putOctal(t, 116, 8, 0);
  putOctal(t, 136, 12, 0);
  putOctal(t, 329, 8, 0);
  putOctal(t, 337, 8, 0);
  t.set(USTAR_MAGIC, 257);
  return t;
})();
/** Byte sum of USTAR_TEMPLATE with the checksum field counted as eight spaces. */
const USTAR_TEMPLATE_SUM = USTAR_TEMPLATE.reduce((a, c) => a + c, 0) + 8 * 0x20;

/** Sets magic/version `ustar\0` `00` and the checksum (6 octal digits, NUL, space). */
function finishHeader(b: Buffer, off: number): void {
  b.set(USTAR_MAGIC, off + 257);
  // The checksum counts its own field as eight spaces.
  let sum = 8 * 0x20;
  for (let i = off; i < off + 148; i++) sum += b[i];
  for (let i = off + 156; i < off + TAR_BLOCK; i++) sum += b[i];
  putOctal(b, off + 148, 7, sum);
  b[off + 155] = 0x20;
}

/** Go's isASCII: every byte below 0x80 and none NUL. */
function isAscii(s: Uint8Array): boolean {
  return bufferIsAscii(s) && !s.includes(0);
}

/** Go's toASCII: drops every rune >= 0x80 (an invalid byte counts as one such rune) and NUL. */
function toAscii(s: Uint8Array): Buffer {
  return Buffer.from(s.filter((c) => c < 0x80 && c !== 0));
}

/** Go's splitUSTARPath: split a long ASCII path at a `/` into prefix (<= 155) and name (<= 100). */
export function splitUstarPath(name: Uint8Array): [Uint8Array, Uint8Array] | undefined {
  let length = name.length;
  if (length <= NAME_SIZE || !isAscii(name)) return undefined;
  if (length > PREFIX_SIZE + 1) length = PREFIX_SIZE + 1;
  else if (name[length - 1] === 0x2f) length--;
  const i = name.subarray(0, length).lastIndexOf(0x2f);
  const nlen = name.length - i - 1;
  if (i <= 0 || nlen > NAME_SIZE || nlen === 0 || i > PREFIX_SIZE) return undefined;
  return [name.subarray(0, i), name.subarray(i + 1)];
}

/** A PAX record `"<len> key=value\n"` where len counts the whole record including itself. */
function paxRecord(key: string, value: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'latin1'), value, Buffer.from('\n')]);
  let size = body.length + String(body.length).length;
  if (String(size).length + body.length !== size) size = String(size).length + body.length;
  return Buffer.concat([Buffer.from(String(size), 'latin1'), body]);
}

/** Bytes of padding after `size` data bytes. */
export function tarPadding(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

/** Size in bytes of the header blocks `encodeHeaderInto` writes for an entry (512, or more with a PAX header). */
export function headerLength(e: TarEntry): number {
  const pax = paxRecords(toNameBytes(e.name), e.size);
  if (!pax) return TAR_BLOCK;
  return TAR_BLOCK * 2 + pax.length + tarPadding(pax.length);
}

function toNameBytes(name: Uint8Array | string): Uint8Array {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
}

/**
 * The PAX records Go would write, or undefined when the header fits USTAR. Go records `path` whenever the name is
 * non-ASCII or longer than 100 bytes, but only falls back to PAX if USTAR cannot hold it (no valid prefix split) or
 * the size does not fit in octal.
 */
function paxRecords(name: Uint8Array, size: number): Buffer | undefined {
  const nameNeedsPax = !isAscii(name) || name.length > NAME_SIZE;
  const ustarName = !nameNeedsPax || splitUstarPath(name) !== undefined;
  const ustarSize = size <= MAX_OCTAL_SIZE;
  if (ustarName && ustarSize) return undefined;
  const recs: Buffer[] = [];
  // Keys in sorted order: "path" < "size".
  if (nameNeedsPax) recs.push(paxRecord('path', name));
  if (!ustarSize) recs.push(paxRecord('size', Buffer.from(String(size), 'latin1')));
  return Buffer.concat(recs);
}

/**
 * Writes the header block(s) of `e` into `b` at `off` (which must be zeroed) and returns the bytes written.
 * USTAR when possible; otherwise a PAX `x` header (named `<dir>/PaxHeaders.0/<base>`, ASCII only, <= 100 bytes,
 * all numeric fields 0 except size, devmajor/devminor left as NULs) with its records, then the main header with the
 * ASCII-stripped, truncated name and no prefix.
 */
export function encodeHeaderInto(b: Buffer, off: number, e: TarEntry): number {
  const name = toNameBytes(e.name);
  const size = e.type === 'dir' ? 0 : e.size;
  return encodeHeaderWith(b, off, e, name, size, paxRecords(name, size));
}

/** encodeHeaderInto with the entry's name bytes, data size and PAX records (or undefined) already worked out. */
function encodeHeaderWith(b: Buffer, off: number, e: TarEntry, name: Uint8Array, size: number, pax: Buffer | undefined): number {
  let at = off;
  let mainName: Uint8Array = name;
  let prefix: Uint8Array = NO_PREFIX;
  if (pax) {
    const slash = name.lastIndexOf(0x2f);
    const dir = name.subarray(0, slash + 1);
    const base = name.subarray(slash + 1);
    let xName = toAscii(Buffer.concat([dir, Buffer.from('PaxHeaders.0/'), base]));
    if (xName.length > NAME_SIZE) xName = xName.subarray(0, NAME_SIZE);
    let end = xName.length;
    while (end > 0 && xName[end - 1] === 0x2f) end--;
    putString(b, at, NAME_SIZE, xName.subarray(0, end));
    putOctal(b, at + 100, 8, 0);
    putOctal(b, at + 108, 8, 0);
    putOctal(b, at + 116, 8, 0);
    putOctal(b, at + 124, 12, pax.length);
    putOctal(b, at + 136, 12, 0);
    b[at + 156] = 0x78; // 'x'
    finishHeader(b, at);
    at += TAR_BLOCK;
    b.set(pax, at);
    at += pax.length + tarPadding(pax.length);
    mainName = toAscii(name);
  } else {
    const split = splitUstarPath(name);
    if (split) [prefix, mainName] = split;
  }
  // uid, gid, mtime (the zero time is written as 0), devmajor, devminor and the magic come from the template;
  // linkname, uname, gname stay empty (NULs).
  b.set(USTAR_TEMPLATE, at);
  putString(b, at, NAME_SIZE, mainName);
  const typeflag = e.type === 'dir' ? 0x35 : 0x30;
  b[at + 156] = typeflag;
  if (prefix.length > 0) putString(b, at + 345, PREFIX_SIZE, prefix);
  // The checksum: the template's constant bytes plus the fields written here (the rest of the block is zero).
  let sum = USTAR_TEMPLATE_SUM + typeflag + putOctal(b, at + 100, 8, e.mode & 0o7777) + putOctal(b, at + 124, 12, size);
  for (let i = at, end = at + Math.min(mainName.length, NAME_SIZE); i < end; i++) sum += b[i];
  for (let i = at + 345, end = at + 345 + Math.min(prefix.length, PREFIX_SIZE); i < end; i++) sum += b[i];
  putOctal(b, at + 148, 7, sum);
  b[at + 155] = 0x20;
  return at + TAR_BLOCK - off;
}

/** The header block(s) of one entry as a new buffer. */
export function encodeHeader(e: TarEntry): Buffer {
  const b = Buffer.alloc(headerLength(e));
  encodeHeaderInto(b, 0, e);
  return b;
}

/** The end-of-archive marker: exactly two zero blocks, no record padding. */
export const TAR_TRAILER_SIZE = TAR_BLOCK * 2;

// --- the walk --------------------------------------------------------------------------------------------------

const DOT = Buffer.from('.');

/** The 12 mode bits Go's FileInfoHeader keeps: permissions plus setuid, setgid, sticky. */
export function tarMode(st: Stats): number {
  return st.mode & 0o7777;
}

/**
 * What the walk leaves out, reported as it goes: entries excluded by an ignore pattern (with the pattern that decided),
 * and symbolic links or special files (never archived). Used to explain an artifact that would contain no files.
 */
export interface WalkObserver {
  excluded?(path: readonly Buffer[], isDir: boolean, pattern: IgnorePattern): void;
  skipped?(path: readonly Buffer[], kind: 'symlink' | 'special'): void;
}

/**
 * Walks `root` like Go's `filepath.WalkDir` as used by fluxcd/pkg `tar.Tar`: depth-first pre-order, each
 * directory's entries sorted bytewise by name; only regular files and directories; symlinks and special files are
 * skipped, never followed; a root that is itself a symlink yields nothing (Go's WalkDir Lstat's the root). Entries the
 * matcher excludes are skipped but excluded directories are still descended into (no pruning), so an unreadable
 * directory fails the walk even when it is ignored, as it fails Flux's.
 *
 * The walk is synchronous and lazy (one readdir per directory, one lstat per entry, as they are reached): the result
 * is both an Iterable, which `tarChunks` uses so that entries cost no promise each, and an AsyncIterable.
 */
export function walkFluxTree(root: string, matcher?: IgnoreMatcher, observer?: WalkObserver): Iterable<WalkEntry> & AsyncIterable<WalkEntry> {
  const walk = (): Iterator<WalkEntry> => walkSync(root, matcher, observer);
  return {
    [Symbol.iterator]: walk,
    [Symbol.asyncIterator]: () => {
      const it = walk();
      return { next: async () => it.next() };
    },
  };
}

function* walkSync(root: string, matcher: IgnoreMatcher | undefined, observer: WalkObserver | undefined): Generator<WalkEntry> {
  const rootBuf = Buffer.from(root, 'utf8');
  const st = fsCall(rootBuf, 'entry', () => lstatSync(rootBuf));
  if (!st.isDirectory()) return;
  yield { name: DOT, source: rootBuf, type: 'dir', mode: tarMode(st), size: 0 };
  const matching = matcher !== undefined && matcher.patterns.length > 0;
  // Depth-first with an explicit stack. Paths are built as latin1 strings (one character per byte, so any name
  // survives); an ASCII path is the same string in UTF-8, so it is used as it is, others become their bytes again.
  const rootSlash = rootBuf.toString('latin1') + '/';
  const stack: OpenDir[] = [openDir(rootSlash, ASCII.test(rootSlash), [], '')];
  while (stack.length > 0) {
    const d = stack[stack.length - 1];
    if (d.next === d.names.length) {
      stack.pop();
      continue;
    }
    const k = d.names[d.next++];
    const ascii = d.ascii && ASCII.test(k);
    const source = ascii ? d.dirSlash + k : Buffer.from(d.dirSlash + k, 'latin1');
    let est: Stats;
    try {
      est = lstatSync(source);
    } catch (err) {
      throw sourceReadError(err, source, 'entry');
    }
    // Only regular files and directories are archived; the type may have changed since readdir, so like Go trust
    // the Lstat.
    const isDir = est.isDirectory();
    if (!isDir && !est.isFile()) {
      observer?.skipped?.([...d.rel, Buffer.from(k, 'latin1')], est.isSymbolicLink() ? 'symlink' : 'special');
      continue;
    }
    const path = matching || isDir ? [...d.rel, Buffer.from(k, 'latin1')] : undefined;
    const excludedBy = matching ? matcher.excludedBy(path!, isDir) : undefined;
    if (excludedBy) {
      observer?.excluded?.(path!, isDir, excludedBy);
    } else {
      yield { name: Buffer.from(d.relSlash + k, 'latin1'), source, type: isDir ? 'dir' : 'file', mode: tarMode(est), size: isDir ? 0 : est.size };
    }
    if (isDir) stack.push(openDir(d.dirSlash + k + '/', ascii, path!, d.relSlash + k + '/'));
  }
}

/** A directory being walked: its entry names in bytewise order, and the prefixes of their paths (latin1 strings). */
interface OpenDir {
  names: string[];
  next: number;
  /** The absolute path and a slash. */
  dirSlash: string;
  /** Whether dirSlash is ASCII. */
  ascii: boolean;
  rel: Buffer[];
  /** The path relative to the root and a slash (empty for the root). */
  relSlash: string;
}

const ASCII = /^[\0-\x7f]*$/;

/**
 * Reads one directory with synchronous readdir (and, in the walk, lstat): for trees of many small files the libuv
 * thread-pool round-trips of the async API cost an order of magnitude more than the system calls themselves
 * (bench/build.bench.ts). Names are sorted bytewise like Go's os.ReadDir: they are read as latin1 strings (one
 * character per byte), whose default sort order is byte order; paths are built as latin1 strings too and turned back
 * into the same bytes once each.
 */
function openDir(dirSlash: string, ascii: boolean, rel: Buffer[], relSlash: string): OpenDir {
  const dir = ascii ? dirSlash.slice(0, -1) : Buffer.from(dirSlash.slice(0, -1), 'latin1');
  // Plain names (no Dirent objects): the walk lstats every entry anyway and keeps only files and directories.
  const names = fsCall(dir, 'directory', () => readdirSync(dir, { encoding: 'latin1' }));
  names.sort();
  return { names, next: 0, dirSlash, ascii, rel, relSlash };
}

// --- the byte stream -------------------------------------------------------------------------------------------

/** An entry plus where its data comes from (required for files). */
export type SourcedEntry = TarEntry & { source?: Buffer | string };

/** Running totals of a tar stream (filled in as it is consumed). */
export class TarStats {
  /** Regular files written. */
  files = 0;
  /** Entries written (files and directories). */
  entries = 0;
  /** Tar bytes so far. */
  size = 0;
  private readonly hash: Hash = createHash('sha256');
  private finalDigest?: string;

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }

  /** `sha256:<hex>` of the whole tar (the OCI diffID); valid once the stream has ended. */
  get digest(): string {
    this.finalDigest ??= `sha256:${this.hash.digest('hex')}`;
    return this.finalDigest;
  }
}

/** Output chunk size: big enough that per-chunk costs (hashing, compressor calls) stay small. */
const CHUNK = 256 * 1024;
/** Released chunk buffers kept for reuse (more are left to the garbage collector). */
const MAX_FREE_CHUNKS = 4;
/**
 * fluxcd/pkg `tar.Tar` copies file data with a 32 KiB buffer (its `copyBuffer`): one read of a regular file returns
 * min(32 KiB, remaining), and each read becomes one Write on the gzip writer.
 */
export const GO_COPY_BUFFER = 32 * 1024;

/**
 * A piece of the tar stream made of whole Write calls of Go's archive/tar writer, coalesced. Go's deflate output can
 * depend on where its Write calls end (docs/flate.md, "Write boundaries"), so a compressor that must match Flux byte
 * for byte replays them: `data.subarray(writeEnds[i-1] ?? 0, writeEnds[i])` is one Write.
 */
export interface TarChunk {
  data: Buffer;
  /** End offset in `data` of each Write call, ascending; the last one is `data.length`. */
  writeEnds: number[];
  /**
   * Optional: a consumer that is completely done with `data` (it copied what it needed and keeps no reference) may
   * call this so that tarChunks reuses the buffer for a later chunk instead of allocating a new one. Garbage chunk
   * buffers otherwise pile up as external memory between garbage collections, so peak RSS grows with the size of the
   * tree (docs/benchmarks.md, "build"). Never calling it is always safe.
   */
  release?: () => void;
}

/**
 * The sizes of the Write calls Go's archive/tar makes for the header of `e` (docs/artifacts.md, "Decisions", Go's Write calls): one 512-byte
 * block for USTAR; for PAX the `x` header block, the records in one Write, their zero padding as its own Write (the
 * flush before the next header), then the main header block.
 */
export function headerWrites(e: TarEntry): number[] {
  const pax = paxRecords(toNameBytes(e.name), e.type === 'dir' ? 0 : e.size);
  return pax ? paxHeaderWrites(pax) : [TAR_BLOCK];
}

const USTAR_WRITES: readonly number[] = [TAR_BLOCK];

function paxHeaderWrites(pax: Buffer): number[] {
  const pad = tarPadding(pax.length);
  return pad ? [TAR_BLOCK, pax.length, pad, TAR_BLOCK] : [TAR_BLOCK, pax.length, TAR_BLOCK];
}

/**
 * Produces the tar bytes for `entries` as chunks of whole Go Write calls, in exactly the sequence fluxcd/pkg `tar.Tar`
 * makes them on its gzip writer (Go archive/tar `writer.go`): the header Write(s) (see `headerWrites`), file data in
 * `GO_COPY_BUFFER` pieces, a file's zero padding as its own Write just before the next header (or the trailer), and
 * the two 512-byte trailer blocks as two Writes. Empty Writes (archive/tar flushes a zero-length padding) are left
 * out: gzip and flate ignore them.
 *
 * File data is read as it goes (never more than about one chunk in memory) and `stats` is updated. Small files are
 * read straight into the output chunk with one spare byte to detect growth; large ones are streamed in 32 KiB reads.
 * A file whose size changed since it was listed is an error, as with Go's tar writer.
 */
export async function* tarChunks(entries: AsyncIterable<SourcedEntry> | Iterable<SourcedEntry>, stats = new TarStats()): AsyncGenerator<TarChunk> {
  const w = new TarAssembler(stats);
  // A synchronous iterable (walkFluxTree's) is read without a promise per entry: the generator only awaits per chunk.
  if (Symbol.iterator in entries) {
    for (const e of entries as Iterable<SourcedEntry>) {
      const large = w.add(e);
      while (w.ready.length > 0) yield w.ready.shift()!;
      if (large) for (const c of w.streamFile(e)) yield c;
    }
  } else {
    for await (const e of entries) {
      const large = w.add(e);
      while (w.ready.length > 0) yield w.ready.shift()!;
      if (large) for (const c of w.streamFile(e)) yield c;
    }
  }
  w.finish();
  while (w.ready.length > 0) yield w.ready.shift()!;
}

/** The state of `tarChunks`: the chunk being filled, the padding owed, finished chunks not yet handed out. */
class TarAssembler {
  /** Finished chunks, in order. */
  readonly ready: TarChunk[] = [];
  /** Buffers given back through TarChunk.release, ready for reuse. */
  private readonly free: Buffer[] = [];
  private buf: Buffer;
  private used = 0;
  private writeEnds: number[] = [];
  /** Zero padding owed by the previous file: Go writes it when the next header (or the trailer) flushes. */
  private pad = 0;

  constructor(private readonly stats: TarStats) {
    this.buf = this.take();
  }

  /**
   * A chunk buffer, not zeroed: every byte up to `used` is written before the chunk is handed out (headers whole
   * blocks, data as read, padding and the trailer by `zeros`).
   */
  private take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
  }

  /** Appends a Write of `n` bytes already in the buffer at `used`. */
  private write(n: number): void {
    this.used += n;
    this.writeEnds.push(this.used);
  }

  /** Appends a Write of `n` zero bytes. */
  private zeros(n: number): void {
    zeroFill(this.buf, this.used, this.used + n);
    this.write(n);
  }

  /** Moves the filled part of the buffer to `ready` and starts a new one. */
  private flush(): void {
    if (this.used === 0) return;
    const data = this.buf.subarray(0, this.used);
    this.stats.update(data);
    const whole = this.buf;
    const free = this.free;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (free.length < MAX_FREE_CHUNKS) free.push(whole);
    };
    this.ready.push({ data, writeEnds: this.writeEnds, release });
    this.buf = this.take();
    this.used = 0;
    this.writeEnds = [];
  }

  /**
   * Appends the header of `e` and, for a file that fits in the current chunk (with one spare byte to detect growth),
   * its data. Returns true for a larger file, whose data the caller then takes from `streamFile`.
   */
  add(e: SourcedEntry): boolean {
    const name = toNameBytes(e.name);
    const size = e.type === 'dir' ? 0 : e.size;
    const pax = paxRecords(name, size);
    const writes = pax ? paxHeaderWrites(pax) : USTAR_WRITES;
    const hlen = pax ? TAR_BLOCK * 2 + pax.length + tarPadding(pax.length) : TAR_BLOCK;
    const isFile = e.type === 'file';
    const inline = isFile ? this.pad + hlen + e.size + 1 <= CHUNK : true;
    if (this.used + this.pad + hlen + (isFile && inline ? e.size + 1 : 0) > CHUNK) this.flush();
    if (this.pad > 0) this.zeros(this.pad);
    // encodeHeaderWith writes the whole main header block but expects the blocks of a PAX header zeroed.
    if (pax) zeroFill(this.buf, this.used, this.used + hlen - TAR_BLOCK);
    encodeHeaderWith(this.buf, this.used, e, name, size, pax);
    for (const n of writes) this.write(n);
    this.stats.entries++;
    this.pad = 0;
    if (!isFile) return false;
    this.stats.files++;
    if (!inline) return true;
    const fd = openSource(e);
    try {
      // One read of size + 1 bytes: a regular file returns fewer bytes than asked only at its end, so getting exactly
      // `size` means it still has that size; more means it grew, less that it shrank (or a short read, which
      // readFully continues).
      let n = readSync(fd, this.buf, this.used, e.size + 1, null);
      if (n < e.size && n > 0) n += readFully(fd, this.buf, this.used + n, e.size + 1 - n);
      checkSize(e, n); // so the spare byte was not written
      for (let left = e.size; left > 0; left -= GO_COPY_BUFFER) this.write(Math.min(left, GO_COPY_BUFFER));
    } finally {
      closeSync(fd);
    }
    this.pad = tarPadding(e.size);
    return false;
  }

  /** The data of a file too large for the current chunk, in 32 KiB reads; yields each chunk as it fills. */
  *streamFile(e: SourcedEntry): Generator<TarChunk> {
    const fd = openSource(e);
    try {
      let left = e.size;
      while (left > 0) {
        const want = Math.min(left, GO_COPY_BUFFER);
        if (this.used + want > CHUNK) {
          this.flush();
          while (this.ready.length > 0) yield this.ready.shift()!;
        }
        const n = readFully(fd, this.buf, this.used, want);
        if (n < want) checkSize(e, e.size - left + n);
        this.write(n);
        left -= n;
      }
      checkSize(e, e.size + readFully(fd, Buffer.alloc(1), 0, 1));
    } finally {
      closeSync(fd);
    }
    this.pad = tarPadding(e.size);
  }

  /** The padding of the last file and the two trailer blocks. */
  finish(): void {
    if (this.used + this.pad + TAR_TRAILER_SIZE > CHUNK) this.flush();
    if (this.pad > 0) this.zeros(this.pad);
    this.zeros(TAR_BLOCK);
    this.zeros(TAR_BLOCK);
    this.flush();
  }
}

/** Zeroes b[start, end): the typed-array fill, without the argument handling of Buffer#fill (one call per file). */
function zeroFill(b: Buffer, start: number, end: number): void {
  Uint8Array.prototype.fill.call(b, 0, start, end);
}

/** Opens a file entry's data source (synchronously: see openDir for why). */
function openSource(e: SourcedEntry): number {
  if (!e.source) throw new D2Error(`tar: no data source for ${String(e.name)}`);
  try {
    return openSync(e.source, 'r');
  } catch (err) {
    throw sourceReadError(err, e.source, 'file');
  }
}

/** The tar bytes for `entries` as plain chunks (see `tarChunks`), for hashing, zlib and plain tar output. */
export async function* tarBytes(entries: AsyncIterable<SourcedEntry> | Iterable<SourcedEntry>, stats = new TarStats()): AsyncGenerator<Buffer> {
  for await (const c of tarChunks(entries, stats)) yield c.data;
}

function readFully(fd: number, b: Buffer, off: number, len: number): number {
  let got = 0;
  while (got < len) {
    const bytesRead = readSync(fd, b, off + got, len - got, null);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

function checkSize(e: TarEntry, actual: number): void {
  if (actual !== e.size) {
    const name = typeof e.name === 'string' ? e.name : Buffer.from(e.name).toString('utf8');
    throw new D2Error(`file ${name} changed while it was being archived (expected ${e.size} bytes, read ${actual > e.size ? 'more' : actual})`, {
      hint: 'do not modify the directory while the artifact is built',
      code: 'ARTIFACT_SOURCE_CHANGED',
    });
  }
}
