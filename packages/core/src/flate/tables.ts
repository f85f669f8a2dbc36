/**
 * DEFLATE symbol tables (RFC 1951, section 3.2.5), computed once at load time. These are facts of the format, not of any
 * encoder; they are derived here from the RFC's base/extra-bits definitions instead of being spelled out by hand.
 */

/** Literal/length alphabet size used by encoders (0-255 literals, 256 end of block, 257-285 lengths). */
export const NUM_LITLEN = 286;
/** Distance alphabet size. */
export const NUM_DIST = 30;
/** Code-length alphabet size (RFC 1951, section 3.2.7). */
export const NUM_CODELEN = 19;
export const END_OF_BLOCK = 256;

/** Extra bits of length codes 257..285, indexed by code - 257. */
export const LENGTH_EXTRA = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
/** Base match length of length codes 257..285, indexed by code - 257. */
export const LENGTH_BASE = new Uint16Array(29);
/** Extra bits of distance codes 0..29. */
export const DIST_EXTRA = new Uint8Array([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
/** Base distance of distance codes 0..29. */
export const DIST_BASE = new Uint16Array(30);
/** Order in which code-length code lengths are transmitted (RFC 1951, section 3.2.7). */
export const CODELEN_ORDER = new Uint8Array([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

/** Length code index (code - 257) for every match length 3..258, indexed by length - 3. */
export const LENGTH_CODE_OF = new Uint8Array(256);
/** Distance code for distances 1..32768, indexed by distance - 1. */
export const DIST_CODE_OF = new Uint8Array(32768);

{
  let base = 3;
  for (let c = 0; c < 28; c++) {
    LENGTH_BASE[c] = base;
    for (let k = 0; k < 1 << LENGTH_EXTRA[c]; k++) LENGTH_CODE_OF[base + k - 3] = c;
    base += 1 << LENGTH_EXTRA[c];
  }
  // Code 285 is length 258 on its own (base 227 + 31 would also reach it; the RFC reserves 285 for 258).
  LENGTH_BASE[28] = 258;
  LENGTH_CODE_OF[258 - 3] = 28;
  let dist = 1;
  for (let c = 0; c < 30; c++) {
    DIST_BASE[c] = dist;
    DIST_CODE_OF.fill(c, dist - 1, dist - 1 + (1 << DIST_EXTRA[c]));
    dist += 1 << DIST_EXTRA[c];
  }
}

/**
 * Code lengths of the fixed Huffman literal/length code (RFC 1951, section 3.2.6). All 288 symbols are listed so that the
 * canonical codes come out as in the RFC; encoders only ever use the first 286.
 */
export const FIXED_LITLEN_LENGTHS = new Uint8Array(288);
FIXED_LITLEN_LENGTHS.fill(8, 0, 144);
FIXED_LITLEN_LENGTHS.fill(9, 144, 256);
FIXED_LITLEN_LENGTHS.fill(7, 256, 280);
FIXED_LITLEN_LENGTHS.fill(8, 280, 288);
/** Code lengths of the fixed distance code: all 5 bits. */
export const FIXED_DIST_LENGTHS = new Uint8Array(NUM_DIST).fill(5);
