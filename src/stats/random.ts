/**
 * Seeded pseudo-random numbers. Everything random in perfsop (bootstrap resamples, simulated data in
 * tests) draws from here, never from Math.random, so a verdict can be reproduced exactly from its seed.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG): 128 bits of state, passes
 * PractRand, and needs only 32-bit integer arithmetic, which V8 keeps unboxed. The 32-bit seed is
 * spread over the state with splitmix32 so that nearby seeds (1, 2, 3...) give unrelated streams.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

function splitmix32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Uniform numbers in [0, 1) with 32 bits of resolution; the same seed always gives the same sequence. */
export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) throw new RangeError(`random seed must be a finite number, got ${seed}`);
  // Fold in the high bits too, so seeds like 2**32 + 1 and 1 differ.
  const mix = splitmix32((seed | 0) ^ Math.floor(seed / 0x1_0000_0000));
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  const next: Random = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 0x1_0000_0000;
  };
  // sfc32 mixes poorly in its first outputs; the reference implementation discards a dozen.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A uniform integer in [0, n), n a positive integer up to 2**32. */
export function randomInt(rand: Random, n: number): number {
  if (!(Number.isInteger(n) && n >= 1 && n <= 0x1_0000_0000)) {
    throw new RangeError(`randomInt needs a positive integer bound up to 2**32, got ${n}`);
  }
  return Math.floor(rand() * n);
}

/** A standard normal deviate (Box-Muller), for simulations and tests. */
export function randomNormal(rand: Random): number {
  // 1 - u is in (0, 1], so the logarithm is finite.
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
