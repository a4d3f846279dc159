import { afterAll, describe, expect, it } from 'vitest';
import { techniqueOf } from '../../src/learn/outcomes.js';
import { REPO_ROOT, callOk, connectWithConfig, type Connected } from '../helpers/mcp.js';
import { freePort } from '../helpers/ports.js';
import { startFixtureServer, type FixtureServer } from '../helpers/processes.js';
import { join } from 'node:path';

type Outcome = { benchmark: string; input: Record<string, unknown>; output: { technique: string; improvement: number; verdict: string } };
type Finding = { title: string; suggestions?: { model_id: string; techniques: Array<{ value: string; probability: number }> } };

const servers: FixtureServer[] = [];
let connected: Connected | undefined;
afterAll(async () => {
  await connected?.close();
  await Promise.all(servers.map((s) => s.stop()));
});

describe('the SOP learning loop', () => {
  it('records what a technique measurably did, trains on it, and suggests it for the next bottleneck', async () => {
    const [slow, fast] = await Promise.all([startFixtureServer({ DELAY_MS: '20' }), startFixtureServer({ DELAY_MS: '2' })]);
    servers.push(slow, fast);
    const port = await freePort();
    connected = await connectWithConfig({
      components: {
        svc: {
          command: `"${process.execPath}" "${join(REPO_ROOT, 'test', 'fixtures', 'planted-service.mjs')}"`,
          env: { PORT: String(port), PLANT: 'nplus1' },
          url: `http://127.0.0.1:${port}`,
          ready: '/health',
          load: { connections: 2, duration: 2, requests: [{ path: '/work' }] },
        },
      },
    });
    const client = connected.client;
    const load = { duration: 4, connections: 2 };

    await callOk(client, 'benchmark_run', { url: `${slow.url}/`, ...load, label: 'before' });
    const analysis = (await callOk(client, 'bottleneck_analyze', { component: 'svc' })) as { findings: Finding[] };
    expect(analysis.findings[0]!.suggestions).toBeUndefined(); // no model yet

    const fixed = (await callOk(client, 'benchmark_run', { url: `${fast.url}/`, ...load, label: 'after', technique: 'batch-queries', baseline: 'before' })) as { outcomes_recorded: Outcome[] };
    expect(fixed.outcomes_recorded).toHaveLength(1);
    const outcome = fixed.outcomes_recorded[0]!;
    expect(outcome.output.technique).toBe('batch-queries');
    expect(outcome.output.verdict).toBe('improved');
    expect(outcome.output.improvement).toBeGreaterThan(0.5); // 20 ms -> 2 ms at p95
    expect(outcome.input).toMatchObject({ bottleneck: analysis.findings[0]!.title, metric: 'p95' });

    // A label that names a technique counts as one; this one changed nothing.
    const same = (await callOk(client, 'benchmark_run', { url: `${slow.url}/`, ...load, label: 'memoize', baseline: 'before' })) as { outcomes_recorded: Outcome[] };
    expect(same.outcomes_recorded.map((o) => o.output.technique)).toEqual(['memoize']);
    expect(Math.abs(same.outcomes_recorded[0]!.output.improvement)).toBeLessThan(0.5);

    const trained = (await callOk(client, 'neural_train', { pattern_type: 'optimization' })) as { examples: number; status: string; modelId: string };
    expect(trained).toMatchObject({ examples: 2, status: 'trained_unvalidated' });

    const again = (await callOk(client, 'bottleneck_analyze', { component: 'svc' })) as { findings: Finding[] };
    const suggestions = again.findings[0]!.suggestions!;
    expect(suggestions.model_id).toBe(trained.modelId);
    expect(suggestions.techniques.map((t) => t.value).sort()).toEqual(['batch-queries', 'memoize']);
  });

  it('takes a technique from `technique`, or from a label that is not a moment like "before"', () => {
    expect(techniqueOf({ technique: 'add-index', label: 'after' })).toBe('add-index');
    expect(techniqueOf({ label: 'hash-map-discounts' })).toBe('hash-map-discounts');
    for (const label of ['before', 'after', 'Baseline', 'v2', 'run-3', 'optimized', 'after 2']) expect(techniqueOf({ label })).toBeUndefined();
  });
});
