import { z } from 'zod';
import { formatFigure, formatInteger } from '../src/format.js';
import { LoadSchema, RequestSchema, ThresholdsSchema } from '../src/config.js';
import type { BenchmarkRunResult } from '../src/load/benchmark-run.js';
import type { BenchmarkOutcome } from '../src/load/execute.js';
import type { BenchmarkRequest } from '../src/load/plan.js';
import { defineTool } from '../src/tooling/define-tool.js';
import { inline, type ToolResponse } from '../src/tooling/response.js';

const body = LoadSchema.shape.body;

const input = z.object({
  suite: z.string().min(1).optional().describe('A suite name from perfsop.config.json (its benchmarks run in order).'),
  iterations: z.number().int().positive().optional().describe('Timed runs of command benchmarks and rounds of micro benchmarks (HTTP benchmarks run for their duration).'),
  component: z.string().min(1).optional().describe('Ad-hoc HTTP: a component from the config; started if not already listening, stopped afterwards.'),
  url: z.string().min(1).optional().describe('Ad-hoc HTTP: the URL to load (only hosts in policy.allowedHosts).'),
  connections: z.number().int().positive().optional().describe('HTTP: concurrent connections (default 10).'),
  duration: z.number().positive().optional().describe('HTTP: seconds of load (default 10).'),
  amount: z.number().int().positive().optional().describe('HTTP: stop after this many requests instead of a duration.'),
  method: z.string().min(1).optional().describe('HTTP: method (default GET).'),
  headers: z.record(z.string(), z.string()).optional().describe('HTTP: request headers.'),
  body: body.describe('HTTP: request body; objects are sent as JSON.'),
  requests: z.array(RequestSchema).min(1).optional().describe('HTTP: several requests ({method, path, headers, body}) sent round-robin.'),
  pipelining: z.number().int().positive().max(100).optional().describe('HTTP: requests pipelined per connection (default 1).'),
  workers: z.number().int().positive().optional().describe('HTTP: load generator processes, when one cannot saturate the target.'),
  rate: z.number().positive().optional().describe('HTTP: fixed offered load in requests per second (default: as fast as possible).'),
  command: z.string().min(1).optional().describe('Ad-hoc command benchmark (needs policy.allowAdhocCommands unless the config names it).'),
  cwd: z.string().optional().describe('Command: working directory.'),
  warmup: z.number().min(0).optional().describe('Command: untimed warm-up runs (default 3). HTTP: seconds left out of the comparison (default 1).'),
  label: z.string().min(1).max(100).optional().describe('A name for this run, e.g. "before" or "after", to compare with later. A label that names a technique (e.g. "batch-queries") counts as `technique`.'),
  technique: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('The optimization this run tries (e.g. "batch-queries"): with `baseline`, the measured improvement is recorded as an optimization example for neural_train.'),
  baseline: z
    .union([z.string().min(1), z.number().int().positive()])
    .optional()
    .describe('A run id or label to compare with: each metric gets its change, a 95% CI and a verdict.'),
  thresholds: ThresholdsSchema.optional().describe('Targets that must hold: p50_ms, p95_ms, p99_ms, min_rps, max_error_rate, max_mean_ms.'),
  p95_ms: z.number().positive().optional().describe('Shorthand for thresholds.p95_ms.'),
  p99_ms: z.number().positive().optional().describe('Shorthand for thresholds.p99_ms.'),
  min_rps: z.number().positive().optional().describe('Shorthand for thresholds.min_rps.'),
  max_error_rate: z.number().min(0).max(1).optional().describe('Shorthand for thresholds.max_error_rate (0-1).'),
  capacity: z.boolean().optional().describe('Capacity mode: after the normal measurement, offer rising fixed rates until p95 crosses target_p95_ms or errors pass 1%; reports the highest sustainable rate and the curve.'),
  target_p95_ms: z.number().positive().optional().describe('Capacity mode: the latency goal (default: thresholds.p95_ms).'),
  step_duration: z.number().positive().optional().describe('Capacity mode: seconds per rate step (default 5).'),
  noise_pct: z.number().positive().max(100).optional().describe('Smallest change in percent a verdict may call (defaults: 5 for p50/mean/rps, 15 for p95, 30 for p99).'),
});

const stats = z.object({ p50: z.number(), p90: z.number(), p95: z.number(), p99: z.number(), mean: z.number(), stddev: z.number(), min: z.number(), max: z.number() });
const nullableNumber = z.number().nullable();

