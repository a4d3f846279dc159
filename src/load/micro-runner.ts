/**
 * Child program of the micro benchmark (see micro-bench.ts): imports a module in a fresh process,
 * times its exported functions and reports over IPC. A fresh process per benchmark keeps perfsop's
 * own heap and JIT state out of the numbers and lets a cancel kill the work outright.
 *
 * It writes nothing to stdout or stderr on purpose (the parent discards stdout, and stderr is kept
 * only to explain a crash); everything else travels as messages.
 */
import { pathToFileURL } from 'node:url';

export interface RunnerConfig {
  module: string;
  rounds: number;
  warmupMs: number;
  minRoundMs: number;
  /** Only these exports; all exported functions when absent. */
  functions?: string[];
}

export interface RawFunctionResult {
  name: string;
  async: boolean;
  ops_per_round: number;
  /** Nanoseconds per call, one entry per round. */
  rounds_ns: number[];
}

export type RunnerMessage =
  | { type: 'progress'; done: number; total: number; name: string }
  | { type: 'result'; functions: RawFunctionResult[]; node_version: string; timer_resolution_ns: number }
  | { type: 'error'; message: string; field?: 'module' | 'functions' };

type Benchmarked = () => unknown;

// Results go here so the engine cannot prove a call's value unused and drop the call.
let sink: unknown;

const now = (): bigint => process.hrtime.bigint();

function send(message: RunnerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('micro-runner must be started with an IPC channel'));
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

class ReportedError extends Error {
  constructor(
    message: string,
    readonly field?: 'module' | 'functions',
  ) {
    super(message);
  }
}

function parseConfig(raw: string | undefined): RunnerConfig {
  const parsed: unknown = JSON.parse(raw ?? 'null');
  if (typeof parsed !== 'object' || parsed === null) throw new Error('micro-runner: missing config argument');
  const c = parsed as Partial<RunnerConfig>;
  if (typeof c.module !== 'string' || typeof c.rounds !== 'number' || typeof c.warmupMs !== 'number' || typeof c.minRoundMs !== 'number') {
    throw new Error('micro-runner: malformed config argument');
  }
  return { module: c.module, rounds: c.rounds, warmupMs: c.warmupMs, minRoundMs: c.minRoundMs, functions: c.functions };
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // A few frames locate the failure in the user's module without flooding the answer.
  const stack = (error.stack ?? '').split('\n').slice(1, 5).join('\n');
  return stack ? `${error.name}: ${error.message}\n${stack}` : `${error.name}: ${error.message}`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Named function exports, plus `default` when it is a function, in the namespace's (sorted) order. */
function collectFunctions(namespace: Record<string, unknown>, config: RunnerConfig): Array<[string, Benchmarked]> {
  const all = Object.keys(namespace).flatMap((name): Array<[string, Benchmarked]> => {
    const value = namespace[name];
    return typeof value === 'function' ? [[name, value as Benchmarked]] : [];
  });
  if (all.length === 0) {
    const exported = Object.keys(namespace);
    throw new ReportedError(
      `${config.module} exports no functions to benchmark (its exports: ${exported.length ? exported.join(', ') : 'none'})`,
      'module',
    );
  }
  const wanted = config.functions ?? [];
  if (wanted.length === 0) return all;
  const missing = wanted.filter((name) => !all.some(([n]) => n === name));
  if (missing.length > 0) {
    throw new ReportedError(
      `not exported as functions by ${config.module}: ${missing.join(', ')} (exported functions: ${all.map(([n]) => n).join(', ')})`,
      'functions',
    );
  }
  return all.filter(([name]) => wanted.includes(name));
}

/** Smallest step process.hrtime can show; decides whether a round is long enough to trust. */
function timerResolutionNs(): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 1000; i++) {
    const a = now();
    let b = now();
    while (b === a) b = now();
    best = Math.min(best, Number(b - a));
  }
  return best;
}

type TimingLoop = (fn: Benchmarked, ops: number, clock: () => bigint, keep: (value: unknown) => void) => bigint;
type AsyncTimingLoop = (fn: Benchmarked, ops: number, clock: () => bigint, keep: (value: unknown) => void) => Promise<bigint>;

const SYNC_LOOP = 'let v; const start = clock(); for (let i = 0; i < ops; i++) v = fn(); const end = clock(); keep(v); return end - start;';
const ASYNC_LOOP = 'let v; const start = clock(); for (let i = 0; i < ops; i++) v = await fn(); const end = clock(); keep(v); return end - start;';
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as FunctionConstructor;

