import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, callOk, connectInMemory, textOf, type Connected } from '../helpers/mcp.js';
import { tempDir } from '../helpers/temp.js';

type Finding = { kind: string; impact: { ms_per_request: number | null }; location?: { function: string; file: string }; evidence: Record<string, unknown> };

/**
 * The SOP's example, end to end: one bottleneck_analyze call on the slow checkout service finds
 * its five planted problems with their evidence; on the optimized variant none of them comes back.
 */
describe('bottleneck_analyze on examples/checkout-service', () => {
  let connected: Connected;
  beforeAll(async () => {
    connected = await connectInMemory({ configPath: join(REPO_ROOT, 'perfsop.config.json') });
  });
  afterAll(async () => {
    await connected.close();
  });

  const analyze = async (component: string) =>
    ((await callOk(connected.client, 'bottleneck_analyze', { component, duration: 6 })) as { findings: Finding[] }).findings;
  const at = (f: Finding) => `${f.location?.function} ${f.location?.file}`;

  it('finds all five planted problems, with evidence, ranked by measured impact', async () => {
    const findings = await analyze('checkout-service');
    const n1 = findings.find((f) => f.kind === 'n-plus-one');
    expect(n1?.evidence).toMatchObject({ fingerprint: 'SELECT quantity FROM inventory WHERE sku = ?', per_request_mean: 15 });
    expect(at(n1!)).toBe('validateInventory examples/checkout-service/src/services/checkout.mjs');

    const index = findings.find((f) => f.kind === 'missing-index');
    expect(index?.evidence).toMatchObject({ table: 'product_variants', column: 'sku', fingerprint: 'SELECT * FROM product_variants WHERE sku = ?' });

    const tax = findings.find((f) => f.kind === 'hot-function' && f.location?.file === 'examples/checkout-service/src/services/tax.mjs');
    expect(tax?.location?.function).toMatch(/lookupTaxJurisdiction|calculateTax/);

    const discounts = findings.find((f) => f.kind === 'algorithmic');
    expect(at(discounts!)).toBe('applyDiscounts examples/checkout-service/src/services/discounts.mjs');

    const logging = findings.find((f) => f.kind === 'logging');
    expect(at(logging!)).toBe('logVerbose examples/checkout-service/src/log.mjs');

    const measured = findings.map((f) => f.impact.ms_per_request).filter((ms): ms is number => ms !== null);
    expect(measured).toEqual([...measured].sort((a, b) => b - a));
  });

  it('finds none of them in the optimized variant', async () => {
    const findings = await analyze('checkout-service-optimized');
    expect(findings.filter((f) => ['n-plus-one', 'missing-index', 'algorithmic', 'logging'].includes(f.kind))).toEqual([]);
    expect(findings.filter((f) => f.location?.file === 'examples/checkout-service/src/services/tax.mjs')).toEqual([]);
    expect(findings.filter((f) => f.location?.function === 'applyDiscounts')).toEqual([]);
  });
});

// The tests below share the example's fixed ports with the ones above: vitest runs the tests of
// one file in order, so they never start the same component twice at once.

