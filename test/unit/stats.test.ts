import { describe, expect, it } from 'vitest';
import { blockLengthFor, bootstrapRelativeChange, ZeroBaselineError } from '../../src/stats/bootstrap.js';
import { compareSamples, DEFAULT_NOISE_PCT, noiseFloor, type Better, type Verdict } from '../../src/stats/compare.js';
import { mean, percentile, stddev } from '../../src/stats/descriptive.js';
import { LogHistogram } from '../../src/stats/log-histogram.js';
import { createRandom, randomInt, randomNormal, type Random } from '../../src/stats/random.js';

function lognormal(rand: Random, count: number, medianMs: number, sigma: number): number[] {
  return Array.from({ length: count }, () => medianMs * Math.exp(sigma * randomNormal(rand)));
}

function normal(rand: Random, count: number, mu: number, sd: number): number[] {
  return Array.from({ length: count }, () => mu + sd * randomNormal(rand));
}

/**
 * One run of per-second samples: an AR(1) series (each second keeps `phi` of the previous second's
 * deviation) with stationary relative sd `sd`, around `runMean`.
 */
function ar1Run(rand: Random, runMean: number, seconds: number, phi: number, sd: number): number[] {
  const innovation = sd * Math.sqrt(1 - phi * phi);
  let deviation = sd * randomNormal(rand);
  const samples: number[] = [];
  for (let t = 0; t < seconds; t++) {
    samples.push(runMean * (1 + deviation));
    deviation = phi * deviation + innovation * randomNormal(rand);
  }
  return samples;
}

describe('seeded random numbers', () => {
  it('repeat exactly for a seed and differ between seeds', () => {
    const draw = (seed: number) => {
      const rand = createRandom(seed);
      return Array.from({ length: 5 }, () => rand());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(1)).not.toEqual(draw(2 ** 32 + 1));
  });

  it('are uniform in [0, 1), and randomInt and randomNormal have the right shape', () => {
    const rand = createRandom(123);
    const xs = Array.from({ length: 100_000 }, () => rand());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(mean(xs)).toBeCloseTo(0.5, 2);
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) bins[randomInt(rand, 10)]! += 1;
    for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(500);
    const zs = Array.from({ length: 100_000 }, () => randomNormal(rand));
    expect(mean(zs)).toBeCloseTo(0, 1);
    expect(stddev(zs)).toBeCloseTo(1, 1);
    expect(() => randomInt(rand, 0)).toThrow(RangeError);
    expect(() => randomInt(rand, 2.5)).toThrow(RangeError);
  });
});

