/**
 * The working memory of one compressor: a single ArrayBuffer seen as bytes (the window) and as int32s (everything
 * else). The hot loops touch only these two views: V8 re-checks a typed array's map and reloads its data pointer
 * and length at the first access of each loop iteration, so every extra typed array in a loop costs instructions per
 * byte (measured with valgrind --tool=cachegrind; docs/flate.md, "Performance").
 *
 * Offsets are int32 indexes (byte offset / 4), except WINDOW_BYTES. A const enum so that esbuild inlines them.
 */
export const enum Mem {
  /** Bytes 0 .. 65535: the sliding window (32 KiB history + lookahead). */
  WINDOW_BYTES = 1 << 16,
  /** Chain heads, one per 17-bit hash: latest position with that hash + hashOffset (0 = none). */
  HEAD = WINDOW_BYTES >> 2,
  /**
   * Chain links, as distances back: prev[p & 32767] = p - q, q being the previous head of p's hash when p was
   * inserted (a negative or out-of-window q when there was none). Relative, so neither sliding nor rebasing touches
   * them, and a run links its positions with constant values (1, and 2 in PREV2).
   */
  PREV = HEAD + (1 << 17),
  /**
   * Second links: prev2[p & 32767] = p - (q's link), as it was when p was inserted, q being p's link. While q is in
   * the window its slot is not reused, so this gives the link of the next chain entry, and a chain walk can load two
   * entries ahead (docs/flate.md, "Performance"). Written only when q is in the window at insertion; otherwise the
   * slot is stale and never read, since a walk stops at a link below the window first.
   */
  PREV2 = PREV + (1 << 15),
  /** Tokens of the current block: a literal byte, or (length << 16) | distance. */
  TOKENS = PREV2 + (1 << 15),
  /** Symbol frequencies of the current block, counted as tokens are made: 286 literal/length, then 30 distance. */
  LIT_FREQ = TOKENS + (1 << 14) + 4,
  DIST_FREQ = LIT_FREQ + 288,
  /** The current block's codes, each `code | bits << 16` (code bit-reversed, ready to write LSB first). */
  LIT_CODE = DIST_FREQ + 32,
  DIST_CODE = LIT_CODE + 288,
  /** The current block's code of each match length 0..258 with its extra bits: `code | extra << bits | total << 24`. */
  LEN_CODE = DIST_CODE + 32,
  /** Constant: length code index (symbol - 257) of each match length 3..258, indexed by length. */
  LENGTH_SYM = LEN_CODE + 260,
  /** Constant: distance code of distance d <= 256 at DIST_SYM_LO + d - 1; of d > 256 at DIST_SYM_HI + ((d - 1) >> 7). */
  DIST_SYM_LO = LENGTH_SYM + 260,
  DIST_SYM_HI = DIST_SYM_LO + 256,
  /** Constant: base distance and extra bits of each distance code. */
  DIST_BASE = DIST_SYM_HI + 256,
  DIST_EXTRA = DIST_BASE + 32,
  /** Total, in int32s. */
  SIZE = DIST_EXTRA + 32,
}
