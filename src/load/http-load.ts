import type { AutocannonOptions } from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { CancelledError } from '../errors.js';
import { LogHistogram } from '../stats/log-histogram.js';
import { locateChildScript } from './child-script.js';
import type { SliceMessage, WorkerMessage, WorkerRequest } from './load-worker.js';
import { signalGroup, spawnGroup } from './process-group.js';

export interface HttpRequestSpec {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpLoadSpec {
  url: string;
  /** Sent as Host when `url` was pinned to an address (see Policy.resolveTarget). */
  hostHeader?: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration: number;
  amount?: number;
  pipelining: number;
  method: string;
  headers: Record<string, string>;
  body?: string;
  requests?: HttpRequestSpec[];
  overallRate?: number;
  timeoutS: number;
}

/** One tick of the load: autocannon's one-second interval, the unit comparisons rest on. */
export interface LoadSlice {
  seconds: number;
  requests: number;
  errors: number;
  non2xx: number;
  bytes: number;
  histogram: LogHistogram;
}

export interface HttpLoadResult {
  histogram: LogHistogram;
  slices: LoadSlice[];
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  bytes: number;
  statusCodes: Record<string, number>;
  errorMessages: Record<string, number>;
  durationS: number;
  /**
   * CPU the load generator itself used (the busiest process when there are several): when it nears
   * a full core, it, not the target, is the limit.
   */
  generator: { cpuMs: number; totalCpuMs: number; wallMs: number; workers: number };
}

export interface LoadContext {
  signal: AbortSignal;
  onSlice?: (slice: LoadSlice, index: number) => void;
}

/**
 * Drives load with autocannon in this process and records every response's latency itself
 * (autocannon's own histogram has 1 ms resolution and no p95), sliced by autocannon's one-second
 * tick so each second is a sample for comparisons.
 */
export async function runHttpLoad(spec: HttpLoadSpec, context: LoadContext): Promise<HttpLoadResult> {
  if (context.signal.aborted) throw new CancelledError();
  const { default: autocannon } = await import('autocannon');
  const histogram = new LogHistogram();
  const slices: LoadSlice[] = [];
  const statusCodes: Record<string, number> = {};
  const errorMessages: Record<string, number> = {};
  let timeouts = 0;
  let slice = emptySlice();
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  let sliceStart = wallStart;

  const closeSlice = () => {
    const now = performance.now();
    slice.seconds = (now - sliceStart) / 1000;
    sliceStart = now;
    if (slice.requests > 0 || slice.errors > 0) {
      slices.push(slice);
      context.onSlice?.(slice, slices.length - 1);
    }
    slice = emptySlice();
  };

  // autocannon ends a run only on its one-second tick; an `amount` run sits idle from its last
  // response until then, so its duration ends at that last response instead.
  let lastResponseAt = wallStart;
  await new Promise<void>((resolve, reject) => {
    const instance = autocannon(autocannonOptions(spec), (error) => (error ? reject(error) : resolve()));
    instance.on('response', (_client: unknown, statusCode: number, bytes: number, latencyMs: number) => {
      lastResponseAt = performance.now();
      histogram.record(latencyMs);
      slice.histogram.record(latencyMs);
      slice.requests += 1;
      slice.bytes += bytes;
      if (statusCode < 200 || statusCode >= 300) slice.non2xx += 1;
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    });
    instance.on('reqError', (error: Error) => {
      slice.errors += 1;
      if (error.message === 'request timed out') timeouts += 1;
      const key = (error as { code?: string }).code ?? error.message;
      errorMessages[key] = (errorMessages[key] ?? 0) + 1;
    });
    instance.on('tick', closeSlice);
    const abort = () => instance.stop();
    context.signal.addEventListener('abort', abort, { once: true });
    instance.once('done', () => context.signal.removeEventListener('abort', abort));
  });
  closeSlice();
  if (context.signal.aborted) throw new CancelledError();
  const endedAt = spec.amount ? lastResponseAt : performance.now();
  const last = slices[slices.length - 1];
  if (spec.amount && last) last.seconds = Math.max(0.001, last.seconds - (performance.now() - lastResponseAt) / 1000);

  const cpu = process.cpuUsage(cpuStart);
  const totals = slices.reduce(
    (sum, s) => ({ requests: sum.requests + s.requests, errors: sum.errors + s.errors, non2xx: sum.non2xx + s.non2xx, bytes: sum.bytes + s.bytes, seconds: sum.seconds + s.seconds }),
    { requests: 0, errors: 0, non2xx: 0, bytes: 0, seconds: 0 },
  );
  return {
    histogram,
    slices,
    ...totals,
    timeouts,
    statusCodes,
    errorMessages,
    durationS: (endedAt - wallStart) / 1000,
    generator: { cpuMs: (cpu.user + cpu.system) / 1000, totalCpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wallStart, workers: 1 },
  };
}

/** Full one-second slices after the warm-up: the samples a comparison may rest on. */
export function comparableSlices(slices: readonly LoadSlice[], warmupS: number): LoadSlice[] {
  let start = 0;
  return slices.filter((slice) => {
    const begins = start;
    start += slice.seconds;
    // A slice counts when it begins after the warm-up (ticks drift by a few ms, hence the slack).
    return begins >= warmupS - 0.05 && slice.seconds >= 0.5 && slice.requests > 0;
  });
}

function emptySlice(): LoadSlice {
  return { seconds: 0, requests: 0, errors: 0, non2xx: 0, bytes: 0, histogram: new LogHistogram() };
}

function autocannonOptions(spec: HttpLoadSpec): AutocannonOptions {
  const hostHeader: Record<string, string> = spec.hostHeader ? { host: spec.hostHeader } : {};
  return {
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount ? { amount: spec.amount } : { duration: spec.duration }),
    pipelining: spec.pipelining,
    method: spec.method,
    headers: { ...hostHeader, ...spec.headers },
    ...(spec.body === undefined ? {} : { body: spec.body }),
    ...(spec.requests ? { requests: spec.requests.map((r) => ({ ...r, headers: { ...hostHeader, ...spec.headers, ...r.headers } })) } : {}),
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
    timeout: spec.timeoutS,
  };
}