describe('LogHistogram', () => {
  const data = lognormal(createRandom(2026), 100_000, 20, 1);
  const full = new LogHistogram();
  full.recordMany(data);

  it('gives percentiles within 1% of the exact ones, and exact count, min, max, mean, stddev', () => {
    for (const p of [0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]) {
      const exact = percentile(data, p);
      expect(Math.abs(full.percentile(p) - exact) / exact, `p${p}`).toBeLessThanOrEqual(0.01);
    }
    expect(full.count).toBe(100_000);
    expect(full.min).toBe(Math.min(...data));
    expect(full.max).toBe(Math.max(...data));
    expect(full.percentile(0)).toBe(full.min);
    expect(full.percentile(100)).toBe(full.max);
    expect(full.mean).toBeCloseTo(mean(data), 9);
    expect(full.stddev / stddev(data)).toBeCloseTo(1, 9);
  });

  it('keeps its precision from microseconds to minutes, with a zero bucket below 1 µs', () => {
    const h = new LogHistogram();
    const values = [0, 0.0004, 0.0015, 0.37, 12.5, 980, 61_000, 300_000];
    h.recordMany(values);
    expect(h.percentile(0)).toBe(0);
    expect(h.percentile(25)).toBeLessThan(0.001);
    for (const [k, v] of values.entries()) {
      if (v < 0.001) continue;
      // Nearest rank k + 1 of 8 values.
      const p = ((k + 1) / values.length) * 100 - 1e-9;
      expect(Math.abs(h.percentile(p) - v) / v, `value ${v}`).toBeLessThanOrEqual(0.01);
    }
    const coarse = new LogHistogram({ precision: 0.05 });
    coarse.recordMany(data);
    expect(Math.abs(coarse.percentile(50) - percentile(data, 50)) / percentile(data, 50)).toBeLessThanOrEqual(0.05);
  });

  it('is empty-safe and rejects values that are not latencies', () => {
    const h = new LogHistogram();
    expect(h.count).toBe(0);
    expect(h.mean).toBeNaN();
    expect(h.percentile(50)).toBeNaN();
    expect(h.stddev).toBe(0);
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) expect(() => h.record(bad)).toThrow(RangeError);
    expect(() => h.percentile(101)).toThrow(RangeError);
    expect(() => new LogHistogram({ precision: 0 })).toThrow(RangeError);
    expect(h.count).toBe(0);
  });

  it('merges into the same histogram as recording everything in one', () => {
    const a = new LogHistogram();
    const b = new LogHistogram();
    a.recordMany(data.slice(0, 30_000));
    b.recordMany(data.slice(30_000));
    b.record(0);
    const all = new LogHistogram();
    all.recordMany(data);
    all.record(0);
    const merged = a.merge(b).toJSON();
    const expected = all.toJSON();
    expect({ ...merged, sum: 0, sumSq: 0 }).toEqual({ ...expected, sum: 0, sumSq: 0 });
    // Sums are added in a different order, so only the last bits may differ.
    expect(merged.sum / expected.sum).toBeCloseTo(1, 12);
    expect(merged.sumSq / expected.sumSq).toBeCloseTo(1, 12);
    expect(() => a.merge(new LogHistogram({ precision: 0.02 }))).toThrow(/different precision/);
  });

  it('round-trips through JSON', () => {
    const json = JSON.parse(JSON.stringify(full)) as unknown;
    const back = LogHistogram.fromJSON(json);
    expect(back.toJSON()).toEqual(full.toJSON());
    for (const p of [1, 50, 99.9]) expect(back.percentile(p)).toBe(full.percentile(p));
    expect(back.mean).toBe(full.mean);
    const empty = LogHistogram.fromJSON(JSON.parse(JSON.stringify(new LogHistogram())) as unknown);
    expect(empty.count).toBe(0);
    expect(empty.toJSON().min).toBeNull();
    // Compact: only occupied buckets are stored.
    expect(full.toJSON().index.length).toBeLessThan(1200);
  });

  it('rejects JSON that no histogram could have produced', () => {
    const good = new LogHistogram();
    good.recordMany([1, 2, 3]);
    const valid = good.toJSON();
    const garbage: unknown[] = [
      null,
      'histogram',
      [],
      {},
      { ...valid, n: 4 },
      { ...valid, precision: 0 },
      { ...valid, base: 1 },
      { ...valid, count: [1, -1, 3] },
      { ...valid, count: [1, 1] },
      { ...valid, index: [...valid.index].reverse() },
      { ...valid, index: [valid.index[0], valid.index[1], 1e12] },
      { ...valid, min: 5 },
      { ...valid, min: null },
      { ...valid, sum: 'six' },
      { ...valid, n: 0, count: [], index: [] },
    ];
    for (const bad of garbage) expect(() => LogHistogram.fromJSON(bad), JSON.stringify(bad)).toThrow(/invalid LogHistogram JSON/);
  });
});

