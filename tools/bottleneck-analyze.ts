import { z } from 'zod';
import type { AnalysisResult } from '../src/analyze/bottleneck-analysis.js';
import { METRICS, type Finding, type Metric } from '../src/analyze/findings.js';
import { RequestSchema } from '../src/config.js';
import { formatBytes, formatInteger } from '../src/format.js';
import type { Suggestions } from '../src/learn/suggest.js';
import { artifactUri } from '../src/resources.js';
import { defineTool } from '../src/tooling/define-tool.js';
import { inline, type ToolResponse } from '../src/tooling/response.js';

const input = z.object({
  component: z.string().min(1).optional().describe('A component from perfsop.config.json with a `command`: perfsop starts it under the profiler, loads it, and stops it.'),
  metrics: z
    .array(z.enum(METRICS as [string, ...string[]]))
    .optional()
    .describe(`Which measurements to analyze (default all): ${METRICS.join(', ')}.`),
  duration: z.number().positive().optional().describe('Seconds of load under the profiler (default: the component\'s load duration, else 10).'),
  connections: z.number().int().positive().optional().describe('Load: concurrent connections (default: the component\'s, else 10).'),
  requests: z.array(RequestSchema).min(1).optional().describe('Load: requests sent round-robin ({method, path, headers, body}); default: the component\'s.'),
  method: z.string().min(1).optional().describe('Load: method when no `requests` are given.'),
  body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional().describe('Load: body when no `requests` are given; objects are sent as JSON.'),
  workers: z.number().int().positive().optional().describe('Load generator processes.'),
  command: z.string().min(1).optional().describe('Ad-hoc: the command that starts a Node.js service (needs policy.allowAdhocCommands), with `url`.'),
  url: z.string().min(1).optional().describe('Ad-hoc: where that service listens, e.g. http://127.0.0.1:3000.'),
  cwd: z.string().optional().describe('Ad-hoc: the service\'s working directory.'),
  profile: z.string().min(1).optional().describe('Analyze an existing .cpuprofile file offline instead of running anything.'),
  heap: z.boolean().optional().describe('Also take a sampling heap profile (retained allocation sites) during the load.'),
});

const finding = z.object({
  rank: z.number().int(),
  kind: z.string(),
  title: z.string(),
  category: z.enum(['cpu', 'db', 'event_loop', 'memory', 'gc', 'io', 'logging']),
  priority: z.enum(['critical', 'high', 'medium', 'low']),
  impact: z.object({ ms_per_request: z.number().nullable(), share: z.number(), basis: z.string() }),
  location: z.object({ function: z.string(), file: z.string(), line: z.number() }).optional(),
  evidence: z.record(z.string(), z.unknown()),
  fix: z.string(),
  suggestions: z
    .object({
      model_id: z.string(),
      model_accuracy: z.number().nullable(),
      techniques: z.array(
        z.object({
          value: z.string(),
          probability: z.number(),
          similar_cases: z.object({ count: z.number().int(), median: z.number(), min: z.number(), max: z.number() }).nullable(),
        }),
      ),
    })
    .optional()
    .describe('techniques that fixed similar bottlenecks before, ranked by the latest optimization model (neural_train); absent without a model'),
});

const nullableNumber = z.number().nullable();

const output = z.object({
  success: z.boolean(),
  analysis_id: z.number().int(),
  component: z.string().nullable(),
  mode: z.enum(['live', 'offline']),
  summary: z.object({
    duration_s: nullableNumber,
    requests: nullableNumber,
    rps: nullableNumber,
    p50_ms: nullableNumber,
    p95_ms: nullableNumber,
    p99_ms: nullableNumber,
    error_rate: nullableNumber,
    cpu_pct: nullableNumber,
    rss_max_mb: nullableNumber,
    heap_slope_mb_per_min: nullableNumber,
    elu: nullableNumber,
    gc_ms_per_s: nullableNumber,
    event_loop_delay_p50_ms: nullableNumber,
    event_loop_delay_max_ms: nullableNumber,
    queries_per_request: nullableNumber,
    db_time_share: nullableNumber,
  }),
  routes: z.array(
    z.object({ route: z.string(), requests: z.number(), p50_ms: z.number(), p95_ms: z.number(), errors: z.number(), queries_per_request: z.number(), db_time_share: z.number() }),
  ),
  findings: z.array(finding),
  artifacts: z.array(z.object({ kind: z.string(), uri: z.string(), path: z.string(), bytes: z.number() })),
  notes: z.array(z.string()),
});