/** The SOP text's own calls, verbatim, replayed in its order through a real client over stdio. */
describe('the SOP-008 calls as written', () => {
  it('each succeeds from a fresh clone, in the SOP\'s order', { timeout: 400_000 }, async () => {
    const home = tempDir();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, '--config', join(REPO_ROOT, 'perfsop.config.json')],
      env: { ...(process.env as Record<string, string>), PERFSOP_HOME: home, PERFSOP_LOG_LEVEL: 'warn', CLAUDE_CONFIG_DIR: join(home, 'no-transcripts') },
      cwd: REPO_ROOT,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'sop-replay', version: '0.0.0' });
    await client.connect(transport);
    try {
      const sopLearning = {
        service: 'checkout-service',
        dateAnalyzed: '2025-10-27',
        bottlenecksFound: 4,
        optimizationsImplemented: 4,
        beforeMetrics: { p95: 1850, throughput: 145, cpuUsage: 0.68, dbQueries: 47 },
        afterMetrics: { p95: 312, throughput: 267, cpuUsage: 0.42, dbQueries: 8 },
        improvements: { responseTime: 0.83, throughput: 0.84, cpuEfficiency: 0.38, dbEfficiency: 0.83 },
      };
      const sopExample = { input: { bottleneck: 'N+1 database queries', impact: 340, component: 'inventory-validation' }, output: { technique: 'batch-queries', improvement: 0.96, complexity: 'low' } };
      const calls: Array<[string, Record<string, unknown>]> = [
        ['performance_report', { format: 'detailed', timeframe: '24h' }],
        ['bottleneck_analyze', { component: 'checkout-service', metrics: ['response_time', 'cpu_usage', 'memory', 'db_queries'] }],
        ['benchmark_run', { suite: 'performance-validation', iterations: 100 }],
        ['token_usage', { operation: 'optimization', timeframe: '7d' }],
        ['memory_usage', { action: 'store', key: 'performance/optimizations/checkout-2025-10-27', namespace: 'learning', value: JSON.stringify(sopLearning), ttl: 15552000 }],
        ['neural_train', { pattern_type: 'optimization', training_data: JSON.stringify(sopExample), epochs: 50 }],
      ];
      const answers: Record<string, Record<string, unknown>> = {};
      for (const [name, args] of calls) {
        const result = (await client.callTool({ name, arguments: args }, undefined, { timeout: 300_000 })) as CallToolResult;
        expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
        answers[name] = result.structuredContent as Record<string, unknown>;
      }
      expect(answers.performance_report).toMatchObject({ empty: true });
      expect((answers.bottleneck_analyze!.findings as unknown[]).length).toBeGreaterThanOrEqual(5);
      const benchmarks = answers.benchmark_run!.benchmarks as Array<{ name: string; iterations: number | null }>;
      expect(benchmarks.map((b) => [b.name, b.iterations])).toEqual([['checkout', null], ['tax-calculation', 100]]);
      expect(answers.memory_usage).toMatchObject({ stored: true, namespace: 'learning' });
      expect(answers.neural_train).toMatchObject({ success: true, pattern_type: 'optimization', status: 'trained_unvalidated', examples: 1 });
    } finally {
      await client.close();
    }
  });
});

describe('npm run demo', () => {
  it('runs the whole SOP and shows p95 improved with its confidence interval', { timeout: 300_000 }, () => {
    // TMPDIR too: without --db the demo works in a temporary folder of its own.
    const tmp = tempDir();
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'scripts', 'demo.js')], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 280_000, env: { ...process.env, PERFSOP_HOME: tempDir(), TMPDIR: tmp } });
    expect(run.status, run.stdout.slice(-3000) + run.stderr.slice(-2000)).toBe(0);
    for (let step = 1; step <= 7; step++) expect(run.stdout).toContain(`## Step ${step}/7`);
    expect(run.stdout).toMatch(/\| p95 \| [\d.,]+ ms \| [\d.,]+ ms \| -[\d.]+% \| -[\d.]+% to -[\d.]+% \| improved \|/);
    expect(run.stdout).toMatch(/\| queries per request \| 19 \| 4 \| -78\.9% \| exact count \| improved \|/);
    const html = /HTML report: (\S+\.html)/.exec(run.stdout)?.[1];
    expect(html && existsSync(html)).toBe(true);
    // Of the temporary folder only the report is left: the database and the service's logs are gone.
    const home = /Temporary folder: (\S+)/.exec(run.stdout)?.[1] ?? '';
    expect(dirname(home)).toBe(tmp);
    expect(readdirSync(home, { recursive: true }).map(String).sort()).toEqual(['artifacts', join('artifacts', 'reports'), relative(home, html!)]);
  });
});
