/**
 * Writes one DEFLATE block for a list of LZ77 tokens, choosing stored, fixed or dynamic Huffman coding exactly as
 * Go's compress/flate does at levels 2-9 (docs/flate.md, "Behaviour that decides the bytes"):
 *  - sizes are compared in bits: fixed first, dynamic replaces it only when strictly smaller, stored replaces the
 *    winner only when strictly smaller and only when the block's input bytes are still in the window and at most
 *    65535 bytes long;
 *  - a block without any match still counts one use of distance code 0 (so the distance tree can be sent), which
 *    also costs 5 bits in the fixed estimate;
 *  - the code-length sequence is run-length coded with 16/17/18 as described in generateCodeLengthCodes().
 *
 * The tokens and their symbol frequencies are in the compressor's memory (memory.ts), counted by the deflater as it
 * makes them; this writer resets the frequencies after each block.
 */
import { BitWriter, BITWRITER_BUFFER_SIZE } from './bitwriter.js';
import { HuffmanCode } from './huffman.js';
import { Mem } from './memory.js';
import {
  CODELEN_ORDER,
  DIST_BASE,
  DIST_CODE_OF,
  DIST_EXTRA,
  END_OF_BLOCK,
  FIXED_DIST_LENGTHS,
  FIXED_LITLEN_LENGTHS,
  LENGTH_BASE,
  LENGTH_CODE_OF,
  LENGTH_EXTRA,
  NUM_CODELEN,
  NUM_DIST,
  NUM_LITLEN,
} from './tables.js';

const MAX_STORED = 65535;
/** Code lengths are limited to 15 bits for literal/length and distance codes, 7 for the code-length code. */
const MAX_BITS = 15;
const MAX_CODELEN_BITS = 7;

const FIXED_LITLEN = HuffmanCode.fromLengths(FIXED_LITLEN_LENGTHS, NUM_LITLEN);
const FIXED_DIST = HuffmanCode.fromLengths(FIXED_DIST_LENGTHS, NUM_DIST);

/** Fills the constant tables of a compressor's memory (symbol of each length and distance, distance bases). */
export function initTables(mem: Int32Array): void {
  for (let length = 3; length <= 258; length++) mem[Mem.LENGTH_SYM + length] = LENGTH_CODE_OF[length - 3];
  for (let d = 1; d <= 256; d++) mem[Mem.DIST_SYM_LO + d - 1] = DIST_CODE_OF[d - 1];
  // Distance codes from 16 on cover whole multiples of 128 distances, so (d - 1) >> 7 identifies them.
  for (let d = 257; d <= 32768; d += 128) mem[Mem.DIST_SYM_HI + ((d - 1) >> 7)] = DIST_CODE_OF[d - 1];
  for (let c = 0; c < NUM_DIST; c++) {
    mem[Mem.DIST_BASE + c] = DIST_BASE[c];
    mem[Mem.DIST_EXTRA + c] = DIST_EXTRA[c];
  }
}

export class BlockWriter {
  private readonly litFreq: Int32Array;
  private readonly distFreq: Int32Array;
  private readonly clFreq = new Int32Array(NUM_CODELEN);
  private readonly litCode = new HuffmanCode(NUM_LITLEN);
  private readonly distCode = new HuffmanCode(NUM_DIST);
  private readonly clCode = new HuffmanCode(NUM_CODELEN);
  /** Run-length coded code lengths: symbol, then its extra-bits value for 16/17/18. */
  private readonly clSymbols = new Uint8Array(2 * (NUM_LITLEN + NUM_DIST) + 2);
  private clCount = 0;
  private readonly allLengths = new Uint8Array(NUM_LITLEN + NUM_DIST);

  constructor(
    readonly out: BitWriter,
    private readonly mem: Int32Array,
  ) {
    this.litFreq = mem.subarray(Mem.LIT_FREQ, Mem.LIT_FREQ + NUM_LITLEN);
    this.distFreq = mem.subarray(Mem.DIST_FREQ, Mem.DIST_FREQ + NUM_DIST);
  }

