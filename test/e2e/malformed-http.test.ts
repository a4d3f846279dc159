import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callOk } from '../helpers/mcp.js';
import { startHttpPerfsop, type HttpPerfsop } from '../helpers/processes.js';

const MiB = 1024 * 1024;
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
const listTools = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list' });

/** Each malformed body, and the JSON-RPC error code it must get with a 400. */
const MALFORMED: Array<{ name: string; body: string; code: number; id?: string | number; says?: string }> = [
  { name: 'truncated JSON', body: '{"jsonrpc": "2.0", "id": 1, "meth', code: -32700 },
  { name: 'non-JSON garbage', body: 'hello, server \u0000', code: -32700 },
  { name: 'NaN (not JSON)', body: '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"x":NaN}}', code: -32700 },
  { name: 'wrong jsonrpc version', body: JSON.stringify({ jsonrpc: '1.0', id: 3, method: 'tools/list' }), code: -32600, id: 3 },
  { name: 'request without method', body: JSON.stringify({ jsonrpc: '2.0', id: 'm', params: {} }), code: -32600, id: 'm' },
  { name: 'a JSON string', body: '"tools/list"', code: -32600 },
  { name: 'batch', body: JSON.stringify([listTools(4), listTools(5)]), code: -32600, says: 'batches are not supported' },
  { name: '10,000-entry batch', body: JSON.stringify(Array.from({ length: 10_000 }, (_, i) => listTools(100 + i))), code: -32600, says: 'batches are not supported' },
  { name: 'unclosed nesting 100,000 deep', body: '['.repeat(100_000), code: -32700 },
  { name: 'nesting 100,000 deep', body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, code: -32600, says: 'batches are not supported' },
];

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body });
  return { status: response.status, text: await response.text() };
}

function expectJsonRpcError(answer: { status: number; text: string }, expected: { code: number; id?: string | number; says?: string }): void {
  expect(answer.status, answer.text.slice(0, 300)).toBe(400);
  expect(JSON.parse(answer.text)).toMatchObject({ jsonrpc: '2.0', id: expected.id ?? null, error: { code: expected.code, message: expect.stringContaining(expected.says ?? '') } });
}

/**
 * POSTs a 10 MB body, declared up front or chunked, over a raw socket, and reads nothing until
 * the whole body is written: a client that does not watch for an early answer. The server must
 * answer 413 and read the rest of the upload. A server that closes the connection instead resets
 * it, and then the write fails or the answer is lost; either fails the call. (Node's own client
 * stops uploading once an answer arrives, so it cannot show this.)
 */
