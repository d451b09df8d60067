/** Reproducible randomness for simulated packet loss: the same seed drops the same datagrams. @module */

/**
 * A random number generator in [0, 1): seeded (mulberry32, a small 32-bit generator; fine for
 * simulations, not for secrets) or, without a seed, `Math.random`.
 */
export function randomSource(seed?: number): () => number {
  if (seed === undefined) return Math.random;
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
