import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ProgressNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, callOk } from '../helpers/mcp.js';
import { startFixtureServer, startHttpPerfsop, type HttpPerfsop } from '../helpers/processes.js';

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

/** A raw request with full control over headers, including Host (which fetch will not let us set). */
function rawRequest(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          // An SSE stream never ends on its own; the status and first bytes are all we need.
          if (res.headers['content-type']?.includes('text/event-stream')) res.destroy();
        });
        res.on('close', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Declares a 10 MB body but sends only its first bytes: the server must refuse before buffering it. */
function oversizedPost(url: string, declared: number): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, method: 'POST', path: '/mcp', headers: { ...JSON_HEADERS, 'Content-Length': String(declared) } },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        req.destroy();
      },
    );
    req.on('error', reject);
    req.write('x'.repeat(1024));
  });
}

/** Every route and method a client can reach, known or not: the guard must hold before routing. */
const ROUTES: Array<{ method: string; path: string; body?: string }> = [
  { method: 'POST', path: '/mcp', body: JSON.stringify(INIT) },
  { method: 'GET', path: '/mcp' },
  { method: 'DELETE', path: '/mcp' },
  { method: 'PUT', path: '/mcp', body: '{}' },
  { method: 'OPTIONS', path: '/mcp' },
  { method: 'GET', path: '/sse' },
  { method: 'POST', path: '/sse', body: '{}' },
  { method: 'POST', path: '/messages?sessionId=x', body: '{}' },
  { method: 'GET', path: '/messages' },
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/nope/../mcp' },
  { method: 'POST', path: '/unknown', body: '{}' },
];

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The SSE session id announced in the `endpoint` event of a fresh GET /sse. */
async function sseSessionId(url: string, headers: Record<string, string> = {}): Promise<string> {
  const opened = await rawRequest(url, { path: '/sse', headers });
  const id = /sessionId=([^\s&]+)/.exec(opened.body)?.[1];
  if (!id) throw new Error(`no endpoint event in ${JSON.stringify(opened.body)}`);
  return id;
}

/** The same id with its last hex digit moved by one: what a sequential guess would try. */
function neighbour(id: string): string {
  const last = parseInt(id.slice(-1), 16);
  return id.slice(0, -1) + ((last + 1) % 16).toString(16);
}

async function streamableClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'e2e-streamable', version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
  return client;
}

async function sseClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'e2e-sse', version: '0' });
  const transport = new SSEClientTransport(new URL(`${url}/sse`), {
    requestInit: { headers },
    eventSourceInit: { fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
  });
  await client.connect(transport);
  return client;
}