async function postOversized(url: string, headers: Record<string, string>, chunked: boolean): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  const total = 10 * MiB;
  const socket = connect(Number(target.port), target.hostname);
  const received: Buffer[] = [];
  socket.on('data', (data: Buffer) => received.push(data));
  const closed = new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
  // Awaited below; until then a reset must not surface as an unhandled rejection.
  closed.catch(() => undefined);
  const write = (data: string | Buffer) => new Promise<void>((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
  const head = { Host: target.host, ...JSON_HEADERS, ...headers, ...(chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': String(total) }) };
  await write(`POST ${target.pathname}${target.search} HTTP/1.1\r\n${Object.entries(head).map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`);
  const chunk = Buffer.alloc(MiB, 'x');
  for (let sent = 0; sent < total; sent += chunk.length) {
    await write(chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
  }
  if (chunked) await write('0\r\n\r\n');
  // The answer is complete once its body has arrived (by Content-Length, or to the last chunk).
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const tryParse = () => {
      const parsed = parseResponse(Buffer.concat(received).toString('latin1'));
      if (parsed) resolve(parsed);
      return parsed !== undefined;
    };
    if (tryParse()) return;
    socket.on('data', () => tryParse());
    void closed.then(() => reject(new Error(`connection closed before a complete answer: ${Buffer.concat(received).toString('utf8').slice(0, 200)}`)), reject);
  });
  socket.end();
  await closed;
  return answer;
}

/** An HTTP/1.1 response read off the wire, once all of its body is there. */
function parseResponse(raw: string): { status: number; text: string } | undefined {
  const split = raw.indexOf('\r\n\r\n');
  if (split === -1) return undefined;
  const head = raw.slice(0, split);
  let body = raw.slice(split + 4);
  const status = Number(head.slice(9, 12));
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length) return body.length < Number(length[1]) ? undefined : { status, text: Buffer.from(body.slice(0, Number(length[1])), 'latin1').toString('utf8') };
  let text = '';
  for (;;) {
    const line = body.indexOf('\r\n');
    if (line === -1) return undefined;
    const size = parseInt(body.slice(0, line), 16);
    if (size === 0) return { status, text: Buffer.from(text, 'latin1').toString('utf8') };
    if (body.length < line + 2 + size + 2) return undefined;
    text += body.slice(line + 2, line + 2 + size);
    body = body.slice(line + 2 + size + 2);
  }
}

/** Opens GET /sse by hand and returns the endpoint it announces (the SDK client keeps it private). */
async function openSseSession(url: string): Promise<{ endpoint: string; close(): void }> {
  const controller = new AbortController();
  const response = await fetch(`${url}/sse`, { signal: controller.signal });
  const reader = response.body!.getReader();
  let text = '';
  for (;;) {
    const match = /event: endpoint\ndata: (\S+)\n/.exec(text);
    if (match?.[1]) return { endpoint: new URL(match[1], url).href, close: () => controller.abort() };
    const { value, done } = await reader.read();
    if (done) throw new Error(`/sse ended before announcing its endpoint: ${text}`);
    text += new TextDecoder().decode(value);
  }
}

describe('malformed JSON-RPC over HTTP', () => {
  let server: HttpPerfsop;
  let client: Client;
  let transport: StreamableHTTPClientTransport;
  beforeAll(async () => {
    server = await startHttpPerfsop();
    client = new Client({ name: 'malformed-http', version: '0' });
    transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`));
    await client.connect(transport);
  });
  afterAll(async () => {
    await client.close();
    // A clean exit: nothing below may have left the process in a bad state.
    expect(await server.stop()).toBe(0);
  });

  async function expectServing(key: string): Promise<void> {
    await callOk(client, 'memory_usage', { action: 'store', key, value: key });
    expect(await callOk(client, 'memory_usage', { action: 'retrieve', key })).toMatchObject({ found: true, value: key });
  }

  it.each(MALFORMED)('/mcp answers $name with 400 and a JSON-RPC error, with or without a session', async (malformed) => {
    expectJsonRpcError(await post(`${server.url}/mcp`, malformed.body), malformed);
    expectJsonRpcError(await post(`${server.url}/mcp`, malformed.body, { 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-06-18' }), malformed);
    await expectServing(`mcp-after-${malformed.code}-${malformed.body.length}`);
  });

  it.each(MALFORMED)('/messages answers $name with 400 and a JSON-RPC error, and the SSE session stays open', async (malformed) => {
    const sse = await openSseSession(server.url);
    try {
      expectJsonRpcError(await post(sse.endpoint, malformed.body), malformed);
      // The same session still takes a valid message.
      expect((await post(sse.endpoint, JSON.stringify(listTools(1)))).status).toBe(202);
    } finally {
      sse.close();
    }
    await expectServing(`sse-after-${malformed.code}-${malformed.body.length}`);
  });

  it('answers a 10 MB body, declared or chunked, with 413 on both endpoints', async () => {
    const session = { 'mcp-session-id': transport.sessionId!, 'mcp-protocol-version': '2025-06-18' };
    const sse = await openSseSession(server.url);
    try {
      for (const chunked of [false, true]) {
        const atMcp = await postOversized(`${server.url}/mcp`, session, chunked);
        expect(atMcp.status).toBe(413);
        expect(JSON.parse(atMcp.text)).toMatchObject({ error: { code: -32600 } });
        expect((await postOversized(sse.endpoint, {}, chunked)).status).toBe(413);
      }
    } finally {
      sse.close();
    }
    await expectServing('after-10mb-bodies');
  });
});
