import type { Db } from '../store/db.js';
import { toolCallStats } from '../store/tool-calls.js';

/**
 * Everything performance_report says, read from the store for one time window. Nothing here is
 * estimated: each figure is a stored measurement or computed from stored rows.
 */

export interface RunPoint {
  run_id: number;
  label: string | null;
  at: string;
  unit: 'ms' | 'ns';
  p50: number | null;
  p95: number | null;
  p99: number | null;
  mean: number | null;
  rps: number | null;
}

export interface BenchmarkTrend {
  name: string;
  type: 'http' | 'command' | 'micro';
  runs: number;
  latest: RunPoint;
  /** Change of the headline metric (p95 for HTTP, mean otherwise) from the first run in the window to the latest, in %. */
  trend_pct: number | null;
  points: RunPoint[];
}

export interface ComparisonRow {
  benchmark: string;
  metric: string;
  baseline: number | null;
  current: number | null;
  change_pct: number | null;
  ci95: [number, number] | null;
  verdict: string;
}

export interface ComparisonSummary {
  run_id: number;
  label: string | null;
  baseline_run_id: number;
  baseline_label: string | null;
  at: string;
  regressions: number;
  improvements: number;
  rows: ComparisonRow[];
}

export interface AnalysisSummary {
  id: number;
  component: string | null;
  at: string;
  status: string;
  findings: number;
  top: Array<{ rank: number; title: string; category: string; priority: string; impact_ms: number | null; location: string | null }>;
}

export interface OutcomeSummary {
  at: string;
  source: string;
  technique: string | null;
  improvement: number | null;
  verdict: string | null;
  bottleneck: string | null;
  component: string | null;
}

export interface ModelSummary {
  model_id: string;
  pattern_type: string;
  version: number;
  at: string;
  accuracy: number | null;
  examples: number;
}

export interface TokenTotals {
  requests: number;
  input: number;
  output: number;
  cache_creation: number;
  cache_read: number;
  total: number;
  cost_usd: number;
  cache_hit_ratio: number | null;
}

/**
 * How much one report carries. A timeframe of `all` over months of CI runs would otherwise put
 * every point of every run into one answer (2,000 runs were 660 KB of structuredContent), more
 * than a model should read; the trend and the counts still cover the whole window.
 */
export const REPORT_LIMITS = { benchmarks: 50, points: 100, comparisons: 20, analyses: 20 } as const;