describe('perfsop --http without a token', () => {
  let server: HttpPerfsop;
  beforeAll(async () => {
    server = await startHttpPerfsop();
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
  });

  it('serves Streamable HTTP at /mcp to the SDK client', async () => {
    const client = await streamableClient(server.url);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('memory_usage');
    await callOk(client, 'memory_usage', { action: 'store', key: 'from-http', value: 'streamable' });
    expect(await callOk(client, 'memory_usage', { action: 'retrieve', key: 'from-http' })).toMatchObject({ value: 'streamable' });
    await client.close();
  });

  it('serves the legacy SSE transport from the same process, on the same database', async () => {
    const client = await sseClient(server.url);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('memory_usage');
    await callOk(client, 'memory_usage', { action: 'store', key: 'from-sse', value: 'sse' });
    const other = await streamableClient(server.url);
    expect(await callOk(other, 'memory_usage', { action: 'retrieve', key: 'from-sse' })).toMatchObject({ value: 'sse' });
    await Promise.all([client.close(), other.close()]);
  });

  it('answers 403 to a foreign Origin on every route', async () => {
    const evil = { Origin: 'http://evil.example' };
    expect((await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: { ...JSON_HEADERS, ...evil }, body: JSON.stringify(INIT) })).status).toBe(403);
    expect((await rawRequest(server.url, { path: '/sse', headers: evil })).status).toBe(403);
    expect((await rawRequest(server.url, { method: 'POST', path: '/messages?sessionId=x', headers: { ...JSON_HEADERS, ...evil }, body: '{}' })).status).toBe(403);
    // The server's own origin is fine.
    const own = await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: { ...JSON_HEADERS, Origin: server.url }, body: JSON.stringify(INIT) });
    expect(own.status).toBe(200);
  });

  it('answers 403 to a Host header that does not name this server (DNS rebinding)', async () => {
    const port = new URL(server.url).port;
    const rebound = await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: { ...JSON_HEADERS, Host: `attacker.example:${port}` }, body: JSON.stringify(INIT) });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('Host header');
    expect((await rawRequest(server.url, { path: '/sse', headers: { Host: `attacker.example:${port}` } })).status).toBe(403);
    const viaLocalhost = await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: { ...JSON_HEADERS, Host: `localhost:${port}` }, body: JSON.stringify(INIT) });
    expect(viaLocalhost.status).toBe(200);
  });

  it('holds the Host and Origin checks on every route and method, known or unknown', async () => {
    const port = new URL(server.url).port;
    for (const route of ROUTES) {
      const where = `${route.method} ${route.path}`;
      const foreignOrigin = await rawRequest(server.url, { ...route, headers: { ...JSON_HEADERS, Origin: 'http://evil.example' } });
      expect(foreignOrigin.status, where).toBe(403);
      const rebound = await rawRequest(server.url, { ...route, headers: { ...JSON_HEADERS, Host: `attacker.example:${port}` } });
      expect(rebound.status, where).toBe(403);
      // "null" is what a sandboxed iframe or a file:// page sends.
      expect((await rawRequest(server.url, { ...route, headers: { ...JSON_HEADERS, Origin: 'null' } })).status, where).toBe(403);
      // The right port is part of the check: the same name on another port is another origin.
      expect((await rawRequest(server.url, { ...route, headers: { ...JSON_HEADERS, Origin: `http://127.0.0.1:${Number(port) + 1}` } })).status, where).toBe(403);
    }
  });

  it('gives every session an unguessable id (UUID v4) and answers 404 to a guessed one', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const opened = await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: JSON_HEADERS, body: JSON.stringify(INIT) });
      expect(opened.status).toBe(200);
      const id = opened.headers['mcp-session-id'] as string;
      expect(id).toMatch(UUID_V4);
      ids.add(id);
    }
    expect(ids.size).toBe(200);
    const sse = await sseSessionId(server.url);
    expect(sse).toMatch(UUID_V4);
    expect(ids.has(sse)).toBe(false);

    const known = [...ids][0]!;
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    for (const guess of [randomUUID(), neighbour(known), known.toUpperCase(), '1', '00000000-0000-4000-8000-000000000000', sse]) {
      const headers = { ...JSON_HEADERS, 'mcp-session-id': guess, 'mcp-protocol-version': '2025-06-18' };
      expect((await rawRequest(server.url, { method: 'POST', path: '/mcp', headers, body: list })).status, guess).toBe(404);
      expect((await rawRequest(server.url, { method: 'DELETE', path: '/mcp', headers })).status, guess).toBe(404);
      expect((await rawRequest(server.url, { method: 'GET', path: '/mcp', headers })).status, guess).toBe(404);
    }
    // The real id works, which is what makes the 404s above mean something; then close them all.
    const headers = { ...JSON_HEADERS, 'mcp-session-id': known, 'mcp-protocol-version': '2025-06-18' };
    expect((await rawRequest(server.url, { method: 'POST', path: '/mcp', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).status).toBe(202);
    for (const id of ids) {
      expect((await rawRequest(server.url, { method: 'DELETE', path: '/mcp', headers: { ...headers, 'mcp-session-id': id } })).status).toBe(200);
    }
  });

  it('answers 404 to a post for an SSE session under any id but its own', async () => {
    const victim = await sseSessionId(server.url);
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    for (const guess of [neighbour(victim), randomUUID(), victim.toUpperCase(), `${victim}x`, '']) {
      expect((await rawRequest(server.url, { method: 'POST', path: `/messages?sessionId=${guess}`, headers: JSON_HEADERS, body: ping })).status, guess).toBe(404);
    }
    // A Streamable HTTP session's id does not open an SSE session either.
    const streamable = await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: JSON_HEADERS, body: JSON.stringify(INIT) });
    const id = streamable.headers['mcp-session-id'] as string;
    expect((await rawRequest(server.url, { method: 'POST', path: `/messages?sessionId=${id}`, headers: JSON_HEADERS, body: ping })).status).toBe(404);
    expect((await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: { ...JSON_HEADERS, 'mcp-session-id': victim }, body: ping })).status).toBe(404);
  });

  it("never sends one session's progress to another session, on either transport", async () => {
    const target = await startFixtureServer({ DELAY_MS: '1' });
    try {
      const a = await streamableClient(server.url);
      const b = await streamableClient(server.url);
      const c = await sseClient(server.url);
      // Every notification B and C receive is recorded; progress replaces the SDK's own handler,
      // which would otherwise only report a progress token it does not know as an error.
      const leaked: unknown[] = [];
      for (const other of [b, c]) {
        other.setNotificationHandler(ProgressNotificationSchema, (n) => void leaked.push(n));
        other.fallbackNotificationHandler = async (n) => void leaked.push(n);
        other.onerror = (error) => void leaked.push(error.message);
        await other.ping();
      }
      const seen: number[] = [];
      const result = (await a.callTool({ name: 'benchmark_run', arguments: { url: `${target.url}/`, duration: 2, connections: 1 } }, undefined, {
        onprogress: (p) => void seen.push(p.progress),
        timeout: 60_000,
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(seen.length).toBeGreaterThan(0);
      // B and C are still connected and served: their silence is not a broken stream.
      expect((await b.listTools()).tools.length).toBeGreaterThan(0);
      expect((await c.listTools()).tools.length).toBeGreaterThan(0);
      expect(leaked).toEqual([]);
      await Promise.all([a.close(), b.close(), c.close()]);
    } finally {
      await target.stop();
    }
  });

  it('answers malformed and oversized bodies with protocol errors and keeps serving', async () => {
    const bad = await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: JSON_HEADERS, body: '{"jsonrpc": "2.0", "id": 1, "meth' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: -32700 } });
    expect(await oversizedPost(server.url, 10 * 1024 * 1024)).toBe(413);
    const noSession = await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: JSON_HEADERS, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
    expect(noSession.status).toBe(400);
    const client = await streamableClient(server.url);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('memory_usage');
    await client.close();
  });
});

