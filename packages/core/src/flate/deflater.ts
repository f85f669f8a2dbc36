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
 *  - Hash chains over 4-byte prefixes (multiplicative hash 0x1e35a7bd, 17 bits): heads stored with a running
 *    offset and links as distances back, so sliding does not touch the tables.
 *  - Lazy matching with level-6 parameters: lazy 16 (no search while the pending match is at least that long),
 *    nice 128, chain 128; a 4-byte match farther than 4096 is not taken; the "good" parameter never applies
 *    because the search always starts from length 3.
 *  - A block is emitted after 16384 tokens, and at close() with whatever remains; close() then appends an empty
 *    final stored block.
 *
 * How it is made fast (docs/flate.md, "Performance"): all state the loop touches is in one ArrayBuffer (memory.ts);
 * the loop is free of calls (but for filling a long run's links); constants are const enums (inlined); hashes roll
 * from one position to the next; symbol frequencies are counted as tokens are made; a run (a match at distance 1)
 * links its positions without hashing them, since they all start with the same four bytes; second links let the
 * chain walk load two entries ahead; and the literal run also takes positions whose one candidate cannot match.
 */
import { D2Error } from '../errors.js';
import { BitWriter, type ByteSink } from './bitwriter.js';
import { BlockWriter, initTables } from './block-writer.js';
import { Mem } from './memory.js';

/** Parameters of Go's level-6 deflater: const enums, so that esbuild inlines them into the hot loops. */
const enum K {
  WINDOW = 1 << 15,
  WINDOW_MASK = WINDOW - 1,
  BUFFER = 2 * WINDOW,
  MIN_MATCH = 4,
  MAX_MATCH = 258,
  MIN_LOOKAHEAD = MIN_MATCH + MAX_MATCH,
  HASH_BITS = 17,
  HASH_SIZE = 1 << HASH_BITS,
  HASH_SHIFT = 32 - HASH_BITS,
  HASH_MUL = 0x1e35a7bd,
  MAX_BLOCK_TOKENS = 1 << 14,
  /** Level 6: no search while the pending match is at least this long; stop at a match this long. */
  LAZY = 16,
  NICE = 128,
  /** hashOffset is rebased before it could overflow. */
  MAX_HASH_OFFSET = 1 << 24,
  NO_BLOCK_START = 0x7fffffff,
  /** Runs at least this long get their links with TypedArray fill rather than a loop. */
  FILL_RUN = 32,
}

/** Level 6: chain entries examined per search (an enum of its own: it equals K.NICE). */
const enum Chain {
  TRIES = 128,
}

export class GoDeflater {
  /** All working memory (memory.ts): the window as bytes, the rest as int32s. */
  private readonly mem = new Int32Array(Mem.SIZE);
  private readonly window = new Uint8Array(this.mem.buffer, 0, Mem.WINDOW_BYTES);
  /** Big-endian 32-bit reads of the window, for comparing four bytes at a time. */
  private readonly window32 = new DataView(this.mem.buffer, 0, Mem.WINDOW_BYTES);
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
  /** Chain heads hold buffer position + hashOffset, so sliding does not touch them (links are relative). */
  private hashOffset = 1;
  /** Head of the chain found by the last insert (hashOffset included); carried over to positions not hashed. */
  private chainHead = -1;
  private matchLength = K.MIN_MATCH - 1;
  private matchDistance = 0;
  /** Where the block that `scan` filled ends. */
  private blockEnd = 0;
  private closed = false;

  constructor(sink: ByteSink) {
    initTables(this.mem);
    this.bits = new BitWriter(sink);
    this.blocks = new BlockWriter(this.bits, this.mem);
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
    if (this.index >= K.BUFFER - K.MIN_LOOKAHEAD) this.slide();
    const n = Math.min(K.BUFFER - this.windowEnd, data.length - off);
    this.window.set(data.subarray(off, off + n), this.windowEnd);
    this.windowEnd += n;
    return n;
  }

  private slide(): void {
    this.window.copyWithin(0, K.WINDOW, K.BUFFER);
    this.index -= K.WINDOW;
    this.windowEnd -= K.WINDOW;
    this.blockStart = this.blockStart >= K.WINDOW ? this.blockStart - K.WINDOW : K.NO_BLOCK_START;
    this.hashOffset += K.WINDOW;
    if (this.hashOffset > K.MAX_HASH_OFFSET) {
      // Rebase the chain heads; anything older than the buffer start becomes 0 ("none"). Links are relative and
      // stay. Not observable.
      const delta = this.hashOffset - 1;
      this.hashOffset = 1;
      this.chainHead -= delta;
      const mem = this.mem;
      for (let i = Mem.HEAD; i < Mem.HEAD + K.HASH_SIZE; i++) mem[i] = mem[i] > delta ? mem[i] - delta : 0;
    }
  }

  private emitBlock(end: number): void {
    const input = this.blockStart <= end ? this.window.subarray(this.blockStart, end) : null;
    this.blockStart = end;
    this.blocks.writeBlock(this.ntokens, input);
    this.ntokens = 0;
  }

  /**
   * Runs the lazy-matching loop (`scan`) and writes a block each time it fills one. Without `final`, stops when fewer
   * than MIN_LOOKAHEAD bytes are buffered ahead; with it, consumes everything and writes the last (non-final) block.
   */
  private compress(final: boolean): void {
    if (this.windowEnd - this.index < K.MIN_LOOKAHEAD && !final) return;
    while (this.scan(final)) this.emitBlock(this.blockEnd);
    if (final) {
      if (this.byteAvailable) {
        const b = this.window[this.index - 1];
        this.mem[Mem.TOKENS + this.ntokens++] = b;
        this.mem[Mem.LIT_FREQ + b]++;
        this.byteAvailable = false;
      }
      if (this.ntokens > 0) this.emitBlock(this.index);
    }
  }

  /**
   * The lazy-matching loop proper, free of calls so that the JIT keeps its state in registers. Returns true when the
   * token buffer is full (the block ends at `blockEnd`), false when the input is used up: fewer than MIN_LOOKAHEAD
   * bytes left, or none with `final`.
   */
  private scan(final: boolean): boolean {
    const windowEnd = this.windowEnd;
    const limit = final ? windowEnd : windowEnd - K.MIN_LOOKAHEAD + 1;
    const win = this.window;
    const win32 = this.window32;
    const mem = this.mem;
    const maxInsert = windowEnd - (K.MIN_MATCH - 1);
    const hashOffset = this.hashOffset;
    let index = this.index;
    let ntokens = this.ntokens;
    let byteAvailable = this.byteAvailable === true;
    let chainHead = this.chainHead;
    /** Buffer position of the link of chainHead's position (the second link of the position just inserted). */
    let chainNext = 0;
    let curLength = this.matchLength;
    let curDistance = this.matchDistance;
    let full = false;
    /** The four bytes at wordPos, big-endian (the hash input), rolled forward one byte at a time. */
    let word = 0;
    let wordPos = -2;
    /** Hash of the last position inserted by the loop head. */
    let hIndex = 0;
    /** The literal-run loop already inserted `index` (chainHead and hIndex are set). */
    let inserted = false;

    while (index < limit) {
      if (curLength < K.MIN_MATCH && byteAvailable && index < maxInsert && index + 1 < limit) {
        // Literal run: no match is pending, so each position whose search cannot find a match just emits the
        // previous byte: its chain is empty (no candidate in the window), or holds one candidate whose fourth byte
        // differs. This loop handles such positions with little live state; it stops at the first position that
        // needs the search (already inserted; the search below runs for it) or at the limits.
        const runEnd = limit < maxInsert ? limit : maxInsert;
        if (wordPos !== index - 1) {
          const q = index - 1;
          word = (win[q] << 24) | (win[q + 1] << 16) | (win[q + 2] << 8) | win[q + 3];
        }
        let h = 0;
        let search = false;
        for (;;) {
          // The byte at index - 1 (this position's literal, if it gets one) is the top byte of the word before the roll.
          const b = word >>> 24;
          word = (word << 8) | win[index + 3];
          h = Math.imul(word, K.HASH_MUL) >>> K.HASH_SHIFT;
          chainHead = mem[Mem.HEAD + h];
          mem[Mem.HEAD + h] = index + hashOffset;
          const candidate = chainHead - hashOffset;
          mem[Mem.PREV + (index & K.WINDOW_MASK)] = index - candidate;
          if (candidate >= 0 && candidate >= index - K.WINDOW) {
            chainNext = candidate - mem[Mem.PREV + (candidate & K.WINDOW_MASK)];
            mem[Mem.PREV2 + (index & K.WINDOW_MASK)] = index - chainNext;
            // The search below finds nothing when the chain has this one entry and its fourth byte differs (no
            // match can then be longer than 3): the position is a literal, as without a candidate.
            if (win[candidate + 3] === (word & 0xff) || (chainNext >= 0 && chainNext >= index - K.WINDOW)) {
              search = true;
              break;
            }
          }
          mem[Mem.TOKENS + ntokens++] = b;
          mem[Mem.LIT_FREQ + b]++;
          if (ntokens === K.MAX_BLOCK_TOKENS || index + 1 >= runEnd) break;
          index++;
        }
        wordPos = index;
        hIndex = h;
        if (!search) {
          // Stopped on a literal: finish this position as the general loop would (curLength stays 3).
          index++;
          if (ntokens === K.MAX_BLOCK_TOKENS) {
            this.blockEnd = index - 1;
            full = true;
            break;
          }
          continue;
        }
        inserted = true;
      }
      if (inserted) inserted = false;
      else if (index >= maxInsert) {
        const c = chainHead - hashOffset;
        chainNext = c - mem[Mem.PREV + (c & K.WINDOW_MASK)];
      } else {
        word = wordPos === index - 1 ? (word << 8) | win[index + 3] : (win[index] << 24) | (win[index + 1] << 16) | (win[index + 2] << 8) | win[index + 3];
        wordPos = index;
        const h = Math.imul(word, K.HASH_MUL) >>> K.HASH_SHIFT;
        chainHead = mem[Mem.HEAD + h];
        const c = chainHead - hashOffset;
        mem[Mem.PREV + (index & K.WINDOW_MASK)] = index - c;
        chainNext = c - mem[Mem.PREV + (c & K.WINDOW_MASK)];
        mem[Mem.PREV2 + (index & K.WINDOW_MASK)] = index - chainNext;
        mem[Mem.HEAD + h] = index + hashOffset;
        hIndex = h;
      }
      const prevLength = curLength;
      const prevDistance = curDistance;
      curLength = K.MIN_MATCH - 1;
      const lookahead = windowEnd - index;
      const candidate = chainHead - hashOffset;
      if (prevLength < K.LAZY && lookahead > prevLength && candidate >= 0 && candidate >= index - K.WINDOW) {
        // Search the chain for the longest match longer than 3 bytes.
        const maxLen = lookahead < K.MAX_MATCH ? lookahead : K.MAX_MATCH;
        const nice = maxLen < K.NICE ? maxLen : K.NICE;
        const minPos = index - K.WINDOW;
        const lowest = minPos > 0 ? minPos : 0;
        let best = K.MIN_MATCH - 1;
        let bestDist = 0;
        let endByte = win[index + best];
        let pos = candidate;
        // The link of pos, known one step ahead: PREV2 gives the link of the next entry, so the walk chases two
        // independent chains of loads instead of one (invariant in memory.ts, PREV2).
        let next = chainNext;
        for (let tries = Chain.TRIES; tries > 0; tries--) {
          if (win[pos + best] === endByte) {
            let n = 0;
            for (;;) {
              if (n + 4 > maxLen) {
                while (n < maxLen && win[pos + n] === win[index + n]) n++;
                break;
              }
              const x = win32.getInt32(pos + n) ^ win32.getInt32(index + n);
              if (x !== 0) {
                n += Math.clz32(x) >>> 3;
                break;
              }
              n += 4;
            }
            if (n > best && (n > K.MIN_MATCH || index - pos <= 4096)) {
              best = n;
              bestDist = index - pos;
              if (n >= nice) break;
              endByte = win[index + n];
            }
          }
          if (pos === minPos || next < lowest) break;
          const after = pos - mem[Mem.PREV2 + (pos & K.WINDOW_MASK)];
          pos = next;
          next = after;
        }
        if (bestDist !== 0) {
          curLength = best;
          curDistance = bestDist;
        }
      }
      if (prevLength >= K.MIN_MATCH && curLength <= prevLength) {
        // The match starting at index-1 is at least as good as anything at index: emit it (counting its symbols),
        // and hash the positions it covers.
        mem[Mem.TOKENS + ntokens++] = (prevLength << 16) | prevDistance;
        mem[Mem.LIT_FREQ + 257 + mem[Mem.LENGTH_SYM + prevLength]]++;
        mem[Mem.DIST_FREQ + (prevDistance <= 256 ? mem[Mem.DIST_SYM_LO + prevDistance - 1] : mem[Mem.DIST_SYM_HI + ((prevDistance - 1) >> 7)])]++;
        const next = index + prevLength - 1;
        const end = next < maxInsert ? next : maxInsert;
        let p = index + 1;
        if (prevDistance === 1) {
          // A run (each byte equals the one before it, from index-1 to next-1): positions index .. next-4 all start
          // with the same four bytes, so they share index's hash and each links to the position before it.
          const last = next - 4 < end - 1 ? next - 4 : end - 1;
          if (last >= p) {
            mem[Mem.PREV + (p & K.WINDOW_MASK)] = 1;
            mem[Mem.PREV2 + (p & K.WINDOW_MASK)] = 1 + mem[Mem.PREV + (index & K.WINDOW_MASK)];
            // Positions p+1 .. last: links 1 and 2 back. Long runs fill ranges of slots (at most one wrap of the
            // ring); short ones, such as indentation, are cheaper as a loop than as calls.
            const count = last - p;
            if (count < K.FILL_RUN) {
              for (let q = p + 1; q <= last; q++) {
                mem[Mem.PREV + (q & K.WINDOW_MASK)] = 1;
                mem[Mem.PREV2 + (q & K.WINDOW_MASK)] = 2;
              }
            } else {
              const from = (p + 1) & K.WINDOW_MASK;
              const first = from + count <= K.WINDOW ? count : K.WINDOW - from;
              mem.fill(1, Mem.PREV + from, Mem.PREV + from + first);
              mem.fill(2, Mem.PREV2 + from, Mem.PREV2 + from + first);
              if (first < count) {
                mem.fill(1, Mem.PREV, Mem.PREV + count - first);
                mem.fill(2, Mem.PREV2, Mem.PREV2 + count - first);
              }
            }
            mem[Mem.HEAD + hIndex] = last + hashOffset;
            p = last + 1;
          }
        }
        if (p < end) {
          if (wordPos !== p - 1) {
            const q = p - 1;
            word = (win[q] << 24) | (win[q + 1] << 16) | (win[q + 2] << 8) | win[q + 3];
          }
          for (; p < end; p++) {
            word = (word << 8) | win[p + 3];
            const h = Math.imul(word, K.HASH_MUL) >>> K.HASH_SHIFT;
            const c = mem[Mem.HEAD + h] - hashOffset;
            const d = p - c;
            mem[Mem.PREV + (p & K.WINDOW_MASK)] = d;
            mem[Mem.PREV2 + (p & K.WINDOW_MASK)] = d + mem[Mem.PREV + (c & K.WINDOW_MASK)];
            mem[Mem.HEAD + h] = p + hashOffset;
          }
          wordPos = end - 1;
        }
        index = next;
        byteAvailable = false;
        curLength = K.MIN_MATCH - 1;
        if (ntokens === K.MAX_BLOCK_TOKENS) {
          this.blockEnd = index;
          full = true;
          break;
        }
      } else {
        if (byteAvailable) {
          const b = win[index - 1];
          mem[Mem.TOKENS + ntokens++] = b;
          mem[Mem.LIT_FREQ + b]++;
          if (ntokens === K.MAX_BLOCK_TOKENS) {
            this.blockEnd = index;
            index++;
            full = true;
            break;
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
    return full;
  }
}
