/**
 * Length-limited Huffman codes, built the way Go's compress/flate builds them.
 *
 * Why by hand: no maintained npm library exposes a Huffman builder whose tie-breaking matches Go's, and the exact
 * code lengths decide the bytes of every dynamic block (docs/flate.md, "Behaviour that decides the bytes").
 *
 * Algorithm: package-merge (Larmore & Hirschberg) over the symbols with non-zero frequency, sorted by (frequency,
 * symbol). Go computes the same thing lazily ("boundary" package-merge); the observable choices are
 *  - at equal weight a package is taken before a leaf,
 *  - the number of levels is min(maxBits, symbols - 1),
 *  - the most frequent symbols get the shortest codes, and within one length codes are assigned in symbol order
 *    (canonical codes, RFC 1951, section 3.2.2),
 *  - with one or two used symbols every used symbol gets length 1.
 */

const MAX_LEVELS = 16;
const MAX_SYMBOLS = 288;

/** Reverses the low `len` bits of `code` (DEFLATE sends Huffman codes most-significant bit first into an LSB-first stream). */
function reverseBits(code: number, len: number): number {
  let r = 0;
  for (let i = 0; i < len; i++) {
    r = (r << 1) | (code & 1);
    code >>>= 1;
  }
  return r;
}

/** A Huffman code over an alphabet: per-symbol bit length and bit-reversed code, ready to write. */
export class HuffmanCode {
  readonly lengths: Uint8Array;
  readonly codes: Uint16Array;

  // Scratch space reused across builds (no allocation per block).
  private readonly sortKeys: Uint32Array;
  private readonly weights: Int32Array[] = [];
  private readonly isLeaf: Uint8Array[] = [];
  private readonly levelSize = new Int32Array(MAX_LEVELS + 1);
  private readonly leavesAt = new Int32Array(MAX_LEVELS + 1);
  private readonly perLength = new Int32Array(MAX_LEVELS + 1);
  private readonly nextCode = new Int32Array(MAX_LEVELS + 2);

  constructor(readonly size: number) {
    this.lengths = new Uint8Array(size);
    this.codes = new Uint16Array(size);
    this.sortKeys = new Uint32Array(size);
    for (let l = 0; l <= MAX_LEVELS; l++) {
      this.weights.push(new Int32Array(2 * MAX_SYMBOLS));
      this.isLeaf.push(new Uint8Array(2 * MAX_SYMBOLS));
    }
  }

  /** A code with the given fixed lengths (e.g. RFC 1951, section 3.2.6). */
  static fromLengths(lengths: Uint8Array, size: number): HuffmanCode {
    const h = new HuffmanCode(lengths.length);
    h.lengths.set(lengths);
    h.assignCodes();
    const out = new HuffmanCode(size);
    out.lengths.set(h.lengths.subarray(0, size));
    out.codes.set(h.codes.subarray(0, size));
    return out;
  }

  /** Total bits needed to send symbols with frequencies `freq` (first `n` symbols) with this code. */
  bitLength(freq: Int32Array, n = this.size): number {
    let total = 0;
    const lengths = this.lengths;
    for (let i = 0; i < n; i++) total += freq[i] * lengths[i];
    return total;
  }

  /** Rebuilds the code for `freq` (all `size` symbols) with no code longer than `maxBits`. */
  build(freq: Int32Array, maxBits: number): void {
    const size = this.size;
    const keys = this.sortKeys;
    const lengths = this.lengths;
    let count = 0;
    for (let s = 0; s < size; s++) {
      lengths[s] = 0;
      // Frequencies are < 2^22 here (at most 16385 tokens per block), so (freq, symbol) packs into 31 bits.
      if (freq[s] !== 0) keys[count++] = freq[s] * 512 + s;
    }
    if (count <= 2) {
      for (let i = 0; i < count; i++) lengths[keys[i] & 511] = 1;
      this.assignCodes();
      return;
    }
    const sorted = keys.subarray(0, count).sort();

    const levels = Math.min(maxBits, count - 1);
    // Level 1 is the deepest list: the leaves alone. Level k merges the leaves with packages (consecutive pairs) of
    // level k-1; a package goes first when its weight equals a leaf's.
    const w1 = this.weights[1];
    const l1 = this.isLeaf[1];
    for (let i = 0; i < count; i++) {
      w1[i] = sorted[i] >>> 9;
      l1[i] = 1;
    }
    this.levelSize[1] = count;
    for (let k = 2; k <= levels; k++) {
      const below = this.weights[k - 1];
      const packages = this.levelSize[k - 1] >>> 1;
      const w = this.weights[k];
      const leaf = this.isLeaf[k];
      let li = 0;
      let pi = 0;
      let o = 0;
      while (li < count || pi < packages) {
        const pw = pi < packages ? below[2 * pi] + below[2 * pi + 1] : 0x7fffffff;
        const lw = li < count ? sorted[li] >>> 9 : 0x7fffffff;
        if (lw < pw) {
          w[o] = lw;
          leaf[o++] = 1;
          li++;
        } else {
          w[o] = pw;
          leaf[o++] = 0;
          pi++;
        }
      }
      this.levelSize[k] = o;
    }
    // Take the first 2n-2 items of the top list and expand packages downwards, counting the leaves used per level.
    let take = 2 * count - 2;
    for (let k = levels; k >= 1; k--) {
      const leaf = this.isLeaf[k];
      let leaves = 0;
      for (let i = 0; i < take; i++) leaves += leaf[i];
      this.leavesAt[k] = leaves;
      take = 2 * (take - leaves);
    }
    this.leavesAt[0] = 0;
    // Symbols used at k levels get a k-bit code; the most frequent (end of the sorted list) get the shortest.
    let end = count;
    for (let bits = 1; bits <= levels; bits++) {
      const k = levels - bits + 1;
      const n = this.leavesAt[k] - this.leavesAt[k - 1];
      for (let i = end - n; i < end; i++) lengths[sorted[i] & 511] = bits;
      end -= n;
    }
    this.assignCodes();
  }

  /** Canonical code assignment from the lengths (RFC 1951, section 3.2.2). */
  private assignCodes(): void {
    const { lengths, codes, perLength, nextCode } = this;
    perLength.fill(0);
    for (let s = 0; s < lengths.length; s++) perLength[lengths[s]]++;
    perLength[0] = 0;
    let code = 0;
    for (let bits = 1; bits <= MAX_LEVELS; bits++) {
      code = (code + perLength[bits - 1]) << 1;
      nextCode[bits] = code;
    }
    for (let s = 0; s < lengths.length; s++) {
      const len = lengths[s];
      codes[s] = len === 0 ? 0 : reverseBits(nextCode[len]++, len);
    }
  }
}
