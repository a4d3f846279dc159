/**
 * Percentile-bootstrap confidence interval for the relative change of a statistic between two
 * independent samples (baseline and current). Each sample is resampled on its own; for time series
 * whose neighbouring values are correlated (per-second throughput or latency of one run) the
 * moving-block bootstrap resamples contiguous blocks, which keeps the short-range correlation that
 * plain resampling would destroy and that would otherwise make the interval too narrow.
 */
import { mean, median, percentile } from './descriptive.js';
import { createRandom, randomInt, type Random } from './random.js';

export type BootstrapStatistic = 'median' | 'mean';

export interface BootstrapOptions {
  statistic: BootstrapStatistic;
  /** Number of bootstrap resamples; default 2000. */
  resamples?: number;
  /** Two-sided confidence level in (0, 1); default 0.95. */
  confidence?: number;
  /** Seed of the resampling; a fixed default, so the same inputs give the same interval. */
  seed?: number;
  /** 1 (default) resamples single values; > 1 contiguous blocks; 'auto' uses round(n^(1/3)) per sample. */
  blockLength?: number | 'auto';
}

export interface BootstrapResult {
  /** (stat(current) - stat(baseline)) / |stat(baseline)| * 100. */
  change_pct: number;
  ci: [number, number];
}

export const DEFAULT_BOOTSTRAP_RESAMPLES = 2000;
export const DEFAULT_BOOTSTRAP_SEED = 0x5eed_b007;

/**
 * Thrown when the baseline statistic is 0, in the data or in a resample, so that a relative change
 * is undefined. We throw rather than return NaN or an infinite bound, because either would travel
 * silently into a verdict and into JSON (where they become null).
 */
export class ZeroBaselineError extends Error {
  constructor(
    readonly statistic: BootstrapStatistic,
    readonly inResample = false,
  ) {
    super(
      inResample
        ? `the baseline ${statistic} is 0 in some bootstrap resamples (too many zero values), so a relative change is undefined`
        : `the baseline ${statistic} is 0, so a relative change is undefined`,
    );
    this.name = 'ZeroBaselineError';
  }
}

export function bootstrapRelativeChange(
  baseline: readonly number[],
  current: readonly number[],
  options: BootstrapOptions,
): BootstrapResult {
  checkSample('baseline', baseline);
  checkSample('current', current);
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  if (!(Number.isInteger(resamples) && resamples >= 1 && resamples <= 1_000_000)) {
    throw new RangeError(`resamples must be an integer between 1 and 1000000, got ${resamples}`);
  }
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be between 0 and 1, got ${confidence}`);
  if (options.statistic !== 'median' && options.statistic !== 'mean') throw new RangeError(`statistic must be 'median' or 'mean', got ${String(options.statistic)}`);
  const stat = options.statistic === 'median' ? median : mean;

  const change = relativeChangePct(stat(baseline), stat(current), options.statistic, false);
  const rand = createRandom(options.seed ?? DEFAULT_BOOTSTRAP_SEED);
  const baseBlock = blockLengthFor(baseline.length, options.blockLength);
  const currentBlock = blockLengthFor(current.length, options.blockLength);
  const baseBuffer = new Float64Array(baseline.length);
  const currentBuffer = new Float64Array(current.length);
  const changes = new Array<number>(resamples).fill(0);
  for (let r = 0; r < resamples; r++) {
    resampleInto(baseline, baseBlock, rand, baseBuffer);
    resampleInto(current, currentBlock, rand, currentBuffer);
    changes[r] = relativeChangePct(
      resampleStatistic(baseBuffer, options.statistic),
      resampleStatistic(currentBuffer, options.statistic),
      options.statistic,
      true,
    );
  }
  changes.sort((a, b) => a - b);
  const tail = ((1 - confidence) / 2) * 100;
  return { change_pct: change, ci: [percentile(changes, tail, true), percentile(changes, 100 - tail, true)] };
}

/** Block length for a sample of n: clamped to n, since a block cannot be longer than the series. */
export function blockLengthFor(n: number, option: number | 'auto' | undefined): number {
  if (option === undefined) return 1;
  if (option === 'auto') return Math.min(n, Math.max(1, Math.round(Math.cbrt(n))));
  if (!(Number.isInteger(option) && option >= 1)) throw new RangeError(`blockLength must be a positive integer or 'auto', got ${option}`);
  return Math.min(n, option);
}

// Divides by |baseline| so that a positive change always means "current is larger", whatever the sign.
function relativeChangePct(baseline: number, current: number, statistic: BootstrapStatistic, inResample: boolean): number {
  if (baseline === 0) throw new ZeroBaselineError(statistic, inResample);
  return ((current - baseline) / Math.abs(baseline)) * 100;
}

/**
 * The statistic of a resample buffer, which it may reorder. The same definitions as descriptive.ts
 * (the median of an even count is the mean of the middle two), specialised to a Float64Array because
 * this runs resamples x 2 times per comparison and the typed array's numeric sort is ~4x faster.
 */
function resampleStatistic(buffer: Float64Array, statistic: BootstrapStatistic): number {
  const n = buffer.length;
  if (statistic === 'mean') {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += buffer[i]!;
    return sum / n;
  }
  buffer.sort();
  return (buffer[(n - 1) >> 1]! + buffer[n >> 1]!) / 2;
}

/** Fills `out` with a resample of `xs`: single draws, or blocks of `block` contiguous values. */
function resampleInto(xs: readonly number[], block: number, rand: Random, out: Float64Array): void {
  const n = xs.length;
  if (block <= 1) {
    for (let i = 0; i < n; i++) out[i] = xs[randomInt(rand, n)]!;
    return;
  }
  // Moving blocks (Kuensch 1989): any of the n - block + 1 windows, concatenated, the last one cut to fit.
  const starts = n - block + 1;
  for (let i = 0; i < n; ) {
    const start = randomInt(rand, starts);
    for (let k = 0; k < block && i < n; k++, i++) out[i] = xs[start + k]!;
  }
}

function checkSample(name: string, xs: readonly number[]): void {
  if (xs.length === 0) throw new RangeError(`the ${name} sample is empty`);
  for (const x of xs) if (!Number.isFinite(x)) throw new RangeError(`the ${name} sample holds a non-finite value (${x})`);
}
