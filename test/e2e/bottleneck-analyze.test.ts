import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { liveGroupCount } from '../../src/load/process-group.js';
import { REPO_ROOT, callError, callOk, connectWithConfig, type Connected } from '../helpers/mcp.js';
import { isListening } from '../helpers/processes.js';
import { freePort } from '../helpers/ports.js';

type Finding = { kind: string; priority: string; title: string; category: string; location?: { function: string; file: string; line: number }; evidence: Record<string, unknown> };
type Result = { findings: Finding[]; summary: Record<string, number | null>; artifacts: Array<{ kind: string; uri: string; path: string }>; routes: Array<{ route: string; queries_per_request: number }> };

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'planted-service.mjs');
const PLANTED_KINDS = ['n-plus-one', 'missing-index', 'algorithmic', 'memory-growth', 'gc-pressure', 'logging'];

let connected: Connected | undefined;
afterEach(async () => {
  await connected?.close();
  connected = undefined;
  expect(liveGroupCount()).toBe(0);
});

/** Analyzes the fixture with the given problems planted; returns the result and the port it used. */
async function analyze(plant: string, extra: Record<string, unknown> = {}): Promise<{ result: Result; port: number }> {
  const port = await freePort();
  connected = await connectWithConfig({
    components: {
      svc: {
        command: `"${process.execPath}" "${FIXTURE}"`,
        cwd: REPO_ROOT,
        env: { PORT: String(port), PLANT: plant },
        url: `http://127.0.0.1:${port}`,
        ready: '/health',
        load: { connections: 4, duration: 4, requests: [{ path: '/work' }] },
      },
    },
  });
  const result = (await callOk(connected.client, 'bottleneck_analyze', { component: 'svc', ...extra })) as unknown as Result;
  return { result, port };
}

function kinds(result: Result): string[] {
  return result.findings.map((f) => f.kind);
}

function absentExcept(result: Result, expected: string, alsoReal: string[] = []): void {
  expect(kinds(result).filter((k) => PLANTED_KINDS.includes(k) && k !== expected && !alsoReal.includes(k))).toEqual([]);
}

describe('bottleneck_analyze finds each planted problem, and only where planted', () => {
  it('a hot function, with its file and line', async () => {
    const { result, port } = await analyze('cpu');
    const hot = result.findings.find((f) => f.kind === 'hot-function' && f.location?.function === 'crunchNumbers');
    expect(hot, JSON.stringify(kinds(result))).toBeDefined();
    expect(hot!.location!.file).toBe('test/fixtures/planted-service.mjs');
    expect(hot!.location!.line).toBeGreaterThan(20);
    absentExcept(result, 'hot-function');
    expect(await isListening(port)).toBe(false);
  });

  it('an N+1 query, with its count per request and the function that issues it', async () => {
    const { result } = await analyze('nplus1');
    const n1 = result.findings.find((f) => f.kind === 'n-plus-one')!;
    expect(n1.evidence).toMatchObject({ fingerprint: 'SELECT price FROM items WHERE id = ?', per_request_mean: 12, per_request_max: 12 });
    expect(n1.location?.function).toBe('loadOrderLines');
    expect(result.summary.queries_per_request).toBe(12);
    absentExcept(result, 'n-plus-one');
  });

  it('a missing index, naming the table and column from EXPLAIN QUERY PLAN', async () => {
    const { result } = await analyze('index');
    const index = result.findings.find((f) => f.kind === 'missing-index')!;
    expect(index.evidence).toMatchObject({ table: 'customers', column: 'email', plan: ['SCAN customers'] });
    expect(index.title).toContain('customers');
    absentExcept(result, 'missing-index');
  });

  it('event-loop blocking, with the synchronous API and the function on the CPU', async () => {
    const { result } = await analyze('blocking');
    const blocking = result.findings.find((f) => f.kind === 'event-loop-blocking')!;
    expect(blocking.priority).not.toBe('low');
    expect((blocking.evidence.sync_apis as Array<{ api: string }>).map((s) => s.api)).toContain('pbkdf2Sync');
    expect((blocking.evidence.on_cpu as Array<{ function: string }>).map((c) => c.function)).toContain('hashPasswordSync');
    absentExcept(result, 'event-loop-blocking');
  });

  it('an O(n^2) hot spot, with the loop lines from the source', async () => {
    const { result } = await analyze('quadratic');
    const quadratic = result.findings.find((f) => f.kind === 'algorithmic')!;
    expect(quadratic.location?.function).toBe('matchTags');
    expect((quadratic.evidence.source as string[]).join('\n')).toContain('item.tags.includes(tag)');
    absentExcept(result, 'algorithmic');
  });

  it('a memory leak, from heap still held after garbage collection', async () => {
    const { result } = await analyze('leak');
    const leak = result.findings.find((f) => f.kind === 'memory-growth')!;
    expect(leak.evidence.retained_per_request_bytes as number).toBeGreaterThan(2_000); // ~4 KB planted per request
    // A heap that keeps growing makes the collector work harder: on a busy machine that crosses the GC threshold too.
    absentExcept(result, 'memory-growth', ['gc-pressure']);
  });

  it('garbage-collection pressure, with the pause time per second', async () => {
    const { result } = await analyze('gc');
    const gc = result.findings.find((f) => f.kind === 'gc-pressure');
    expect(gc, JSON.stringify(result.summary)).toBeDefined();
    expect(gc!.evidence.gc_ms_per_s as number).toBeGreaterThanOrEqual(100);
    absentExcept(result, 'gc-pressure');
  });

  it('excessive logging, naming the function that logs', async () => {
    const { result } = await analyze('logging');
    const logging = result.findings.find((f) => f.kind === 'logging')!;
    expect(logging.location?.function).toBe('logEverything');
    // Pretty-printing four snapshots per request allocates enough to make GC pressure a true finding too.
    absentExcept(result, 'logging', ['gc-pressure']);
  });

  it('nothing planted: none of the problem kinds', async () => {
    const { result } = await analyze('');
    expect(kinds(result).filter((k) => PLANTED_KINDS.includes(k) || k === 'hot-function')).toEqual([]);
  });
});

