/**
 * Descriptive statistics over plain samples. Percentiles interpolate linearly between closest
 * ranks (type 7, the default of R and NumPy), so p50 of an even-sized sample is the usual median.
 */

export interface Summary {
  count: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}

/** Sample standard deviation (n - 1); 0 for a single value. */
export function stddev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let squares = 0;
  for (const x of xs) squares += (x - m) ** 2;
  return Math.sqrt(squares / (xs.length - 1));
}

export function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** p in [0, 100]; `xs` need not be sorted unless `isSorted` says so. */
export function percentile(xs: readonly number[], p: number, isSorted = false): number {
  if (xs.length === 0) return Number.NaN;
  const s = isSorted ? xs : sorted(xs);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo]! + (s[hi]! - s[lo]!) * (rank - lo);
}

export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** Median absolute deviation (unscaled). */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

export function summarize(xs: readonly number[]): Summary {
  const s = sorted(xs);
  return {
    count: s.length,
    mean: mean(s),
    stddev: stddev(s),
    min: s.length ? s[0]! : Number.NaN,
    max: s.length ? s[s.length - 1]! : Number.NaN,
    p50: percentile(s, 50, true),
    p90: percentile(s, 90, true),
    p95: percentile(s, 95, true),
    p99: percentile(s, 99, true),
  };
}

/**
 * Indexes of outliers by the modified z-score (Iglewicz and Hoaglin): |0.6745 (x - median) / MAD|
 * above 3.5. Robust where mean and stddev are dragged by the outliers they should find.
 */
export function outlierIndexes(xs: readonly number[], threshold = 3.5): number[] {
  if (xs.length < 3) return [];
  const m = median(xs);
  const spread = mad(xs);
  if (spread === 0) return [];
  return xs.flatMap((x, i) => (Math.abs((0.6745 * (x - m)) / spread) > threshold ? [i] : []));
}

// Two-sided 95% critical values of Student's t for 1..30 degrees of freedom; beyond, the normal 1.96 is
// within 2% and a few steps interpolate.
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093,
  2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tCritical95(degreesOfFreedom: number): number {
  if (degreesOfFreedom < 1) return Number.NaN;
  if (degreesOfFreedom <= 30) return T95[Math.floor(degreesOfFreedom) - 1]!;
  if (degreesOfFreedom <= 60) return 2.0;
  if (degreesOfFreedom <= 120) return 1.98;
  return 1.96;
}

/** Half-width of the 95% confidence interval of the mean (t-based). */
export function marginOfError95(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  return (tCritical95(xs.length - 1) * stddev(xs)) / Math.sqrt(xs.length);
}
