import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AnalysisStore } from '../../src/store/analyses.js';
import { RunStore } from '../../src/store/runs.js';
import { openInChromium } from '../helpers/chromium.js';
import { callError, callOk, connectInMemory, textOf, type Connected } from '../helpers/mcp.js';
import { countColor, readPng } from '../helpers/png.js';

type Report = {
  empty: boolean;
  runs: { total: number; completed: number; failed: number };
  benchmarks: Array<{ name: string; runs: number; trend_pct: number | null; latest: { run_id: number; p95: number; rps: number }; points: Array<{ run_id: number }> }>;
  comparisons: Array<{ run_id: number; regressions: number; improvements: number; rows: Array<{ metric: string; verdict: string; ci95: [number, number] | null }> }>;
  analyses: Array<{ id: number; top: Array<{ title: string; location: string | null }> }>;
  tool_calls: { tasks_executed: number; success_rate: number; avg_execution_time: number; by_tool: Array<{ tool: string; calls: number; failures: number }> };
  tokens: { requests: number; input: number; output: number; cache_read: number; total: number } | null;
  omitted: { benchmarks: number; points: number; comparisons: number; analyses: number };
  html?: { path: string; uri: string };
};

let connected: Connected | undefined;
afterEach(async () => {
  await connected?.close();
  connected = undefined;
});

const stats = (p95: number) => ({ p50: p95 / 2, p90: p95 * 0.9, p95, p99: p95 * 1.5, mean: p95 / 2, stddev: 1, min: 1, max: p95 * 2 });

/** Stores what a day of work leaves behind: three runs of `api` getting faster, a regression of `db`, an analysis. */
function seed(app: Connected['app']): { runs: number[]; analysis: number } {
  const runs = new RunStore(app.db);
  const ids: number[] = [];
  for (const [label, p95, rps] of [['before', 100, 200], ['step', 80, 250], ['after', 60, 330]] as const) {
    const id = runs.createRun({ label, params: {}, host: {} });
    runs.addBenchmark(id, { name: 'api', type: 'http', target: 'http://127.0.0.1:1/', stats: stats(p95), rps, throughputBps: null, requests: rps * 10, errors: 0, timeouts: 0, non2xx: 0, durationS: 10, iterations: null, histogram: null, thresholds: [], notes: [], extra: null }, []);
    runs.finishRun(id, 'completed');
    ids.push(id);
  }
  const failed = runs.createRun({ params: {}, host: {} });
  runs.finishRun(failed, 'failed', 'target down');
  runs.addComparisons(ids[2]!, ids[0]!, [
    { benchmark: 'api', metric: 'p95', baseline: 100, current: 60, changePct: -40, ciLow: -45, ciHigh: -35, verdict: 'improved' },
    { benchmark: 'api', metric: 'rps', baseline: 200, current: 330, changePct: 65, ciLow: 60, ciHigh: 70, verdict: 'improved' },
  ]);
  runs.addComparisons(ids[1]!, ids[0]!, [{ benchmark: 'db', metric: 'p95', baseline: 10, current: 14, changePct: 40, ciLow: 30, ciHigh: 50, verdict: 'regressed' }]);
  const analyses = new AnalysisStore(app.db);
  const analysis = analyses.create('checkout-service', {});
  analyses.complete(analysis, {}, [
    { kind: 'n-plus-one', title: 'N+1 query: SELECT stock FROM inventory WHERE sku = ?', category: 'db', priority: 'critical', impact: { ms_per_request: 12.5, share: 0.5, basis: 'db time' }, location: { function: 'validateInventory', file: 'src/inventory.js', line: 14 }, evidence: {}, fix: 'batch' },
    { kind: 'hot-function', title: 'calculateTax is hot', category: 'cpu', priority: 'high', impact: { ms_per_request: 6, share: 0.2, basis: 'cpu' }, evidence: {}, fix: 'cache' },
  ]);
  return { runs: ids, analysis };
}

