import { describe, expect, it } from 'vitest';
import { callOk, connectInMemory } from '../helpers/mcp.js';
import { startFixtureServer } from '../helpers/processes.js';

type Row = { metric: string; verdict: string; change_pct: number | null; ci95: [number, number] | null };

const PAIRS = 20;

/**
 * The verdict must not cry wolf: the same code measured twice comes out "no significant change" in
 * at least 95% of repetitions. The target is deterministic (each request waits 10 ms on a timer),
 * the machine is whatever the test runs on, busy or not.
 */
describe('benchmark_run verdicts on the same code', () => {
  it(`say "no significant change" in at least 95% of ${PAIRS} back-to-back comparisons`, async () => {
    const server = await startFixtureServer({ DELAY_MS: '10' });
    const { client, close } = await connectInMemory();
    try {
      const alarms: string[] = [];
      await callOk(client, 'benchmark_run', { url: `${server.url}/`, duration: 4, connections: 4, label: 'run-0' });
      for (let i = 1; i <= PAIRS; i++) {
        const result = await callOk(client, 'benchmark_run', { url: `${server.url}/`, duration: 4, connections: 4, label: `run-${i}`, baseline: `run-${i - 1}` });
        const rows = result.comparison as Row[];
        expect(rows).toHaveLength(4);
        const called = rows.filter((r) => r.verdict !== 'no significant change');
        if (called.length > 0) alarms.push(`pair ${i}: ${called.map((r) => `${r.metric} ${r.verdict} ${r.change_pct?.toFixed(1)}% [${r.ci95?.map((x) => x.toFixed(1)).join(', ')}]`).join('; ')}`);
      }
      expect(alarms.length, alarms.join('\n')).toBeLessThanOrEqual(Math.floor(PAIRS * 0.05));
    } finally {
      await close();
      await server.stop();
    }
  }, 240_000);
});
