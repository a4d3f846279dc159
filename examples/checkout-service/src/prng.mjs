// mulberry32: a small seeded PRNG, so the database, the carts and therefore every response are the
// same on every start and in both variants (Math.random would make before/after runs incomparable).

export function createRng(seed) {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function pick(rng, n) {
  return Math.floor(rng() * n);
}
