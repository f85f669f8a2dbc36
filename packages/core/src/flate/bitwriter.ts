/**
 * LSB-first bit packing for DEFLATE (RFC 1951, section 3.1.1) into a reusable output buffer that is handed to a sink in
 * chunks. The byte stream depends only on the bits written, not on how they are buffered.
 *
 * Pending bits live in a 32-bit accumulator that is stored four bytes at a time (little-endian), so most writes are
 * an OR, an add and a compare. The fields are public so that hot loops (BlockWriter.writeTokens) can keep them in
 * local variables and write them back; see `writeBits` for the invariant they must keep.
 */
import { D2Error } from '../errors.js';

export type ByteSink = (chunk: Uint8Array) => void;

export const BITWRITER_BUFFER_SIZE = 1 << 16;

export class BitWriter {
  readonly buf = new Uint8Array(BITWRITER_BUFFER_SIZE);
  readonly view = new DataView(this.buf.buffer);
  /** Bytes in `buf` not yet handed to the sink. */
  pos = 0;
  /** Pending bits, LSB first (as an int32); 0 <= nbits < 32 between calls. */
  acc = 0;
  nbits = 0;

  constructor(private readonly sink: ByteSink) {}

  /**
   * Appends the low `n` bits of `value` (n <= 31, value < 2^n). When the accumulator fills, its 32 bits are stored
   * and the bits of `value` that did not fit (value >>> (32 - old nbits)) start the next word.
   */
  writeBits(value: number, n: number): void {
    const nb = this.nbits;
    const acc = this.acc | (value << nb);
    const total = nb + n;
    if (total < 32) {
      this.acc = acc;
      this.nbits = total;
      return;
    }
    if (this.pos > BITWRITER_BUFFER_SIZE - 4) this.drain();
    this.view.setInt32(this.pos, acc, true);
    this.pos += 4;
    this.acc = value >> (32 - nb); // value < 2^31: same as >>>, and stays an int32
    this.nbits = total - 32;
  }

  /** Pads with zero bits to a byte boundary and moves the pending whole bytes to the buffer. */
  alignToByte(): void {
    let acc = this.acc;
    for (let n = this.nbits; n > 0; n -= 8) {
      if (this.pos === BITWRITER_BUFFER_SIZE) this.drain();
      this.buf[this.pos++] = acc;
      acc >>>= 8;
    }
    this.acc = 0;
    this.nbits = 0;
  }

  /** Appends raw bytes; the writer must be byte-aligned (after alignToByte). */
  writeBytes(bytes: Uint8Array): void {
    if (this.nbits !== 0) throw new D2Error('flate: internal error: stored bytes written at a non-byte boundary', { code: 'FLATE_INTERNAL' });
    if (bytes.length > BITWRITER_BUFFER_SIZE - this.pos) this.drain();
    if (bytes.length > BITWRITER_BUFFER_SIZE) {
      this.sink(bytes.slice());
      return;
    }
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Hands the buffered bytes to the sink (bits still in the accumulator stay pending). */
  drain(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.slice(0, this.pos));
    this.pos = 0;
  }
}
