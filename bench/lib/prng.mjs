// A seeded PRNG (mulberry32) so every run picks the same keys and builds the same data, and two
// runs differ only by the machine, never by the workload.

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
export function randomIndex(rng, n) {
  return Math.floor(rng() * n);
}

// Words for entry values: enough variety that full-text search has real postings to rank.
const WORDS = (
  'latency throughput checkout cache miss allocation heap profile flame graph p99 regression ' +
  'baseline verdict database index query plan lock contention thread pool queue backlog retry ' +
  'timeout socket handshake payload json parse serialize compress batch worker shard replica ' +
  'leader follower snapshot compaction garbage collector pause young old generation tenured ' +
  'kernel syscall context switch scheduler cpu core cycle branch mispredict prefetch memory ' +
  'bandwidth disk fsync journal write read sequential random seek sector page fault mmap'
).split(' ');

/** About `targetBytes` of plain text made of WORDS. */
export function sentence(rng, targetBytes) {
  const words = [];
  let length = 0;
  while (length < targetBytes) {
    const word = WORDS[randomIndex(rng, WORDS.length)];
    words.push(word);
    length += word.length + 1;
  }
  return words.join(' ');
}
