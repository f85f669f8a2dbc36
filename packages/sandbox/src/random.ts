/**
 * Seeded pseudo-random numbers for test data and benchmarks: the same seed gives the same bytes on every machine and
 * Node version, so failures reproduce and benchmark inputs stay identical between runs.
 */

/** xorshift32: returns a generator of unsigned 32-bit integers. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** A generator of integers in [0, n). */
export function prngInt(seed: number): (n: number) => number {
  const next = prng(seed);
  return (n) => next() % n;
}
