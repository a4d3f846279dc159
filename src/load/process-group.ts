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
    for (let i = 0; i < 100 && groupAlive(pgid); i++) await sleep(20);
  }
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Number of perfsop-started process groups still running (for tests and diagnostics). */
export function liveGroupCount(): number {
  return live.size;
}
