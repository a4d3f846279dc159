import { readdirSync, readFileSync } from 'node:fs';

// Linux reports CPU times in clock ticks; 100 per second on every mainstream kernel configuration.
const TICKS_PER_SECOND = 100;

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** One letter, as ps shows it: R, S, D, Z (zombie), … */
  state: string;
  cpuTicks: number;
}

/** Every process this user can see, from /proc; undefined where /proc is not available (not Linux). */
export function listProcesses(): ProcessInfo[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const processes: ProcessInfo[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses; the fields after it are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields 3 (state), 4 (ppid), 5 (pgrp), 14 and 15 (utime, stime)
      processes.push({ pid: Number(entry), state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]), cpuTicks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process exited while we looked
    }
  }
  return processes;
}

function groupMembers(pgid: number): ProcessInfo[] | undefined {
  return listProcesses()?.filter((p) => p.pgid === pgid);
}

/**
 * CPU time (user + system, ms) used so far by the live processes of a group. Lets a load test say
 * whether the target was busy while the generator drove it.
 */
export function groupCpuMs(pgid: number): number | undefined {
  const members = groupMembers(pgid);
  return members && (members.reduce((sum, m) => sum + m.cpuTicks, 0) * 1000) / TICKS_PER_SECOND;
}

/**
 * Whether any process of the group still runs. Zombies do not count: in a container whose init
 * never reaps orphans they linger, but they hold no port and use no CPU.
 */
export function groupAlive(pgid: number): boolean {
  const members = groupMembers(pgid);
  if (members) return members.some((m) => m.state !== 'Z');
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
