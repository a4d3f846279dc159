import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, InputError } from '../errors.js';
import { median, outlierIndexes } from '../stats/descriptive.js';
import { forgetOnKill, removeOnKill, spawnGroup, superviseChild } from './process-group.js';

/**
 * Hyperfine-style timing of a shell command: warm-up runs, then timed runs, each `sh -c` in its own
 * process group so a cancel or a timeout takes down everything the command started.
 */

export interface CommandBenchmarkSpec {
  command: string;
  cwd: string;
  env?: Record<string, string>;
  warmup: number;
  iterations: number;
  /** Per run; default 10 minutes. */
  timeoutMs?: number;
}

export interface CommandSample {
  wall_ms: number;
  user_ms: number | null;
  sys_ms: number | null;
  max_rss_kb: number | null;
  exit_code: number;
}

export interface CommandBenchmarkResult {
  samples: CommandSample[];
  warmup_runs: number;
  notes: string[];
}

export interface CommandBenchmarkContext {
  signal: AbortSignal;
  /** Called after each timed run (not warm-up runs). */
  onIteration?: (done: number, total: number, lastWallMs: number) => void;
}

const GNU_TIME = '/usr/bin/time';
const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** Enough of stderr to show why a command failed without carrying its whole log around. */
const STDERR_TAIL_CHARS = 2048;
/** Below this, fork/exec of sh (and GNU time) is a large part of what is measured. */
const STARTUP_DOMINATED_MS = 5;

interface RunOutcome {
  wallMs: number;
  userMs: number | null;
  sysMs: number | null;
  maxRssKb: number | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** From GNU time's report when the command itself died of a signal (time then exits 128 + n). */
  terminatedBySignal: number | null;
  stderrTail: string;
  leftProcesses: boolean;
}

/** How the scratch folders of perfsop process `pid` are named in the OS temp folder, up to their random part. */
export function commandScratchPrefix(pid: number): string {
  return `perfsop-cmdbench-${pid}-`;
}

export async function runCommandBenchmark(spec: CommandBenchmarkSpec, ctx: CommandBenchmarkContext): Promise<CommandBenchmarkResult> {
  validate(spec);
  if (ctx.signal.aborted) throw new CancelledError();
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // GNU time is the portable way to get the CPU time and peak RSS of a command's whole tree
  // (it reports the children it waited for); without it wall time is still exact.
  const gnuTime = existsSync(GNU_TIME);
  // A private folder: GNU time recreates its report file on every run, which is only safe where
  // no other user can place a link in its way.
  const scratch = mkdtempSync(join(tmpdir(), commandScratchPrefix(process.pid)));
  const timeFile = join(scratch, 'time.txt');
  // A kill -9 skips the finally below: the reaper then removes the file, then the emptied folder.
  removeOnKill(timeFile);
  removeOnKill(scratch);
  const notes: string[] = [];
  if (!gnuTime) notes.push(`user/sys/RSS unavailable: GNU time (${GNU_TIME}) not installed`);
  const leftovers: string[] = [];
  try {
    const runOne = async (label: string): Promise<RunOutcome> => {
      const outcome = await runOnce(spec, gnuTime ? timeFile : undefined, timeoutMs, ctx.signal, label);
      if (outcome.leftProcesses) leftovers.push(label);
      const failure = describeFailure(outcome);
      if (failure !== undefined) {
        const tail = outcome.stderrTail.trim();
        throw new Error(`\`${spec.command}\` ${failure} on ${label}: ${tail === '' ? '(no stderr output)' : tail}`);
      }
      return outcome;
    };

    for (let k = 1; k <= spec.warmup; k++) await runOne(`warm-up run ${k}`);
    const samples: CommandSample[] = [];
    for (let k = 1; k <= spec.iterations; k++) {
      const outcome = await runOne(`run ${k}`);
      samples.push({
        wall_ms: outcome.wallMs,
        user_ms: outcome.userMs,
        sys_ms: outcome.sysMs,
        max_rss_kb: outcome.maxRssKb,
        exit_code: outcome.exitCode ?? 0,
      });
      ctx.onIteration?.(k, spec.iterations, outcome.wallMs);
    }
    if (leftovers.length > 0) {
      notes.push(
        `${leftovers.length} run(s) (${leftovers.slice(0, 5).join(', ')}) left processes running in their process group after the command exited; they were killed and their work is not in the timings`,
      );
    }
    notes.push(...commandNotes(samples, spec.warmup));
    return { samples, warmup_runs: spec.warmup, notes };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    forgetOnKill(timeFile);
    forgetOnKill(scratch);
  }
}

function validate(spec: CommandBenchmarkSpec): void {
  if (spec.command.trim() === '') throw new InputError('command', 'command is empty');
  if (!Number.isInteger(spec.iterations) || spec.iterations < 1) {
    throw new InputError('iterations', `iterations must be a whole number >= 1, got ${spec.iterations}`);
  }
  if (!Number.isInteger(spec.warmup) || spec.warmup < 0) {
    throw new InputError('warmup', `warmup must be a whole number >= 0, got ${spec.warmup}`);
  }
  if (spec.timeoutMs !== undefined && !(spec.timeoutMs > 0)) {
    throw new InputError('timeoutMs', `timeoutMs must be positive, got ${spec.timeoutMs}`);
  }
  if (!existsSync(spec.cwd) || !statSync(spec.cwd).isDirectory()) {
    throw new InputError('cwd', `cwd is not a directory: ${spec.cwd}`);
  }
}

