/**
 * Reading artifact layers back: `extractArtifact` (gunzip + untar, for tests and `d2 diff`) and `tarDigestOfLayer`
 * (the sha256 of the uncompressed tar: push-artifact's diff compares it with ours, so a change of compressor alone is
 * not a change).
 *
 * The tar reader is small and hand-written because it only has to read what Go and Flux write (USTAR, PAX `x`
 * records, GNU long names for good measure) and must apply Flux's safety rules (fluxcd/pkg `tar/untar.go`):
 * absolute names and `..` components are rejected, symlinks and hard links are skipped, devices/FIFOs ignored.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { chmod, mkdir, open } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { D2Error } from '../errors.js';

/** A layer: a file path or the gzip bytes. */
export type LayerInput = string | Uint8Array;

function layerStream(layer: LayerInput): Readable {
  const raw: Readable = typeof layer === 'string' ? createReadStream(layer) : Readable.from([Buffer.from(layer)]);
  const gunzip = createGunzip();
  raw.on('error', (err: Error) => gunzip.destroy(err));
  return raw.pipe(gunzip);
}

/** sha256 and size of the uncompressed tar inside a gzip layer. */
export async function tarDigestOfLayer(layer: LayerInput): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of layerStream(layer)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (err) {
    throw new D2Error(`cannot read the artifact layer: ${(err as Error).message}`, { hint: 'the layer must be a gzip-compressed tar', code: 'ARTIFACT_LAYER_INVALID', cause: err });
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** A pull-based byte reader over an async stream of chunks. */
class ByteReader {
  private readonly it: AsyncIterator<Buffer>;
  private buf: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<void> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
  }

  /** Exactly n bytes, or fewer at end of input. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  /** Hands the next n bytes to `sink` chunk by chunk without buffering them all. */
  async forEach(n: number, sink: (chunk: Buffer) => Promise<void> | void): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) await this.fill(1);
      if (this.buf.length === 0) break;
      const take = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(take.length);
      left -= take.length;
      await sink(take);
    }
    return n - left;
  }
}

/** One tar header, after PAX / GNU long-name records are applied. */
export interface TarHeader {
  name: string;
  typeflag: string;
  mode: number;
  size: number;
  linkname: string;
}

function cString(b: Buffer, off: number, len: number): Buffer {
  const f = b.subarray(off, off + len);
  const nul = f.indexOf(0);
  return nul < 0 ? f : f.subarray(0, nul);
}

function numeric(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f[0] & 0x80) {
    // GNU base-256
    let v = f[0] & 0x7f;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i];
    return v;
  }
  const s = cString(b, off, len).toString('latin1').trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(data.subarray(i, sp).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0) break;
    const rec = data.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq > 0) out.set(rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1).toString('utf8'));
    i += len;
  }
  return out;
}

function checksumOk(b: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  return sum === numeric(b, 148, 8);
}

/**
 * Iterates the entries of a tar stream. `onData` receives each entry's data (it must consume it via the provided
 * function, or the data is skipped).
 */
export async function readTar(
  source: AsyncIterable<Buffer>,
  onEntry: (h: TarHeader, data: (sink: (chunk: Buffer) => Promise<void> | void) => Promise<void>) => Promise<void>,
): Promise<void> {
  const r = new ByteReader(source);
  let pax = new Map<string, string>();
  let longName: string | undefined;
  for (;;) {
    const block = await r.read(512);
    if (block.length === 0) return; // tolerate a missing trailer
    if (block.length < 512) throw new D2Error('truncated tar archive', { code: 'ARTIFACT_LAYER_INVALID' });
    if (block.every((c) => c === 0)) return; // end of archive
    if (!checksumOk(block)) throw new D2Error('invalid tar header checksum', { hint: 'the layer is not a tar archive or is corrupt', code: 'ARTIFACT_LAYER_INVALID' });
    const typeflag = String.fromCharCode(block[156] || 0x30);
    let size = numeric(block, 124, 12);
    const padded = size + ((512 - (size % 512)) % 512);
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      const data = await r.read(padded);
      if (data.length < padded) throw new D2Error('truncated tar archive', { code: 'ARTIFACT_LAYER_INVALID' });
      if (typeflag === 'x') pax = parsePax(data.subarray(0, size));
      else if (typeflag === 'L') longName = cString(data, 0, size).toString('utf8');
      continue; // 'g' global headers and 'K' long link names are not used for anything
    }
    let name = cString(block, 0, 100).toString('utf8');
    const magic = block.subarray(257, 263).toString('latin1');
    if (magic.startsWith('ustar')) {
      const prefix = cString(block, 345, 155).toString('utf8');
      if (prefix) name = `${prefix}/${name}`;
    }
    if (longName !== undefined) name = longName;
    if (pax.has('path')) name = pax.get('path') as string;
    if (pax.has('size')) size = Number(pax.get('size'));
    const linkname = pax.get('linkpath') ?? cString(block, 157, 100).toString('utf8');
    pax = new Map();
    longName = undefined;
    // Like Go's reader: link, device, directory and FIFO headers carry no data whatever their size field says.
    if ('123456'.includes(typeflag)) size = 0;
    const dataPadded = size + ((512 - (size % 512)) % 512);
    const hasData = typeflag === '0' || typeflag === '7' || typeflag === '\0';
    let consumed = 0;
    const data = async (sink: (chunk: Buffer) => Promise<void> | void): Promise<void> => {
      consumed = await r.forEach(size, sink);
    };
    await onEntry({ name, typeflag, mode: numeric(block, 100, 8), size: hasData ? size : 0, linkname }, hasData ? data : async () => undefined);
    const rest = dataPadded - consumed;
    if ((await r.forEach(rest, () => undefined)) < rest) throw new D2Error('truncated tar archive', { code: 'ARTIFACT_LAYER_INVALID' });
  }
}

