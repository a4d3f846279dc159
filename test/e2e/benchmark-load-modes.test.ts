import { afterEach, describe, expect, it } from 'vitest';
import { liveGroupCount } from '../../src/load/process-group.js';
import { callError, callOk, connectInMemory, type Connected } from '../helpers/mcp.js';
import { startFixtureServer, type FixtureServer } from '../helpers/processes.js';

type Step = { offered_rps: number; achieved_rps: number; p95: number; error_rate: number; passed: boolean };
type Capacity = { target_p95_ms: number; max_sustainable_rps: number | null; limited_by: string; unconstrained_rps: number; steps: Step[]; note?: string };
type Bench = { requests: number; errors: number; notes: string[]; capacity?: Capacity };

let connected: Connected | undefined;
let server: FixtureServer | undefined;
afterEach(async () => {
  await connected?.close();
  await server?.stop();
  connected = undefined;
  server = undefined;
});

describe('benchmark_run load modes', () => {
  it('spreads the load over worker processes and still counts every response', async () => {
    server = await startFixtureServer({ DELAY_MS: '2' });
    connected = await connectInMemory();
    const result = await callOk(connected.client, 'benchmark_run', { url: `${server.url}/`, duration: 3, connections: 6, workers: 2 });
    const [bench] = result.benchmarks as Bench[];
    const served = await server.served();
    expect(bench!.requests).toBeLessThanOrEqual(served);
    expect(bench!.requests).toBeGreaterThanOrEqual(served - 6);
    expect(bench!.notes.join(' ')).toMatch(/the busiest of 2 load workers used \d+% of a core/);
    expect(liveGroupCount()).toBe(0);
  });

  it('kills its load workers at once when cancelled', async () => {
    server = await startFixtureServer({ DELAY_MS: '2' });
    connected = await connectInMemory();
    const controller = new AbortController();
    const call = connected.client.callTool({ name: 'benchmark_run', arguments: { url: `${server.url}/`, duration: 60, connections: 4, workers: 2 } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort(),
    });
    await expect(call).rejects.toThrow();
    for (let i = 0; i < 100 && liveGroupCount() > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(liveGroupCount()).toBe(0);
  });

  it('finds the highest rate held within the p95 target and reports the curve', async () => {
    // 10 ms per request on a timer: 20 connections can carry at most ~2,000 req/s, so the search
    // runs into that ceiling well inside a generous latency goal.
    server = await startFixtureServer({ DELAY_MS: '10' });
    connected = await connectInMemory();
    const result = await callOk(connected.client, 'benchmark_run', {
      url: `${server.url}/`,
      duration: 3,
      connections: 20,
      capacity: true,
      target_p95_ms: 500,
      step_duration: 2,
    });
    const capacity = (result.benchmarks as Bench[])[0]!.capacity!;
    expect(capacity.target_p95_ms).toBe(500);
    const offered = capacity.steps.map((s) => s.offered_rps);
    expect(offered).toEqual([...offered].sort((a, b) => a - b));
    expect(capacity.steps[0]!.passed).toBe(true);
    // Every step but the last held; the last one failed on the condition named, or all held.
    expect(capacity.steps.slice(0, -1).every((s) => s.passed)).toBe(true);
    const last = capacity.steps[capacity.steps.length - 1]!;
    if (capacity.limited_by === 'not reached') expect(last.passed).toBe(true);
    else expect(last.passed).toBe(false);
    if (capacity.limited_by === 'throughput') {
      expect(last.achieved_rps).toBeLessThan(last.offered_rps * 0.9);
      expect(capacity.note).toMatch(/20 connections at ~\d+\.\d ms per request carry at most/);
    }
    const held = capacity.steps.filter((s) => s.passed);
    expect(capacity.max_sustainable_rps).toBe(held[held.length - 1]!.achieved_rps);
  });

  it('asks for a latency goal in capacity mode', async () => {
    connected = await connectInMemory();
    expect(await callError(connected.client, 'benchmark_run', { url: 'http://127.0.0.1:9/', capacity: true })).toMatch(/Invalid `target_p95_ms`: capacity mode needs a latency goal/);
  });
});