/**
 * Load from `workers` processes at once, each driving its share of the connections (and of
 * `amount` and `overallRate`), merged slice by slice. Slices are aligned by index: the workers
 * start within milliseconds of each other and tick once a second each.
 */
export async function runHttpLoadInWorkers(spec: HttpLoadSpec, workers: number, context: LoadContext): Promise<HttpLoadResult> {
  if (context.signal.aborted) throw new CancelledError();
  const count = Math.max(1, Math.min(workers, spec.connections));
  const script = locateChildScript('load-worker.js', 'PERFSOP_LOAD_WORKER');
  const children: ChildProcess[] = [];
  const merged: Array<{ slice: LoadSlice; reported: number }> = [];
  let emitted = 0;
  const emitReady = (force: boolean) => {
    while (emitted < merged.length && (force || merged[emitted]!.reported === count)) {
      context.onSlice?.(merged[emitted]!.slice, emitted);
      emitted += 1;
    }
  };

  const results = Array.from({ length: count }, (_, i) => {
    const share = (total: number) => Math.floor(total / count) + (i < total % count ? 1 : 0);
    const part: HttpLoadSpec = {
      ...spec,
      connections: share(spec.connections),
      ...(spec.amount ? { amount: Math.max(1, share(spec.amount)) } : {}),
      ...(spec.overallRate ? { overallRate: Math.max(1, share(spec.overallRate)) } : {}),
    };
    const child = spawnGroup(process.execPath, [script], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    return new Promise<Extract<WorkerMessage, { type: 'result' }>>((resolve, reject) => {
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'slice') {
          const entry = (merged[message.index] ??= { slice: emptySlice(), reported: 0 });
          addSlice(entry.slice, message.slice);
          entry.reported += 1;
          emitReady(false);
        } else if (message.type === 'result') resolve(message);
        else reject(new Error(`load worker ${i + 1} failed: ${message.message}`));
      });
      child.once('exit', (code, signal) => reject(new Error(`load worker ${i + 1} exited (${signal ?? code}) before reporting: ${stderr}`)));
      child.send({ type: 'start', spec: part } satisfies WorkerRequest);
    });
  });

  const stopAll = () => {
    for (const child of children) signalGroup(child, 'SIGKILL');
  };
  context.signal.addEventListener('abort', stopAll, { once: true });
  let finals: Array<Extract<WorkerMessage, { type: 'result' }>>;
  try {
    finals = await Promise.all(results);
  } catch (error) {
    stopAll();
    if (context.signal.aborted) throw new CancelledError();
    throw error;
  } finally {
    context.signal.removeEventListener('abort', stopAll);
  }
  emitReady(true);

  const histogram = new LogHistogram();
  for (const { slice } of merged) histogram.merge(slice.histogram);
  const slices = merged.map((m) => m.slice);
  const sum = <K extends 'requests' | 'errors' | 'non2xx' | 'bytes'>(key: K) => slices.reduce((total, s) => total + s[key], 0);
  return {
    histogram,
    slices,
    requests: sum('requests'),
    errors: sum('errors'),
    non2xx: sum('non2xx'),
    bytes: sum('bytes'),
    timeouts: finals.reduce((t, f) => t + f.timeouts, 0),
    statusCodes: mergeCounts(finals.map((f) => f.statusCodes)),
    errorMessages: mergeCounts(finals.map((f) => f.errorMessages)),
    durationS: Math.max(...finals.map((f) => f.durationS)),
    // Per worker the busiest one matters (each has one core); the sum shows the total cost.
    generator: {
      cpuMs: Math.max(...finals.map((f) => f.generator.cpuMs)),
      totalCpuMs: finals.reduce((sum, f) => sum + f.generator.cpuMs, 0),
      wallMs: Math.max(...finals.map((f) => f.generator.wallMs)),
      workers: count,
    },
  };
}

function addSlice(into: LoadSlice, from: SliceMessage): void {
  into.seconds = Math.max(into.seconds, from.seconds);
  into.requests += from.requests;
  into.errors += from.errors;
  into.non2xx += from.non2xx;
  into.bytes += from.bytes;
  into.histogram.merge(LogHistogram.fromJSON(from.histogram));
}

function mergeCounts(maps: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const map of maps) for (const [key, value] of Object.entries(map)) out[key] = (out[key] ?? 0) + value;
  return out;
}
