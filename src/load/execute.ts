import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BenchmarkRecord, Sample } from '../store/runs.js';
import { summarize } from '../stats/descriptive.js';
import type { LogHistogram } from '../stats/log-histogram.js';
import { runCommandBenchmark } from './command-bench.js';
import { startComponent } from './component.js';
import { comparableSlices, runHttpLoad, runHttpLoadInWorkers, type HttpLoadResult, type HttpLoadSpec, type LoadContext, type LoadSlice } from './http-load.js';
import { CAPACITY_STEPS, measureCapacity, type CapacityResult } from './capacity.js';
import { runMicroBenchmark } from './micro-bench.js';
import type { PlannedBenchmark, PlannedCommand, PlannedHttp, PlannedMicro } from './plan.js';
import { machineBusyMs, otherCores } from './machine-load.js';
import { groupCpuMs } from './proc-group.js';
import type { CheckedFigures } from './thresholds.js';

export interface DisplayStats {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
}

/** One measured benchmark: what is stored, what is shown, and what thresholds are checked against. */
export interface BenchmarkOutcome {
  name: string;
  type: 'http' | 'command' | 'micro';
  unit: 'ms' | 'ns';
  stats: DisplayStats;
  figures: CheckedFigures;
  capacity?: CapacityResult;
  /** Counts, rates and notes live here once, as stored. */
  record: BenchmarkRecord;
  samples: Sample[];
}

export interface ExecuteContext {
  signal: AbortSignal;
  /** Folder for this run's files (component logs). */
  runDir: string;
  baseDir: string;
  /** policy.maxArtifactBytes: where a captured component log stops. */
  maxArtifactBytes: number;
  /** Called once per unit of work: a second of load, a timed run, a benchmarked function. */
  tick(message: string): void;
}

export async function executeBenchmark(plan: PlannedBenchmark, context: ExecuteContext): Promise<BenchmarkOutcome[]> {
  switch (plan.type) {
    case 'http':
      return [await executeHttp(plan, context)];
    case 'command':
      return [await executeCommand(plan, context)];
    case 'micro':
      return executeMicro(plan, context);
  }
}

/** Units of work a plan will report through `tick`, for progress totals. */
export function plannedUnits(plan: PlannedBenchmark): number {
  switch (plan.type) {
    case 'http':
      return (plan.load.amount ? 0 : Math.ceil(plan.load.duration)) + (plan.capacity ? CAPACITY_STEPS : 0);
    case 'command':
      return plan.iterations;
    case 'micro':
      return plan.functions?.length ?? 1;
  }
}