describe('bottleneck_analyze artifacts, offline profiles and clean-up', () => {
  it('returns the .cpuprofile and a flame graph as resources, and analyzes the profile offline', async () => {
    const { result } = await analyze('cpu,quadratic');
    const profile = result.artifacts.find((a) => a.kind === 'cpuprofile')!;
    const flame = result.artifacts.find((a) => a.kind === 'flamegraph')!;
    const read = await connected!.client.readResource({ uri: flame.uri });
    expect((read.contents[0] as { text: string }).text).toContain('<svg');
    const listed = await connected!.client.listResources();
    expect(listed.resources.map((r) => r.uri)).toEqual(expect.arrayContaining([profile.uri, flame.uri]));
    await expect(connected!.client.readResource({ uri: 'perfsop://artifacts/../../etc/passwd' })).rejects.toThrow(/outside the artifacts folder|no artifact/);

    const offline = (await callOk(connected!.client, 'bottleneck_analyze', { profile: profile.path })) as unknown as Result & { mode: string };
    expect(offline.mode).toBe('offline');
    const liveCpu = result.findings.filter((f) => f.category === 'cpu').map((f) => f.location?.function);
    expect(liveCpu).toContain('crunchNumbers');
    expect(offline.findings.filter((f) => f.category === 'cpu').map((f) => f.location?.function)).toEqual(liveCpu);
  });

  it('reports a service that never becomes ready as an error and leaves nothing behind', async () => {
    const port = await freePort();
    connected = await connectWithConfig({ components: { broken: { command: `"${process.execPath}" -e "process.exit(3)"`, url: `http://127.0.0.1:${port}`, readyTimeout: 5 } } });
    expect(await callError(connected.client, 'bottleneck_analyze', { component: 'broken' })).toMatch(/exited with code 3 before it was ready/);
    expect(await isListening(port)).toBe(false);
  });

  it('stops the load and the profiled service at once when cancelled', async () => {
    const port = await freePort();
    connected = await connectWithConfig({ components: { svc: { command: `"${process.execPath}" "${FIXTURE}"`, env: { PORT: String(port) }, url: `http://127.0.0.1:${port}`, ready: '/health' } } });
    const controller = new AbortController();
    let progressed = 0;
    const call = connected.client.callTool({ name: 'bottleneck_analyze', arguments: { component: 'svc', duration: 60 } }, undefined, {
      signal: controller.signal,
      onprogress: () => {
        if (++progressed === 2) controller.abort();
      },
    });
    await expect(call).rejects.toThrow();
    for (let i = 0; i < 100 && (liveGroupCount() > 0 || (await isListening(port))); i++) await new Promise((r) => setTimeout(r, 50));
    expect(liveGroupCount()).toBe(0);
    expect(await isListening(port)).toBe(false);
    const rows = connected.app.db.prepare('SELECT status FROM analyses').all() as Array<{ status: string }>;
    expect(rows.map((r) => r.status)).toEqual(['cancelled']);
  });

  it('refuses to analyze a component that is already running', async () => {
    const port = await freePort();
    const blocker = createServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')).listen(port, '127.0.0.1');
    try {
      connected = await connectWithConfig({ components: { svc: { command: `"${process.execPath}" "${FIXTURE}"`, url: `http://127.0.0.1:${port}` } } });
      expect(await callError(connected.client, 'bottleneck_analyze', { component: 'svc' })).toMatch(/already running .* stop it so perfsop can start it under the profiler/);
    } finally {
      blocker.close();
    }
  });
});