  /**
   * Writes the `n` tokens in memory as one non-final block. `input` is the block's original bytes when they are
   * still available (required for a stored block), else null.
   */
  writeBlock(n: number, input: Uint8Array | null): void {
    const { litFreq, distFreq } = this;
    let extraBits = 0;
    for (let c = 0; c < LENGTH_EXTRA.length; c++) extraBits += litFreq[257 + c] * LENGTH_EXTRA[c];
    for (let c = 0; c < NUM_DIST; c++) extraBits += distFreq[c] * DIST_EXTRA[c];
    litFreq[END_OF_BLOCK]++;
    let numLit = NUM_LITLEN;
    while (litFreq[numLit - 1] === 0) numLit--;
    let numDist = NUM_DIST;
    while (numDist > 0 && distFreq[numDist - 1] === 0) numDist--;
    if (numDist === 0) {
      distFreq[0] = 1;
      numDist = 1;
    }
    this.litCode.build(litFreq, MAX_BITS);
    this.distCode.build(distFreq, MAX_BITS);

    const fixedBits = 3 + FIXED_LITLEN.bitLength(litFreq) + FIXED_DIST.bitLength(distFreq) + extraBits;
    this.generateCodeLengthCodes(numLit, numDist);
    this.clCode.build(this.clFreq, MAX_CODELEN_BITS);
    let numCl = NUM_CODELEN;
    while (numCl > 4 && this.clFreq[CODELEN_ORDER[numCl - 1]] === 0) numCl--;
    const clf = this.clFreq;
    const dynamicBits =
      3 + 5 + 5 + 4 + 3 * numCl +
      this.clCode.bitLength(clf) + clf[16] * 2 + clf[17] * 3 + clf[18] * 7 +
      this.litCode.bitLength(litFreq) + this.distCode.bitLength(distFreq) + extraBits;
    this.mem.fill(0, Mem.LIT_FREQ, Mem.DIST_FREQ + NUM_DIST);

    const useDynamic = dynamicBits < fixedBits;
    const best = useDynamic ? dynamicBits : fixedBits;
    if (input !== null && input.length <= MAX_STORED && (input.length + 5) * 8 < best) {
      this.writeStored(input, false);
      return;
    }
    if (useDynamic) {
      this.writeDynamicHeader(numLit, numDist, numCl);
      this.writeTokens(n, this.litCode, this.distCode);
    } else {
      this.out.writeBits(2, 3); // BFINAL 0, BTYPE 01
      this.writeTokens(n, FIXED_LITLEN, FIXED_DIST);
    }
  }

  /** A stored block (RFC 1951, section 3.2.4); with empty `data` and final=true this is Go's closing `01 00 00 ff ff`. */
  writeStored(data: Uint8Array, final: boolean): void {
    const out = this.out;
    out.writeBits(final ? 1 : 0, 3);
    out.alignToByte();
    out.writeBits(data.length, 16);
    out.writeBits(~data.length & 0xffff, 16);
    out.writeBytes(data);
  }

  /**
   * Run-length codes the concatenated literal/length and distance code lengths (RFC 1951, section 3.2.7), as Go does:
   * runs are taken over the concatenation (they may cross from the literal to the distance lengths); a run of a
   * non-zero length sends the length once, then 16 (repeat 3-6) as often as at least 3 repeats remain, taking 6 at a
   * time, then the rest (0-2) literally; a run of zeros uses 18 (11-138 zeros) while at least 11 remain, then one 17
   * (3-10) if at least 3 remain, then the rest literally.
   */
  private generateCodeLengthCodes(numLit: number, numDist: number): void {
    const lens = this.allLengths;
    lens.set(this.litCode.lengths.subarray(0, numLit), 0);
    lens.set(this.distCode.lengths.subarray(0, numDist), numLit);
    const total = numLit + numDist;
    const freq = this.clFreq;
    const sym = this.clSymbols;
    freq.fill(0);
    let o = 0;
    let i = 0;
    while (i < total) {
      const v = lens[i];
      let run = 1;
      while (i + run < total && lens[i + run] === v) run++;
      i += run;
      if (v !== 0) {
        sym[o++] = v;
        sym[o++] = 0;
        freq[v]++;
        run--;
        while (run >= 3) {
          const r = Math.min(run, 6);
          sym[o++] = 16;
          sym[o++] = r - 3;
          freq[16]++;
          run -= r;
        }
      } else {
        while (run >= 11) {
          const r = Math.min(run, 138);
          sym[o++] = 18;
          sym[o++] = r - 11;
          freq[18]++;
          run -= r;
        }
        if (run >= 3) {
          sym[o++] = 17;
          sym[o++] = run - 3;
          freq[17]++;
          run = 0;
        }
      }
      for (; run > 0; run--) {
        sym[o++] = v;
        sym[o++] = 0;
        freq[v]++;
      }
    }
    this.clCount = o;
  }