const output = z.object({
  success: z.boolean().describe('false when a threshold failed'),
  suite: z.string().nullable(),
  run_id: z.number().int(),
  label: z.string().nullable(),
  git_commit: z.string().nullable(),
  git_dirty: z.boolean().nullable(),
  baseline_run_id: z.number().int().nullable(),
  benchmarks: z.array(
    z.object({
      name: z.string(),
      type: z.enum(['http', 'command', 'micro']),
      unit: z.enum(['ms', 'ns']).describe('unit of stats'),
      stats,
      rps: nullableNumber,
      throughput_bps: nullableNumber,
      requests: nullableNumber,
      errors: z.number(),
      timeouts: z.number(),
      non2xx: z.number(),
      iterations: nullableNumber,
      duration: nullableNumber.describe('seconds'),
      notes: z.array(z.string()),
      capacity: z
        .object({
          target_p95_ms: z.number(),
          max_error_rate: z.number(),
          max_sustainable_rps: nullableNumber,
          limited_by: z.enum(['p95', 'errors', 'throughput', 'not reached']),
          unconstrained_rps: z.number(),
          note: z.string().optional(),
          steps: z.array(
            z.object({ offered_rps: z.number(), achieved_rps: z.number(), p50: z.number(), p95: z.number(), p99: z.number(), error_rate: z.number(), passed: z.boolean() }),
          ),
        })
        .optional(),
    }),
  ),
  comparison: z.array(
    z.object({
      name: z.string(),
      metric: z.string(),
      baseline: nullableNumber,
      current: nullableNumber,
      change_pct: nullableNumber,
      ci95: z.array(z.number()).length(2).nullable().describe('[low, high] percent'),
      verdict: z.enum(['improved', 'regressed', 'no significant change']),
      reason: z.string(),
    }),
  ),
  thresholds: z.array(z.object({ benchmark: z.string(), name: z.string(), limit: z.number(), actual: nullableNumber, passed: z.boolean() })),
  technique: z.string().nullable().describe('the technique this run tried (from `technique`, or a label that names one)'),
  outcomes_recorded: z
    .array(z.object({ benchmark: z.string(), input: z.record(z.string(), z.unknown()), output: z.record(z.string(), z.unknown()) }))
    .describe('optimization examples stored for neural_train from this comparison'),
  notes: z.array(z.string()),
});

type Args = z.output<typeof input>;

export const benchmarkRun = defineTool({
  name: 'benchmark_run',
  title: 'Run benchmarks',
  description:
    'Measures for real: HTTP load with autocannon (starting a configured component if needed), hyperfine-style command timings, or micro benchmarks of exported functions. ' +
    'Stores every run and sample; with `baseline` (a run id or label) each metric gets its change, a 95% confidence interval and a verdict (improved / regressed / no significant change); thresholds (p95_ms, min_rps, ...) gate CI.',
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler(args, response, { app, signal, progress }) {
    // The engine loads on the first call (see tools/index.ts).
    const { runBenchmarks } = await import('../src/load/benchmark-run.js');
    const result = await runBenchmarks(toRequest(args), {
      app,
      signal,
      progress: (done, total, message) => void progress(done, total, message),
    });
    render(result, response);
    return {
      success: result.success,
      suite: result.suite,
      run_id: result.runId,
      label: result.label,
      git_commit: result.git.commit ?? null,
      git_dirty: result.git.dirty ?? null,
      baseline_run_id: result.baseline?.id ?? null,
      benchmarks: result.benchmarks.map((b) => ({
        name: b.name,
        type: b.type,
        unit: b.unit,
        stats: b.stats,
        rps: b.record.rps,
        throughput_bps: b.record.throughputBps,
        requests: b.record.requests,
        errors: b.record.errors ?? 0,
        timeouts: b.record.timeouts ?? 0,
        non2xx: b.record.non2xx ?? 0,
        iterations: b.record.iterations,
        duration: b.record.durationS,
        notes: b.record.notes,
        ...(b.capacity ? { capacity: b.capacity } : {}),
      })),
      comparison: result.comparison,
      thresholds: result.thresholds,
      technique: result.technique,
      outcomes_recorded: result.outcomes.map((o) => ({ benchmark: o.benchmark, input: o.example.input, output: o.example.output })),
      notes: result.notes,
    };
  },
});

function toRequest(args: Args): BenchmarkRequest {
  const { p95_ms, p99_ms, min_rps, max_error_rate, thresholds, baseline, ...rest } = args;
  const shorthand = Object.fromEntries(Object.entries({ p95_ms, p99_ms, min_rps, max_error_rate }).filter(([, v]) => v !== undefined));
  const merged = { ...thresholds, ...shorthand };
  return {
    ...rest,
    ...(baseline === undefined ? {} : { baseline: String(baseline) }),
    ...(Object.keys(merged).length > 0 ? { thresholds: merged } : {}),
  };
}

