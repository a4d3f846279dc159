import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PerfsopStdioTransport } from '../../src/transports/stdio-transport.js';

describe('perfsop stdio transport replies to a client that reads slowly', () => {
  it('waits for the pipe with one listener however many replies queue, and delivers them all in order', async () => {
    const stdin = new PassThrough();
    // A tiny buffer nobody reads yet: every reply after the first finds the pipe full.
    const stdout = new PassThrough({ highWaterMark: 64 });
    const transport = new PerfsopStdioTransport(stdin, stdout);
    await transport.start();
    const sent = Array.from({ length: 50 }, (_, id) => transport.send({ jsonrpc: '2.0', id, result: { text: 'x'.repeat(100) } }));
    expect(stdout.listenerCount('drain')).toBe(1);

    const lines: string[] = [];
    let rest = '';
    stdout.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop()!;
      lines.push(...parts);
    });
    await Promise.all(sent);
    expect(lines.map((line) => (JSON.parse(line) as { id: number }).id)).toEqual(Array.from({ length: 50 }, (_, id) => id));
    expect(stdout.listenerCount('drain')).toBe(0);
    await transport.close();
  });

  it('lets a reply waiting for the pipe settle when the pipe closes', async () => {
    const stdout = new PassThrough({ highWaterMark: 16 });
    const transport = new PerfsopStdioTransport(new PassThrough(), stdout);
    await transport.start();
    const waiting = transport.send({ jsonrpc: '2.0', id: 1, result: { text: 'y'.repeat(100) } });
    stdout.destroy();
    await expect(waiting).resolves.toBeUndefined();
  });
});