describe('performance_report', () => {
  it('reports the stored runs, trends, comparisons (regressions first), analyses and the tool-call log', async () => {
    connected = await connectInMemory();
    const { runs, analysis } = seed(connected.app);
    await callOk(connected.client, 'memory_usage', { action: 'store', key: 'k', value: 'v' });
    await callError(connected.client, 'memory_usage', { action: 'retrieve' });
    await callOk(connected.client, 'token_usage', { action: 'record', usage: { operation: 'optimization', model: 'claude-sonnet-4-5', input_tokens: 1200, output_tokens: 300, cache_read_input_tokens: 2500 } });
    const result = await connected.client.callTool({ name: 'performance_report', arguments: { format: 'summary' } });
    const report = result.structuredContent as Report;
    expect(report.runs).toMatchObject({ total: 4, completed: 3, failed: 1 });
    expect(report.benchmarks).toMatchObject([{ name: 'api', runs: 3, trend_pct: -40, latest: { run_id: runs[2], p95: 60, rps: 330 } }]);
    expect(report.comparisons.map((c) => [c.run_id, c.regressions, c.improvements])).toEqual([[runs[1], 1, 0], [runs[2], 0, 2]]);
    expect(report.comparisons[1]!.rows[0]!.ci95).toEqual([-45, -35]);
    expect(report.analyses).toMatchObject([{ id: analysis, top: [{ location: 'validateInventory (src/inventory.js:14)' }, { title: 'calculateTax is hot' }] }]);
    expect(report.tool_calls).toMatchObject({ tasks_executed: 3, success_rate: 0.6667, by_tool: [{ tool: 'memory_usage', calls: 2, failures: 1 }, { tool: 'token_usage', calls: 1, failures: 0 }] });
    expect(report.tokens).toMatchObject({ requests: 1, input: 1200, output: 300, cache_read: 2500, total: 4000 });
    expect(report.tool_calls.avg_execution_time).toBeGreaterThan(0);

    const text = textOf(result as Parameters<typeof textOf>[0]);
    const lines = text.split('\n');
    expect(lines.findIndex((l) => l.startsWith('REGRESSION'))).toBeLessThan(lines.findIndex((l) => l.startsWith('- api')));
    expect(text).toContain('- api: p50 30.0 ms, p95 60.0 ms, p99 90.0 ms, 330 req/s (run 3, after), p95 -40% over 3 runs.');
    expect(text).toContain('Tool calls: 3 executed, success rate 66.7%');
    expect(text).toContain('LLM tokens: 4,000 in 1 call(s) (input 1,200, output 300, cache writes 0, cache reads 2,500), $0.0');
    // About 300 tokens: a token is ~4 characters of English.
    expect(text.length).toBeLessThan(1600);
  });

  it('adds tables in detailed and markdown, and the whole data in json', async () => {
    connected = await connectInMemory();
    seed(connected.app);
    const detailed = textOf((await connected.client.callTool({ name: 'performance_report', arguments: { format: 'detailed', timeframe: '24h' } })) as Parameters<typeof textOf>[0]);
    expect(detailed).toContain('#### api (http), 3 run(s)');
    expect(detailed).toMatch(/\| 3 \| after \| [\d-]+T[\d:]+ \| 30\.0 \| 60\.0 \| 90\.0 \| 330 \|/);
    expect(detailed).toContain('| db | p95 | 10.0 | 14.0 | +40 | +30 to +50 | regressed |');
    const markdown = textOf((await connected.client.callTool({ name: 'performance_report', arguments: { format: 'markdown' } })) as Parameters<typeof textOf>[0]);
    expect(markdown).toContain('#### api (http), 3 run(s)');
    const json = (await callOk(connected.client, 'performance_report', { format: 'json' })) as unknown as Report;
    expect(json.benchmarks[0]!.runs).toBe(3);
  });

  it('keeps a report over months of runs readable: recent benchmarks, points, comparisons and analyses, with what was left out', async () => {
    connected = await connectInMemory();
    const runs = new RunStore(connected.app.db);
    const run = (name: string, p95: number) => {
      const id = runs.createRun({ params: {}, host: {} });
      runs.addBenchmark(id, { name, type: 'http', target: 'http://127.0.0.1:1/', stats: stats(p95), rps: 100, throughputBps: null, requests: 1000, errors: 0, timeouts: 0, non2xx: 0, durationS: 10, iterations: null, histogram: null, thresholds: [], notes: [], extra: null }, []);
      runs.finishRun(id, 'completed');
      return id;
    };
    // 55 routes measured once, long ago; then 130 runs of `api` getting faster, 25 of them compared with the first.
    for (let i = 0; i < 55; i++) run(`route-${i}`, 10);
    const api = Array.from({ length: 130 }, (_, i) => run('api', 200 - i));
    for (const id of api.slice(1, 26)) runs.addComparisons(id, api[0]!, [{ benchmark: 'api', metric: 'p95', baseline: 200, current: 100, changePct: -50, ciLow: -55, ciHigh: -45, verdict: 'improved' }]);
    const analyses = new AnalysisStore(connected.app.db);
    for (let i = 0; i < 22; i++) analyses.complete(analyses.create('svc', {}), {}, []);

    const report = (await callOk(connected.client, 'performance_report', { format: 'json', timeframe: 'all' })) as unknown as Report;
    expect(report.omitted).toEqual({ benchmarks: 6, points: 30 + 6, comparisons: 5, analyses: 2 });
    expect(report.benchmarks).toHaveLength(50);
    const names = report.benchmarks.map((b) => b.name);
    for (let i = 0; i < 6; i++) expect(names).not.toContain(`route-${i}`);
    expect(names).toContain('route-6');
    const trend = report.benchmarks.find((b) => b.name === 'api')!;
    // Counted and trended over the whole window, drawn from the latest 100 runs.
    expect(trend.runs).toBe(130);
    expect(trend.trend_pct).toBe(-64.5);
    expect(trend.points).toHaveLength(100);
    expect(trend.points[0]!.run_id).toBe(api[30]);
    expect(trend.latest.run_id).toBe(api[129]);
    expect(report.comparisons).toHaveLength(20);
    expect(report.comparisons[0]!.run_id).toBe(api[25]);
    expect(report.analyses).toHaveLength(20);
    expect(report.runs.completed).toBe(185);

    const summary = textOf((await connected.client.callTool({ name: 'performance_report', arguments: { timeframe: 'all' } })) as Parameters<typeof textOf>[0]);
    expect(summary).toContain('185 benchmark run(s) completed, 22 analysis(es)');
    expect(summary).toContain('... and 51 more benchmark(s)');
    expect(summary).toContain('left out to keep this report readable: 6 benchmark(s) not run recently, 36 older run point(s), 5 older comparison(s), 2 older analysis(es)');
  });

  it('says when nothing was stored in the timeframe, and which tool to run first', async () => {
    connected = await connectInMemory();
    const result = (await callOk(connected.client, 'performance_report', { timeframe: '7d' })) as unknown as Report;
    expect(result.empty).toBe(true);
    const text = textOf((await connected.client.callTool({ name: 'performance_report', arguments: {} })) as Parameters<typeof textOf>[0]);
    expect(text).toMatch(/Nothing measured in last 24h/);
    expect(text).toContain('Start with `benchmark_run`');
    expect(await callError(connected.client, 'performance_report', { timeframe: 'yesterday' })).toMatch(/timeframe/);
  });

  it('writes a self-contained HTML report whose charts draw in headless Chromium', { timeout: 120_000 }, async () => {
    connected = await connectInMemory();
    seed(connected.app);
    const report = (await callOk(connected.client, 'performance_report', { format: 'html' })) as unknown as Report;
    const html = readFileSync(report.html!.path, 'utf8');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // nothing to fetch, nothing to run: it works offline
    const read = await connected.client.readResource({ uri: report.html!.uri });
    expect((read.contents[0] as { text: string }).text).toBe(html);
    const listed = await connected.client.listResources();
    expect(listed.resources.map((r) => r.uri)).toContain(report.html!.uri);

    const image = readPng(await openInChromium(html, 'screenshot'));
    // Each chart's own color drew: the latency lines (p50 blue), before/after bars (red, green).
    for (const color of ['#2563eb', '#dc2626', '#16a34a']) expect(countColor(image, color), color).toBeGreaterThan(200);
    expect(existsSync(report.html!.path)).toBe(true);
  });
});
