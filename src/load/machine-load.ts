import { readFileSync } from 'node:fs';

// /proc/stat counts in clock ticks; 100 per second on every mainstream kernel configuration.
const TICKS_PER_SECOND = 100;

/** CPU time (ms) the whole machine has spent busy since boot, all cores; undefined off Linux. */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * How many cores other processes kept busy during a measurement: the machine's busy time minus
 * what the measurement itself used (load generator, and the target when perfsop knows its CPU).
 * Two runs measured under different background load are not comparable at face value.
 */
export function otherCores(busyStartMs: number | undefined, busyEndMs: number | undefined, ownCpuMs: number, wallMs: number): number | undefined {
  if (busyStartMs === undefined || busyEndMs === undefined || wallMs <= 0) return undefined;
  return Math.max(0, (busyEndMs - busyStartMs - ownCpuMs) / wallMs);
}