function render(result: BenchmarkRunResult, response: ToolResponse): void {
  const where = [result.label ? `label ${inline(result.label)}` : '', result.suite ? `suite ${inline(result.suite)}` : '', result.git.commit ? `commit ${result.git.commit.slice(0, 10)}${result.git.dirty ? ' (uncommitted changes)' : ''}` : '']
    .filter(Boolean)
    .join(', ');
  response.line(`Run ${result.runId}${where ? ` (${where})` : ''}: ${result.benchmarks.length} benchmark(s) measured.`);
  for (const b of result.benchmarks) response.line(`- ${benchmarkLine(b)}`);
  for (const b of result.benchmarks) if (b.capacity) renderCapacity(b, response);

  if (result.baseline) {
    const base = result.baseline;
    response.line('', `Compared with run ${base.id}${base.label ? ` (${inline(base.label)})` : ''}; change and 95% CI from per-second samples (HTTP), timed runs (command) or rounds (micro):`);
    if (result.comparison.length > 0) {
      response.table(
        ['benchmark', 'metric', 'baseline', 'current', 'change', '95% CI', 'verdict'],
        result.comparison.map((c) => [c.name, c.metric, formatFigure(c.baseline), formatFigure(c.current), signed(c.change_pct), c.ci95 ? `${signed(c.ci95[0])} to ${signed(c.ci95[1])}` : '-', c.verdict]),
      );
    }
  }
  if (result.thresholds.length > 0) {
    const failed = result.thresholds.filter((t) => !t.passed);
    response.line(
      '',
      failed.length === 0 ? `All ${result.thresholds.length} threshold(s) passed:` : `**${failed.length} of ${result.thresholds.length} threshold(s) FAILED:**`,
      ...result.thresholds.map((t) => `- ${t.passed ? 'pass' : 'FAIL'}: ${t.benchmark} ${t.name} ${formatFigure(t.actual)} (limit ${t.limit})`),
    );
  }
  if (result.outcomes.length) {
    const shown = result.outcomes.map(
      (o) =>
        `${o.benchmark}: ${String(o.example.input.metric)} ${Math.round((o.example.output.improvement as number) * 1000) / 10}% better (${String(o.example.output.verdict)})` +
        (o.example.input.bottleneck ? ` on "${String(o.example.input.bottleneck)}"` : ''),
    );
    response.line('', `Recorded ${result.outcomes.length} optimization outcome(s) of ${inline(result.technique ?? '')} for neural_train: ${shown.join('; ')}.`);
  } else if (result.technique && !result.baseline) {
    response.note(`technique ${result.technique} noted; pass \`baseline\` to record its measured outcome for neural_train`);
  }
  for (const note of result.notes) response.note(note);
  for (const b of result.benchmarks) for (const note of b.record.notes) response.note(`${b.name}: ${note}`);
}

function benchmarkLine(b: BenchmarkOutcome): string {
  const s = b.stats;
  const u = b.unit;
  const r = b.record;
  if (b.type === 'http') {
    return (
      `**${b.name}** (http, ${formatFigure(r.durationS)} s): p50 ${formatFigure(s.p50)} ${u} · p95 ${formatFigure(s.p95)} ${u} · p99 ${formatFigure(s.p99)} ${u} · ` +
      `${formatInteger(r.rps ?? 0)} req/s · ${r.requests ?? 0} requests · ${r.errors ?? 0} errors · ${r.non2xx ?? 0} non-2xx`
    );
  }
  const what = b.type === 'command' ? `${r.iterations} runs` : `${r.iterations} rounds, per call`;
  return `**${b.name}** (${b.type}, ${what}): mean ${formatFigure(s.mean)} ${u} ± ${formatFigure(s.stddev)} · p50 ${formatFigure(s.p50)} ${u} · p95 ${formatFigure(s.p95)} ${u} · min ${formatFigure(s.min)} · max ${formatFigure(s.max)} ${u}`;
}


function signed(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '-';
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)}%`;
}

function renderCapacity(b: BenchmarkOutcome, response: ToolResponse): void {
  const c = b.capacity!;
  const headline =
    c.max_sustainable_rps === null
      ? `no tested rate held p95 <= ${c.target_p95_ms} ms (limited by ${c.limited_by})`
      : `sustains **${formatInteger(c.max_sustainable_rps)} req/s** with p95 <= ${c.target_p95_ms} ms and errors <= ${c.max_error_rate * 100}%` +
        (c.limited_by === 'not reached' ? ' (the highest rate tried; the limit is above it)' : `; the next step failed on ${c.limited_by}`);
  response.line('', `Capacity of ${b.name}: ${headline}. Unconstrained: ${formatInteger(c.unconstrained_rps)} req/s.`);
  response.table(
    ['offered req/s', 'achieved req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'held'],
    c.steps.map((s) => [s.offered_rps, Math.round(s.achieved_rps), formatFigure(s.p50), formatFigure(s.p95), formatFigure(s.p99), `${(s.error_rate * 100).toFixed(1)}%`, s.passed ? 'yes' : 'no']),
  );
  if (c.note) response.note(`${b.name}: ${c.note}`);
}
