import type { AutocannonOptions } from 'autocannon';
import { CancelledError } from '../errors.js';
import { LogHistogram } from '../stats/log-histogram.js';

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
  /** CPU the load generator itself used: when it nears a full core, it, not the target, is the limit. */
  generator: { cpuMs: number; wallMs: number };
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

  const result = await new Promise<void>((resolve, reject) => {
    const instance = autocannon(autocannonOptions(spec), (error) => (error ? reject(error) : resolve()));
    instance.on('response', (_client: unknown, statusCode: number, bytes: number, latencyMs: number) => {
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
  void result;
  closeSlice();
  if (context.signal.aborted) throw new CancelledError();

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
    durationS: (performance.now() - wallStart) / 1000,
    generator: { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wallStart },
  };
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
