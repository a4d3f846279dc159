import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '../app.js';
import { formatFigure } from '../format.js';
import { AnalysisStore } from '../store/analyses.js';
import type { ReportData } from './report-data.js';
import { detailedSections, summaryLines } from './render-report.js';

/**
 * The report as one self-contained HTML file: inline SVG charts (latency over runs, before/after
 * bars, the top findings by cost), the summary and the tables. No script and no external asset,
 * so it opens offline and in any browser or file preview.
 */
export function writeHtmlReport(app: App, data: ReportData, now: number): string {
  const dir = join(app.artifactsDir, 'reports');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `report-${new Date(now).toISOString().replace(/[:.]/g, '-')}.html`);
  writeFileSync(path, renderHtml(data));
  new AnalysisStore(app.db).addArtifact('report', 0, 'report', path, 'text/html');
  return path;
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

export function renderHtml(data: ReportData): string {
  const charts = [...latencyCharts(data), beforeAfterChart(data), findingsChart(data)].filter((c): c is string => c !== undefined);
  const tables = detailedSections(data)
    .map((s) => `<h3>${esc(s.title)}</h3><table><tr>${s.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${s.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c === null ? '-' : String(c))}</td>`).join('')}</tr>`).join('')}</table>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>perfsop report, ${esc(data.timeframe.label)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111;background:#fff}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px;margin:18px 0 6px}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid #ddd;border-radius:6px;padding:8px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f3f4f6}
ul{padding-left:18px}
</style></head><body>
<h1>perfsop performance report</h1>
<p>${esc(data.timeframe.label)}: ${esc(data.timeframe.from)} to ${esc(data.timeframe.to)}</p>
<ul>${summaryLines(data).map((l) => `<li>${esc(l.replace(/^- /, ''))}</li>`).join('')}</ul>
<h2>Charts</h2><div class="charts">${charts.join('\n') || '<p>Nothing to chart in this timeframe.</p>'}</div>
<h2>Details</h2>
${tables}
</body></html>
`;
}

/** One line chart per HTTP benchmark: p50, p95 and p99 across its runs. */
function latencyCharts(data: ReportData): string[] {
  return data.benchmarks
    .filter((b) => b.type === 'http' && b.points.length > 0)
    .slice(0, 6)
    .map((b) => {
      const series = (['p50', 'p95', 'p99'] as const).map((metric, i) => ({ name: metric, color: COLORS[i]!, values: b.points.map((p) => p[metric]) }));
      return lineChart(`${b.name}: latency over runs (ms)`, b.points.map((p) => String(p.run_id)), series);
    });
}

function beforeAfterChart(data: ReportData): string | undefined {
  const comparison = data.comparisons[0];
  if (!comparison) return undefined;
  // One benchmark's latencies, so the bars share a unit and a scale (the first one compared).
  const benchmark = comparison.rows.find((r) => r.baseline !== null && r.current !== null)?.benchmark;
  const rows = comparison.rows.filter((r) => r.benchmark === benchmark && ['p50', 'p95', 'p99', 'mean'].includes(r.metric) && r.baseline !== null && r.current !== null).slice(0, 6);
  if (rows.length === 0) return undefined;
  const width = 420;
  const height = 220;
  const max = Math.max(...rows.flatMap((r) => [r.baseline!, r.current!])) || 1;
  const slot = (width - 60) / rows.length;
  const bars = rows
    .map((r, i) => {
      const x = 50 + i * slot;
      const h1 = ((height - 60) * r.baseline!) / max;
      const h2 = ((height - 60) * r.current!) / max;
      return `<rect x="${x + 4}" y="${height - 30 - h1}" width="${slot / 2 - 6}" height="${h1}" fill="${COLORS[1]}"><title>${esc(`${r.benchmark} ${r.metric} before ${r.baseline}`)}</title></rect>` +
        `<rect x="${x + slot / 2}" y="${height - 30 - h2}" width="${slot / 2 - 6}" height="${h2}" fill="${COLORS[2]}"><title>${esc(`${r.benchmark} ${r.metric} after ${r.current} (${r.verdict})`)}</title></rect>` +
        `<text x="${x + slot / 2}" y="${height - 14}" font-size="11" text-anchor="middle">${esc(r.metric)}</text>`;
    })
    .join('');
  const title = `${benchmark}: before (run ${comparison.baseline_run_id}) / after (run ${comparison.run_id}), ms`;
  return svg(title, width, height, `${axes(width, height)}${bars}${legend([['before', COLORS[1]!], ['after', COLORS[2]!]], width)}`);
}

