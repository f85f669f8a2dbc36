/**
 * Streaming DEFLATE compressor producing the same bytes as Go's compress/flate at level 6 (the default of Go's
 * compress/gzip, used by Flux for the artifact layer).
 *
 * Why by hand: zlib (node:zlib), pako and fflate implement zlib's match finder and block splitter, whose output
 * differs from Go's (docs/flate.md); there is no npm package reproducing Go's encoder.
 *
 * Behaviour reproduced (learned from reading Go's implementation, written independently here):
 *  - A 64 KiB buffer holds a 32 KiB history plus lookahead. Each write() alternates "compress what has at least
 *    262 bytes (min match 4 + max match 258) of lookahead" and "append input"; before appending, when the position
 *    reached 65536 - 262, the upper 32 KiB are moved down. Data that slid below the buffer start can no longer be
 *    referenced, and a pending block whose bytes slid out can no longer be sent stored.
 *  - Hash chains over 4-byte prefixes (multiplicative hash 0x1e35a7bd, 17 bits), positions stored with a running
 *    offset so sliding does not touch the tables.
 *  - Lazy matching with level-6 parameters: lazy 16 (no search while the pending match is at least that long),
 *    nice 128, chain 128; a 4-byte match farther than 4096 is not taken; the "good" parameter never applies
 *    because the search always starts from length 3.
 *  - A block is emitted after 16384 tokens, and at close() with whatever remains; close() then appends an empty
 *    final stored block.
 */
import { D2Error } from '../errors.js';
import { BitWriter, type ByteSink } from './bitwriter.js';
import { BlockWriter, matchToken } from './block-writer.js';

const WINDOW = 1 << 15;
const WINDOW_MASK = WINDOW - 1;
const BUFFER = 2 * WINDOW;
const MIN_MATCH = 4;
const MAX_MATCH = 258;
const MIN_LOOKAHEAD = MIN_MATCH + MAX_MATCH;
const HASH_BITS = 17;
const HASH_SIZE = 1 << HASH_BITS;
const HASH_MUL = 0x1e35a7bd;
const MAX_BLOCK_TOKENS = 1 << 14;
/** Level 6 parameters. */
const LAZY = 16;
const NICE = 128;
const CHAIN = 128;
/** Positions in the hash tables are position + hashOffset; rebased before they could overflow. */
const MAX_HASH_OFFSET = 1 << 24;
const NO_BLOCK_START = 0x7fffffff;

export class GoDeflater {
  private readonly window = new Uint8Array(BUFFER);
  /** 32-bit view of the window for comparing four bytes at a time. */
  private readonly window32 = new DataView(this.window.buffer);
  private readonly head = new Int32Array(HASH_SIZE);
  private readonly prev = new Int32Array(WINDOW);
  private readonly tokens = new Int32Array(MAX_BLOCK_TOKENS + 1);
  private ntokens = 0;
  private readonly bits: BitWriter;
  private readonly blocks: BlockWriter;

  /** Next position to examine. */
  private index = 0;
  /** End of valid data in the buffer. */
  private windowEnd = 0;
  /** Buffer position where the current block's input starts (NO_BLOCK_START when it slid out). */
  private blockStart = 0;
  /** The byte before `index` has not been emitted yet (lazy matching). */
  private byteAvailable = false;
  private hashOffset = 1;
  private chainHead = -1;
  private matchLength = MIN_MATCH - 1;
  private matchDistance = 0;
  private closed = false;

  constructor(sink: ByteSink) {
    this.bits = new BitWriter(sink);
    this.blocks = new BlockWriter(this.bits);
  }

  /** Compresses `data`. Output is handed to the sink as it becomes available (whole blocks). */
  write(data: Uint8Array): void {
    if (this.closed) {
      throw new D2Error('flate: write after close', { code: 'FLATE_CLOSED', hint: 'create a new compressor for each gzip stream' });
    }
    let off = 0;
    while (off < data.length) {
      this.compress(false);
      off += this.fill(data, off);
    }
    this.bits.drain();
  }