export const bottleneckAnalyze = defineTool({
  name: 'bottleneck_analyze',
  title: 'Find bottlenecks',
  description:
    'Profiles a Node.js service for real: starts it with a preload agent (V8 CPU profile, event-loop delay, GC, memory, every database query attributed to its HTTP request), drives load, stops it, and ranks the bottlenecks by measured impact: ' +
    'hot functions with file:line, N+1 queries, missing indexes (EXPLAIN QUERY PLAN), event-loop blocking, O(n^2) hot spots, memory growth, GC pressure, excessive logging. Each finding has evidence and a fix; the .cpuprofile and a flame graph are returned as resources. `profile` analyzes an existing .cpuprofile offline.',
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler(args, response, { app, signal, progress }) {
    const { metrics, ...rest } = args;
    // The engine loads on the first call (see tools/index.ts).
    const [{ runBottleneckAnalysis }, { suggestTechniques }] = await Promise.all([import('../src/analyze/bottleneck-analysis.js'), import('../src/learn/suggest.js')]);
    const result = await runBottleneckAnalysis(
      { ...rest, ...(metrics ? { metrics: metrics as Metric[] } : {}) },
      { app, signal, progress: (done, total, message) => void progress(done, total, message) },
    );
    const artifacts = result.artifacts.map((a) => ({ kind: a.kind, uri: artifactUri(app, a.path), path: a.path, bytes: a.bytes }));
    const suggestions = suggestTechniques(app, result.findings, result.component);
    render(result, artifacts, suggestions, response);
    return {
      success: true,
      analysis_id: result.analysisId,
      component: result.component,
      mode: result.mode,
      summary: result.summary,
      routes: result.routes,
      findings: result.findings.map((f, i) => ({ rank: i + 1, ...f, ...(suggestions[i] ? { suggestions: suggestions[i] } : {}) })),
      artifacts,
      notes: result.notes,
    };
  },
});

function render(result: AnalysisResult, artifacts: Array<{ kind: string; uri: string; path: string; bytes: number }>, suggestions: Array<Suggestions | undefined>, response: ToolResponse): void {
  const s = result.summary;
  const head =
    result.mode === 'live'
      ? `Analysis ${result.analysisId} of ${inline(result.component ?? 'service')}: ${s.duration_s} s of load, ${s.requests === null ? '-' : formatInteger(s.requests)} requests, ${s.rps} req/s, p50 ${s.p50_ms} ms, p95 ${s.p95_ms} ms, p99 ${s.p99_ms} ms.`
      : `Analysis ${result.analysisId} of an existing profile (${s.duration_s} s of samples).`;
  response.line(head);
  if (result.findings.length === 0) response.line('', 'No bottleneck found above the thresholds (hot user functions >= 5% of CPU, N+1 >= 5 repeats, scans costing >= 0.2 ms, event-loop delay p50 >= 10 ms or max >= 100 ms, GC >= 100 ms/s).');
  else response.line('', `${result.findings.length} finding(s), ranked by measured impact:`);
  result.findings.forEach((f, i) => response.line(...findingLines(f, i + 1), ...suggestionLines(suggestions[i])));
  if (result.mode === 'live') {
    response.line(
      '',
      `Summary: CPU ${s.cpu_pct}% of a core, event-loop utilization ${s.elu}, event-loop delay p50 ${s.event_loop_delay_p50_ms} ms (max ${s.event_loop_delay_max_ms}), ` +
        `GC ${s.gc_ms_per_s} ms/s, ${s.queries_per_request} queries per request, DB ${pct(s.db_time_share)} of response time, RSS max ${s.rss_max_mb} MB, ` +
        `heap ${s.heap_slope_mb_per_min} MB/min, error rate ${pct(s.error_rate)}.`,
    );
    if (result.routes.length > 0) {
      response.table(
        ['route', 'requests', 'p50 ms', 'p95 ms', 'queries/req', 'DB share', 'errors'],
        result.routes.map((r) => [r.route, r.requests, r.p50_ms, r.p95_ms, r.queries_per_request, pct(r.db_time_share), r.errors]),
      );
    }
  }
  for (const a of artifacts) {
    response.link({ uri: a.uri, name: `${a.kind}: ${a.path.split('/').pop()}`, mimeType: a.kind === 'flamegraph' ? 'text/html' : a.kind === 'log' ? 'text/plain' : 'application/json', description: `${a.kind}, ${formatBytes(a.bytes)}, ${a.path}` });
  }
  if (artifacts.length) response.line('', `Artifacts: ${artifacts.map((a) => `${a.kind} ${a.path}`).join('; ')} (the .cpuprofile opens in Chrome DevTools and speedscope).`);
  for (const note of result.notes) response.note(note);
}