export interface ExtractResult {
  files: number;
  dirs: number;
  /** Entries not extracted (symlinks, hard links, devices, FIFOs), by name. */
  skipped: string[];
}

/** Rejects names that would escape the target (absolute, `..`, backslashes, empty), as fluxcd/pkg untar does. */
function safeRelative(name: string): string[] {
  const trimmed = name.replace(/\/+$/, '');
  if (trimmed === '' || name.startsWith('/') || name.includes('\\') || name.includes('\0')) {
    throw new D2Error(`unsafe path in artifact: ${JSON.stringify(name)}`, { code: 'ARTIFACT_UNSAFE_PATH', hint: 'the artifact was not built by Flux or D2; do not extract it' });
  }
  const parts = trimmed.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw new D2Error(`unsafe path in artifact: ${JSON.stringify(name)}`, { code: 'ARTIFACT_UNSAFE_PATH', hint: 'the artifact was not built by Flux or D2; do not extract it' });
  }
  return parts;
}

/**
 * Extracts a gzip tar layer into `dir` (created if missing): regular files and directories with their exact modes;
 * symlinks, hard links and special files are skipped. Directory modes are applied last so read-only directories can
 * still be filled. The root entry `.` does not change `dir`'s own mode.
 */
export async function extractArtifact(layer: LayerInput, dir: string): Promise<ExtractResult> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const result: ExtractResult = { files: 0, dirs: 0, skipped: [] };
  const dirModes = new Map<string, number>();
  const ensureDir = async (parts: string[]): Promise<void> => {
    if (parts.length) await mkdir(join(root, ...parts), { recursive: true, mode: 0o700 });
  };
  try {
    await readTar(layerStream(layer) as AsyncIterable<Buffer>, async (h, data) => {
      const parts = safeRelative(h.name);
      const target = join(root, ...parts);
      if (target !== root && !target.startsWith(root + sep)) throw new D2Error(`unsafe path in artifact: ${JSON.stringify(h.name)}`, { code: 'ARTIFACT_UNSAFE_PATH' });
      if (h.typeflag === '5') {
        if (parts.length === 0) return;
        await ensureDir(parts);
        await chmod(target, 0o700);
        dirModes.set(target, h.mode & 0o7777);
        result.dirs++;
        return;
      }
      if (h.typeflag === '0' || h.typeflag === '7' || h.typeflag === '\0') {
        if (parts.length === 0) throw new D2Error(`unsafe path in artifact: ${JSON.stringify(h.name)}`, { code: 'ARTIFACT_UNSAFE_PATH' });
        await ensureDir(parts.slice(0, -1));
        // O_NOFOLLOW: never write through a symlink that happens to exist at the target.
        const fh = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
        try {
          await data(async (chunk) => {
            await fh.write(chunk);
          });
        } finally {
          await fh.close();
        }
        await chmod(target, h.mode & 0o7777);
        result.files++;
        return;
      }
      result.skipped.push(h.name);
    });
  } catch (err) {
    if (err instanceof D2Error) throw err;
    throw new D2Error(`cannot extract the artifact layer: ${(err as Error).message}`, { hint: 'the layer must be a gzip-compressed tar', code: 'ARTIFACT_LAYER_INVALID', cause: err });
  }
  // Deepest directories first, so a read-only parent does not block its children's chmod.
  for (const [d, mode] of [...dirModes].sort((a, b) => b[0].length - a[0].length)) await chmod(d, mode);
  return result;
}