describe('bootstrapRelativeChange', () => {
  it('covers 0 in about 95% of repetitions when both samples come from the same distribution', () => {
    const rand = createRandom(95);
    for (const statistic of ['mean', 'median'] as const) {
      let covered = 0;
      for (let r = 0; r < 300; r++) {
        const { ci } = bootstrapRelativeChange(normal(rand, 30, 100, 10), normal(rand, 30, 100, 10), { statistic, seed: r });
        if (ci[0] <= 0 && ci[1] >= 0) covered++;
      }
      expect(covered / 300, statistic).toBeGreaterThanOrEqual(0.9);
      expect(covered / 300, statistic).toBeLessThanOrEqual(0.99);
    }
  });

  it('repeats exactly with the same seed', () => {
    const rand = createRandom(5);
    const a = normal(rand, 25, 100, 10);
    const b = normal(rand, 25, 104, 10);
    const once = bootstrapRelativeChange(a, b, { statistic: 'median', seed: 11 });
    expect(bootstrapRelativeChange(a, b, { statistic: 'median', seed: 11 })).toEqual(once);
    expect(bootstrapRelativeChange(a, b, { statistic: 'median' })).toEqual(bootstrapRelativeChange(a, b, { statistic: 'median' }));
    expect(bootstrapRelativeChange(a, b, { statistic: 'median', seed: 12 }).ci).not.toEqual(once.ci);
  });

  it('puts a clear 2x shift far from 0', () => {
    const rand = createRandom(2);
    const { change_pct, ci } = bootstrapRelativeChange(normal(rand, 30, 100, 10), normal(rand, 30, 200, 20), { statistic: 'mean' });
    expect(change_pct).toBeGreaterThan(85);
    expect(change_pct).toBeLessThan(115);
    expect(ci[0]).toBeGreaterThan(70);
    expect(ci[0]).toBeLessThanOrEqual(change_pct);
    expect(ci[1]).toBeGreaterThanOrEqual(change_pct);
  });

  it('widens the interval for autocorrelated series when resampling blocks', () => {
    const rand = createRandom(3);
    let wider = 0;
    for (let r = 0; r < 20; r++) {
      const a = ar1Run(rand, 100, 60, 0.8, 0.05);
      const b = ar1Run(rand, 100, 60, 0.8, 0.05);
      const width = (ci: [number, number]) => ci[1] - ci[0];
      const iid = bootstrapRelativeChange(a, b, { statistic: 'mean', resamples: 500 }).ci;
      const blocks = bootstrapRelativeChange(a, b, { statistic: 'mean', resamples: 500, blockLength: 'auto' }).ci;
      if (width(blocks) > width(iid)) wider++;
    }
    expect(wider).toBeGreaterThanOrEqual(18);
    expect(blockLengthFor(20, 'auto')).toBe(3);
    expect(blockLengthFor(1000, 'auto')).toBe(10);
    expect(blockLengthFor(4, 10)).toBe(4);
    expect(blockLengthFor(50, undefined)).toBe(1);
  });

  it('refuses a zero baseline statistic and bad input with clear errors', () => {
    expect(() => bootstrapRelativeChange([0, 0, 0, 1], [1, 2, 3], { statistic: 'median' })).toThrow(ZeroBaselineError);
    expect(() => bootstrapRelativeChange([0, 0, 0, 1], [1, 2, 3], { statistic: 'median' })).toThrow(/baseline median is 0/);
    expect(() => bootstrapRelativeChange([0, 0, 0, 5], [1, 2, 3], { statistic: 'mean' })).toThrow(/0 in some bootstrap resamples/);
    expect(() => bootstrapRelativeChange([], [1], { statistic: 'mean' })).toThrow(/baseline sample is empty/);
    expect(() => bootstrapRelativeChange([1, Number.NaN], [1], { statistic: 'mean' })).toThrow(/non-finite/);
    expect(() => bootstrapRelativeChange([1, 2], [1, 2], { statistic: 'mean', confidence: 95 })).toThrow(/confidence/);
    expect(() => bootstrapRelativeChange([1, 2], [1, 2], { statistic: 'mean', blockLength: 0 })).toThrow(/blockLength/);
  });
});