export interface ReportData {
  timeframe: { label: string; from: string; to: string };
  runs: { total: number; completed: number; failed: number; cancelled: number };
  benchmarks: BenchmarkTrend[];
  comparisons: ComparisonSummary[];
  analyses: AnalysisSummary[];
  outcomes: OutcomeSummary[];
  models: ModelSummary[];
  /** LLM token usage in the window (Claude Code transcripts and recorded usage), from token_usage's ledger. */
  tokens: TokenTotals | null;
  /** From the log of every tool call perfsop served: the true values of claude-flow's random fields. */
  tool_calls: {
    tasks_executed: number;
    success_rate: number | null;
    avg_execution_time: number | null;
    by_tool: Array<{ tool: string; calls: number; failures: number; mean_ms: number; max_ms: number }>;
  };
  /** What REPORT_LIMITS left out, oldest first: benchmarks, run points (all benchmarks), comparisons, analyses. */
  omitted: { benchmarks: number; points: number; comparisons: number; analyses: number };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `text` as a LIKE pattern that matches only itself (with ESCAPE '\\'). */
function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

export function gatherReport(db: Db, window: { label: string; from: number; to: number }, component?: string, tokens: TokenTotals | null = null): ReportData {
  const { from, to } = window;
  const runCounts = db
    .prepare('SELECT status, COUNT(*) AS n FROM runs WHERE started_at BETWEEN ? AND ? GROUP BY status')
    .all(from, to) as Array<{ status: string; n: number }>;
  const count = (status: string) => runCounts.find((r) => r.status === status)?.n ?? 0;

  // The component is matched literally: its % and _ are escaped, so "a_b" does not match "axb"
  // and a long run of wildcards cannot make SQLite refuse the pattern as too complex (found by
  // fuzzing). In params it appears JSON-encoded, as the run stored it.
  const componentFilter = component ? " AND (b.name = @component OR b.name LIKE @prefix ESCAPE '\\' OR r.params LIKE @param ESCAPE '\\')" : '';
  const benchRows = db
    .prepare(
      `SELECT r.id AS run_id, r.label, r.started_at, b.name, b.type, b.stats, b.rps
       FROM benchmarks b JOIN runs r ON r.id = b.run_id
       WHERE r.status = 'completed' AND r.started_at BETWEEN @from AND @to${componentFilter}
       ORDER BY r.started_at, r.id`,
    )
    .all({ from, to, component: component ?? null, prefix: `${likeLiteral(component ?? '')}/%`, param: `%"component":${likeLiteral(JSON.stringify(component ?? ''))}%` }) as Array<{
    run_id: number;
    label: string | null;
    started_at: number;
    name: string;
    type: BenchmarkTrend['type'];
    stats: string;
    rps: number | null;
  }>;
  const byName = new Map<string, { type: BenchmarkTrend['type']; points: RunPoint[] }>();
  for (const row of benchRows) {
    const stats = JSON.parse(row.stats) as Record<string, number | null>;
    const point: RunPoint = {
      run_id: row.run_id,
      label: row.label,
      at: iso(row.started_at),
      unit: row.type === 'micro' ? 'ns' : 'ms',
      p50: stats.p50 ?? null,
      p95: stats.p95 ?? null,
      p99: stats.p99 ?? null,
      mean: stats.mean ?? null,
      rps: row.rps,
    };
    const entry = byName.get(row.name) ?? { type: row.type, points: [] };
    entry.points.push(point);
    byName.set(row.name, entry);
  }
  // The benchmarks run most recently, each with its latest points; the trend spans the whole window.
  const trends = [...byName];
  const recent = new Set(
    [...trends]
      .sort(([, a], [, b]) => b.points.at(-1)!.run_id - a.points.at(-1)!.run_id)
      .slice(0, REPORT_LIMITS.benchmarks)
      .map(([name]) => name),
  );
  const benchmarks: BenchmarkTrend[] = trends.filter(([name]) => recent.has(name)).map(([name, { type, points }]) => {
    const headline = (p: RunPoint) => (type === 'http' ? p.p95 : p.mean);
    const first = headline(points[0]!);
    const last = headline(points[points.length - 1]!);
    return {
      name,
      type,
      runs: points.length,
      latest: points[points.length - 1]!,
      trend_pct: points.length > 1 && first && last !== null ? round(((last - first) / first) * 100) : null,
      points: points.slice(-REPORT_LIMITS.points),
    };
  });
  const pointsOmitted = benchRows.length - benchmarks.reduce((sum, b) => sum + b.points.length, 0);

  const comparisonRows = db
    .prepare(
      `SELECT c.run_id, r.label, c.baseline_run_id, b.label AS baseline_label, c.created_at, c.benchmark, c.metric, c.baseline, c.current, c.change_pct, c.ci_low, c.ci_high, c.verdict
       FROM comparisons c JOIN runs r ON r.id = c.run_id JOIN runs b ON b.id = c.baseline_run_id
       WHERE c.created_at BETWEEN ? AND ? ORDER BY c.created_at, c.id`,
    )
    .all(from, to) as Array<{
    run_id: number;
    label: string | null;
    baseline_run_id: number;
    baseline_label: string | null;
    created_at: number;
    benchmark: string;
    metric: string;
    baseline: number | null;
    current: number | null;
    change_pct: number | null;
    ci_low: number | null;
    ci_high: number | null;
    verdict: string;
  }>;
  const byRun = new Map<number, ComparisonSummary>();
  for (const c of comparisonRows) {
    if (component && !c.benchmark.startsWith(component) && !benchmarks.some((b) => b.name === c.benchmark)) continue;
    const summary = byRun.get(c.run_id) ?? {
      run_id: c.run_id,
      label: c.label,
      baseline_run_id: c.baseline_run_id,
      baseline_label: c.baseline_label,
      at: iso(c.created_at),
      regressions: 0,
      improvements: 0,
      rows: [],
    };
    summary.rows.push({ benchmark: c.benchmark, metric: c.metric, baseline: c.baseline, current: c.current, change_pct: c.change_pct, ci95: c.ci_low !== null && c.ci_high !== null ? [c.ci_low, c.ci_high] : null, verdict: c.verdict });
    if (c.verdict === 'regressed') summary.regressions += 1;
    if (c.verdict === 'improved') summary.improvements += 1;
    byRun.set(c.run_id, summary);
  }
  // Regressions first, then newest first.
  const allComparisons = [...byRun.values()].sort((a, b) => Number(b.regressions > 0) - Number(a.regressions > 0) || b.run_id - a.run_id);
  const comparisons = allComparisons.slice(0, REPORT_LIMITS.comparisons);

  const analysisRows = db
    .prepare(
      `SELECT a.id, a.component, a.started_at, a.status, (SELECT COUNT(*) FROM findings f WHERE f.analysis_id = a.id) AS findings
       FROM analyses a WHERE a.started_at BETWEEN ? AND ?${component ? ' AND a.component = ?' : ''} ORDER BY a.started_at DESC, a.id DESC`,
    )
    .all(...(component ? [from, to, component] : [from, to])) as Array<{ id: number; component: string | null; started_at: number; status: string; findings: number }>;
  const topFindings = db.prepare('SELECT rank, title, category, priority, impact_ms, location FROM findings WHERE analysis_id = ? AND rank <= 3 ORDER BY rank');
  const analyses: AnalysisSummary[] = analysisRows.slice(0, REPORT_LIMITS.analyses).map((a) => ({
    id: a.id,
    component: a.component,
    at: iso(a.started_at),
    status: a.status,
    findings: a.findings,
    top: (topFindings.all(a.id) as Array<{ rank: number; title: string; category: string; priority: string; impact_ms: number | null; location: string | null }>).map((f) => ({
      ...f,
      location: f.location ? locationText(f.location) : null,
    })),
  }));

  const outcomeRows = db
    .prepare("SELECT input, output, source, created_at FROM training_examples WHERE pattern_type = 'optimization' AND created_at BETWEEN ? AND ? ORDER BY id DESC LIMIT 50")
    .all(from, to) as Array<{ input: string; output: string; source: string; created_at: number }>;
  const outcomes: OutcomeSummary[] = outcomeRows.map((row) => {
    const input = JSON.parse(row.input) as Record<string, unknown>;
    const output = JSON.parse(row.output) as Record<string, unknown>;
    return {
      at: iso(row.created_at),
      source: row.source,
      technique: typeof output.technique === 'string' ? output.technique : null,
      improvement: typeof output.improvement === 'number' ? output.improvement : null,
      verdict: typeof output.verdict === 'string' ? output.verdict : null,
      bottleneck: typeof input.bottleneck === 'string' ? input.bottleneck : null,
      component: typeof input.component === 'string' ? input.component : null,
    };
  });

  // Every model's latest version, whenever trained: model status is not limited to the window.
  const models = (
    db
      .prepare('SELECT model_id, pattern_type, version, created_at, report FROM models m WHERE version = (SELECT MAX(version) FROM models WHERE pattern_type = m.pattern_type) ORDER BY pattern_type')
      .all() as Array<{ model_id: string; pattern_type: string; version: number; created_at: number; report: string }>
  ).map((m) => {
    const report = JSON.parse(m.report) as { accuracy: number | null; examples: { used: number } };
    return { model_id: m.model_id, pattern_type: m.pattern_type, version: m.version, at: iso(m.created_at), accuracy: report.accuracy, examples: report.examples.used };
  });

  const calls = toolCallStats(db, from, to);
  const executed = calls.reduce((sum, c) => sum + c.calls, 0);
  const failures = calls.reduce((sum, c) => sum + c.failures, 0);
  const totalMs = calls.reduce((sum, c) => sum + c.meanMs * c.calls, 0);
  return {
    timeframe: { label: window.label, from: iso(from), to: iso(to) },
    runs: { total: runCounts.reduce((sum, r) => sum + r.n, 0), completed: count('completed'), failed: count('failed'), cancelled: count('cancelled') },
    benchmarks,
    comparisons,
    analyses,
    outcomes,
    models,
    tokens,
    tool_calls: {
      tasks_executed: executed,
      success_rate: executed ? round((executed - failures) / executed, 4) : null,
      avg_execution_time: executed ? round(totalMs / executed) : null,
      by_tool: calls.map((c) => ({ tool: c.tool, calls: c.calls, failures: c.failures, mean_ms: round(c.meanMs), max_ms: round(c.maxMs) })),
    },
    omitted: {
      benchmarks: trends.length - benchmarks.length,
      points: pointsOmitted,
      comparisons: allComparisons.length - comparisons.length,
      analyses: analysisRows.length - analyses.length,
    },
  };
}

function locationText(json: string): string {
  const l = JSON.parse(json) as { function: string; file: string; line: number };
  return `${l.function} (${l.file}:${l.line})`;
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