function findingLines(f: Finding, rank: number): string[] {
  const impact =
    f.impact.ms_per_request === null
      ? `${f.impact.basis}${f.impact.share > 0 ? ` (${pct(f.impact.share)})` : ''}`
      : `${f.impact.ms_per_request} ms/request (${pct(f.impact.share)} of response time)`;
  const where = f.location ? ` at ${f.location.file}:${f.location.line}` : '';
  return [`${rank}. **${f.priority}** [${f.category}] ${f.title}${where}. Impact: ${impact}.`, `   Evidence: ${evidenceLine(f)}`, `   Fix: ${f.fix}`];
}

function suggestionLines(s: Suggestions | undefined): string[] {
  if (!s || s.techniques.length === 0) return [];
  const accuracy = s.model_accuracy === null ? 'not validated' : `held-out accuracy ${pct(s.model_accuracy)}`;
  const ranked = s.techniques.map((t) => `${t.value} ${pct(t.probability)}${t.similar_cases ? ` (similar cases improved ${pct(t.similar_cases.median)})` : ''}`);
  return [`   Worked before (${s.model_id}, ${accuracy}): ${ranked.join(', ')}`];
}

function evidenceLine(f: Finding): string {
  const e = f.evidence;
  switch (f.kind) {
    case 'n-plus-one':
      return `\`${String(e.fingerprint)}\` ${String(e.per_request_mean)}x per request (max ${String(e.per_request_max)}), in ${String(e.requests_with_repeats)} of ${String(e.requests_with_query)} requests, ${String(e.mean_ms_per_call)} ms per call`;
    case 'missing-index':
      return `EXPLAIN QUERY PLAN of \`${String(e.fingerprint)}\`: ${(e.plan as string[]).join('; ')}; ${String(e.mean_ms_per_call)} ms per call, ${String(e.calls_per_request)} calls per request`;
    case 'algorithmic':
      return `${(e.source as string[]).join(' | ')}; own CPU ${String(e.own_ms)} ms (${pct(e.cpu_share as number)})`;
    case 'hot-function':
      return `self ${String(e.self_ms)} ms, with the library code it calls ${String(e.own_ms)} ms (${pct(e.cpu_share as number)} of CPU); hottest lines ${(e.hot_lines as Array<{ line: number }>).map((h) => h.line).join(', ')}`;
    case 'event-loop-blocking': {
      const onCpu = (e.on_cpu as Array<{ function: string; file: string; line: number; ms: number }>).slice(0, 3);
      const sync = e.sync_apis as Array<{ api: string }>;
      return `delay p50 ${String(e.delay_p50_ms)} ms, p99 ${String(e.delay_p99_ms)} ms, max ${String(e.delay_max_ms)} ms; on the CPU meanwhile: ${onCpu.map((c) => `${c.function} (${c.file}:${c.line}, ${c.ms} ms)`).join(', ') || 'n/a'}${sync.length ? `; synchronous APIs: ${sync.map((x) => x.api).join(', ')}` : ''}`;
    }
    case 'logging':
      return `${pct(e.cpu_share as number)} of CPU in logging; from ${(e.callers as Array<{ function: string; file: string; line: number; ms: number }>).map((c) => `${c.function} (${c.file}:${c.line}, ${c.ms} ms)`).join(', ')}`;
    default:
      return JSON.stringify(e);
  }
}

function pct(share: number | null): string {
  return share === null ? '-' : `${Math.round(share * 100)}%`;
}
