// Sequential latency measurement of several operations at once.
import { elapsedMs, summarize } from './stats.mjs';

/**
 * Times one call and returns milliseconds. Only the awaited call is inside the timer; checking the
 * result happens after it stops.
 */
export async function timeCall(fn) {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: elapsedMs(start), result };
}

/**
 * Measures several operations in the same run. Each round calls every operation once, rotating
 * which goes first, so a noisy moment on a shared machine hits all of them alike and a ratio
 * between them stays meaningful even when absolute figures drift.
 *
 * `ops` is a list of { name, run(i) } where run returns the milliseconds of its timed part (an
 * operation may do untimed work too, such as undoing a write so the data size stays constant).
 * The first `warmup` rounds are discarded: JIT, caches and the page cache settle there.
 */
export async function interleave(ops, { warmup, iterations, checkBudget = () => {} }) {
  const samples = Object.fromEntries(ops.map((op) => [op.name, []]));
  for (let i = 0; i < warmup + iterations; i++) {
    if (i % 50 === 0) checkBudget();
    for (let j = 0; j < ops.length; j++) {
      const op = ops[(i + j) % ops.length];
      const ms = await op.run(i);
      if (i >= warmup) samples[op.name].push(ms);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, list]) => [name, summarize(list)]));
}