describe('compareSamples', () => {
  /**
   * "The same code measured twice", or with the current run `factor` times the baseline: each run is
   * 20 per-second samples of an AR(1) series (phi 0.5, per-sample sd 4%) around a run mean that is
   * itself shifted per run by a random 2% (sd), the run-to-run noise that within-run samples miss.
   */
  function verdictRate(repetitions: number, seed: number, factor: number, metric: string, better: Better, wanted: Verdict): number {
    const rand = createRandom(seed);
    const run = (level: number) => ar1Run(rand, level * (1 + 0.02 * randomNormal(rand)), 20, 0.5, 0.04);
    let hits = 0;
    for (let r = 0; r < repetitions; r++) {
      const result = compareSamples({ metric, better, baseline: run(100), current: run(100 * factor), seed: r });
      if (result.verdict === wanted) hits++;
    }
    return hits / repetitions;
  }

  it('knows the noise floor of each metric', () => {
    expect(DEFAULT_NOISE_PCT).toMatchObject({ p50: 5, mean: 5, median: 5, p90: 10, p95: 15, p99: 30, rps: 5, throughput: 5, wall: 5 });
    expect(noiseFloor('p99')).toBe(30);
    expect(noiseFloor('latency_p95_ms')).toBe(15);
    expect(noiseFloor('RPS')).toBe(5);
    expect(noiseFloor('heap_bytes')).toBe(5);
    expect(noiseFloor('constructor')).toBe(5);
    expect(noiseFloor('p99', 2)).toBe(2);
    expect(() => noiseFloor('p99', -1)).toThrow(RangeError);
  });

  it('rarely calls a change between two runs of the same code', () => {
    const quiet = verdictRate(500, 1, 1, 'p50', 'lower', 'no significant change');
    expect(quiet, `no-change rate ${quiet}`).toBeGreaterThanOrEqual(0.95);
  });

  it('calls a 30% change every time, in the direction that `better` gives', () => {
    const slower = verdictRate(200, 2, 1.3, 'p50', 'lower', 'regressed');
    const faster = verdictRate(200, 3, 0.7, 'p50', 'lower', 'improved');
    const moreRps = verdictRate(200, 4, 1.3, 'rps', 'higher', 'improved');
    expect(slower, `regressed rate ${slower}`).toBeGreaterThanOrEqual(0.95);
    expect(faster, `improved rate ${faster}`).toBeGreaterThanOrEqual(0.95);
    expect(moreRps, `rps improved rate ${moreRps}`).toBeGreaterThanOrEqual(0.95);
  });

  it('explains a verdict in one sentence', () => {
    const rand = createRandom(9);
    const baseline = ar1Run(rand, 100, 20, 0.5, 0.04);
    const current = ar1Run(rand, 140, 20, 0.5, 0.04);
    const p95 = compareSamples({ metric: 'p95', better: 'lower', baseline, current });
    expect(p95.verdict).toBe('regressed');
    expect(p95.reason).toMatch(/^p95 rose \d+\.\d% \(95% CI \+\d+\.\d% to \+\d+\.\d%\), entirely beyond the 15% noise floor$/);
    expect(p95.ci95![0]).toBeGreaterThan(15);
    const rps = compareSamples({ metric: 'rps', better: 'higher', baseline, current });
    expect(rps.verdict).toBe('improved');
    expect(compareSamples({ metric: 'rps', better: 'higher', baseline: current, current: baseline }).verdict).toBe('regressed');
    const same = compareSamples({ metric: 'p50', better: 'lower', baseline, current: baseline });
    expect(same.verdict).toBe('no significant change');
    expect(same.reason).toMatch(/includes 0/);
  });

  it('does not judge from fewer than 3 samples a side, nor from a zero baseline', () => {
    const few = compareSamples({ metric: 'p50', better: 'lower', baseline: [10, 11], current: [20, 21, 22] });
    expect(few.verdict).toBe('no significant change');
    expect(few.reason).toMatch(/^too few samples to judge \(n=2 baseline, n=3 current/);
    expect(few.ci95).toBeNull();
    expect(few.change_pct).toBeCloseTo(100, 9);
    const zero = compareSamples({ metric: 'errors', better: 'lower', baseline: [0, 0, 0, 0], current: [3, 4, 5, 6] });
    expect(zero).toMatchObject({ verdict: 'no significant change', change_pct: null, ci95: null });
    expect(zero.reason).toMatch(/baseline median is 0/);
  });
});
