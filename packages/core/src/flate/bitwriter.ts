/**
 * LSB-first bit packing for DEFLATE (RFC 1951, section 3.1.1) into a reusable output buffer that is handed to a sink in
 * chunks. The byte stream depends only on the bits written, not on how they are buffered.
 */
import { D2Error } from '../errors.js';

export type ByteSink = (chunk: Uint8Array) => void;

const BUFFER_SIZE = 1 << 16;

export class BitWriter {
  private buf = new Uint8Array(BUFFER_SIZE);
  private pos = 0;
  /** Pending bits, LSB first; fewer than 16 between calls. */
  private acc = 0;
  private nbits = 0;

  constructor(private readonly sink: ByteSink) {}

  /** Appends the low `n` bits of `value` (n <= 16). */
  writeBits(value: number, n: number): void {
    this.acc |= value << this.nbits;
    this.nbits += n;
    if (this.nbits >= 16) {
      if (this.pos > BUFFER_SIZE - 2) this.drain();
      const acc = this.acc;
      this.buf[this.pos++] = acc & 0xff;
      this.buf[this.pos++] = (acc >>> 8) & 0xff;
      this.acc = acc >>> 16;
      this.nbits -= 16;
    }
  }

  /** Pads with zero bits to a byte boundary. */
  alignToByte(): void {
    while (this.nbits > 0) {
      if (this.pos === BUFFER_SIZE) this.drain();
      this.buf[this.pos++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.nbits = Math.max(0, this.nbits - 8);
    }
    this.acc = 0;
  }

  /** Appends raw bytes; the writer must be byte-aligned. */
  writeBytes(bytes: Uint8Array): void {
    if (this.nbits !== 0) throw new D2Error('flate: internal error: stored bytes written at a non-byte boundary', { code: 'FLATE_INTERNAL' });
    if (bytes.length > BUFFER_SIZE - this.pos) this.drain();
    if (bytes.length > BUFFER_SIZE) {
      this.sink(bytes.slice());
      return;
    }
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Hands buffered whole bytes to the sink. */
  drain(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.slice(0, this.pos));
    this.pos = 0;
  }
}

