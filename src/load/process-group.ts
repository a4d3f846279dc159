import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

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

/** SIGTERM to the group, SIGKILL after `graceMs` if the leader has not exited. Resolves once it has. */
export async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    signalGroup(child, 'SIGKILL'); // the leader is gone; make sure its children are too
    return;
  }
  const exited = once(child, 'exit');
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
    signalGroup(child, 'SIGKILL');
  }
}

/** Number of perfsop-started process groups still running (for tests and diagnostics). */
export function liveGroupCount(): number {
  return live.size;
}