async function executeHttp(plan: PlannedHttp, context: ExecuteContext): Promise<BenchmarkOutcome> {
  const component = plan.component
    ? await startComponent(plan.component.config, { name: plan.component.name, baseDir: context.baseDir, logDir: join(context.runDir, 'logs'), signal: context.signal, maxLogBytes: context.maxArtifactBytes })
    : undefined;
  let load: HttpLoadResult;
  let capacity: CapacityResult | undefined;
  let targetCpuEnd: number | undefined;
  const targetCpuStart = component?.pid ? groupCpuMs(component.pid) : undefined;
  const machineStart = machineBusyMs();
  let machineEnd: number | undefined;
  try {
    const drive = (spec: HttpLoadSpec, onSlice?: LoadContext['onSlice']) =>
      plan.workers > 1 ? runHttpLoadInWorkers(spec, plan.workers, { signal: context.signal, onSlice }) : runHttpLoad(spec, { signal: context.signal, onSlice });
    load = await drive(plan.load, (slice: LoadSlice, index: number) => {
      const rps = Math.round(slice.requests / slice.seconds);
      context.tick(`${plan.name}: second ${index + 1}, ${rps} req/s, p95 ${round(slice.histogram.percentile(95))} ms`);
    });
    targetCpuEnd = component?.pid ? groupCpuMs(component.pid) : undefined;
    machineEnd = machineBusyMs();
    if (plan.capacity && load.requests > 0) {
      capacity = await measureCapacity({
        spec: plan.load,
        unconstrained: load,
        ...plan.capacity,
        warmupS: plan.warmupS,
        signal: context.signal,
        drive: (spec) => drive(spec),
        onStep: (step, index, total) =>
          context.tick(`${plan.name}: capacity step ${index + 1}/${total}, offered ${step.offered_rps} req/s, p95 ${round(step.p95)} ms, ${step.passed ? 'held' : 'failed'}`),
      });
    }
  } finally {
    await component?.stop();
  }
  const notes: string[] = [];
  if (load.requests === 0) {
    const reasons = Object.entries(load.errorMessages).map(([message, count]) => `${message} x${count}`).join(', ');
    throw new Error(`no request to ${plan.target} got a response: ${load.errors} errors (${reasons || 'no detail'}). Is the service up at that address?`);
  }
  const rps = load.requests / load.durationS;
  const attempts = load.requests + load.errors;
  const errorRate = (load.errors + load.non2xx) / attempts;
  if (load.non2xx === load.requests) notes.push(`every response was non-2xx (${Object.keys(load.statusCodes).join(', ')}): check the path, method and body`);
  else if (load.non2xx > 0) notes.push(`${load.non2xx} non-2xx responses (${statusSummary(load.statusCodes)})`);
  if (load.errors > 0) notes.push(`${load.errors} request errors: ${Object.entries(load.errorMessages).map(([m, c]) => `${m} x${c}`).join(', ')}`);
  notes.push(...generatorNotes(load, targetCpuStart, targetCpuEnd));
  const targetCpu = targetCpuStart !== undefined && targetCpuEnd !== undefined ? targetCpuEnd - targetCpuStart : 0;
  // Only the parent perfsop process is measured by process.cpuUsage; workers report their own.
  const machine = { otherCores: otherCores(machineStart, machineEnd, load.generator.totalCpuMs + targetCpu, load.generator.wallMs), targetKnown: targetCpuStart !== undefined };
  if (machine.otherCores !== undefined && machine.otherCores >= 0.5) {
    notes.push(`other processes kept ${round(machine.otherCores)} cores busy during the load${machine.targetKnown ? '' : ' (the target included: perfsop did not start it)'}: figures from a busy machine`);
  }
  const compared = comparableSlices(load.slices, plan.warmupS);
  if (compared.length < 5) notes.push(`only ${compared.length} full seconds after warm-up to compare with; a duration of 10 s or more gives steadier verdicts`);

  const stats = histogramStats(load.histogram);
  return {
    name: plan.name,
    type: 'http',
    unit: 'ms',
    stats,
    figures: { p50: stats.p50, p95: stats.p95, p99: stats.p99, rps, errorRate },
    ...(capacity ? { capacity } : {}),
    record: {
      name: plan.name,
      type: 'http',
      target: plan.target,
      stats: { ...stats },
      rps,
      throughputBps: load.bytes / load.durationS,
      requests: load.requests,
      errors: load.errors,
      timeouts: load.timeouts,
      non2xx: load.non2xx,
      durationS: load.durationS,
      iterations: null,
      histogram: load.histogram.toJSON(),
      thresholds: null,
      notes,
      extra: {
        connections: plan.load.connections,
        pipelining: plan.load.pipelining,
        statusCodes: load.statusCodes,
        generator: load.generator,
        warmupS: plan.warmupS,
        machine,
        ...(capacity ? { capacity } : {}),
      },
    },
    samples: sliceSamples(load.slices, plan.warmupS),
  };
}

function sliceSamples(slices: readonly LoadSlice[], warmupS: number): Sample[] {
  const samples: Sample[] = [];
  const comparable = new Set(comparableSlices(slices, warmupS));
  slices.forEach((slice, seq) => {
    // Warm-up and partial seconds are kept too (for plots), under their own metric names.
    const prefix = comparable.has(slice) ? '' : 'excluded_';
    samples.push(
      { unit: 'second', seq, metric: `${prefix}rps`, value: slice.requests / slice.seconds },
      { unit: 'second', seq, metric: `${prefix}p50`, value: slice.histogram.percentile(50) },
      { unit: 'second', seq, metric: `${prefix}p95`, value: slice.histogram.percentile(95) },
      { unit: 'second', seq, metric: `${prefix}p99`, value: slice.histogram.percentile(99) },
      { unit: 'second', seq, metric: `${prefix}errors`, value: slice.errors + slice.non2xx },
    );
  });
  return samples;
}

function generatorNotes(load: HttpLoadResult, targetStart: number | undefined, targetEnd: number | undefined): string[] {
  const generatorShare = load.generator.cpuMs / load.generator.wallMs;
  const targetShare = targetStart !== undefined && targetEnd !== undefined ? (targetEnd - targetStart) / load.generator.wallMs : undefined;
  const target = targetShare === undefined ? '' : `; the target used ${pct(targetShare)} of a core`;
  const who = load.generator.workers > 1 ? `the busiest of ${load.generator.workers} load workers` : 'the load generator';
  const measured = `${who} used ${pct(generatorShare)} of a core${target}`;
  if (generatorShare < 0.9) return [measured];
  const remedy = load.generator.workers < cpus().length ? 'use more `workers` (load processes) or measure a heavier endpoint' : 'measure from another machine or a heavier endpoint';
  // Only a target perfsop started has a CPU figure; without it, saturation is a suspicion, not a finding.
  if (targetShare === undefined) {
    return [`${measured}: it may be the limit rather than the target (perfsop sees the target's CPU only when it starts it). If req/s matters, ${remedy}`];
  }
  if (targetShare >= 0.8) {
    return [`${measured}: both were near a full core, so on this machine they compete for CPU; req/s is what the pair reached together`];
  }
  return [`${measured}: the generator, not the target, was the limit, so req/s understates the target; ${remedy}`];
}

