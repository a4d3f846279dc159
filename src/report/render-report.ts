import { formatFigure as f, formatInteger as n, formatUsd } from '../format.js';
import type { ReportData, RunPoint } from './report-data.js';

/**
 * performance_report's text: `summary` is a few lines an LLM can read at a glance (about 300
 * tokens); `detailed` adds a table per benchmark, every comparison row and every finding listed.
 * Regressions come first because they are what needs attention.
 */

export function isEmpty(data: ReportData): boolean {
  return data.runs.total === 0 && data.analyses.length === 0 && data.outcomes.length === 0 && data.comparisons.length === 0 && !data.tokens?.requests;
}

/** What REPORT_LIMITS left out of this report, and how to see it; undefined when nothing was. */
export function omittedNote(data: ReportData): string | undefined {
  const { benchmarks, points, comparisons, analyses } = data.omitted;
  const parts = [
    benchmarks && `${benchmarks} benchmark(s) not run recently`,
    points && `${points} older run point(s)`,
    comparisons && `${comparisons} older comparison(s)`,
    analyses && `${analyses} older analysis(es)`,
  ].filter(Boolean);
  if (parts.length === 0) return undefined;
  return `left out to keep this report readable: ${parts.join(', ')} (trends and counts still cover the whole timeframe); a shorter \`timeframe\` or a \`component\` shows them`;
}

export function emptyReport(data: ReportData): string {
  return [
    `Nothing measured in ${data.timeframe.label} (${data.timeframe.from} to ${data.timeframe.to}): no benchmark runs, analyses or recorded outcomes.`,
    'Start with `benchmark_run` (e.g. {"suite":"performance-validation","label":"before"}) for a baseline, then `bottleneck_analyze` ({"component":"checkout-service"}); or widen `timeframe` (7d, 30d).',
  ].join('\n');
}

export function summaryLines(data: ReportData): string[] {
  const lines: string[] = [`Performance report, ${data.timeframe.label}: ${data.runs.completed} benchmark run(s) completed${data.runs.failed ? `, ${data.runs.failed} failed` : ''}, ${data.analyses.length + data.omitted.analyses} analysis(es).`];
  const regressed = data.comparisons.filter((c) => c.regressions > 0);
  for (const c of regressed.slice(0, 3)) {
    const rows = c.rows.filter((r) => r.verdict === 'regressed').map((r) => `${r.benchmark} ${r.metric} ${signed(r.change_pct)}%`);
    lines.push(`REGRESSION in run ${c.run_id}${c.label ? ` (${c.label})` : ''} vs ${c.baseline_run_id}${c.baseline_label ? ` (${c.baseline_label})` : ''}: ${rows.join(', ')}.`);
  }
  for (const b of data.benchmarks.slice(0, 5)) {
    const p = b.latest;
    const trend = b.trend_pct === null ? '' : `, ${b.type === 'http' ? 'p95' : 'mean'} ${signed(b.trend_pct)}% over ${b.runs} runs`;
    lines.push(`- ${b.name}: ${pointText(p, b.type)}${trend}.`);
  }
  const more = data.benchmarks.length + data.omitted.benchmarks - 5;
  if (more > 0) lines.push(`- ... and ${more} more benchmark(s) (format detailed).`);
  const latestComparison = data.comparisons.find((c) => c.regressions === 0);
  if (latestComparison) {
    const headline = latestComparison.rows.filter((r) => r.metric === 'p95' || r.metric === 'mean' || r.metric === 'rps').slice(0, 3);
    lines.push(
      `Latest before/after: run ${latestComparison.run_id}${latestComparison.label ? ` (${latestComparison.label})` : ''} vs ${latestComparison.baseline_run_id}${latestComparison.baseline_label ? ` (${latestComparison.baseline_label})` : ''}: ` +
        headline.map((r) => `${r.benchmark} ${r.metric} ${signed(r.change_pct)}% ${r.verdict}`).join(', ') + '.',
    );
  }
  const analysis = data.analyses.find((a) => a.status === 'completed');
  if (analysis) {
    lines.push(`Latest analysis ${analysis.id} (${analysis.component ?? 'profile'}): ${analysis.findings} finding(s)${analysis.top.length ? `; top: ${analysis.top.map((f) => `${f.title} [${f.priority}]`).join('; ')}` : ''}.`);
  }
  if (data.outcomes.length) {
    const shown = data.outcomes.slice(0, 3).map((o) => `${o.technique ?? '?'} ${o.improvement === null ? '' : `${signed(Math.round(o.improvement * 1000) / 10)}%`}`.trim());
    lines.push(`Optimization outcomes recorded: ${data.outcomes.length} (latest: ${shown.join(', ')}).`);
  }
  if (data.models.length) lines.push(`Models: ${data.models.map((m) => `${m.model_id} (${m.accuracy === null ? 'not validated' : `held-out accuracy ${Math.round(m.accuracy * 1000) / 10}%`}, ${m.examples} examples)`).join(', ')}.`);
  const k = data.tokens;
  if (k?.requests) {
    lines.push(
      `LLM tokens: ${n(k.total)} in ${n(k.requests)} call(s) (input ${n(k.input)}, output ${n(k.output)}, cache writes ${n(k.cache_creation)}, cache reads ${n(k.cache_read)}), ${formatUsd(k.cost_usd)}` +
        `${k.cache_hit_ratio === null ? '' : `, cache hit ratio ${Math.round(k.cache_hit_ratio * 100)}%`} (token_usage for the breakdown).`,
    );
  }
  const t = data.tool_calls;
  if (t.tasks_executed) lines.push(`Tool calls: ${t.tasks_executed} executed, success rate ${Math.round((t.success_rate ?? 0) * 1000) / 10}%, mean ${f(t.avg_execution_time)} ms.`);
  return lines;
}

