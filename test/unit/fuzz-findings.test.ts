import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { RunStore } from '../../src/store/runs.js';
import { callOk, connectInMemory, textOf, type Connected } from '../helpers/mcp.js';

/**
 * What test/stress/fuzz.test.ts found, each kept as the smallest call that showed it. Each used
 * to end in "Internal error in <tool>: its result did not match the declared output schema"
 * (or an unexpected exception) instead of a clear answer about the argument.
 */
let connected: Connected | undefined;
afterEach(async () => {
  await connected?.close();
  connected = undefined;
});

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  connected ??= await connectInMemory();
  return (await connected.client.callTool({ name, arguments: args })) as CallToolResult;
}

/** Either a result or a clear refusal of the named argument; never an internal error. */
function expectAnsweredOrRefused(result: CallToolResult, field: string): void {
  const text = textOf(result);
  expect(text).not.toMatch(/Internal error|perfsop bug|failed:/);
  if (result.isError) expect(text).toContain(field);
}

describe('token_usage record at the limits', () => {
  it('refuses token counts whose sum leaves the safe integer range', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    const result = await call('token_usage', { action: 'record', usage: { model: 'claude-sonnet-4-5', input_tokens: max, output_tokens: max } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('usage');
    expect(textOf(result)).not.toMatch(/Internal error/);
  });

  it('refuses stated costs whose sum overflows to Infinity', async () => {
    const result = await call('token_usage', { action: 'record', usage: [1, 2].map(() => ({ model: 'claude-sonnet-4-5', input_tokens: 1, cost_usd: 1e308 })) });
    expectAnsweredOrRefused(result, 'cost_usd');
  });
});

describe('token_usage report over a timeframe longer than a Date can reach', () => {
  it('reports from the start instead of failing to print the window', async () => {
    await call('token_usage', { action: 'record', usage: { model: 'claude-sonnet-4-5', input_tokens: 5 } });
    const report = await callOk(connected!.client, 'token_usage', { timeframe: '9999999999w', timezone: 'UTC', group_by: 'day' });
    expect(report.timeframe).toMatchObject({ since: null });
    expect(report.totals).toMatchObject({ input_tokens: 5 });
  });
});

describe('performance_report filtered by a component', () => {
  function seedRun(app: Connected['app'], name: string): void {
    const runs = new RunStore(app.db);
    const id = runs.createRun({ params: {}, host: {} });
    const stats = { p50: 1, p90: 1, p95: 1, p99: 1, mean: 1, stddev: 0, min: 1, max: 1 };
    runs.addBenchmark(id, { name, type: 'http', target: 'http://127.0.0.1:1/', stats, rps: 1, throughputBps: null, requests: 1, errors: 0, timeouts: 0, non2xx: 0, durationS: 1, iterations: null, histogram: null, thresholds: [], notes: [], extra: null }, []);
    runs.finishRun(id, 'completed');
  }

  it('matches the name literally: LIKE wildcards in it match only themselves', async () => {
    connected = await connectInMemory();
    seedRun(connected.app, 'axb/checkout');
    seedRun(connected.app, 'a_b/checkout');
    const report = await callOk(connected.client, 'performance_report', { format: 'json', timeframe: 'all', component: 'a_b' });
    expect((report.benchmarks as Array<{ name: string }>).map((b) => b.name)).toEqual(['a_b/checkout']);
    const wildcards = await callOk(connected.client, 'performance_report', { format: 'json', timeframe: 'all', component: '%'.repeat(1000) });
    expect(wildcards.benchmarks).toEqual([]);
  });

  it('refuses a name too long to be any component, before SQLite refuses the pattern', async () => {
    const result = await call('performance_report', { component: 'x'.repeat(100_000) });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('component');
    expect(textOf(result)).not.toMatch(/failed:|too complex/);
  });
});

describe('names that are Object.prototype properties', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])('benchmark_run and bottleneck_analyze answer that no suite or component "%s" exists', async (name) => {
    for (const [tool, field] of [['benchmark_run', 'suite'], ['benchmark_run', 'component'], ['bottleneck_analyze', 'component']] as const) {
      const result = await call(tool, { [field]: name });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`no ${field} "${name}"`);
    }
  });
});
