import { redact, redactDeep } from '../secrets.js';
import type { Db } from './db.js';

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';
export type BenchmarkType = 'http' | 'command' | 'micro';

export interface RunRecord {
  id: number;
  label: string | null;
  suite: string | null;
  status: RunStatus;
  startedAt: number;
  finishedAt: number | null;
  gitCommit: string | null;
  gitDirty: boolean | null;
  cwd: string | null;
  params: Record<string, unknown>;
  host: Record<string, unknown>;
  error: string | null;
}

export interface BenchmarkRecord {
  name: string;
  type: BenchmarkType;
  target: string | null;
  stats: Record<string, number | null>;
  rps: number | null;
  throughputBps: number | null;
  requests: number | null;
  errors: number | null;
  timeouts: number | null;
  non2xx: number | null;
  durationS: number | null;
  iterations: number | null;
  histogram: unknown;
  thresholds: unknown;
  notes: string[];
  extra: unknown;
}

export interface StoredBenchmark extends BenchmarkRecord {
  id: number;
  runId: number;
}

export interface Sample {
  unit: 'second' | 'iteration' | 'round';
  metric: string;
  seq: number;
  value: number | null;
}

export interface ComparisonRecord {
  benchmark: string;
  metric: string;
  baseline: number | null;
  current: number | null;
  changePct: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  verdict: string;
}

interface RunRow {
  id: number;
  label: string | null;
  suite: string | null;
  status: RunStatus;
  started_at: number;
  finished_at: number | null;
  git_commit: string | null;
  git_dirty: number | null;
  cwd: string | null;
  params: string;
  host: string;
  error: string | null;
}

