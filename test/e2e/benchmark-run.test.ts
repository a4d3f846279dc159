import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { liveGroupCount } from '../../src/load/process-group.js';
import { RunStore } from '../../src/store/runs.js';
import { CLI, REPO_ROOT, callError, callOk, connectInMemory, textOf, writeConfig } from '../helpers/mcp.js';
import { perTest } from '../helpers/per-test.js';
import { isListening } from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp.js';

type Bench = { name: string; type: string; rps: number; requests: number; errors: number; non2xx: number; stats: { p50: number; p95: number; p99: number; mean: number }; notes: string[] };
type Row = { name: string; metric: string; verdict: string; change_pct: number };

const { fixture, open, use } = perTest();

describe('benchmark_run against real HTTP servers', () => {
  it('counts what the server counted, and stores the run with its per-second samples', async () => {
    const server = await fixture({ DELAY_MS: '2' });
    const { client, app } = await open();
    const result = await callOk(client, 'benchmark_run', { url: `${server.url}/work`, duration: 3, connections: 4 });
    const [bench] = result.benchmarks as Bench[];
    const served = await server.served();
    // autocannon drops the requests still in flight when it stops: at most one per connection.
    expect(bench!.requests).toBeLessThanOrEqual(served);
    expect(bench!.requests).toBeGreaterThanOrEqual(served - 4);
    expect(bench!.errors).toBe(0);
    expect(bench!.non2xx).toBe(0);
    expect(bench!.stats.p50).toBeGreaterThanOrEqual(2); // the server waits 2 ms before answering
    expect(bench!.stats.p99).toBeGreaterThanOrEqual(bench!.stats.p50);

    const store = new RunStore(app.db);
    const run = store.getRun(result.run_id as number);
    expect(run?.status).toBe('completed');
    const [stored] = store.benchmarksOf(run!.id);
    const samples = store.samplesOf(stored!.id);
    expect(samples.get('rps')?.length).toBeGreaterThanOrEqual(1);
    const perSecond = [...(samples.get('rps') ?? []), ...(samples.get('excluded_rps') ?? [])];
    expect(perSecond.length).toBeGreaterThanOrEqual(3);
  });

  it('calls a slower variant regressed, a faster one improved, and the same one no significant change', async () => {
    const fast = await fixture({ DELAY_MS: '5' });
    const slow = await fixture({ DELAY_MS: '20' });
    const { client } = await open();
    const load = { duration: 5, connections: 4 };
    await callOk(client, 'benchmark_run', { ...load, url: `${fast.url}/`, label: 'fast' });
    const same = await callOk(client, 'benchmark_run', { ...load, url: `${fast.url}/`, label: 'fast-again', baseline: 'fast' });
    const slower = await callOk(client, 'benchmark_run', { ...load, url: `${slow.url}/`, label: 'slow', baseline: 'fast' });
    const faster = await callOk(client, 'benchmark_run', { ...load, url: `${fast.url}/`, label: 'fixed', baseline: 'slow' });

    const verdicts = (r: Record<string, unknown>) => Object.fromEntries((r.comparison as Row[]).map((c) => [c.metric, c.verdict]));
    expect(verdicts(same)).toEqual({ p50: 'no significant change', p95: 'no significant change', p99: 'no significant change', rps: 'no significant change' });
    expect(verdicts(slower)).toMatchObject({ p50: 'regressed', rps: 'regressed' });
    expect(verdicts(faster)).toMatchObject({ p50: 'improved', rps: 'improved' });
    const p50 = (slower.comparison as Row[]).find((c) => c.metric === 'p50')!;
    expect(p50.change_pct).toBeGreaterThan(100);
  });

  it('reports a refused connection as an error, not as a result of zero', async () => {
    const port = await freePort();
    const { client } = await open();
    const text = await callError(client, 'benchmark_run', { url: `http://127.0.0.1:${port}/`, duration: 1, connections: 2 });
    expect(text).toMatch(/no request to http:\/\/127\.0\.0\.1:\d+\/ got a response/);
    expect(text).toContain('ECONNREFUSED');
  });

  it('refuses hosts outside the policy before sending anything', async () => {
    const { client } = await open();
    expect(await callError(client, 'benchmark_run', { url: 'http://10.1.2.3/', duration: 1 })).toMatch(/Invalid `url`: load to 10\.1\.2\.3 is not allowed by the policy/);
    expect(await callError(client, 'benchmark_run', { url: 'http://example.com/', duration: 1 })).toMatch(/not allowed by the policy/);
  });

  it('enforces the policy caps with errors naming the field', async () => {
    const { client } = await open({ policy: { maxDuration: 30 } });
    expect(await callError(client, 'benchmark_run', { url: 'http://127.0.0.1:9/', duration: 31 })).toMatch(/Invalid `duration`: duration 31 is above the policy cap of 30/);
    expect(await callError(client, 'benchmark_run', { url: 'http://127.0.0.1:9/', connections: 5000 })).toMatch(/`connections`/);
  });

  it('passes and fails thresholds, and `perfsop call` exits 3 when one fails', async () => {
    const server = await fixture({ DELAY_MS: '5' });
    const { client } = await open();
    const passing = await callOk(client, 'benchmark_run', { url: `${server.url}/`, duration: 2, connections: 2, thresholds: { p95_ms: 10_000, min_rps: 1 } });
    expect(passing.success).toBe(true);
    expect(passing.thresholds).toHaveLength(2);
    const failing = await client.callTool({ name: 'benchmark_run', arguments: { url: `${server.url}/`, duration: 2, connections: 2, p95_ms: 1 } });
    expect((failing.structuredContent as { success: boolean }).success).toBe(false);
    expect(textOf(failing as CallToolResult)).toMatch(/1 of 1 threshold\(s\) FAILED/);

    const home = tempDir();
    const run = (threshold: number) =>
      spawnSync(process.execPath, [CLI, 'call', 'benchmark_run', JSON.stringify({ url: `${server.url}/`, duration: 1, connections: 2, p95_ms: threshold })], {
        env: { ...process.env, PERFSOP_HOME: home },
        encoding: 'utf8',
        timeout: 60_000,
      });
    expect(run(1).status).toBe(3);
    expect(run(60_000).status).toBe(0);
  });

  it('sends progress about once a second while the load runs', async () => {
    const server = await fixture({ DELAY_MS: '1' });
    const { client } = await open();
    const messages: string[] = [];
    await client.callTool({ name: 'benchmark_run', arguments: { url: `${server.url}/`, duration: 3, connections: 2 } }, undefined, {
      onprogress: (p) => messages.push(p.message ?? ''),
    });
    expect(messages.length).toBeGreaterThanOrEqual(3);
    expect(messages[0]).toMatch(/second 1, \d+ req\/s, p95/);
  });
});

