import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { groupAlive } from './proc-group.js';

/**
 * Every process perfsop starts runs as the leader of its own process group, so stopping it stops
 * whatever it spawned too (a shell, npm, a cluster of workers). The groups still alive are killed
 * when perfsop exits, however it exits short of SIGKILL.
 */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) signalGroup(child, 'SIGKILL');
  });
}

export function spawnGroup(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  installExitHook();
  const child = spawn(command, args, { ...options, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * SIGTERM to the group, SIGKILL after `graceMs`; resolves once no process of the group runs, so
 * whatever it listened on is free when this returns. Waiting for the leader alone is not enough:
 * a shell may exit at once while the server it started is still closing its connections.
 */
export async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined) return;
  signalGroup(child, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(20);
  if (groupAlive(pgid)) {
    signalGroup(child, 'SIGKILL');
    await untilGroupGone(pgid);
  }
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

/**
 * Waits (2 s at most) until no process of the group runs. SIGKILL takes effect only when the
 * kernel next schedules the process, so right after the signal a member may still be running.
 */
async function untilGroupGone(pgid: number): Promise<void> {
  for (let i = 0; i < 100 && groupAlive(pgid); i++) await sleep(20);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Number of perfsop-started process groups still running (for tests and diagnostics). */
export function liveGroupCount(): number {
  return live.size;
}

export interface SupervisedChild {
  /** Settles once the child has exited and its stderr has closed (or stopped being waited for). */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null; exitedAt: bigint }>;
  /** Why perfsop killed the group, if it did. */
  stoppedBy(): 'abort' | 'timeout' | undefined;
  stderrTail(): string;
  /** True when the leader exited leaving processes behind in its group (they were killed). */
  leftProcesses(): boolean;
}

/** After the leader exits, how long a straggler (e.g. one that left the group) may hold stderr open. */
const CLOSE_GRACE_MS = 2000;

/**
 * What every run of a child program needs: its group killed on cancel or timeout, whatever it left
 * behind killed when it exits (so no process outlives a benchmark), and the end of its stderr kept
 * to explain a failure. Spawn the child with stderr piped.
 */
export function superviseChild(child: ChildProcess, options: { signal: AbortSignal; timeoutMs: number; stderrChars?: number }): SupervisedChild {
  let stopped: 'abort' | 'timeout' | undefined;
  let left = false;
  let tail = '';
  let exitedAt: bigint | undefined;
  const keep = options.stderrChars ?? 2048;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-keep);
  });
  const stop = (why: 'abort' | 'timeout') => {
    stopped ??= why;
    signalGroup(child, 'SIGKILL');
  };
  const onAbort = () => stop('abort');
  const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
  let closeTimer: NodeJS.Timeout | undefined;
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });

  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null; exitedAt: bigint }>((resolve, reject) => {
    const release = () => {
      clearTimeout(timer);
      if (closeTimer) clearTimeout(closeTimer);
      options.signal.removeEventListener('abort', onAbort);
    };
    child.once('error', (error) => {
      release();
      reject(error);
    });
    child.once('exit', () => {
      exitedAt = process.hrtime.bigint();
      if (child.pid !== undefined && groupAlive(child.pid)) {
        left = stopped === undefined;
        signalGroup(child, 'SIGKILL');
      }
      closeTimer = setTimeout(() => child.stderr?.destroy(), CLOSE_GRACE_MS);
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      release();
      // Settle only once what the leader left behind is really gone, so no process outlives the
      // answer (the fuzzer saw a straggler, already sent SIGKILL, still running after it).
      const settle = () => resolve({ code, signal, exitedAt: exitedAt ?? process.hrtime.bigint() });
      if (child.pid === undefined) settle();
      else void untilGroupGone(child.pid).then(settle);
    });
  });
  return { closed, stoppedBy: () => stopped, stderrTail: () => tail, leftProcesses: () => left };
}
