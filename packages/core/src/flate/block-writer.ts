/**
 * Writes one DEFLATE block for a list of LZ77 tokens, choosing stored, fixed or dynamic Huffman coding exactly as
 * Go's compress/flate does at levels 2-9 (docs/flate.md, "Behaviour that decides the bytes"):
 *  - sizes are compared in bits: fixed first, dynamic replaces it only when strictly smaller, stored replaces the
 *    winner only when strictly smaller and only when the block's input bytes are still in the window and at most
 *    65535 bytes long;
 *  - a block without any match still counts one use of distance code 0 (so the distance tree can be sent), which
 *    also costs 5 bits in the fixed estimate;
 *  - the code-length sequence is run-length coded with 16/17/18 as described in generateCodeLengthCodes().
 */
import { BitWriter } from './bitwriter.js';
import { HuffmanCode } from './huffman.js';
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

/**
 * Tokens are int32: a literal byte is its value (0-255); a match is (length << 16) | distance, length 3..258,
 * distance 1..32768.
 */
export function matchToken(length: number, distance: number): number {
  return (length << 16) | distance;
}

const MAX_STORED = 65535;
/** Code lengths are limited to 15 bits for literal/length and distance codes, 7 for the code-length code. */
const MAX_BITS = 15;
const MAX_CODELEN_BITS = 7;

const FIXED_LITLEN = HuffmanCode.fromLengths(FIXED_LITLEN_LENGTHS, NUM_LITLEN);
const FIXED_DIST = HuffmanCode.fromLengths(FIXED_DIST_LENGTHS, NUM_DIST);

export class BlockWriter {
  private readonly litFreq = new Int32Array(NUM_LITLEN);
  private readonly distFreq = new Int32Array(NUM_DIST);
  private readonly clFreq = new Int32Array(NUM_CODELEN);
  private readonly litCode = new HuffmanCode(NUM_LITLEN);
  private readonly distCode = new HuffmanCode(NUM_DIST);
  private readonly clCode = new HuffmanCode(NUM_CODELEN);
  /** Run-length coded code lengths: symbol, then its extra-bits value for 16/17/18. */
  private readonly clSymbols = new Uint8Array(2 * (NUM_LITLEN + NUM_DIST) + 2);
  private clCount = 0;
  private readonly allLengths = new Uint8Array(NUM_LITLEN + NUM_DIST);

  constructor(readonly out: BitWriter) {}

  /**
   * Writes tokens[0..n) as one non-final block. `input` is the block's original bytes when they are still available
   * (required for a stored block), else null.
   */
  writeBlock(tokens: Int32Array, n: number, input: Uint8Array | null): void {
    const { litFreq, distFreq } = this;
    litFreq.fill(0);
    distFreq.fill(0);
    let extraBits = 0;
    for (let i = 0; i < n; i++) {
      const t = tokens[i];
      if (t < 256) {
        litFreq[t]++;
      } else {
        const lc = LENGTH_CODE_OF[(t >>> 16) - 3];
        const dc = DIST_CODE_OF[(t & 0xffff) - 1];
        litFreq[257 + lc]++;
        distFreq[dc]++;
        extraBits += LENGTH_EXTRA[lc] + DIST_EXTRA[dc];
      }
    }
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

    const useDynamic = dynamicBits < fixedBits;
    const best = useDynamic ? dynamicBits : fixedBits;
    if (input !== null && input.length <= MAX_STORED && (input.length + 5) * 8 < best) {
      this.writeStored(input, false);
      return;
    }
    if (useDynamic) {
      this.writeDynamicHeader(numLit, numDist, numCl);
      this.writeTokens(tokens, n, this.litCode, this.distCode);
    } else {
      this.out.writeBits(2, 3); // BFINAL 0, BTYPE 01
      this.writeTokens(tokens, n, FIXED_LITLEN, FIXED_DIST);
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

  private writeTokens(tokens: Int32Array, n: number, lit: HuffmanCode, dist: HuffmanCode): void {
    const out = this.out;
    const litCodes = lit.codes;
    const litLens = lit.lengths;
    const distCodes = dist.codes;
    const distLens = dist.lengths;
    for (let i = 0; i < n; i++) {
      const t = tokens[i];
      if (t < 256) {
        out.writeBits(litCodes[t], litLens[t]);
        continue;
      }
      const length = t >>> 16;
      const distance = t & 0xffff;
      const lc = LENGTH_CODE_OF[length - 3];
      out.writeBits(litCodes[257 + lc], litLens[257 + lc]);
      if (LENGTH_EXTRA[lc] > 0) out.writeBits(length - LENGTH_BASE[lc], LENGTH_EXTRA[lc]);
      const dc = DIST_CODE_OF[distance - 1];
      out.writeBits(distCodes[dc], distLens[dc]);
      if (DIST_EXTRA[dc] > 0) out.writeBits(distance - DIST_BASE[dc], DIST_EXTRA[dc]);
    }
    out.writeBits(litCodes[END_OF_BLOCK], litLens[END_OF_BLOCK]);
  }
}
