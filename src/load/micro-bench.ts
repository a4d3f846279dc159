import type { ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { CancelledError, InputError } from '../errors.js';
import { marginOfError95, mean, median, outlierIndexes } from '../stats/descriptive.js';
import type { RawFunctionResult, RunnerConfig, RunnerMessage } from './micro-runner.js';
import { locateChildScript } from './child-script.js';
import { spawnGroup, superviseChild } from './process-group.js';

/**
 * Times the exported functions of a JS module in a fresh Node process (micro-runner.ts), the way
 * benchmark.js or mitata do: warm up, calibrate calls per round, then time rounds. The child is a
 * process-group leader so a cancel or timeout kills it and anything the module started.
 */

export interface MicroBenchmarkSpec {
  /** Absolute path to a .js/.mjs/.cjs file. */
  module: string;
  cwd: string;
  rounds: number;
  /** Default 200. */
  warmupMs?: number;
  /** Default 20. */
  minRoundMs?: number;
  functions?: string[];
  /** Whole benchmark; default 10 minutes. */
  timeoutMs?: number;
}

export interface MicroFunctionResult {
  name: string;
  ops_per_round: number;
  /** ns per op, one per round. */
  rounds_ns: number[];
  mean_ns: number;
  median_ns: number;
  /** 95% margin of error of the mean. */
  moe_ns: number;
  rme_pct: number;
  ops_per_sec: number;
}

export interface MicroBenchmarkResult {
  functions: MicroFunctionResult[];
  notes: string[];
  node_version: string;
}

export interface MicroBenchmarkContext {
  signal: AbortSignal;
  /** Called after each function has been timed. */
  onProgress?: (done: number, total: number, name: string) => void;
  /** The runner's pid once it is started (tests check that cancellation leaves nothing behind). */
  onStart?: (pid: number) => void;
}

const DEFAULT_WARMUP_MS = 200;
const DEFAULT_MIN_ROUND_MS = 20;
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const STDERR_TAIL_CHARS = 2048;
const UNSTABLE_RME_PCT = 5;
/** A round should span this many timer ticks for the clock's granularity to be noise. */
const MIN_TICKS_PER_ROUND = 1000;
const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

/** The compiled runner; PERFSOP_MICRO_RUNNER overrides (see locateChildScript). */
export function locateMicroRunner(): string {
  return locateChildScript('micro-runner.js', 'PERFSOP_MICRO_RUNNER');
}

export async function runMicroBenchmark(spec: MicroBenchmarkSpec, ctx: MicroBenchmarkContext): Promise<MicroBenchmarkResult> {
  const config = validate(spec);
  if (ctx.signal.aborted) throw new CancelledError();
  const runner = locateMicroRunner();
  const raw = await runRunner(runner, config, spec, ctx);
  const functions = raw.functions.map(summarizeFunction);
  return { functions, notes: microNotes(raw.functions, functions, raw.timer_resolution_ns, config), node_version: raw.node_version };
}

function validate(spec: MicroBenchmarkSpec): RunnerConfig {
  if (!existsSync(spec.cwd) || !statSync(spec.cwd).isDirectory()) throw new InputError('cwd', `cwd is not a directory: ${spec.cwd}`);
  const module = isAbsolute(spec.module) ? spec.module : resolve(spec.cwd, spec.module);
  if (!existsSync(module) || !statSync(module).isFile()) {
    throw new InputError('module', `module not found: ${module}`, 'give the absolute path of a .js, .mjs or .cjs file');
  }
  if (!MODULE_EXTENSIONS.has(extname(module))) {
    throw new InputError('module', `module must be a .js, .mjs or .cjs file, got ${module}`, 'compile TypeScript first and point at the emitted .js');
  }
  // At least two rounds: a margin of error needs a spread.
  if (!Number.isInteger(spec.rounds) || spec.rounds < 2) throw new InputError('rounds', `rounds must be a whole number >= 2, got ${spec.rounds}`);
  const warmupMs = spec.warmupMs ?? DEFAULT_WARMUP_MS;
  if (!(warmupMs >= 0)) throw new InputError('warmupMs', `warmupMs must be >= 0, got ${warmupMs}`);
  const minRoundMs = spec.minRoundMs ?? DEFAULT_MIN_ROUND_MS;
  if (!(minRoundMs > 0)) throw new InputError('minRoundMs', `minRoundMs must be positive, got ${minRoundMs}`);
  if (spec.timeoutMs !== undefined && !(spec.timeoutMs > 0)) throw new InputError('timeoutMs', `timeoutMs must be positive, got ${spec.timeoutMs}`);
  const config: RunnerConfig = { module, rounds: spec.rounds, warmupMs, minRoundMs };
  if (spec.functions && spec.functions.length > 0) config.functions = spec.functions;
  return config;
}

type RunnerResult = Extract<RunnerMessage, { type: 'result' }>;

async function runRunner(runner: string, config: RunnerConfig, spec: MicroBenchmarkSpec, ctx: MicroBenchmarkContext): Promise<RunnerResult> {
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let result: RunnerResult | undefined;
  let reported: Extract<RunnerMessage, { type: 'error' }> | undefined;
  // What fork() does, through spawnGroup so the runner leads its own process group and is killed
  // if perfsop exits. execArgv is explicit: inheriting the parent's (a TS loader under vitest,
  // --inspect) would change or break the child. --expose-gc lets the runner collect between functions.
  const child: ChildProcess = spawnGroup(process.execPath, ['--expose-gc', runner, JSON.stringify(config)], {
    cwd: spec.cwd,
    env: process.env,
    // The module's own output is not ours to print: stdout may be the MCP protocol.
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
  });
  if (child.pid !== undefined) ctx.onStart?.(child.pid);
  const run = superviseChild(child, { signal: ctx.signal, timeoutMs, stderrChars: STDERR_TAIL_CHARS });
  child.on('message', (message: RunnerMessage) => {
    if (run.stoppedBy()) return;
    if (message.type === 'progress') ctx.onProgress?.(message.done, message.total, message.name);
    else if (message.type === 'result') result = message;
    else if (message.type === 'error') reported = message;
  });
  let exit: Awaited<typeof run.closed>;
  try {
    exit = await run.closed;
  } catch (error) {
    throw new Error(`could not start the micro benchmark runner: ${(error as Error).message}`);
  }
  if (run.stoppedBy() === 'abort') throw new CancelledError();
  if (run.stoppedBy() === 'timeout') throw new Error(`micro benchmark of ${config.module} timed out after ${timeoutMs} ms; the runner was killed`);
  if (reported) throw reported.field ? new InputError(reported.field, reported.message) : new Error(reported.message);
  if (result) return result;
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const tail = run.stderrTail().trim();
  throw new Error(`micro benchmark runner ${how} before reporting${tail ? `: ${tail}` : ''}`);
}

function summarizeFunction(raw: RawFunctionResult): MicroFunctionResult {
  const m = mean(raw.rounds_ns);
  const moe = marginOfError95(raw.rounds_ns);
  return {
    name: raw.name,
    ops_per_round: raw.ops_per_round,
    rounds_ns: raw.rounds_ns,
    mean_ns: m,
    median_ns: median(raw.rounds_ns),
    moe_ns: moe,
    rme_pct: m > 0 ? (moe / m) * 100 : 0,
    ops_per_sec: m > 0 ? 1e9 / m : Number.POSITIVE_INFINITY,
  };
}

function ns(x: number): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} ms`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(2)} µs`;
  return `${x.toFixed(x < 10 ? 2 : 1)} ns`;
}

