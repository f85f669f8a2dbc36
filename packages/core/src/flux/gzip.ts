/**
 * The layer compressors. Both are framed as Go's `compress/gzip` writes a member (flate's `GzipMember`, docs/flate.md):
 * header `1f8b 0800 00000000 00ff` (no flags, MTIME 0, XFL 0, OS 255, no name), a raw DEFLATE stream, then CRC-32
 * and ISIZE little-endian.
 *
 * Node's gzip writer cannot be used as is: it writes OS = 3 (Unix) in the header. So the `zlib` compressor frames a
 * `deflateRaw` stream itself with all zlib parameters pinned (level 6, windowBits 15, memLevel 8, default strategy).
 * Its deflate bytes are NOT Go's: only the tar (diffID) matches Flux; the `go-flate` compressor
 * (packages/core/src/flate, a port of Go's compress/flate) gives Flux's exact layer.
 */
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { GzipMember } from '../flate/index.js';

/**
 * Pinned zlib parameters: the deflate output must not depend on Node's defaults. The strategy is zlib's
 * Z_DEFAULT_STRATEGY (0), written out so that loading this module does not load zlib (docs/architecture.md
 * "Action start-up"); the gzip tests check it against `zlib.constants`.
 */
export const ZLIB_DEFLATE_OPTIONS: Readonly<zlib.ZlibOptions> = Object.freeze({
  level: 6,
  windowBits: 15,
  memLevel: 8,
  strategy: 0,
  chunkSize: 64 * 1024,
});

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
  private readonly member = new GzipMember();
  private deflateEnded: Promise<void>;

  constructor() {
    super();
    this.push(Buffer.from(this.member.header()));
    this.deflate.on('data', (chunk: Buffer) => this.push(chunk));
    this.deflateEnded = new Promise((resolve, reject) => {
      this.deflate.once('end', resolve);
      this.deflate.once('error', reject);
    });
    // Surfaced through _transform/_flush; avoid an unhandled rejection if nobody is waiting yet.
    this.deflateEnded.catch(() => undefined);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.member.update(chunk);
    this.deflate.write(chunk, (err) => cb(err ?? undefined));
  }

  override _flush(cb: TransformCallback): void {
    this.deflate.end();
    this.deflateEnded.then(() => cb(null, Buffer.from(this.member.trailer())), cb);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.deflate.destroy();
    cb(err);
  }
}
