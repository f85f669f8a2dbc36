/**
 * gzip framing exactly as Go's compress/gzip NewWriter writes it: a 10-byte header
 * `1f 8b 08 00 00000000 00 ff` (no flags, MTIME 0, XFL 0, OS 255 "unknown"), the level-6 deflate stream, then CRC-32
 * and ISIZE (input length mod 2^32), both little-endian. `GzipMember` is that framing for any deflate stream: the Go
 * port here and flux's zlib compressor both use it (docs/flate.md).
 */
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { type ByteSink } from './bitwriter.js';
import { GoDeflater } from './deflater.js';

export const GZIP_HEADER: Readonly<Uint8Array> = Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff);

let table: Uint32Array | undefined;

/** Table-driven CRC-32 (IEEE), for Node releases without `zlib.crc32`; exported so tests compare both. */
export function crc32Table(data: Uint8Array, crc = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

type Crc32Fn = (data: Uint8Array, value?: number) => number;
/** `zlib.crc32`, or null where Node has none; looked up on first use, so that loading this module does not load zlib. */
let nativeCrc32: Crc32Fn | null | undefined;

/** CRC-32 (IEEE) as gzip uses it: `zlib.crc32` (Node >= 20.15 / 22.2) when available, else a table. */
export function crc32(data: Uint8Array, crc = 0): number {
  nativeCrc32 ??= (zlib as unknown as { crc32?: Crc32Fn }).crc32 ?? null;
  return nativeCrc32 ? nativeCrc32(data, crc) >>> 0 : crc32Table(data, crc);
}

/** The framing of one gzip member around a deflate stream: header, then CRC-32 and ISIZE of the uncompressed bytes. */
export class GzipMember {
  private crc = 0;
  private size = 0;

  /** The 10 header bytes (a fresh copy). */
  header(): Uint8Array {
    return GZIP_HEADER.slice();
  }

  /** Counts uncompressed bytes into the trailer. */
  update(data: Uint8Array): void {
    this.crc = crc32(data, this.crc);
    this.size = (this.size + data.length) >>> 0;
  }

  /** The 8 trailer bytes: CRC-32 and ISIZE (length mod 2^32), little-endian. */
  trailer(): Uint8Array {
    const trailer = new Uint8Array(8);
    const view = new DataView(trailer.buffer);
    view.setUint32(0, this.crc, true);
    view.setUint32(4, this.size, true);
    return trailer;
  }
}

/** Incremental Go-compatible gzip member writer. */
export class GoGzipWriter {
  private readonly deflater: GoDeflater;
  private readonly member = new GzipMember();
  private closed = false;

  constructor(private readonly sink: ByteSink) {
    sink(this.member.header());
    this.deflater = new GoDeflater(sink);
  }

  /** One call here behaves like one Go gzip.Writer.Write call. */
  write(data: Uint8Array): void {
    if (data.length === 0) return;
    this.member.update(data);
    this.deflater.write(data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deflater.close();
    this.sink(this.member.trailer());
  }
}

/** Options of {@link createGoGzip}. */
export interface GoGzipStreamOptions<T> {
  /**
   * Object mode: each chunk is a `T` (not bytes) that `writes` turns into the Go Write calls it stands for — e.g. a
   * 256 KiB tar chunk carrying the boundaries of the writes Go's archive/tar would make. At most one chunk is queued.
   */
  writes: (chunk: T) => Iterable<Uint8Array>;
  /** Called with each chunk once all its writes were compressed (the compressor keeps no reference to it). */
  release?: (chunk: T) => void;
}

/**
 * A Transform stream gzip-compressing its input like Go's gzip.NewWriter (level 6). Each chunk written to the stream
 * is compressed as one Go Write call (or, with `opts.writes`, as the calls it yields); memory stays bounded (about
 * 1 MiB of state plus one output block).
 */
export function createGoGzip<T = Buffer>(opts?: GoGzipStreamOptions<T>): Transform {
  let writer: GoGzipWriter | undefined;
  const t: Transform = new Transform({
    ...(opts ? { writableObjectMode: true, writableHighWaterMark: 1 } : {}),
    transform(chunk: T | Buffer | string, encoding: BufferEncoding, callback: TransformCallback) {
      try {
        writer ??= new GoGzipWriter((b) => t.push(b));
        if (opts) {
          for (const data of opts.writes(chunk as T)) writer.write(data);
          opts.release?.(chunk as T);
        } else {
          writer.write(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : (chunk as Buffer));
        }
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        writer ??= new GoGzipWriter((b) => t.push(b));
        writer.close();
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  return t;
}

function collect(run: (sink: ByteSink) => void): Buffer {
  const parts: Uint8Array[] = [];
  run((b) => parts.push(b));
  return Buffer.concat(parts);
}

/** Go's gzip.NewWriter output for `input` written in one Write call. */
export function goGzipSync(input: Uint8Array): Buffer {
  return collect((sink) => {
    const w = new GoGzipWriter(sink);
    w.write(input);
    w.close();
  });
}

/** Go's flate.NewWriter(w, 6) output (raw DEFLATE, RFC 1951) for `input` written in one Write call. */
export function goDeflateRawSync(input: Uint8Array): Buffer {
  return collect((sink) => {
    const d = new GoDeflater(sink);
    if (input.length > 0) d.write(input);
    d.close();
  });
}
