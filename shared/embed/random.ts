/**
 * Seeded randomness for clustering, jitter and generated test/bench data: callers inject it, so runs are reproducible.
 * Generated test data depends on its exact sequence: changing it changes what the generators produce.
 */
export type Random = () => number;

/** mulberry32: a tiny, fast 32-bit PRNG with a good enough spread for sampling and k-means++. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
