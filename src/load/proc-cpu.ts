import { readdirSync, readFileSync } from 'node:fs';

// Linux reports CPU times in clock ticks; 100 per second on every mainstream kernel configuration.
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, ms) used so far by every live process of a process group, read from
 * /proc. Lets a load test say whether the target was busy while the generator drove it.
 * Undefined where /proc is not available.
 */
export function groupCpuMs(pgid: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  let ticks = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name (field 2) may contain spaces and parentheses; fields after it are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue; // field 5: pgrp
      ticks += Number(fields[11]) + Number(fields[12]); // fields 14, 15: utime, stime
    } catch {
      // the process exited while we looked
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