/**
 * Observations about the measurements, worded for the model reading the result. Each note is about
 * one function and names it in backticks, so a caller can pick a function's notes by "`name`".
 */
export function microNotes(
  raw: readonly RawFunctionResult[],
  results: readonly MicroFunctionResult[],
  timerResolutionNs: number,
  config: Pick<RunnerConfig, 'minRoundMs'>,
): string[] {
  const notes: string[] = [];
  results.forEach((r, i) => {
    const fn = raw[i];
    if (r.rme_pct > UNSTABLE_RME_PCT) {
      notes.push(
        `unstable: \`${r.name}\` varies ±${r.rme_pct.toFixed(1)}% (95% margin of error of the mean over ${r.rounds_ns.length} rounds); ` +
          'rerun on a quiet machine, or raise rounds or minRoundMs',
      );
    }
    const outliers = outlierIndexes(r.rounds_ns);
    if (outliers.length > 0) {
      notes.push(`\`${r.name}\`: ${outliers.length} of ${r.rounds_ns.length} rounds were outliers (GC or other load); its median is the safer figure`);
    }
    const roundNs = r.median_ns * r.ops_per_round;
    if (timerResolutionNs > 0 && roundNs < MIN_TICKS_PER_ROUND * timerResolutionNs) {
      notes.push(
        `\`${r.name}\`: a round lasts ${ns(roundNs)}, under ${MIN_TICKS_PER_ROUND} ticks of the ${ns(timerResolutionNs)} timer; ` +
          `timer resolution dominates; raise minRoundMs (now ${config.minRoundMs})`,
      );
    }
    if (r.median_ns < 1) {
      notes.push(
        `\`${r.name}\`: ${ns(r.median_ns)} per call is less than a real call costs; the JIT has probably removed the work. ` +
          'Make the function return a value computed from varying input',
      );
    }
    if (fn?.async) {
      notes.push(`\`${r.name}\` returns a promise: each call was awaited before the next, so times are latency per call including promise overhead, not throughput`);
    }
  });
  return notes;
}
