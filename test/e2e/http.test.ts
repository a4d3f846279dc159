import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, callOk } from '../helpers/mcp.js';
import { startHttpPerfsop, type HttpPerfsop } from '../helpers/processes.js';

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

/** A raw request with full control over headers, including Host (which fetch will not let us set). */
function rawRequest(url: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
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
        res.on('close', () => resolve({ status: res.statusCode ?? 0, body }));
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