/** Benchmark runs, their benchmarks and every sample, kept so later runs and reports can compare and trend. */
export class RunStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  createRun(run: { label?: string; suite?: string; params: object; gitCommit?: string; gitDirty?: boolean; cwd?: string; host: object }): number {
    const result = this.db
      .prepare(
        `INSERT INTO runs (label, suite, status, started_at, git_commit, git_dirty, cwd, params, host)
         VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        run.label ?? null,
        run.suite ?? null,
        this.now(),
        run.gitCommit ?? null,
        run.gitDirty === undefined ? null : Number(run.gitDirty),
        run.cwd ?? null,
        JSON.stringify(redactDeep(run.params)),
        JSON.stringify(run.host),
      );
    return Number(result.lastInsertRowid);
  }

  finishRun(id: number, status: Exclude<RunStatus, 'running'>, error?: string): void {
    this.db.prepare('UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE id = ?').run(status, this.now(), error === undefined ? null : redact(error), id);
  }

  /** A benchmark and all its samples, in one transaction: a crash never leaves half a benchmark. */
  addBenchmark(runId: number, benchmark: BenchmarkRecord, samples: readonly Sample[]): number {
    const insertSample = this.db.prepare('INSERT INTO samples (benchmark_id, unit, metric, seq, value) VALUES (?, ?, ?, ?, ?)');
    return this.db.transaction(() => {
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO benchmarks (run_id, name, type, target, stats, rps, throughput_bps, requests, errors, timeouts, non2xx,
                                   duration_s, iterations, histogram, thresholds, notes, extra)
           VALUES (@runId, @name, @type, @target, @stats, @rps, @throughputBps, @requests, @errors, @timeouts, @non2xx,
                   @durationS, @iterations, @histogram, @thresholds, @notes, @extra)`,
        )
        .run({
          ...redactDeep(benchmark),
          runId,
          stats: JSON.stringify(benchmark.stats),
          histogram: json(benchmark.histogram),
          thresholds: json(benchmark.thresholds),
          notes: JSON.stringify(benchmark.notes),
          extra: json(benchmark.extra),
        });
      const id = Number(lastInsertRowid);
      for (const s of samples) insertSample.run(id, s.unit, s.metric, s.seq, Number.isFinite(s.value) ? s.value : null);
      return id;
    })();
  }

  addComparisons(runId: number, baselineRunId: number, rows: readonly ComparisonRecord[]): void {
    const insert = this.db.prepare(
      `INSERT INTO comparisons (run_id, baseline_run_id, benchmark, metric, baseline, current, change_pct, ci_low, ci_high, verdict, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const now = this.now();
    this.db.transaction(() => {
      for (const r of rows) insert.run(runId, baselineRunId, r.benchmark, r.metric, r.baseline, r.current, r.changePct, r.ciLow, r.ciHigh, r.verdict, now);
    })();
  }

  getRun(id: number): RunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row && toRun(row);
  }

  /**
   * A baseline named by run id or by label. A label means the newest completed run with that
   * label, preferring one of the same suite, and never the run being compared.
   */
  findBaseline(reference: string, options: { suite?: string; excludeRunId?: number } = {}): RunRecord | undefined {
    if (/^\d+$/.test(reference)) {
      const run = this.getRun(Number(reference));
      return run && run.id !== options.excludeRunId ? run : undefined;
    }
    const row = this.db
      .prepare(
        `SELECT * FROM runs WHERE label = ? AND status = 'completed' AND id != ?
         ORDER BY (suite IS ?) DESC, started_at DESC, id DESC LIMIT 1`,
      )
      .get(reference, options.excludeRunId ?? -1, options.suite ?? null) as RunRow | undefined;
    return row && toRun(row);
  }

  /** The newest runs, for resources/list. */
  recentRuns(limit: number): RunRecord[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?').all(limit) as RunRow[]).map(toRun);
  }

  comparisonsOf(runId: number): Array<ComparisonRecord & { baselineRunId: number }> {
    return this.db
      .prepare(
        `SELECT benchmark, metric, baseline, current, change_pct AS changePct, ci_low AS ciLow, ci_high AS ciHigh, verdict, baseline_run_id AS baselineRunId
         FROM comparisons WHERE run_id = ? ORDER BY id`,
      )
      .all(runId) as Array<ComparisonRecord & { baselineRunId: number }>;
  }

  benchmarksOf(runId: number): StoredBenchmark[] {
    const rows = this.db.prepare('SELECT * FROM benchmarks WHERE run_id = ? ORDER BY id').all(runId) as Array<Record<string, unknown>>;
    return rows.map((row) => ({
      id: row.id as number,
      runId: row.run_id as number,
      name: row.name as string,
      type: row.type as BenchmarkType,
      target: row.target as string | null,
      stats: JSON.parse(row.stats as string) as Record<string, number | null>,
      rps: row.rps as number | null,
      throughputBps: row.throughput_bps as number | null,
      requests: row.requests as number | null,
      errors: row.errors as number | null,
      timeouts: row.timeouts as number | null,
      non2xx: row.non2xx as number | null,
      durationS: row.duration_s as number | null,
      iterations: row.iterations as number | null,
      histogram: parseJson(row.histogram),
      thresholds: parseJson(row.thresholds),
      notes: JSON.parse(row.notes as string) as string[],
      extra: parseJson(row.extra),
    }));
  }

  /** Sample values of one benchmark by metric, in sequence order. */
  samplesOf(benchmarkId: number): Map<string, number[]> {
    const rows = this.db
      .prepare('SELECT metric, value FROM samples WHERE benchmark_id = ? AND value IS NOT NULL ORDER BY metric, seq')
      .all(benchmarkId) as Array<{ metric: string; value: number }>;
    const byMetric = new Map<string, number[]>();
    for (const row of rows) {
      const list = byMetric.get(row.metric) ?? [];
      list.push(row.value);
      byMetric.set(row.metric, list);
    }
    return byMetric;
  }
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    label: row.label,
    suite: row.suite,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    gitCommit: row.git_commit,
    gitDirty: row.git_dirty === null ? null : row.git_dirty === 1,
    cwd: row.cwd,
    params: JSON.parse(row.params) as Record<string, unknown>,
    host: JSON.parse(row.host) as Record<string, unknown>,
    error: row.error,
  };
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : null;
}