  /** Compresses the rest, writes the empty final stored block and drains all output. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.compress(true);
    this.blocks.writeStored(new Uint8Array(0), true);
    this.bits.alignToByte();
    this.bits.drain();
  }

  private fill(data: Uint8Array, off: number): number {
    if (this.index >= BUFFER - MIN_LOOKAHEAD) this.slide();
    const n = Math.min(BUFFER - this.windowEnd, data.length - off);
    this.window.set(data.subarray(off, off + n), this.windowEnd);
    this.windowEnd += n;
    return n;
  }

  private slide(): void {
    this.window.copyWithin(0, WINDOW, BUFFER);
    this.index -= WINDOW;
    this.windowEnd -= WINDOW;
    this.blockStart = this.blockStart >= WINDOW ? this.blockStart - WINDOW : NO_BLOCK_START;
    this.hashOffset += WINDOW;
    if (this.hashOffset > MAX_HASH_OFFSET) {
      // Rebase stored positions; anything older than the buffer start becomes 0 ("none"). Not observable.
      const delta = this.hashOffset - 1;
      this.hashOffset = 1;
      this.chainHead -= delta;
      for (const table of [this.prev, this.head]) {
        for (let i = 0; i < table.length; i++) table[i] = table[i] > delta ? table[i] - delta : 0;
      }
    }
  }

  private emitBlock(end: number): void {
    const input = this.blockStart <= end ? this.window.subarray(this.blockStart, end) : null;
    this.blockStart = end;
    this.blocks.writeBlock(this.tokens, this.ntokens, input);
    this.ntokens = 0;
  }

  /** The lazy-matching loop. Without `final`, stops when fewer than MIN_LOOKAHEAD bytes are buffered ahead. */
  private compress(final: boolean): void {
    const windowEnd = this.windowEnd;
    if (windowEnd - this.index < MIN_LOOKAHEAD && !final) return;
    const win = this.window;
    const win32 = this.window32;
    const head = this.head;
    const prev = this.prev;
    const tokens = this.tokens;
    const hashOffset = this.hashOffset;
    const maxInsert = windowEnd - (MIN_MATCH - 1);
    let index = this.index;
    let ntokens = this.ntokens;
    let byteAvailable = this.byteAvailable;
    let chainHead = this.chainHead;
    let curLength = this.matchLength;
    let curDistance = this.matchDistance;

    for (;;) {
      const lookahead = windowEnd - index;
      if (lookahead < MIN_LOOKAHEAD) {
        if (!final) break;
        if (lookahead === 0) {
          if (byteAvailable) {
            tokens[ntokens++] = win[index - 1];
            byteAvailable = false;
          }
          if (ntokens > 0) {
            this.ntokens = ntokens;
            this.emitBlock(index);
            ntokens = 0;
          }
          break;
        }
      }
      if (index < maxInsert) {
        const h = Math.imul((win[index] << 24) | (win[index + 1] << 16) | (win[index + 2] << 8) | win[index + 3], HASH_MUL) >>> (32 - HASH_BITS);
        chainHead = head[h];
        prev[index & WINDOW_MASK] = chainHead;
        head[h] = index + hashOffset;
      }
      const prevLength = curLength;
      const prevDistance = curDistance;
      curLength = MIN_MATCH - 1;
      const lowest = index > WINDOW ? index - WINDOW : 0;
      const candidate = chainHead - hashOffset;
      if (candidate >= lowest && lookahead > prevLength && prevLength < LAZY) {
        // Search the chain for the longest match longer than 3 bytes.
        const maxLen = lookahead < MAX_MATCH ? lookahead : MAX_MATCH;
        const nice = maxLen < NICE ? maxLen : NICE;
        const minPos = index - WINDOW;
        let best = MIN_MATCH - 1;
        let bestDist = 0;
        let endByte = win[index + best];
        let pos = candidate;
        for (let tries = CHAIN; tries > 0; tries--) {
          if (win[pos + best] === endByte) {
            let n = 0;
            while (n + 4 <= maxLen && win32.getInt32(pos + n) === win32.getInt32(index + n)) n += 4;
            while (n < maxLen && win[pos + n] === win[index + n]) n++;
            if (n > best && (n > MIN_MATCH || index - pos <= 4096)) {
              best = n;
              bestDist = index - pos;
              if (n >= nice) break;
              endByte = win[index + n];
            }
          }
          if (pos === minPos) break;
          pos = prev[pos & WINDOW_MASK] - hashOffset;
          if (pos < minPos || pos < 0) break;
        }
        if (bestDist !== 0) {
          curLength = best;
          curDistance = bestDist;
        }
      }
      if (prevLength >= MIN_MATCH && curLength <= prevLength) {
        // The match starting at index-1 is at least as good as anything at index: emit it.
        tokens[ntokens++] = matchToken(prevLength, prevDistance);
        const next = index + prevLength - 1;
        for (let p = index + 1; p < next; p++) {
          if (p < maxInsert) {
            const h = Math.imul((win[p] << 24) | (win[p + 1] << 16) | (win[p + 2] << 8) | win[p + 3], HASH_MUL) >>> (32 - HASH_BITS);
            prev[p & WINDOW_MASK] = head[h];
            head[h] = p + hashOffset;
          }
        }
        index = next;
        byteAvailable = false;
        curLength = MIN_MATCH - 1;
        if (ntokens === MAX_BLOCK_TOKENS) {
          this.ntokens = ntokens;
          this.emitBlock(index);
          ntokens = 0;
        }
      } else {
        if (byteAvailable) {
          tokens[ntokens++] = win[index - 1];
          if (ntokens === MAX_BLOCK_TOKENS) {
            this.ntokens = ntokens;
            this.emitBlock(index);
            ntokens = 0;
          }
        }
        index++;
        byteAvailable = true;
      }
    }
    this.index = index;
    this.ntokens = ntokens;
    this.byteAvailable = byteAvailable;
    this.chainHead = chainHead;
    this.matchLength = curLength;
    this.matchDistance = curDistance;
  }
}
