import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { latencySummary, processLoad } from '../../bench/stress/scenarios.mjs';
import { CLI } from '../helpers/mcp.js';
import { tempDir } from '../helpers/temp.js';

const PROCESSES = 8;
const OPS_EACH = 5_000;

const log = (line: string) => process.stderr.write(`[load] ${line}\n`);

describe('8 perfsop processes on one database under a mixed memory_usage load', () => {
  it(`answers ${PROCESSES} x ${OPS_EACH} concurrent operations without an error, a lost write or an inconsistent version`, async () => {
    const dir = tempDir();
    const result = await processLoad({
      cli: CLI,
      dbPath: join(dir, 'shared.db'),
      processes: PROCESSES,
      opsPerProcess: OPS_EACH,
      inFlight: 4,
      // One process only reads, so its read cache lives long: a cache serving rows older than the
      // last acknowledged store fails the test (the mixed-load processes clear theirs on every write).
      readers: 1,
      // PERFSOP_HOME in the temp folder: nothing of the run lands in the real home.
      env: { PERFSOP_HOME: dir },
      log,
    });
    // Latencies are recorded for the report, never asserted: the machine is shared.
    for (const { op, n, p50, p99 } of latencySummary(result.latency)) log(`${op}: ${n} calls, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
    log(`${result.operations} operations in ${(result.elapsedMs / 1000).toFixed(1)} s; ${result.sharedWrites} stores to shared keys`);

    // Counts first, with the first few cases as the message: a broken run can have thousands.
    expect(result.busyErrors, 'calls answered SQLITE_BUSY / database is locked').toBe(0);
    expect(result.busyInLogs, 'SQLITE_BUSY in the servers\' stderr').toBe(0);
    expect(result.errors.length, JSON.stringify(result.errors.slice(0, 10), null, 1)).toBe(0);
    expect(result.lostWrites, JSON.stringify(result.problems.filter((p) => p.kind === 'lost write').slice(0, 10), null, 1)).toBe(0);
    expect(result.problems.length, JSON.stringify(result.problems.slice(0, 10), null, 1)).toBe(0);
    expect(result.operations).toBe(PROCESSES * OPS_EACH);
    // The shared keys were really contended, or the version checks would prove nothing.
    expect(result.sharedWrites).toBeGreaterThan(PROCESSES * 100);
  });
});
