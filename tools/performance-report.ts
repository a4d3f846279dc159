import { z } from 'zod';
import { REPORT_LIMITS, gatherReport } from '../src/report/report-data.js';
import { detailedSections, emptyReport, isEmpty, omittedNote, summaryLines } from '../src/report/render-report.js';
import { artifactUri } from '../src/resources.js';
import { Calendar, resolveTimeframe } from '../src/tokens/timeframe.js';
import { defineTool } from '../src/tooling/define-tool.js';

const FORMATS = ['summary', 'detailed', 'json', 'markdown', 'html'] as const;

const input = z.object({
  format: z.enum(FORMATS).default('summary').describe('summary (a few lines), detailed / markdown (tables per benchmark, the comparisons and findings), json (all of it as data in structuredContent), html (a self-contained file with charts, returned as a resource link).'),
  timeframe: z.string().default('24h').describe('How far back: 24h (default), 7d, 30d, any <n>h, <n>d or <n>w, or all.'),
  // Bounded: SQLite refuses LIKE patterns past 50,000 bytes, and no configured name is that long.
  component: z.string().min(1).max(1000).optional().describe('Only this component\'s benchmarks, comparisons and analyses.'),
});

const point = z.object({
  run_id: z.number().int(),
  label: z.string().nullable(),
  at: z.string(),
  unit: z.enum(['ms', 'ns']),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  mean: z.number().nullable(),
  rps: z.number().nullable(),
});

const output = z.object({
  success: z.boolean(),
  format: z.enum(FORMATS),
  empty: z.boolean().describe('nothing was stored in the timeframe'),
  timeframe: z.object({ label: z.string(), from: z.string(), to: z.string() }),
  runs: z.object({ total: z.number().int(), completed: z.number().int(), failed: z.number().int(), cancelled: z.number().int() }),
  benchmarks: z.array(z.object({ name: z.string(), type: z.enum(['http', 'command', 'micro']), runs: z.number().int(), latest: point, trend_pct: z.number().nullable(), points: z.array(point) })),
  comparisons: z.array(
    z.object({
      run_id: z.number().int(),
      label: z.string().nullable(),
      baseline_run_id: z.number().int(),
      baseline_label: z.string().nullable(),
      at: z.string(),
      regressions: z.number().int(),
      improvements: z.number().int(),
      rows: z.array(z.object({ benchmark: z.string(), metric: z.string(), baseline: z.number().nullable(), current: z.number().nullable(), change_pct: z.number().nullable(), ci95: z.array(z.number()).length(2).nullable().describe('[low, high] percent'), verdict: z.string() })),
    }),
  ),
  analyses: z.array(
    z.object({
      id: z.number().int(),
      component: z.string().nullable(),
      at: z.string(),
      status: z.string(),
      findings: z.number().int(),
      top: z.array(z.object({ rank: z.number().int(), title: z.string(), category: z.string(), priority: z.string(), impact_ms: z.number().nullable(), location: z.string().nullable() })),
    }),
  ),
  outcomes: z.array(z.object({ at: z.string(), source: z.string(), technique: z.string().nullable(), improvement: z.number().nullable(), verdict: z.string().nullable(), bottleneck: z.string().nullable(), component: z.string().nullable() })),
  models: z.array(z.object({ model_id: z.string(), pattern_type: z.string(), version: z.number().int(), at: z.string(), accuracy: z.number().nullable(), examples: z.number().int() })),
  tokens: z
    .object({
      requests: z.number().int(),
      input: z.number(),
      output: z.number(),
      cache_creation: z.number(),
      cache_read: z.number(),
      total: z.number(),
      cost_usd: z.number(),
      cache_hit_ratio: z.number().nullable(),
    })
    .nullable()
    .describe('LLM token usage in the timeframe (Claude Code transcripts and recorded usage)'),
  tool_calls: z.object({
    tasks_executed: z.number().int(),
    success_rate: z.number().nullable(),
    avg_execution_time: z.number().nullable().describe('ms'),
    by_tool: z.array(z.object({ tool: z.string(), calls: z.number().int(), failures: z.number().int(), mean_ms: z.number(), max_ms: z.number() })),
  }),
  omitted: z
    .object({ benchmarks: z.number().int(), points: z.number().int(), comparisons: z.number().int(), analyses: z.number().int() })
    .describe(`left out to keep the report readable, oldest first: at most ${REPORT_LIMITS.benchmarks} benchmarks (those run most recently) with their latest ${REPORT_LIMITS.points} runs each, ${REPORT_LIMITS.comparisons} comparisons, ${REPORT_LIMITS.analyses} analyses`),
  html: z.object({ path: z.string(), uri: z.string() }).optional(),
});

export const performanceReport = defineTool({
  name: 'performance_report',
  title: 'Performance report',
  description:
    'Reports from what perfsop stored in a timeframe: benchmark runs with their latest p50/p95/p99 and req/s and the trend across runs, before/after comparisons with verdicts (regressions first), bottleneck analyses with their top findings, optimization outcomes, model status, LLM token totals, and the tool-call log (tasks executed, success rate, mean time). ' +
    'Formats: summary, detailed, markdown, json, and html (a self-contained file with charts, returned as a resource link).',
  input,
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, response, { app, signal }) {
    const now = Date.now();
    app.toolCalls.flush(); // this process's calls of the last second, which are still in memory
    const window = resolveTimeframe({ timeframe: args.timeframe }, new Calendar('UTC'), now);
    // `all` is unbounded: clamp to dates a Date can print.
    const usage = (await app.tokens.report({ timeframe: args.timeframe, groupBy: 'model', costMode: 'auto' }, signal)).report;
    const t = usage.totals;
    const tokens = { requests: t.requests, input: t.input, output: t.output, cache_creation: t.cacheCreation, cache_read: t.cacheRead, total: t.tokens, cost_usd: t.cost, cache_hit_ratio: usage.cacheHitRatio };
    const data = gatherReport(app.db, { label: window.label, from: Math.max(0, window.since), to: Math.min(now + 1, window.until) }, args.component, tokens);
    const empty = isEmpty(data);
    if (empty) response.line(emptyReport(data));
    else response.line(...summaryLines(data));
    let html: { path: string; uri: string } | undefined;
    if (!empty && (args.format === 'detailed' || args.format === 'markdown')) {
      for (const section of detailedSections(data)) response.line('', `#### ${section.title}`).table(section.headers, section.rows);
    }
    const omitted = omittedNote(data);
    if (omitted) response.note(omitted);
    if (args.format === 'json') response.note('the report\'s data is in structuredContent');
    if (args.format === 'html') {
      // Loaded on the first HTML report (see tools/index.ts).
      const { writeHtmlReport } = await import('../src/report/html-report.js');
      const path = writeHtmlReport(app, data, now);
      html = { path, uri: artifactUri(app, path) };
      response.line('', `HTML report: ${path}`).link({ uri: html.uri, name: path.split('/').pop() ?? 'report.html', mimeType: 'text/html', description: 'self-contained performance report with charts; opens offline' });
    }
    return { success: true, format: args.format, empty, ...data, ...(html ? { html } : {}) };
  },
});