describe('benchmark_run with components and suites from the config', () => {
  const fixtureScript = join(REPO_ROOT, 'test', 'fixtures', 'http-server.mjs');

  it('starts a component that is not running, measures it, and stops it again', async () => {
    const port = await freePort();
    const { client } = await open({
      components: { svc: { command: `"${process.execPath}" "${fixtureScript}"`, env: { PORT: String(port), DELAY_MS: '1' }, url: `http://127.0.0.1:${port}`, ready: '/health' } },
    });
    const result = await callOk(client, 'benchmark_run', { component: 'svc', duration: 2, connections: 2 });
    expect((result.benchmarks as Bench[])[0]).toMatchObject({ name: 'svc', errors: 0 });
    expect(await isListening(port)).toBe(false);
    expect(liveGroupCount()).toBe(0);
  });

  it('stops the load and the started component at once when the call is cancelled', async () => {
    const port = await freePort();
    const { client, app } = await open({
      components: { svc: { command: `"${process.execPath}" "${fixtureScript}"`, env: { PORT: String(port), DELAY_MS: '1' }, url: `http://127.0.0.1:${port}`, ready: '/health' } },
    });
    const controller = new AbortController();
    const call = client.callTool({ name: 'benchmark_run', arguments: { component: 'svc', duration: 60, connections: 2, label: 'cancelled' } }, undefined, {
      signal: controller.signal,
      onprogress: () => controller.abort(),
    });
    await expect(call).rejects.toThrow();
    // The server side finishes its clean-up after the client has given up; wait for it.
    for (let i = 0; i < 100 && (liveGroupCount() > 0 || (await isListening(port))); i++) await new Promise((r) => setTimeout(r, 50));
    expect(liveGroupCount()).toBe(0);
    expect(await isListening(port)).toBe(false);
    const runs = app.db.prepare("SELECT status FROM runs WHERE label = 'cancelled'").all() as Array<{ status: string }>;
    expect(runs.map((r) => r.status)).toEqual(['cancelled']);
  });

  it('runs a suite of http, command and micro benchmarks and compares it with its baseline', async () => {
    const server = await fixture({ DELAY_MS: '2' });
    const dir = tempDir();
    const module = join(dir, 'work.mjs');
    writeFileSync(module, 'export function sum() { let s = 0; for (let i = 0; i < 1000; i++) s += i; return s; }\n');
    const { client } = await open({
      suites: {
        validation: {
          benchmarks: [
            { name: 'api', type: 'http', url: `${server.url}/api`, load: { duration: 2, connections: 2 } },
            { name: 'script', type: 'command', command: `"${process.execPath}" -e "1"`, warmup: 1 },
            { name: 'hot', type: 'micro', module },
          ],
          thresholds: { max_error_rate: 0.01 },
        },
      },
    });
    const first = await callOk(client, 'benchmark_run', { suite: 'validation', iterations: 4, label: 'before' });
    expect((first.benchmarks as Bench[]).map((b) => [b.name, b.type])).toEqual([
      ['api', 'http'],
      ['script', 'command'],
      ['hot/sum', 'micro'],
    ]);
    expect(first.success).toBe(true);
    const second = await callOk(client, 'benchmark_run', { suite: 'validation', iterations: 4, label: 'after', baseline: 'before' });
    const metrics = (second.comparison as Row[]).map((c) => `${c.name}:${c.metric}`);
    expect(metrics).toEqual(['api:p50', 'api:p95', 'api:p99', 'api:rps', 'script:mean', 'hot/sum:mean']);
  });

  it('runs a suite from the CLI for CI, exiting 3 when its thresholds fail', async () => {
    const server = await fixture({ DELAY_MS: '2' });
    const config = (p95: number) =>
      writeConfig({ suites: { ci: { benchmarks: [{ name: 'api', type: 'http', url: `${server.url}/`, load: { duration: 2, connections: 2 } }], thresholds: { p95_ms: p95 } } } });
    const run = (configPath: string) =>
      spawnSync(process.execPath, [CLI, '--config', configPath, 'call', 'benchmark_run', '{"suite":"ci"}'], {
        env: { ...process.env, PERFSOP_HOME: tempDir() },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const passing = run(config(60_000));
    expect(passing.status, passing.stderr).toBe(0);
    expect(passing.stdout).toMatch(/\*\*api\*\* \(http/);
    expect(passing.stdout).toContain('All 1 threshold(s) passed');
    const failing = run(config(0.001));
    expect(failing.status).toBe(3);
    expect(failing.stdout).toContain('FAIL: api p95_ms');
  });

  it('refuses ad-hoc commands unless the policy allows them', async () => {
    const { client } = await open();
    expect(await callError(client, 'benchmark_run', { command: 'echo hi' })).toMatch(/ad-hoc commands are not allowed by the policy/);
    const allowed = await open({ policy: { allowAdhocCommands: true } });
    const result = await callOk(allowed.client, 'benchmark_run', { command: 'true', iterations: 3, warmup: 0 });
    expect((result.benchmarks as Bench[])[0]).toMatchObject({ type: 'command', name: 'true' });
  });

  it('says which suites exist when asked for an unknown one', async () => {
    const { client } = await open({ suites: { known: { benchmarks: [{ name: 'x', type: 'http', url: 'http://127.0.0.1:9/' }] } } });
    expect(await callError(client, 'benchmark_run', { suite: 'nope' })).toMatch(/no suite "nope".*known suites: known/s);
    expect(await callError(client, 'benchmark_run', { suite: 'known', baseline: 'never-ran' })).toMatch(/no completed run with id or label "never-ran"/);
  });
});

describe('benchmark_run storage', () => {
  it('never stores credential headers of a call', async () => {
    const server = await fixture({ DELAY_MS: '1' });
    const connected = await use(connectInMemory);
    await callOk(connected.client, 'benchmark_run', { url: `${server.url}/`, duration: 1, connections: 1, headers: { Authorization: 'Bearer s3cr3t', 'X-Trace': 'visible' } });
    const rows = connected.app.db.prepare('SELECT params FROM runs').all() as Array<{ params: string }>;
    expect(rows[0]!.params).not.toContain('s3cr3t');
    expect(JSON.parse(rows[0]!.params).headers).toEqual({ Authorization: '[redacted]', 'X-Trace': 'visible' });
  });
});