/**
 * A timing loop compiled afresh for each benchmarked function. One shared loop would see every
 * function at its call site: the first would be inlined while the site is monomorphic and the
 * later ones would pay a megamorphic call, skewing exactly the comparison the user asked for.
 * Separate sync and async loops: awaiting a plain value adds a microtask per call and would swamp
 * a fast synchronous function. The source is fixed text, never user input.
 */
function timingLoop(fn: Benchmarked, isAsync: boolean): (ops: number) => Promise<bigint> {
  const keep = (value: unknown): void => {
    sink = value;
  };
  if (isAsync) {
    const loop = new AsyncFunction('fn', 'ops', 'clock', 'keep', ASYNC_LOOP) as unknown as AsyncTimingLoop;
    return (ops) => loop(fn, ops, now, keep);
  }
  const loop = new Function('fn', 'ops', 'clock', 'keep', SYNC_LOOP) as unknown as TimingLoop;
  return async (ops) => loop(fn, ops, now, keep);
}

async function benchmark(name: string, fn: Benchmarked, config: RunnerConfig): Promise<RawFunctionResult> {
  // Start each function from a collected heap so garbage left by the previous one is not billed here.
  (globalThis as { gc?: () => void }).gc?.();

  const first = fn();
  const isAsync = isThenable(first);
  sink = isAsync ? await first : first;
  const time = timingLoop(fn, isAsync);

  // Warm-up lets the JIT tier the function up before anything is recorded. Batches grow only
  // while they are short, so a slow function overshoots warmupMs by at most one call.
  const warmupEnd = now() + BigInt(Math.round(config.warmupMs * 1e6));
  let batch = 1;
  while (now() < warmupEnd) {
    if ((await time(batch)) < 1_000_000n) batch = Math.min(batch * 2, 1 << 20);
  }

  // Calibrate: grow the calls per round until a round lasts minRoundMs, so timer resolution and the
  // cost of reading the clock are small next to what is measured. Two rounds in a row must reach
  // it: a function the JIT is still optimising gets faster between the first and the next.
  const target = BigInt(Math.round(config.minRoundMs * 1e6));
  let ops = 1;
  let longEnough = 0;
  for (let attempt = 0; longEnough < 2 && attempt < 50; attempt++) {
    const elapsed = await time(ops);
    if (elapsed >= target) {
      longEnough++;
      continue;
    }
    longEnough = 0;
    const scaled = elapsed > 0n ? Math.ceil((ops * Number(target) * 1.1) / Number(elapsed)) : ops * 10;
    ops = Math.min(Math.max(scaled, ops + 1), ops * 100);
  }

  const rounds_ns: number[] = [];
  for (let r = 0; r < config.rounds; r++) rounds_ns.push(Number(await time(ops)) / ops);
  return { name, async: isAsync, ops_per_round: ops, rounds_ns };
}

async function main(): Promise<void> {
  // If perfsop goes away, so does the benchmark.
  process.on('disconnect', () => process.exit(0));
  const config = parseConfig(process.argv[2]);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(config.module).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ReportedError(`importing ${config.module} failed: ${describeError(error)}`);
  }
  const functions = collectFunctions(namespace, config);
  const resolution = timerResolutionNs();
  const results: RawFunctionResult[] = [];
  for (const [name, fn] of functions) {
    try {
      results.push(await benchmark(name, fn, config));
    } catch (error) {
      throw new ReportedError(`\`${name}\` threw: ${describeError(error)}`);
    }
    await send({ type: 'progress', done: results.length, total: functions.length, name });
  }
  await send({ type: 'result', functions: results, node_version: process.version, timer_resolution_ns: resolution });
}

main().then(
  // Exit explicitly: the module under test may have left timers or sockets open.
  () => process.exit(0),
  async (error: unknown) => {
    const field = error instanceof ReportedError ? error.field : undefined;
    const message = error instanceof ReportedError ? error.message : describeError(error);
    try {
      await send(field ? { type: 'error', message, field } : { type: 'error', message });
      process.exit(1);
    } catch {
      // No parent to tell: this is the crash case, the one time stderr is used.
      process.stderr.write(`micro-runner: ${message}\n`);
      process.exit(1);
    }
  },
);
