/**
 * gzip framing for the layer (docs/flate.md): header `1f8b 0800 00000000 00ff` (no flags, MTIME 0, XFL 0,
 * OS 255, no name), a raw DEFLATE stream, then CRC32 and ISIZE little-endian — what Go's `compress/gzip` writes.
 *
 * Node's gzip writer cannot be used as is: it writes OS = 3 (Unix) in the header. So the `zlib` compressor frames a
 * `deflateRaw` stream itself with all zlib parameters pinned (level 6, windowBits 15, memLevel 8, default strategy).
 * Its deflate bytes are NOT Go's: only the tar (diffID) matches Flux; the `go-flate` compressor
 * (packages/core/src/flate, a port of Go's compress/flate) gives Flux's exact layer.
 */
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';

export const GZIP_HEADER_BYTES: Readonly<Uint8Array> = Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff);

/** Pinned zlib parameters: the deflate output must not depend on Node's defaults. */
export const ZLIB_DEFLATE_OPTIONS: Readonly<zlib.ZlibOptions> = Object.freeze({
  level: 6,
  windowBits: 15,
  memLevel: 8,
  strategy: zlib.constants.Z_DEFAULT_STRATEGY,
  chunkSize: 64 * 1024,
});

// --- CRC32 -----------------------------------------------------------------------------------------------------

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  return table;
}

/** Table-driven CRC-32 (IEEE), for Node versions without `zlib.crc32`. */
export function crc32Table(data: Uint8Array, crc = 0): number {
  const t = crcTable();
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

type Crc32Fn = (data: Uint8Array, value?: number) => number;
const nativeCrc32 = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

/** CRC-32 (IEEE) as gzip uses it: `zlib.crc32` (Node >= 20.15 / 22.2) when available, else a table. */
export function crc32(data: Uint8Array, crc = 0): number {
  return nativeCrc32 ? nativeCrc32(data, crc) >>> 0 : crc32Table(data, crc);
}

// --- compressors -----------------------------------------------------------------------------------------------

/** Compressor names accepted by the builder. */
export type CompressorName = 'go-flate' | 'zlib';

/** A compressor: a fresh Transform from tar bytes to a complete gzip stream. */
export type CompressorFactory = (opts?: Record<string, never>) => Transform;

/** gzip with Node's zlib deflate and Go's gzip framing. Deterministic for a given zlib build (see docs/artifacts.md). */
export function createZlibGzip(): Transform {
  return new ZlibGzip();
}

class ZlibGzip extends Transform {
  private readonly deflate = zlib.createDeflateRaw(ZLIB_DEFLATE_OPTIONS);
  private crc = 0;
  private isize = 0;
  private deflateEnded: Promise<void>;

  constructor() {
    super();
    this.push(Buffer.from(GZIP_HEADER_BYTES));
    this.deflate.on('data', (chunk: Buffer) => this.push(chunk));
    this.deflateEnded = new Promise((resolve, reject) => {
      this.deflate.once('end', resolve);
      this.deflate.once('error', reject);
    });
    // Surfaced through _transform/_flush; avoid an unhandled rejection if nobody is waiting yet.
    this.deflateEnded.catch(() => undefined);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.isize = (this.isize + chunk.length) >>> 0;
    this.deflate.write(chunk, (err) => cb(err ?? undefined));
  }

  override _flush(cb: TransformCallback): void {
    this.deflate.end();
    this.deflateEnded.then(() => {
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(this.crc, 0);
      trailer.writeUInt32LE(this.isize, 4);
      cb(null, trailer);
    }, cb);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.deflate.destroy();
    cb(err);
  }
}
