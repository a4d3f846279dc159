import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectServing, startRawStdio, type RawStdio } from '../helpers/raw-stdio.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;
const line = (value: unknown) => `${JSON.stringify(value)}\n`;
const listTools = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list' });

/**
 * One server process takes every kind of malformed input a broken or hostile client can write on
 * stdin; each must get its JSON-RPC error (the SDK's own transport answers nothing and the
 * client hangs) and the same process must still answer a real tool call afterwards.
 */
describe('malformed JSON-RPC on stdio', () => {
  let server: RawStdio;
  beforeAll(async () => {
    const home = tempDir();
    server = await startRawStdio({ ...process.env, PERFSOP_DB: join(home, 'perfsop.db'), PERFSOP_HOME: home, CLAUDE_CONFIG_DIR: join(home, 'claude') }, home);
  });
  afterAll(async () => {
    // A clean exit: none of the inputs below may have left the process in a bad state.
    expect(await server.stop()).toBe(0);
  });

  it('answers truncated JSON and non-JSON garbage with -32700 and id null', async () => {
    for (const bad of ['{"jsonrpc": "2.0", "id": 1, "meth', 'hello, server', '\u0000\u0001\u0002', '{"ttl": NaN}', '{"a": Infinity}']) {
      await server.write(`${bad}\n`);
      expect(await server.next()).toMatchObject({ id: null, error: { code: -32700 } });
      await expectServing(server, `after-parse-error-${bad.length}`);
    }
  });

  it('answers a wrong jsonrpc version or a missing method with -32600 and the request id', async () => {
    await server.write(line({ jsonrpc: '1.0', id: 7, method: 'tools/list' }));
    expect(await server.next()).toMatchObject({ id: 7, error: { code: -32600, message: expect.stringContaining('"2.0"') } });
    await server.write(line({ jsonrpc: '2.0', id: 'no-method', params: {} }));
    expect(await server.next()).toMatchObject({ id: 'no-method', error: { code: -32600, message: expect.stringContaining('method') } });
    await server.write(line({ jsonrpc: '2.0', id: 9, method: 42 }));
    expect(await server.next()).toMatchObject({ id: 9, error: { code: -32600 } });
    // JSON that is not an object at all.
    await server.write('"just a string"\n42\nnull\n');
    for (let i = 0; i < 3; i++) expect(await server.next()).toMatchObject({ id: null, error: { code: -32600 } });
    await expectServing(server, 'after-invalid-requests');
  });

  it('refuses a batch whole, with one error and none of its requests run', async () => {
    await server.write(line([listTools(11), listTools(12)]));
    expect(await server.next()).toMatchObject({ id: null, error: { code: -32600, message: expect.stringContaining('batch') } });
    const entries = Array.from({ length: 10_000 }, (_, i) => ({ jsonrpc: '2.0', id: 20_000 + i, method: 'tools/call', params: { name: 'memory_usage', arguments: { action: 'list' } } }));
    await server.write(line(entries));
    expect(await server.next()).toMatchObject({ id: null, error: { code: -32600 } });
    // The health check's answers come next: had any batch entry run, its answer would be queued before them.
    await expectServing(server, 'after-batches');
    await server.write(line(listTools(13)));
    expect(await server.next()).toMatchObject({ id: 13, result: { tools: expect.any(Array) } });
  });

  it('survives JSON nested 100,000 levels deep, in and out of a request', async () => {
    await server.write(`${'['.repeat(100_000)}\n`);
    expect(await server.next()).toMatchObject({ error: { code: -32700 } });
    await server.write(`${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(await server.next()).toMatchObject({ error: { code: -32600 } });
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    await server.write(`{"jsonrpc":"2.0","id":31,"method":"tools/call","params":{"name":"memory_usage","arguments":{"action":"list","junk":${deep}}}}\n`);
    const answer = await server.next();
    expect(answer.id).toBe(31);
    expect(answer.result ?? answer.error).toBeDefined();
    await expectServing(server, 'after-deep-json');
  });

  it('answers a 10 MB line with one error before its end arrives, and reads the next line normally', async () => {
    const huge = Buffer.alloc(10 * MiB, 'x');
    await server.write(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"name":"memory_usage","arguments":{"action":"store","key":"huge","value":"'), huge]));
    // No newline sent yet: the error proves the transport gave up on the line instead of buffering it to the end.
    expect(await server.next()).toMatchObject({ id: null, error: { code: -32600, message: expect.stringContaining(`${4 * MiB} bytes`) } });
    await server.write(Buffer.concat([huge, Buffer.from('"}}}\n')]));
    await expectServing(server, 'after-10mb-line');
    // A line just under the cap is still a message.
    const big = 'y'.repeat(4 * MiB - 1000);
    const stored = await server.request('tools/call', { name: 'memory_usage', arguments: { action: 'store', key: 'just-under', value: big } });
    expect(stored.result).toBeDefined();
    expect(stored.error).toBeUndefined();
  });
});