/** Undefined when the run succeeded, else how it failed ("exited with code 2"). */
function describeFailure(outcome: RunOutcome): string | undefined {
  if (outcome.terminatedBySignal !== null) return `was killed by signal ${outcome.terminatedBySignal}`;
  if (outcome.signal !== null) return `was killed by ${outcome.signal}`;
  if (outcome.exitCode !== 0) return `exited with code ${outcome.exitCode}`;
  return undefined;
}

async function runOnce(
  spec: CommandBenchmarkSpec,
  timeFile: string | undefined,
  timeoutMs: number,
  signal: AbortSignal,
  label: string,
): Promise<RunOutcome> {
  const [file, args] =
    timeFile === undefined
      ? ['sh', ['-c', spec.command]]
      : [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, 'sh', '-c', spec.command]];
  if (timeFile !== undefined) rmSync(timeFile, { force: true });
  // An abort between runs fired no listener of ours; do not start another run.
  if (signal.aborted) throw new CancelledError();

  const started = process.hrtime.bigint();
  // Output is discarded: it is not what is measured and printing it would cost time (and in
  // stdio mode stdout is the protocol). stderr is piped only to explain failures.
  const child: ChildProcess = spawnGroup(file, args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const run = superviseChild(child, { signal, timeoutMs, stderrChars: STDERR_TAIL_CHARS });
  let exit: Awaited<typeof run.closed>;
  try {
    exit = await run.closed;
  } catch (error) {
    throw new Error(`could not start \`${spec.command}\` on ${label}: ${(error as Error).message}`);
  }
  if (run.stoppedBy() === 'abort') throw new CancelledError();
  if (run.stoppedBy() === 'timeout') throw new Error(`\`${spec.command}\` timed out after ${timeoutMs} ms on ${label}; its process group was killed`);
  const report = timeFile === undefined ? undefined : readTimeReport(timeFile);
  return {
    wallMs: Number(exit.exitedAt - started) / 1e6,
    userMs: report?.userMs ?? null,
    sysMs: report?.sysMs ?? null,
    maxRssKb: report?.maxRssKb ?? null,
    exitCode: exit.code,
    signal: exit.signal,
    terminatedBySignal: report?.terminatedBySignal ?? null,
    stderrTail: run.stderrTail(),
    leftProcesses: run.leftProcesses(),
  };
}

interface TimeReport {
  userMs: number | null;
  sysMs: number | null;
  maxRssKb: number | null;
  terminatedBySignal: number | null;
}

/**
 * GNU time writes "Command exited with non-zero status N" or "Command terminated by signal N"
 * before the format line when the command failed, so read the last line for the numbers.
 */
function readTimeReport(path: string): TimeReport | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const killed = lines.map((l) => /^Command terminated by signal (\d+)$/.exec(l)).find((m) => m !== null);
  const numbers = /^(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)$/.exec(lines[lines.length - 1] ?? '');
  return {
    userMs: numbers ? Math.round(Number(numbers[1]) * 1000) : null,
    sysMs: numbers ? Math.round(Number(numbers[2]) * 1000) : null,
    maxRssKb: numbers ? Number(numbers[3]) : null,
    terminatedBySignal: killed ? Number(killed[1]) : null,
  };
}

function ms(x: number): string {
  return `${x.toFixed(x < 10 ? 2 : 1)} ms`;
}

/** Observations about the timed runs, worded for the model reading the result. */
export function commandNotes(samples: readonly CommandSample[], warmupRuns: number): string[] {
  const notes: string[] = [];
  const walls = samples.map((s) => s.wall_ms);
  if (walls.length === 0) return notes;
  const mid = median(walls);

  const outliers = outlierIndexes(walls);
  if (outliers.length > 0) {
    const shown = outliers.slice(0, 10);
    const more = outliers.length > shown.length ? ', …' : '';
    notes.push(
      `${outliers.length} of ${walls.length} runs were outliers (runs ${shown.map((i) => i + 1).join(', ')}${more}: ` +
        `${shown.map((i) => ms(walls[i]!)).join(', ')}${more} vs median ${ms(mid)}); rerun on a quiet machine or raise warmup`,
    );
  }

  if (walls.length >= 3) {
    const first = walls[0]!;
    const rest = median(walls.slice(1));
    // Both a ratio and an absolute gap: a 1.5x jump on a 2 ms command can be scheduler noise.
    if (first >= 1.5 * rest && first - rest >= 1) {
      const advice = warmupRuns === 0 ? 'add warm-up runs (warmup: 3)' : `raise warmup (now ${warmupRuns})`;
      notes.push(
        `the first timed run took ${ms(first)}, ${(first / rest).toFixed(1)}x the median of the others (${ms(rest)}): ` +
          `caches (disk, JIT, DNS) were probably cold; ${advice}`,
      );
    }
  }

  if (mid < STARTUP_DOMINATED_MS) {
    notes.push(
      `median wall time ${ms(mid)} is under ${STARTUP_DOMINATED_MS} ms: starting the process (sh, exec, dynamic linking) ` +
        `dominates what is measured; benchmark the code in-process with a micro benchmark instead`,
    );
  }

  if (samples[0]?.user_ms !== null && mid < 200) {
    notes.push('user/sys CPU times come from GNU time with 10 ms resolution; at this run length they are coarse');
  }
  return notes;
}
