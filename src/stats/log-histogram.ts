/**
 * A latency histogram with log-linear buckets: bucket i holds values in
 * [base * (1 + precision)^i, base * (1 + precision)^(i + 1)), base = 1 µs, so every percentile is
 * known to within `precision` of the recorded value whatever the scale, from microseconds to
 * minutes, in a few thousand counters. Values below 1 µs (including 0) share a zero bucket.
 *
 * count, min, max, mean and stddev are exact (running sums), only percentiles are bucketed.
 * record() is called for every response of a load test, so it is O(1) and allocation-free except
 * when the counts array must grow to reach a new largest bucket (amortized by doubling).
 */

/** Lower edge of bucket 0, in milliseconds: 1 µs. */
export const LOG_HISTOGRAM_BASE_MS = 0.001;
export const DEFAULT_LOG_HISTOGRAM_PRECISION = 0.01;
// Finer buckets than 0.1% buy nothing for latencies and would let one huge value allocate megabytes.
const MIN_PRECISION = 0.001;
const MAX_PRECISION = 1;

/** The serialized form: sparse buckets as parallel arrays (ascending index, positive count). */
export interface LogHistogramJSON {
  precision: number;
  base: number;
  n: number;
  sum: number;
  sumSq: number;
  /** null when n is 0 (JSON has no Infinity). */
  min: number | null;
  max: number | null;
  /** How many values fell below `base`. */
  zero: number;
  index: number[];
  count: number[];
}

export interface LogHistogramOptions {
  /** Relative width of a bucket, e.g. 0.01 for 1%. */
  precision?: number;
}

export class LogHistogram {
  readonly precision: number;
  readonly base = LOG_HISTOGRAM_BASE_MS;
  private readonly logGrowth: number;
  private readonly invLogGrowth: number;
  private readonly invBase = 1 / LOG_HISTOGRAM_BASE_MS;
  private counts = new Float64Array(0);
  private zeroCount = 0;
  private n = 0;
  private total = 0;
  private totalSq = 0;
  private lowest = Number.POSITIVE_INFINITY;
  private highest = Number.NEGATIVE_INFINITY;

  constructor(options: LogHistogramOptions = {}) {
    const precision = options.precision ?? DEFAULT_LOG_HISTOGRAM_PRECISION;
    if (!(precision >= MIN_PRECISION && precision <= MAX_PRECISION)) {
      throw new RangeError(`LogHistogram precision must be between ${MIN_PRECISION} and ${MAX_PRECISION}, got ${precision}`);
    }
    this.precision = precision;
    this.logGrowth = Math.log1p(precision);
    this.invLogGrowth = 1 / this.logGrowth;
  }

  record(valueMs: number): void {
    // Written so that NaN fails the test too.
    if (!(valueMs >= 0 && valueMs < Number.POSITIVE_INFINITY)) {
      throw new RangeError(`LogHistogram.record expects a finite, non-negative number of milliseconds, got ${valueMs}`);
    }
    const ratio = valueMs * this.invBase;
    if (ratio < 1) {
      this.zeroCount++;
    } else {
      const i = Math.floor(Math.log(ratio) * this.invLogGrowth);
      if (i >= this.counts.length) this.grow(i);
      this.counts[i]! += 1;
    }
    this.n++;
    this.total += valueMs;
    this.totalSq += valueMs * valueMs;
    if (valueMs < this.lowest) this.lowest = valueMs;
    if (valueMs > this.highest) this.highest = valueMs;
  }

  recordMany(valuesMs: Iterable<number>): void {
    for (const v of valuesMs) this.record(v);
  }

  /** Adds every value recorded in `other` to this histogram; both must share the bucket layout. */
  merge(other: LogHistogram): this {
    if (other.precision !== this.precision || other.base !== this.base) {
      throw new RangeError(`cannot merge LogHistograms of different precision (${this.precision} and ${other.precision})`);
    }
    if (other.counts.length > this.counts.length) this.grow(other.counts.length - 1);
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.zeroCount += other.zeroCount;
    this.n += other.n;
    this.total += other.total;
    this.totalSq += other.totalSq;
    this.lowest = Math.min(this.lowest, other.lowest);
    this.highest = Math.max(this.highest, other.highest);
    return this;
  }

  get count(): number {
    return this.n;
  }

  get sum(): number {
    return this.total;
  }

  /** NaN when empty, like descriptive.ts. */
  get min(): number {
    return this.n === 0 ? Number.NaN : this.lowest;
  }

  get max(): number {
    return this.n === 0 ? Number.NaN : this.highest;
  }

  get mean(): number {
    return this.n === 0 ? Number.NaN : this.total / this.n;
  }

  /** Sample standard deviation (n - 1), 0 for fewer than two values, as descriptive.stddev. */
  get stddev(): number {
    if (this.n < 2) return 0;
    // Rounding can push a near-zero variance slightly negative.
    const variance = (this.totalSq - (this.total * this.total) / this.n) / (this.n - 1);
    return Math.sqrt(Math.max(0, variance));
  }

