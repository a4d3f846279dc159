import { afterEach, describe, expect, it } from 'vitest';
import { connectInMemory, type Connected } from '../helpers/mcp.js';
import { RunStore } from '../../src/store/runs.js';
import { AnalysisStore } from '../../src/store/analyses.js';

let connected: Connected | undefined;
afterEach(async () => {
  await connected?.close();
  connected = undefined;
});

describe('the sop_perf prompt', () => {
  it('is listed with its arguments and orders the SOP tools for the given component and target', async () => {
    connected = await connectInMemory();
    const { prompts } = await connected.client.listPrompts();
    expect(prompts.map((p) => [p.name, p.arguments?.map((a) => [a.name, a.required])])).toEqual([
      ['sop_perf', [['component', true], ['issue', true], ['target_p95_ms', false]]],
    ]);
    const prompt = await connected.client.getPrompt({ name: 'sop_perf', arguments: { component: 'checkout-service', issue: 'checkout p95 is 1.8 s', target_p95_ms: '300' } });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    expect(text).toContain('checkout p95 is 1.8 s');
    const order = ['benchmark_run {"component": "checkout-service", "label": "before", "p95_ms": 300}', 'bottleneck_analyze', '"baseline": "before"', 'performance_report', 'memory_usage', 'neural_train'];
    const positions = order.map((step) => text.indexOf(step));
    expect(positions.every((p) => p >= 0), JSON.stringify(positions)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('refuses a missing component or a bad target, naming the argument', async () => {
    connected = await connectInMemory();
    await expect(connected.client.getPrompt({ name: 'sop_perf', arguments: { issue: 'slow' } })).rejects.toThrow(/component/);
    await expect(connected.client.getPrompt({ name: 'sop_perf', arguments: { component: 'a', issue: 'slow', target_p95_ms: 'fast' } })).rejects.toThrow(/target_p95_ms/);
    await expect(connected.client.getPrompt({ name: 'nope' })).rejects.toThrow(/Unknown prompt/);
  });
});

describe('runs and analyses as resources', () => {
  it('lists and reads them by URI, and refuses unknown ones', async () => {
    connected = await connectInMemory();
    const runs = new RunStore(connected.app.db);
    const runId = runs.createRun({ label: 'before', params: {}, host: {} });
    runs.addBenchmark(runId, { name: 'api', type: 'http', target: null, stats: { p50: 1, p95: 2 }, rps: 100, throughputBps: null, requests: 1000, errors: 0, timeouts: 0, non2xx: 0, durationS: 10, iterations: null, histogram: null, thresholds: [], notes: [], extra: null }, []);
    runs.finishRun(runId, 'completed');
    const analyses = new AnalysisStore(connected.app.db);
    const analysisId = analyses.create('svc', {});
    analyses.complete(analysisId, { rps: 5 }, [
      { kind: 'n-plus-one', title: 'N+1 query', category: 'db', priority: 'high', impact: { ms_per_request: 3, share: 0.4, basis: 'x' }, evidence: { count: 12 }, fix: 'batch it' },
    ]);

    const { resources } = await connected.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining([`perfsop://runs/${runId}`, `perfsop://analyses/${analysisId}`]));
    const run = JSON.parse(((await connected.client.readResource({ uri: `perfsop://runs/${runId}` })).contents[0] as { text: string }).text);
    expect(run).toMatchObject({ id: runId, label: 'before', status: 'completed', benchmarks: [{ name: 'api', rps: 100, stats: { p95: 2 } }] });
    const analysis = JSON.parse(((await connected.client.readResource({ uri: `perfsop://analyses/${analysisId}` })).contents[0] as { text: string }).text);
    expect(analysis.findings).toMatchObject([{ rank: 1, kind: 'n-plus-one', evidence: { count: 12 } }]);

    await expect(connected.client.readResource({ uri: 'perfsop://runs/999' })).rejects.toThrow(/no run 999/);
    await expect(connected.client.readResource({ uri: 'perfsop://secrets/1' })).rejects.toThrow(/unknown resource/);
    const templates = await connected.client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toEqual(['perfsop://runs/{id}', 'perfsop://analyses/{id}', 'perfsop://artifacts/{path}']);
  });
});