export function pointText(p: RunPoint, type: string): string {
  if (type === 'http') return `p50 ${f(p.p50)} ms, p95 ${f(p.p95)} ms, p99 ${f(p.p99)} ms, ${f(p.rps)} req/s (run ${p.run_id}${p.label ? `, ${p.label}` : ''})`;
  return `mean ${f(p.mean)} ${p.unit}, p95 ${f(p.p95)} ${p.unit} (run ${p.run_id}${p.label ? `, ${p.label}` : ''})`;
}

export function signed(x: number | null): string {
  if (x === null) return '?';
  return `${x > 0 ? '+' : ''}${Math.round(x * 10) / 10}`;
}

/** `detailed` / `markdown`: the summary, then a table per benchmark, the comparisons and the findings. */
export function detailedSections(data: ReportData): Array<{ title: string; headers: string[]; rows: Array<Array<string | number | null>> }> {
  const sections: Array<{ title: string; headers: string[]; rows: Array<Array<string | number | null>> }> = [];
  for (const b of data.benchmarks) {
    sections.push({
      title: `${b.name} (${b.type}), ${b.runs} run(s)`,
      headers: b.type === 'http' ? ['run', 'label', 'at', 'p50 ms', 'p95 ms', 'p99 ms', 'req/s'] : ['run', 'label', 'at', `mean ${b.latest.unit}`, `p95 ${b.latest.unit}`],
      rows: b.points.map((p) =>
        b.type === 'http' ? [p.run_id, p.label, p.at.slice(0, 19), f(p.p50), f(p.p95), f(p.p99), f(p.rps)] : [p.run_id, p.label, p.at.slice(0, 19), f(p.mean), f(p.p95)],
      ),
    });
  }
  for (const c of data.comparisons) {
    sections.push({
      title: `Run ${c.run_id}${c.label ? ` (${c.label})` : ''} vs baseline ${c.baseline_run_id}${c.baseline_label ? ` (${c.baseline_label})` : ''}: ${c.improvements} improved, ${c.regressions} regressed`,
      headers: ['benchmark', 'metric', 'baseline', 'current', 'change %', '95% CI %', 'verdict'],
      rows: c.rows.map((r) => [r.benchmark, r.metric, f(r.baseline), f(r.current), signed(r.change_pct), r.ci95 ? `${signed(r.ci95[0])} to ${signed(r.ci95[1])}` : '-', r.verdict]),
    });
  }
  for (const a of data.analyses) {
    sections.push({
      title: `Analysis ${a.id} of ${a.component ?? 'a profile'} (${a.status}, ${a.at.slice(0, 19)}): ${a.findings} finding(s)`,
      headers: ['#', 'priority', 'category', 'finding', 'ms/request', 'where'],
      rows: a.top.map((f) => [f.rank, f.priority, f.category, f.title, f.impact_ms, f.location]),
    });
  }
  if (data.outcomes.length) {
    sections.push({
      title: 'Optimization outcomes recorded',
      headers: ['at', 'technique', 'improvement', 'verdict', 'bottleneck', 'source'],
      rows: data.outcomes.map((o) => [o.at.slice(0, 19), o.technique, o.improvement === null ? null : `${signed(Math.round(o.improvement * 1000) / 10)}%`, o.verdict, o.bottleneck, o.source]),
    });
  }
  if (data.tool_calls.by_tool.length) {
    sections.push({ title: 'Tool calls', headers: ['tool', 'calls', 'failures', 'mean ms', 'max ms'], rows: data.tool_calls.by_tool.map((t) => [t.tool, t.calls, t.failures, t.mean_ms, t.max_ms]) });
  }
  return sections;
}
