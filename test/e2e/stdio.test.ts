import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, callOk } from '../helpers/mcp.js';
import { isRunning, waitForExit } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp.js';
import { assistant, transcriptPath, writeTranscript } from '../helpers/transcripts.js';

async function connectStdio(dbPath: string): Promise<{ client: Client; pid: number }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: { ...(process.env as Record<string, string>), PERFSOP_DB: dbPath },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'perfsop-e2e', version: '0.0.0' });
  await client.connect(transport);
  return { client, pid: transport.pid! };
}

describe('the built CLI over stdio', () => {
  it('loads the engines of benchmark_run, bottleneck_analyze, neural_* and the HTML report only when one is first called', async () => {
    // A module hook in the server appends every module it loads to a file, synchronously, so a
    // module is listed before any answer that needed it is sent.
    const dir = tempDir();
    const hook = join(dir, 'list-loads.mjs');
    const list = join(dir, 'loaded.txt');
    const reporter = `import { appendFileSync } from 'node:fs'; export async function load(url, context, next) { appendFileSync(${JSON.stringify(list)}, url + '\\n'); return next(url, context); }`;
    writeFileSync(hook, `import { register } from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(reporter)}));\n`);
    const loaded = (): string[] =>
      readFileSync(list, 'utf8')
        .split('\n')
        .filter((url) => url.startsWith('file:'))
        .map((url) => relative(REPO_ROOT, fileURLToPath(url)));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', pathToFileURL(hook).href, CLI],
      env: { ...(process.env as Record<string, string>), PERFSOP_DB: join(dir, 'perfsop.db'), PERFSOP_HOME: dir },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'perfsop-e2e', version: '0.0.0' });
    await client.connect(transport);
    const engines = ['dist/src/load/benchmark-run.js', 'dist/src/load/http-load.js', 'dist/src/analyze/bottleneck-analysis.js', 'dist/src/learn/mlp.js', 'dist/src/report/html-report.js'];
    try {
      await client.listTools();
      await callOk(client, 'memory_usage', { action: 'store', key: 'lazy', value: 'modules' });
      await callOk(client, 'memory_usage', { action: 'retrieve', key: 'lazy' });
      await callOk(client, 'performance_report', {});
      expect(loaded()).toContain('dist/src/store/memory.js');
      expect(engines.filter((e) => loaded().includes(e))).toEqual([]);
      const examples = ['cache', 'batch', 'index'].map((technique, i) => ({ input: { kind: `k${i}` }, output: { technique } }));
      await callOk(client, 'neural_train', { pattern_type: 'optimization', training_data: JSON.stringify(examples) });
      await callOk(client, 'performance_report', { format: 'html' });
      expect(loaded()).toContain('dist/src/learn/mlp.js');
      expect(loaded()).toContain('dist/src/report/html-report.js');
    } finally {
      await client.close();
    }
  });

  it('serves tools/list and memory_usage calls to the SDK client, and exits when the client leaves', async () => {
    const db = join(tempDir(), 'perfsop.db');
    const { client, pid } = await connectStdio(db);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('memory_usage');
    expect(await callOk(client, 'memory_usage', { action: 'store', key: 'e2e', value: 'over stdio' })).toMatchObject({ stored: true });
    expect(await callOk(client, 'memory_usage', { action: 'retrieve', key: 'e2e' })).toMatchObject({ found: true, value: 'over stdio' });
    await client.close();
    for (let i = 0; i < 100 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(isRunning(pid)).toBe(false);
  });

  it('keeps what one process stored for a new process after the first has exited', async () => {
    const db = join(tempDir(), 'perfsop.db');
    const first = await connectStdio(db);
    await callOk(first.client, 'memory_usage', { action: 'store', namespace: 'learning', key: 'checkout', value: '{"p95":312}' });
    await first.client.close();
    for (let i = 0; i < 100 && isRunning(first.pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(isRunning(first.pid)).toBe(false);

    const second = await connectStdio(db);
    expect(second.pid).not.toBe(first.pid);
    expect(await callOk(second.client, 'memory_usage', { action: 'retrieve', namespace: 'learning', key: 'checkout' })).toMatchObject({
      found: true,
      value: { p95: 312 },
    });
    await second.client.close();
  });

  it('writes nothing but JSON-RPC messages to stdout, even with debug logging on', async () => {
    const claude = tempDir();
    writeTranscript(transcriptPath(claude, '-p', 's'), [assistant({ ts: '2026-03-01T10:00:00Z', id: 'm', requestId: 'r', model: 'claude-sonnet-4-5', input: 10, output: 5 }), 'not json']);
    const child = spawn(process.execPath, [CLI], {
      env: { ...process.env, PERFSOP_DB: join(tempDir(), 'perfsop.db'), PERFSOP_LOG_LEVEL: 'debug', CLAUDE_CONFIG_DIR: claude },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines: string[] = [];
    const reader = createInterface({ input: child.stdout });
    reader.on('line', (line) => lines.push(line));
    const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'memory_usage', arguments: { action: 'store', key: 'k', value: 'v' } } });
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'memory_usage', arguments: { action: 'bogus' } } });
    send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'token_usage', arguments: { timeframe: 'all' } } });
    send({ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'token_usage', arguments: { action: 'count', text: 'hello' } } });
    for (let i = 0; i < 200 && lines.length < 6; i++) await new Promise((r) => setTimeout(r, 25));
    child.stdin.end();
    expect(await waitForExit(child)).toBe(0);

    expect(lines).toHaveLength(6);
    // Answers may overtake each other: a report waits for its transcript read, a count does not.
    const messages = lines
      .map((line) => JSON.parse(line) as { jsonrpc: string; id: number; result?: { isError?: boolean; structuredContent?: { totals?: object } } })
      .sort((a, b) => a.id - b.id);
    expect(messages.every((m) => m.jsonrpc === '2.0')).toBe(true);
    expect(messages.map((m) => m.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(messages[3]!.result?.isError).toBe(true);
    expect(messages[4]!.result?.structuredContent?.totals).toMatchObject({ requests: 1, input_tokens: 10 });
    expect(stderr).toContain('perfsop debug: database open');
  });
});

describe('stopping the stdio server with a signal', () => {
  it('exits cleanly on SIGTERM and keeps what it had counted', async () => {
    const db = join(tempDir(), 'perfsop.db');
    const { client, pid } = await connectStdio(db);
    await callOk(client, 'memory_usage', { action: 'store', key: 'signal', value: 'x' });
    await callOk(client, 'memory_usage', { action: 'retrieve', key: 'signal' });
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 50));
    expect(isRunning(pid)).toBe(false);
    await client.close();

    const next = await connectStdio(db);
    expect((await callOk(next.client, 'memory_usage', { action: 'list' })).entries).toMatchObject([{ key: 'signal', access_count: 1 }]);
    await next.client.close();
  });
});