function findingsChart(data: ReportData): string | undefined {
  // The analysis with the costliest finding in the window: where the time went before any fix.
  const topImpact = (a: ReportData['analyses'][number]) => Math.max(0, ...a.top.map((f) => f.impact_ms ?? 0));
  const analysis = [...data.analyses].sort((a, b) => topImpact(b) - topImpact(a)).find((a) => topImpact(a) > 0);
  if (!analysis) return undefined;
  const rows = analysis.top.filter((f) => f.impact_ms !== null);
  const width = 560;
  const height = 40 + rows.length * 34;
  const max = Math.max(...rows.map((f) => f.impact_ms!)) || 1;
  const bars = rows
    .map((f, i) => {
      const w = ((width - 260) * f.impact_ms!) / max;
      const y = 30 + i * 34;
      return `<text x="6" y="${y + 14}" font-size="11">${esc(short(f.title, 32))}</text><rect x="190" y="${y}" width="${Math.max(1, w)}" height="20" fill="${COLORS[i % COLORS.length]}"><title>${esc(`${f.title}: ${f.impact_ms} ms/request`)}</title></rect><text x="${194 + w}" y="${y + 14}" font-size="11">${formatFigure(f.impact_ms)} ms</text>`;
    })
    .join('');
  return svg(`Analysis ${analysis.id} (${analysis.component ?? 'profile'}): top findings, ms per request`, width, height, bars);
}

function lineChart(title: string, labels: string[], series: Array<{ name: string; color: string; values: Array<number | null> }>): string {
  const width = 420;
  const height = 220;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = Math.max(...all, 0) || 1;
  const x = (i: number) => 50 + (labels.length === 1 ? (width - 70) / 2 : (i * (width - 70)) / (labels.length - 1));
  const y = (v: number) => height - 30 - ((height - 60) * v) / max;
  const lines = series
    .map((s) => {
      const points = s.values.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter((p): p is string => p !== null);
      const dots = points.map((p) => `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${s.color}"/>`).join('');
      return `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.join(' ')}"/>${dots}`;
    })
    .join('');
  const ticks = labels.map((l, i) => `<text x="${x(i)}" y="${height - 14}" font-size="10" text-anchor="middle">${esc(l)}</text>`).join('');
  const scale = `<text x="46" y="${y(max) + 4}" font-size="10" text-anchor="end">${round(max)}</text><text x="46" y="${height - 26}" font-size="10" text-anchor="end">0</text>`;
  return svg(title, width, height, `${axes(width, height)}${lines}${ticks}${scale}${legend(series.map((s) => [s.name, s.color]), width)}`);
}

function svg(title: string, width: number, height: number, body: string): string {
  return `<figure class="chart"><figcaption>${esc(title)}</figcaption><svg data-chart xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body}</svg></figure>`;
}

function axes(width: number, height: number): string {
  return `<line x1="50" y1="20" x2="50" y2="${height - 30}" stroke="#999"/><line x1="50" y1="${height - 30}" x2="${width - 10}" y2="${height - 30}" stroke="#999"/>`;
}

function legend(items: Array<[string, string]>, width: number): string {
  return items.map(([name, color], i) => `<rect x="${width - 90}" y="${6 + i * 14}" width="10" height="10" fill="${color}"/><text x="${width - 76}" y="${15 + i * 14}" font-size="11">${esc(name)}</text>`).join('');
}

function short(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function round(x: number): string {
  return x >= 100 ? String(Math.round(x)) : String(Math.round(x * 10) / 10);
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