  private writeDynamicHeader(numLit: number, numDist: number, numCl: number): void {
    const out = this.out;
    out.writeBits(4, 3); // BFINAL 0, BTYPE 10
    out.writeBits(numLit - 257, 5);
    out.writeBits(numDist - 1, 5);
    out.writeBits(numCl - 4, 4);
    const clLengths = this.clCode.lengths;
    for (let i = 0; i < numCl; i++) out.writeBits(clLengths[CODELEN_ORDER[i]], 3);
    const clCodes = this.clCode.codes;
    const sym = this.clSymbols;
    for (let i = 0; i < this.clCount; i += 2) {
      const s = sym[i];
      out.writeBits(clCodes[s], clLengths[s]);
      if (s === 16) out.writeBits(sym[i + 1], 2);
      else if (s === 17) out.writeBits(sym[i + 1], 3);
      else if (s === 18) out.writeBits(sym[i + 1], 7);
    }
  }

  /** Puts the block's codes into memory in the forms writeTokens reads (see Mem.LIT_CODE, DIST_CODE, LEN_CODE). */
  private loadCodes(lit: HuffmanCode, dist: HuffmanCode): void {
    const mem = this.mem;
    for (let s = 0; s < NUM_LITLEN; s++) mem[Mem.LIT_CODE + s] = lit.codes[s] | (lit.lengths[s] << 16);
    for (let s = 0; s < NUM_DIST; s++) mem[Mem.DIST_CODE + s] = dist.codes[s] | (dist.lengths[s] << 16);
    for (let length = 3; length <= 258; length++) {
      const lc = LENGTH_CODE_OF[length - 3];
      const bits = lit.lengths[257 + lc];
      mem[Mem.LEN_CODE + length] = lit.codes[257 + lc] | ((length - LENGTH_BASE[lc]) << bits) | ((bits + LENGTH_EXTRA[lc]) << 24);
    }
  }

  /**
   * Huffman-codes the block's tokens and the end-of-block symbol. A length symbol and its extra bits go out as one
   * write (at most 15 + 5 bits), a distance symbol and its extra bits as another (at most 15 + 13 bits); the bit
   * writer's state is kept in locals (see BitWriter.writeBits for the invariant) and its buffer is drained between
   * batches of tokens that cannot overflow it.
   */
  private writeTokens(n: number, lit: HuffmanCode, dist: HuffmanCode): void {
    this.loadCodes(lit, dist);
    const mem = this.mem;
    const out = this.out;
    const view = out.view;
    let acc = out.acc;
    let nbits = out.nbits;
    let pos = out.pos;
    let i = 0;
    while (i < n) {
      // Each token stores at most 8 bytes.
      let room = (BITWRITER_BUFFER_SIZE - pos) >> 3;
      if (room === 0) {
        out.pos = pos;
        out.drain();
        pos = 0;
        room = BITWRITER_BUFFER_SIZE >> 3;
      }
      const end = n - i < room ? n : i + room;
      for (; i < end; i++) {
        const t = mem[Mem.TOKENS + i];
        let v: number;
        let nb: number;
        if (t < 256) {
          const e = mem[Mem.LIT_CODE + t];
          v = e & 0xffff;
          nb = e >>> 16;
        } else {
          const e = mem[Mem.LEN_CODE + (t >>> 16)];
          v = e & 0xffffff;
          nb = e >>> 24;
          // The bit append is written out twice on purpose (length code here, the last code below): a loop or a
          // helper here costs measurable throughput in the hottest loop of the compressor (docs/flate.md "Performance").
          acc |= v << nbits;
          nbits += nb;
          if (nbits >= 32) {
            view.setInt32(pos, acc, true);
            pos += 4;
            nbits -= 32;
            acc = v >> (nb - nbits); // v < 2^28: same as >>>, and stays an int32
          }
          const d = t & 0xffff;
          const dc = d <= 256 ? mem[Mem.DIST_SYM_LO + d - 1] : mem[Mem.DIST_SYM_HI + ((d - 1) >> 7)];
          const de = mem[Mem.DIST_CODE + dc];
          const dl = de >>> 16;
          v = (de & 0xffff) | ((d - mem[Mem.DIST_BASE + dc]) << dl);
          nb = dl + mem[Mem.DIST_EXTRA + dc];
        }
        acc |= v << nbits;
        nbits += nb;
        if (nbits >= 32) {
          view.setInt32(pos, acc, true);
          pos += 4;
          nbits -= 32;
          acc = v >> (nb - nbits); // v < 2^28: same as >>>, and stays an int32
        }
      }
    }
    out.acc = acc;
    out.nbits = nbits;
    out.pos = pos;
    const eob = mem[Mem.LIT_CODE + END_OF_BLOCK];
    out.writeBits(eob & 0xffff, eob >>> 16);
  }
}