describe('perfsop --http with a token', () => {
  let server: HttpPerfsop;
  beforeAll(async () => {
    server = await startHttpPerfsop([], { PERFSOP_TOKEN: 's3cret-token' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers 401 without the token, or with a wrong one, on every route', async () => {
    const attempts: Array<Record<string, string>> = [{}, { Authorization: 'Bearer wrong' }, { Authorization: 's3cret-token' }];
    for (const headers of attempts) {
      const post = await rawRequest(server.url, { method: 'POST', path: '/mcp', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(INIT) });
      expect(post.status).toBe(401);
      expect((await rawRequest(server.url, { path: '/sse', headers })).status).toBe(401);
      expect((await rawRequest(server.url, { method: 'POST', path: '/messages?sessionId=x', headers: { ...JSON_HEADERS, ...headers }, body: '{}' })).status).toBe(401);
    }
    await expect(streamableClient(server.url)).rejects.toThrow();
  });

  it('answers 401 on every route and method without the token, and 403 to a foreign Host or Origin even with it', async () => {
    const port = new URL(server.url).port;
    const auth = { Authorization: 'Bearer s3cret-token' };
    for (const route of ROUTES) {
      const where = `${route.method} ${route.path}`;
      const attempts: Array<Record<string, string>> = [{}, { Authorization: 'Bearer wrong' }, { Authorization: 'Basic s3cret-token' }, { Authorization: 'Bearer ' }];
      for (const headers of attempts) {
        const refused = await rawRequest(server.url, { ...route, headers: { ...JSON_HEADERS, ...headers } });
        expect(refused.status, `${where} ${JSON.stringify(headers)}`).toBe(401);
        expect(refused.headers['www-authenticate'], where).toBe('Bearer realm="perfsop"');
        expect(refused.body, where).not.toContain('s3cret-token');
      }
      // The token does not stand in for the DNS-rebinding and cross-origin checks.
      expect((await rawRequest(server.url, { ...route, headers: { ...JSON_HEADERS, ...auth, Host: `attacker.example:${port}` } })).status, where).toBe(403);
      expect((await rawRequest(server.url, { ...route, headers: { ...JSON_HEADERS, ...auth, Origin: 'http://evil.example' } })).status, where).toBe(403);
    }
    expect(server.stderr()).not.toContain('s3cret-token');
  });

  it('serves both transports to clients that send the bearer token', async () => {
    const auth = { Authorization: 'Bearer s3cret-token' };
    const streamable = await streamableClient(server.url, auth);
    await callOk(streamable, 'memory_usage', { action: 'store', key: 'token', value: 'ok' });
    const sse = await sseClient(server.url, auth);
    expect(await callOk(sse, 'memory_usage', { action: 'retrieve', key: 'token' })).toMatchObject({ value: 'ok' });
    await Promise.all([streamable.close(), sse.close()]);
  });
});

describe('perfsop --http refusals', () => {
  it('refuses to bind beyond loopback without a token', () => {
    const run = spawnSync(process.execPath, [CLI, '--http', '--host', '0.0.0.0', '--port', '0'], {
      env: { ...process.env, PERFSOP_TOKEN: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/token: binding to 0\.0\.0\.0 exposes perfsop beyond this machine; set PERFSOP_TOKEN or --token/);
  });
});
