import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { App } from '../app.js';
import { CancelledError, InputError, errorMessage } from '../errors.js';
import { Policy } from '../policy.js';
import { redactRequest } from '../secrets.js';
import { recordOutcomes, techniqueOf, type RecordedOutcome } from '../learn/outcomes.js';
import { RunStore, type RunRecord } from '../store/runs.js';
import { compareWithBaseline, type ComparisonRow } from './compare-runs.js';
import { executeBenchmark, plannedUnits, type BenchmarkOutcome } from './execute.js';
import { gitState } from './git.js';
import { planBenchmarks, type BenchmarkRequest } from './plan.js';
import { checkThresholds, type ThresholdCheck } from './thresholds.js';

export interface BenchmarkRunResult {
  runId: number;
  label: string | null;
  suite: string | null;
  /** False when a threshold failed: CI can gate on it. */
  success: boolean;
  benchmarks: BenchmarkOutcome[];
  baseline: RunRecord | null;
  comparison: ComparisonRow[];
  thresholds: ThresholdCheck[];
  notes: string[];
  git: { commit?: string; dirty?: boolean };
  /** The technique this run tried, when its label or `technique` names one. */
  technique: string | null;
  /** Optimization examples recorded for neural_train from the comparison. */
  outcomes: RecordedOutcome[];
}

export interface RunContext {
  app: App;
  signal: AbortSignal;
  progress(done: number, total: number, message: string): void;
}

/** benchmark_run's engine: plan, measure, store every sample, check thresholds, compare with a baseline. */
export async function runBenchmarks(request: BenchmarkRequest, context: RunContext): Promise<BenchmarkRunResult> {
  const { app } = context;
  const config = app.config;
  const params = redactRequest(request);
  const plan = await planBenchmarks(request, config, new Policy(config.policy));
  const store = new RunStore(app.db);

  // Resolve the baseline before measuring anything: a typo should cost nothing.
  const baseline = request.baseline === undefined ? null : (store.findBaseline(request.baseline, plan.suite ? { suite: plan.suite } : {}) ?? null);
  if (request.baseline !== undefined && !baseline) {
    throw new InputError('baseline', `no completed run with id or label "${request.baseline}"`, 'run benchmark_run with label "before" (or any label) first, then pass that label or the run_id as baseline');
  }

  const git = await gitState(plan.workDir);
  const startedAt = Date.now();
  const runId = store.createRun({
    ...(request.label ? { label: request.label } : {}),
    ...(plan.suite ? { suite: plan.suite } : {}),
    params,
    ...(git.commit ? { gitCommit: git.commit, gitDirty: git.dirty ?? false } : {}),
    cwd: plan.workDir,
    host: { node: process.version, platform: process.platform, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', loadavg: loadavg() },
  });

  const total = plan.benchmarks.reduce((sum, b) => sum + plannedUnits(b), 0);
  let done = 0;
  const tick = (message: string) => context.progress(++done, Math.max(total, done), message);
  const outcomes: BenchmarkOutcome[] = [];
  const thresholds: ThresholdCheck[] = [];
  const notes = [...plan.notes];
  try {
    for (const planned of plan.benchmarks) {
      for (const outcome of await executeBenchmark(planned, { signal: context.signal, runDir: join(app.artifactsDir, `run-${runId}`), baseDir: config.baseDir, maxArtifactBytes: config.policy.maxArtifactBytes, tick })) {
        const checks = checkThresholds(outcome.name, planned.thresholds, outcome.figures);
        store.addBenchmark(runId, { ...outcome.record, thresholds: checks }, outcome.samples);
        outcomes.push(outcome);
        thresholds.push(...checks);
      }
    }
  } catch (error) {
    const cancelled = error instanceof CancelledError || context.signal.aborted;
    store.finishRun(runId, cancelled ? 'cancelled' : 'failed', errorMessage(error));
    throw error;
  }

  let comparison: ComparisonRow[] = [];
  let outcomesRecorded: RecordedOutcome[] = [];
  const technique = techniqueOf(request) ?? null;
  if (baseline) {
    const noise = new Map(plan.benchmarks.map((b) => [b.name, b.noisePct]));
    const compared = compareWithBaseline(store, baseline.id, outcomes, (name) => noise.get(name) ?? noise.get(name.split('/')[0]!));
    comparison = compared.rows;
    notes.push(...compared.notes);
    store.addComparisons(
      runId,
      baseline.id,
      comparison.map((row) => ({
        benchmark: row.name,
        metric: row.metric,
        baseline: row.baseline,
        current: row.current,
        changePct: row.change_pct,
        ciLow: row.ci95?.[0] ?? null,
        ciHigh: row.ci95?.[1] ?? null,
        verdict: row.verdict,
      })),
    );
    if (technique) {
      const components = new Map(plan.benchmarks.map((b) => [b.name, b.type === 'http' ? b.component?.name : undefined]));
      outcomesRecorded = recordOutcomes(app, technique, baseline, startedAt, comparison, (name) => components.get(name) ?? components.get(name.split('/')[0]!));
    }
  }
  store.finishRun(runId, 'completed');
  return {
    runId,
    label: request.label ?? null,
    suite: plan.suite ?? null,
    success: thresholds.every((t) => t.passed),
    benchmarks: outcomes,
    baseline,
    comparison,
    thresholds,
    notes,
    git,
    technique,
    outcomes: outcomesRecorded,
  };
}
