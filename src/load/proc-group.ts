import { readdirSync, readFileSync } from 'node:fs';

// Linux reports CPU times in clock ticks; 100 per second on every mainstream kernel configuration.
const TICKS_PER_SECOND = 100;

interface GroupMember {
  pid: number;
  state: string;
  cpuTicks: number;
}

/** Processes of a process group, from /proc; undefined where /proc is not available (not Linux). */
function groupMembers(pgid: number): GroupMember[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: GroupMember[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may hold spaces and parentheses; the fields after it are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue; // field 5: pgrp
      members.push({ pid: Number(entry), state: fields[0]!, cpuTicks: Number(fields[11]) + Number(fields[12]) }); // fields 3, 14, 15
    } catch {
      // the process exited while we looked
    }
  }
  return members;
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
