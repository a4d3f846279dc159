/**
 * The before/after verdict of benchmark_run: did a metric improve, regress, or not change beyond noise?
 *
 * Two conditions must both hold to call a change, because two kinds of noise are at play. Per-second
 * samples within one run vary much less than whole runs of the same code do (machine state, JIT
 * decisions, memory layout), so a bootstrap interval built from within-run samples alone is too narrow
 * and would call run-to-run drift a change. The per-metric noise floor is the smallest change worth
 * calling, standing in for that between-run noise; the interval guards against calling a change that
 * is within the run's own variation.
 *
 * The floor is applied to the near end of the 95% interval, not only to the point estimate: a change
 * is called when the whole interval lies beyond the floor. Checking the estimate alone lets the two
 * noises add up: in the simulation of test/unit/stats.test.ts (runs differing by 2%, per-second noise
 * 4%, 20 samples) "interval excludes 0 and |estimate| >= floor" called 12-19% of identical-code pairs
 * a change, against 1-3% with this rule, while a 30% change is still called every time.
 */
import { bootstrapRelativeChange, ZeroBaselineError, type BootstrapStatistic } from './bootstrap.js';
import { mean, median } from './descriptive.js';

export type Verdict = 'improved' | 'regressed' | 'no significant change';
export type Better = 'lower' | 'higher';

/**
 * Smallest relative change (percent) worth calling, per metric. Tails move most between two runs of
 * the same code: on a shared 2-core machine busy with other work, a 10 ms timer-bound service
 * showed p95 shifts up to 25% and p99 shifts up to 39% between back-to-back identical runs, with
 * p50 and req/s within 5% (test/e2e/verdict-stability.test.ts under the full test suite).
 */
export const DEFAULT_NOISE_PCT: Readonly<Record<string, number>> = Object.freeze({
  p50: 5,
  mean: 5,
  median: 5,
  p90: 10,
  p95: 15,
  p99: 30,
  rps: 5,
  throughput: 5,
  wall: 5,
});
export const FALLBACK_NOISE_PCT = 5;
/** Fewer samples than this on either side and no verdict is attempted. */
export const MIN_SAMPLES = 3;

/**
 * The noise floor for a metric: the override if given, else the default for its name, looked up
 * whole and then by its parts ("latency_p95_ms" finds p95), else FALLBACK_NOISE_PCT.
 */
export function noiseFloor(metric: string, override?: number): number {
  if (override !== undefined) {
    if (!(Number.isFinite(override) && override >= 0)) throw new RangeError(`noisePct must be a non-negative number, got ${override}`);
    return override;
  }
  const name = metric.toLowerCase();
  for (const key of [name, ...name.split(/[^a-z0-9]+/)]) {
    if (Object.hasOwn(DEFAULT_NOISE_PCT, key)) return DEFAULT_NOISE_PCT[key]!;
  }
  return FALLBACK_NOISE_PCT;
}

export interface CompareInput {
  metric: string;
  better: Better;
  baseline: readonly number[];
  current: readonly number[];
  /** Statistic compared between the samples; default median (robust to a stray slow second). */
  statistic?: BootstrapStatistic;
  /** Overrides the metric's default noise floor, in percent. */
  noisePct?: number;
  seed?: number;
  /** Default 'auto': samples are per-second time series, whose neighbours are correlated. */
  blockLength?: number | 'auto';
}

export interface Comparison {
  metric: string;
  /** null when the baseline statistic is 0 (or a sample is empty). */
  change_pct: number | null;
  /** null when there are too few samples or the change is undefined. */
  ci95: [number, number] | null;
  verdict: Verdict;
  reason: string;
}

export function compareSamples(input: CompareInput): Comparison {
  const { metric, better, baseline, current } = input;
  const statistic = input.statistic ?? 'median';
  const floor = noiseFloor(metric, input.noisePct);

  if (baseline.length < MIN_SAMPLES || current.length < MIN_SAMPLES) {
    return {
      metric,
      change_pct: pointChange(baseline, current, statistic),
      ci95: null,
      verdict: 'no significant change',
      reason: `too few samples to judge (n=${baseline.length} baseline, n=${current.length} current; need ${MIN_SAMPLES} each)`,
    };
  }

  let change: number;
  let ci: [number, number];
  try {
    ({ change_pct: change, ci } = bootstrapRelativeChange(baseline, current, {
      statistic,
      confidence: 0.95,
      seed: input.seed,
      blockLength: input.blockLength ?? 'auto',
    }));
  } catch (error) {
    if (!(error instanceof ZeroBaselineError)) throw error;
    return {
      metric,
      change_pct: null,
      ci95: null,
      verdict: 'no significant change',
      reason: `${metric}: ${error.message}; compare absolute values instead`,
    };
  }

  const [lo, hi] = ci;
  const excludesZero = lo > 0 || hi < 0;
  // The estimate must agree with the interval too (a percentile interval of a median need not contain it).
  const rose = lo > 0 && change > 0 && Math.min(lo, change) >= floor;
  const fell = hi < 0 && change < 0 && Math.max(hi, change) <= -floor;
  const verdict: Verdict = !(rose || fell) ? 'no significant change' : rose === (better === 'higher') ? 'improved' : 'regressed';
  return { metric, change_pct: change, ci95: ci, verdict, reason: explain(metric, change, ci, floor, excludesZero, rose || fell) };
}

function explain(metric: string, change: number, [lo, hi]: [number, number], floor: number, excludesZero: boolean, significant: boolean): string {
  const moved = change > 0 ? `rose ${fixed(change)}%` : change < 0 ? `fell ${fixed(-change)}%` : 'did not change';
  const head = `${metric} ${moved} (95% CI ${signed(lo)} to ${signed(hi)})`;
  if (significant) return `${head}, entirely beyond the ${floor}% noise floor`;
  if (!excludesZero) return `${head}, an interval that includes 0: within the run's own variation`;
  if (Math.abs(change) < floor) return `${head}, below the ${floor}% noise floor`;
  if (Math.sign(change) !== Math.sign(lo)) return `${head}: the estimate and the interval disagree in direction`;
  return `${head}, but the interval reaches inside the ${floor}% noise floor: inconclusive, more samples or runs would tell`;
}

function pointChange(baseline: readonly number[], current: readonly number[], statistic: BootstrapStatistic): number | null {
  if (baseline.length === 0 || current.length === 0) return null;
  const stat = statistic === 'median' ? median : mean;
  const base = stat(baseline);
  return base === 0 ? null : ((stat(current) - base) / Math.abs(base)) * 100;
}

const fixed = (x: number): string => x.toFixed(1);
const signed = (x: number): string => `${x >= 0 ? '+' : '-'}${fixed(Math.abs(x))}%`;