/** The request-level fields of a stored benchmark that command and micro benchmarks do not have. */
const NO_REQUESTS = { rps: null, throughputBps: null, requests: null, errors: 0, timeouts: 0, non2xx: 0, histogram: null, thresholds: null } as const;

async function executeCommand(plan: PlannedCommand, context: ExecuteContext): Promise<BenchmarkOutcome> {
  const result = await runCommandBenchmark(
    { command: plan.command, cwd: plan.cwd, ...(plan.env ? { env: plan.env } : {}), warmup: plan.warmup, iterations: plan.iterations },
    { signal: context.signal, onIteration: (done, total, wall) => context.tick(`${plan.name}: run ${done}/${total}, ${round(wall)} ms`) },
  );
  const walls = result.samples.map((s) => s.wall_ms);
  const stats = summaryStats(walls);
  const samples: Sample[] = result.samples.flatMap((s, seq) => [
    { unit: 'iteration' as const, seq, metric: 'wall_ms', value: s.wall_ms },
    { unit: 'iteration' as const, seq, metric: 'user_ms', value: s.user_ms },
    { unit: 'iteration' as const, seq, metric: 'sys_ms', value: s.sys_ms },
    { unit: 'iteration' as const, seq, metric: 'max_rss_kb', value: s.max_rss_kb },
  ]);
  const rss = result.samples.map((s) => s.max_rss_kb).filter((v): v is number => v !== null);
  const user = result.samples.map((s) => s.user_ms).filter((v): v is number => v !== null);
  const sys = result.samples.map((s) => s.sys_ms).filter((v): v is number => v !== null);
  const extra = {
    warmup: result.warmup_runs,
    user_ms_mean: user.length ? summarize(user).mean : null,
    sys_ms_mean: sys.length ? summarize(sys).mean : null,
    max_rss_kb: rss.length ? Math.max(...rss) : null,
  };
  return {
    name: plan.name,
    type: 'command',
    unit: 'ms',
    stats,
    figures: { mean: stats.mean, p50: stats.p50, p95: stats.p95, p99: stats.p99 },
    record: {
      name: plan.name,
      type: 'command',
      target: plan.command,
      stats: { ...stats },
      ...NO_REQUESTS,
      durationS: walls.reduce((a, b) => a + b, 0) / 1000,
      iterations: walls.length,
      notes: result.notes,
      extra,
    },
    samples,
  };
}

async function executeMicro(plan: PlannedMicro, context: ExecuteContext): Promise<BenchmarkOutcome[]> {
  const result = await runMicroBenchmark(
    { module: plan.module, cwd: plan.cwd, rounds: plan.rounds, ...(plan.functions ? { functions: plan.functions } : {}) },
    { signal: context.signal, onProgress: (done, total, name) => context.tick(`${plan.name}: ${name} timed (${done}/${total})`) },
  );
  return result.functions.map((fn) => {
    const name = `${plan.name}/${fn.name}`;
    const stats = summaryStats(fn.rounds_ns);
    const notes = [...result.notes.filter((n) => n.includes(`\`${fn.name}\``)), `${fn.ops_per_round} calls per round, ±${round(fn.rme_pct)}% (95% margin of the mean)`];
    return {
      name,
      type: 'micro' as const,
      unit: 'ns' as const,
      stats,
      figures: {},
      record: {
        name,
        type: 'micro' as const,
        target: `${plan.module}#${fn.name}`,
        stats: { ...stats, moe: fn.moe_ns, rme_pct: fn.rme_pct, ops_per_sec: fn.ops_per_sec },
        ...NO_REQUESTS,
        durationS: null,
        iterations: fn.rounds_ns.length,
        notes,
        extra: { ops_per_round: fn.ops_per_round, node_version: result.node_version },
      },
      samples: fn.rounds_ns.map((value, seq) => ({ unit: 'round' as const, seq, metric: 'ns_per_op', value })),
    };
  });
}

function histogramStats(h: LogHistogram): DisplayStats {
  return { p50: h.percentile(50), p90: h.percentile(90), p95: h.percentile(95), p99: h.percentile(99), mean: h.mean, stddev: h.stddev, min: h.min, max: h.max };
}

function summaryStats(xs: readonly number[]): DisplayStats {
  const s = summarize(xs);
  return { p50: s.p50, p90: s.p90, p95: s.p95, p99: s.p99, mean: s.mean, stddev: s.stddev, min: s.min, max: s.max };
}

function statusSummary(codes: Record<string, number>): string {
  return Object.entries(codes)
    .filter(([code]) => !code.startsWith('2'))
    .map(([code, count]) => `${code} x${count}`)
    .join(', ');
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return Number(value.toFixed(digits));
}
