import { compareSamples, noiseFloor, type Better, type Verdict } from '../stats/compare.js';
import type { BootstrapStatistic } from '../stats/bootstrap.js';
import { mean, median } from '../stats/descriptive.js';
import type { RunStore, StoredBenchmark } from '../store/runs.js';
import type { BenchmarkOutcome } from './execute.js';

export interface ComparisonRow {
  name: string;
  metric: string;
  baseline: number | null;
  current: number | null;
  change_pct: number | null;
  ci95: [number, number] | null;
  verdict: Verdict;
  reason: string;
}

interface MetricSpec {
  metric: string;
  /** The per-unit sample series the comparison rests on. */
  samples: string;
  better: Better;
  statistic: BootstrapStatistic;
  /** Per-second series are autocorrelated; timed runs and rounds are independent. */
  block: 'auto' | 1;
}

const HTTP: MetricSpec[] = [
  { metric: 'p50', samples: 'p50', better: 'lower', statistic: 'median', block: 'auto' },
  { metric: 'p95', samples: 'p95', better: 'lower', statistic: 'median', block: 'auto' },
  { metric: 'p99', samples: 'p99', better: 'lower', statistic: 'median', block: 'auto' },
  { metric: 'rps', samples: 'rps', better: 'higher', statistic: 'mean', block: 'auto' },
];
const COMMAND: MetricSpec[] = [{ metric: 'mean', samples: 'wall_ms', better: 'lower', statistic: 'mean', block: 1 }];
const MICRO: MetricSpec[] = [{ metric: 'mean', samples: 'ns_per_op', better: 'lower', statistic: 'mean', block: 1 }];

const METRICS = { http: HTTP, command: COMMAND, micro: MICRO };

/**
 * Compares each benchmark of this run with the same-named benchmark of the baseline run, metric by
 * metric, on samples that carry run-to-run noise (seconds, timed runs, rounds), never on single
 * requests: their interval would be far narrower than the difference between two runs of the same code.
 */
export function compareWithBaseline(
  store: RunStore,
  baselineRunId: number,
  outcomes: readonly BenchmarkOutcome[],
  noisePct: (name: string) => number | undefined,
): { rows: ComparisonRow[]; notes: string[] } {
  const stored = store.benchmarksOf(baselineRunId);
  const baseline = new Map(stored.map((b) => [b.name, b]));
  const rows: ComparisonRow[] = [];
  const notes: string[] = [];
  // One benchmark on each side is compared whatever its name: the usual before/after of one
  // endpoint, perhaps served by another variant at another address.
  const only = stored.length === 1 && outcomes.length === 1 ? stored[0] : undefined;
  for (const outcome of outcomes) {
    const before = baseline.get(outcome.name) ?? only;
    if (before && before.name !== outcome.name) notes.push(`compared "${outcome.name}" with "${before.name}", the only benchmark of run ${baselineRunId}`);
    if (!before) {
      notes.push(`baseline run ${baselineRunId} has no benchmark "${outcome.name}"; nothing to compare it with`);
      continue;
    }
    if (before.type !== outcome.type) {
      notes.push(`"${outcome.name}" was a ${before.type} benchmark in run ${baselineRunId} and is ${outcome.type} now; not compared`);
      continue;
    }
    rows.push(...compareOne(store, before, outcome, noisePct(outcome.name)));
  }
  return { rows, notes };
}

/**
 * Each core's worth of difference in what other processes did during the two runs can explain up to
 * a 100% change on its own (measured: a busy neighbour on a 2-core machine moved the p99 of an
 * unchanged service by 67% and its req/s by 10%), so the noise floor rises by that much.
 */
const FLOOR_PER_CORE = 100;
const CONTENTION_DELTA = 0.2;

function backgroundCores(extra: unknown): number | undefined {
  const cores = (extra as { machine?: { otherCores?: unknown } } | null)?.machine?.otherCores;
  return typeof cores === 'number' ? cores : undefined;
}

function compareOne(store: RunStore, before: StoredBenchmark, outcome: BenchmarkOutcome, noisePct: number | undefined): ComparisonRow[] {
  const beforeSamples = store.samplesOf(before.id);
  const currentSamples = groupSamples(outcome);
  const then = backgroundCores(before.extra);
  const now = backgroundCores(outcome.record.extra);
  const delta = then !== undefined && now !== undefined ? Math.abs(now - then) : 0;
  const raise = delta >= CONTENTION_DELTA ? FLOOR_PER_CORE * delta : 0;
  return METRICS[outcome.type].map((spec) => {
    const baseline = beforeSamples.get(spec.samples) ?? [];
    const current = currentSamples.get(spec.samples) ?? [];
    const comparison = compareSamples({
      metric: spec.metric,
      better: spec.better,
      baseline,
      current,
      statistic: spec.statistic,
      blockLength: spec.block,
      noisePct: noiseFloor(spec.metric, noisePct) + raise,
    });
    const reason =
      raise > 0
        ? `${comparison.reason} (the floor is raised by ${Math.round(raise)} points: other processes kept ${then!.toFixed(2)} cores busy during the baseline and ${now!.toFixed(2)} now; rerun both on a quiet machine)`
        : comparison.reason;
    return {
      name: outcome.name,
      metric: spec.metric,
      // The same statistic of the same samples the change and its interval come from, so the
      // three figures always agree (the run's overall percentiles can differ slightly).
      baseline: baseline.length ? statistic(spec.statistic, baseline) : null,
      current: current.length ? statistic(spec.statistic, current) : null,
      change_pct: comparison.change_pct,
      ci95: comparison.ci95,
      verdict: comparison.verdict,
      reason,
    };
  });
}

function groupSamples(outcome: BenchmarkOutcome): Map<string, number[]> {
  const byMetric = new Map<string, number[]>();
  for (const sample of [...outcome.samples].sort((a, b) => a.seq - b.seq)) {
    if (sample.value === null || !Number.isFinite(sample.value)) continue;
    const list = byMetric.get(sample.metric) ?? [];
    list.push(sample.value);
    byMetric.set(sample.metric, list);
  }
  return byMetric;
}

function statistic(kind: BootstrapStatistic, xs: readonly number[]): number {
  return kind === 'mean' ? mean(xs) : median(xs);
}