  /**
   * The nearest-rank p-th percentile (p in 0..100), to within the bucket precision: the midpoint of
   * the bucket holding that rank, clamped to [min, max]. p = 0 and p = 100 give the exact min and max.
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile expects p in 0..100, got ${p}`);
    if (this.n === 0) return Number.NaN;
    if (p === 0) return this.lowest;
    if (p === 100) return this.highest;
    const rank = Math.max(1, Math.ceil((p * this.n) / 100));
    let seen = this.zeroCount;
    if (seen >= rank) return this.clamp(this.base / 2);
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return this.clamp(this.bucketLow(i) * (1 + this.precision / 2));
    }
    return this.highest;
  }

  toJSON(): LogHistogramJSON {
    const index: number[] = [];
    const count: number[] = [];
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i]!;
      if (c > 0) {
        index.push(i);
        count.push(c);
      }
    }
    return {
      precision: this.precision,
      base: this.base,
      n: this.n,
      sum: this.total,
      sumSq: this.totalSq,
      min: this.n === 0 ? null : this.lowest,
      max: this.n === 0 ? null : this.highest,
      zero: this.zeroCount,
      index,
      count,
    };
  }

  /** Rebuilds a histogram from toJSON() output, rejecting anything inconsistent with a real one. */
  static fromJSON(json: unknown): LogHistogram {
    const fail = (why: string): never => {
      throw new TypeError(`invalid LogHistogram JSON: ${why}`);
    };
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('expected an object');
    const o = json as Record<string, unknown>;
    const num = (key: string): number => {
      const v = o[key];
      return typeof v === 'number' && Number.isFinite(v) ? v : fail(`${key} must be a finite number`);
    };
    const natural = (key: string): number => {
      const v = num(key);
      return Number.isSafeInteger(v) && v >= 0 ? v : fail(`${key} must be a non-negative integer`);
    };
    const precision = num('precision');
    if (!(precision >= MIN_PRECISION && precision <= MAX_PRECISION)) fail(`precision must be between ${MIN_PRECISION} and ${MAX_PRECISION}`);
    if (num('base') !== LOG_HISTOGRAM_BASE_MS) fail(`base must be ${LOG_HISTOGRAM_BASE_MS}`);
    const n = natural('n');
    const zero = natural('zero');
    const sum = num('sum');
    const sumSq = num('sumSq');
    if (sum < 0 || sumSq < 0) fail('sum and sumSq must be non-negative');
    const { index, count } = o;
    if (!Array.isArray(index) || !Array.isArray(count) || index.length !== count.length) {
      fail('index and count must be arrays of the same length');
    }
    const indexes = index as unknown[];
    const counts = count as unknown[];
    const h = new LogHistogram({ precision });
    // No finite double lies beyond this bucket, which also bounds what a hostile input can allocate.
    const maxIndex = Math.floor((Math.log(Number.MAX_VALUE) - Math.log(LOG_HISTOGRAM_BASE_MS)) / h.logGrowth);
    let total = zero;
    let previous = -1;
    for (let k = 0; k < indexes.length; k++) {
      const i = indexes[k];
      const c = counts[k];
      if (typeof i !== 'number' || !Number.isInteger(i) || i <= previous || i > maxIndex) {
        fail('index must hold ascending bucket indexes');
      }
      if (typeof c !== 'number' || !Number.isSafeInteger(c) || c <= 0) fail('count must hold positive integers');
      previous = i as number;
      total += c as number;
    }
    if (total !== n) fail(`bucket counts add up to ${total}, not n = ${n}`);
    if (n === 0) {
      if (o.min !== null || o.max !== null || sum !== 0 || sumSq !== 0) fail('an empty histogram has null min/max and zero sums');
    } else {
      const min = num('min');
      const max = num('max');
      if (!(min >= 0 && min <= max)) fail('min and max must satisfy 0 <= min <= max');
      h.lowest = min;
      h.highest = max;
    }
    if (previous >= 0) {
      h.grow(previous);
      for (let k = 0; k < indexes.length; k++) h.counts[indexes[k] as number] = counts[k] as number;
    }
    h.zeroCount = zero;
    h.n = n;
    h.total = sum;
    h.totalSq = sumSq;
    return h;
  }

  private bucketLow(i: number): number {
    return this.base * Math.exp(i * this.logGrowth);
  }

  private clamp(value: number): number {
    return Math.min(this.highest, Math.max(this.lowest, value));
  }

  /** Makes room for bucket i, at least doubling so that growth stays amortized O(1). */
  private grow(i: number): void {
    const next = new Float64Array(Math.max(i + 1, this.counts.length * 2, 256));
    next.set(this.counts);
    this.counts = next;
  }
}
