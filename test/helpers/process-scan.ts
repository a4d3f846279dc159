import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { commandScratchPrefix } from '../../src/load/command-bench.js';
import { listProcesses, type ProcessInfo } from '../../src/load/proc-group.js';
import { REAPER_MARK } from '../../src/load/process-group.js';
import { agentSocketPrefix } from '../../src/profile/agent-session.js';

/**
 * Finding what a crash left behind. Zombies never count: in a container whose init does not reap
 * orphans they linger, but they hold no port, no file and no CPU.
 */

export interface SeenProcess extends ProcessInfo {
  cmdline: string;
}

function describe(p: ProcessInfo): SeenProcess {
  let cmdline = '?';
  try {
    cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    // exited meanwhile
  }
  return { ...p, cmdline };
}

function live(zombies = false): ProcessInfo[] {
  const all = listProcesses();
  if (!all) throw new Error('these tests read /proc, which this system does not have');
  return zombies ? all : all.filter((p) => p.state !== 'Z');
}

/**
 * The reaper (src/load/process-group.ts): the one process perfsop keeps for its whole life, a
 * child of perfsop itself. It is not something a call left behind.
 */
export function isReaperOf(perfsopPid: number, p: SeenProcess): boolean {
  return p.ppid === perfsopPid && p.cmdline.includes(REAPER_MARK);
}

/**
 * Live processes whose environment holds `name=value` (zombies too with `zombies`: a server that
 * answered while a child of its own is still unreaped has not finished with it). A test sets a fresh marker in the
 * environment of the perfsop it starts; everything perfsop starts inherits it (components add to
 * perfsop's environment, they do not replace it), so this finds every descendant, including ones
 * that moved to another process group or were re-parented to init when their parent died.
 */
export function processesWithEnv(name: string, value: string, options: { zombies?: boolean } = {}): SeenProcess[] {
  const needle = `${name}=${value}`;
  return live(options.zombies)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').includes(needle);
      } catch {
        return false;
      }
    })
    .map(describe);
}

/** Live descendants of `pid` (children, their children, …). */
export function liveDescendants(pid: number): SeenProcess[] {
  const processes = live();
  const found: ProcessInfo[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of processes) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found.map(describe);
}

/** The profiling agents' Unix sockets of perfsop process `pid` still on disk. */
export function agentSockets(pid: number): string[] {
  return inTempFolder(agentSocketPrefix(pid));
}

/** The command benchmarks' scratch folders of perfsop process `pid` still on disk. */
export function commandScratch(pid: number): string[] {
  return inTempFolder(commandScratchPrefix(pid));
}

function inTempFolder(prefix: string): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith(prefix));
}

export function listed(processes: SeenProcess[]): string {
  return processes.map((p) => `${p.pid} (pgid ${p.pgid}, ${p.state}) ${p.cmdline.slice(0, 120)}`).join('\n') || '(none)';
}

/** Polls `check` until it returns true or `ms` pass; then fails with `message()`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, message: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`after ${ms} ms: ${message()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
