import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { Socket } from 'node:net';
import { groupAlive } from './proc-group.js';

/**
 * Every process perfsop starts runs as the leader of its own process group, so stopping it stops
 * whatever it spawned too (a shell, npm, a cluster of workers). The groups still alive are killed
 * when perfsop exits, however it exits short of SIGKILL; the reaper below covers SIGKILL.
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

/** First line of the reaper's script, so a process listing can tell the reaper apart. */
export const REAPER_MARK = '# perfsop reaper';

/**
 * The reaper: one small shell per perfsop process, in its own session, that reads "+PGID" and
 * "-PGID" lines on a pipe from perfsop and, when that pipe reaches end-of-file, sends SIGTERM to
 * every group still listed and SIGKILL a second later. The pipe ends when perfsop dies however it
 * dies: the kernel closes a killed process's descriptors, so `kill -9`, an OOM kill or a crash in
 * native code all reach it, where the 'exit' hook above runs only for a normal exit.
 *
 * Why one reaper rather than a guard in each group: a guard per spawn would be one more process in
 * every command-benchmark run (its fork timed with the command, and its presence read as "left
 * processes behind" by superviseChild), and it would have to sit between perfsop and the child,
 * in the way of IPC, exit codes and signals. One shell per perfsop costs about a megabyte and
 * leaves every child exactly as it was. It runs in its own session so a signal to perfsop's group
 * (a client killing its server's group) does not take it down together with perfsop.
 *
 * A group is listed from its spawn until no process of it remains (see unregister), so processes a
 * leader left behind are still covered. If the reaper itself dies, the next spawn starts a new one
 * and lists every live group again.
 *
 * "f PATH" lists a file or an empty folder perfsop removes itself when it ends normally (the
 * profiling agents' Unix socket, a command benchmark's scratch folder): a killed perfsop cannot, so
 * the reaper does, in the order they were listed (a folder after the files in it). It never removes
 * a folder that is not empty. Removing a path that is already gone is harmless, so the reaper never
 * unlists a path; perfsop only stops listing it to a new reaper.
 */
const REAPER_SCRIPT = `${REAPER_MARK}
set -f
groups=' '
files=''
while read -r op arg; do
  case $op in
    +) groups="$groups$arg " ;;
    -) case $groups in *" $arg "*) groups="\${groups%% $arg *} \${groups#* $arg }" ;; esac ;;
    f) files="$files$arg
" ;;
  esac
done
printf '%s' "$files" | while IFS= read -r file; do rm -f -- "$file" || rmdir -- "$file"; done
alive=''
for p in $groups; do kill -TERM -"$p" 2>/dev/null && alive="$alive $p"; done
[ -n "$alive" ] || exit 0
sleep 1
for p in $alive; do kill -KILL -"$p" 2>/dev/null; done
`;

let reaper: ChildProcess | undefined;
const crashFiles = new Set<string>();

/**
 * Tells the reaper (started on first use) that group `pgid` exists (`+`) or is gone (`-`), or that
 * file `path` is to be removed if perfsop is killed (`f`).
 */
function tellReaper(op: '+' | '-' | 'f', what: number | string): void {
  if (op !== '-' && !reaper) startReaper();
  if (reaper?.stdin?.writable) reaper.stdin.write(`${op} ${what}\n`);
}

/**
 * Has `path` (a file, or a folder that will be empty by then) removed if perfsop is killed before
 * it removes it itself; `forgetOnKill` once it has. A path with a line break cannot travel on the
 * reaper's line protocol and is not listed.
 */
export function removeOnKill(path: string): void {
  if (/[\r\n]/.test(path)) return;
  crashFiles.add(path);
  tellReaper('f', path);
}

export function forgetOnKill(path: string): void {
  crashFiles.delete(path);
}

function startReaper(): void {
  const child = spawn('/bin/sh', ['-c', REAPER_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  reaper = child;
  // The reaper must not keep perfsop alive: neither the process nor its pipe holds the event loop.
  child.unref();
  if (child.stdin instanceof Socket) child.stdin.unref();
  // A reaper that could not start or died is replaced at the next spawn; writing to it meanwhile
  // must not crash perfsop.
  child.stdin?.on('error', () => {});
  const forget = () => {
    if (reaper === child) reaper = undefined;
  };
  child.once('error', forget);
  child.once('exit', forget);
  for (const group of live) if (group.pid !== undefined) child.stdin?.write(`+ ${group.pid}\n`);
  for (const path of crashFiles) child.stdin?.write(`f ${path}\n`);
}

/**
 * Unlists a group once none of its processes runs (the leader may exit first, e.g. a shell whose
 * server is still closing), so the reaper neither signals a reused id nor lists dead groups forever.
 */
function unregister(child: ChildProcess): void {
  live.delete(child);
  const pgid = child.pid;
  if (pgid === undefined) return;
  // Looked at after the other 'exit' listeners ran: scanning /proc here first would delay the exit
  // time superviseChild records for a command benchmark.
  const check = (tries: number) => {
    if (!groupAlive(pgid)) tellReaper('-', pgid);
    else if (tries < 600) setTimeout(() => check(tries + 1), 100).unref();
  };
  setTimeout(() => check(0), 0).unref();
}

export function spawnGroup(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  installExitHook();
  const child = spawn(command, args, { ...options, detached: true });
  if (child.pid !== undefined) {
    live.add(child);
    tellReaper('+', child.pid);
  }
  child.once('exit', () => unregister(child));
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
