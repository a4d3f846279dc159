import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../app.js';
import { InputError } from '../errors.js';
import { log } from '../log.js';
import { registerSecret } from '../secrets.js';
import { createServer } from '../server.js';
import { HttpGuard, isLoopback } from './http-guard.js';
import { INVALID_REQUEST, MAX_MESSAGE_BYTES, jsonRpcError } from './json-rpc-errors.js';
import { readJsonRpcMessage } from './json-rpc-message.js';

export interface HttpOptions {
  host: string;
  port: number;
  token?: string;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  /** Bigger bodies get 413 before they are buffered. */
  maxBodyBytes?: number;
  /** Sessions without traffic for this long are closed. */
  idleSessionMs?: number;
}

export interface RunningHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport | SSEServerTransport;
  lastActive: number;
}

const DEFAULT_MAX_BODY = MAX_MESSAGE_BYTES;
/** Each session holds a server object; a cap keeps a misbehaving client from exhausting memory. */
const MAX_SESSIONS = 1000;

/**
 * Streamable HTTP at `/mcp` and the legacy HTTP+SSE transport at `/sse` + `/messages`, from one
 * process, so old and new clients both connect. Each session gets its own MCP server over the
 * shared app (one database).
 */
export async function serveHttp(app: App, options: HttpOptions): Promise<RunningHttpServer> {
  if (!isLoopback(options.host) && !options.token) {
    throw new InputError('token', `binding to ${options.host} exposes perfsop beyond this machine; set PERFSOP_TOKEN or --token`);
  }
  // The token is a secret like any other: never echoed in a log line or an answer.
  registerSecret(options.token);
  const sessions = new Map<string, Session>();
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  let guard: HttpGuard | undefined;

  const httpServer = createHttpServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error(`HTTP ${req.method} ${req.url} failed`, error);
      if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal server error');
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = guard!.check(req);
    if (!verdict.ok) {
      if (verdict.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="perfsop"');
      sendJsonRpcError(res, verdict.status, -32000, verdict.message);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/mcp') return handleStreamable(req, res);
    if (url.pathname === '/sse' && req.method === 'GET') return openSse(res);
    if (url.pathname === '/messages' && req.method === 'POST') return postSse(req, res, url.searchParams.get('sessionId'));
    sendJsonRpcError(res, 404, -32000, `Not found: ${req.method} ${url.pathname}. Endpoints: /mcp (Streamable HTTP), GET /sse + POST /messages (legacy SSE)`);
  }

  async function handleStreamable(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = req.method === 'POST' ? await readMessage(req, res, maxBody) : undefined;
    if (body === INVALID) return;
    const sessionId = header(req, 'mcp-session-id');
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session || !(session.transport instanceof StreamableHTTPServerTransport)) {
        sendJsonRpcError(res, 404, -32001, 'Session not found; initialize a new session');
        return;
      }
      session.lastActive = Date.now();
      await session.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      sendJsonRpcError(res, 400, -32000, 'Bad Request: send an initialize request first, or the Mcp-Session-Id header of an open session');
      return;
    }
    if (refuseWhenFull(res)) return;
    const server = createServer(app);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, lastActive: Date.now() });
      },
    });
    // Protocol.connect chains its own close handling onto this; calling server.close() here
    // would close the transport again and recurse.
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function openSse(res: ServerResponse): Promise<void> {
    if (refuseWhenFull(res)) return;
    const transport = new SSEServerTransport('/messages', res);
    const server = createServer(app);
    sessions.set(transport.sessionId, { transport, lastActive: Date.now() });
    transport.onclose = () => {
      sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
  }

  function refuseWhenFull(res: ServerResponse): boolean {
    if (sessions.size < MAX_SESSIONS) return false;
    sendJsonRpcError(res, 503, -32000, `Too many open sessions (${MAX_SESSIONS}); close idle ones and retry`);
    return true;
  }

  async function postSse(req: IncomingMessage, res: ServerResponse, sessionId: string | null): Promise<void> {
    const session = sessionId ? sessions.get(sessionId) : undefined;
    if (!session || !(session.transport instanceof SSEServerTransport)) {
      sendJsonRpcError(res, 404, -32001, 'SSE session not found; open GET /sse first and post to the endpoint it announces');
      return;
    }
    const body = await readMessage(req, res, maxBody);
    if (body === INVALID) return;
    session.lastActive = Date.now();
    await session.transport.handlePostMessage(req, res, body);
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  guard = new HttpGuard({ ...options, port });

  const idleMs = options.idleSessionMs ?? 30 * 60_000;
  const reaper = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const session of sessions.values()) {
      if (session.lastActive < cutoff) void session.transport.close();
    }
  }, Math.min(idleMs, 60_000));
  reaper.unref();

  const shown = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${shown}:${port}`;
  log.info(`serving MCP over HTTP: ${url}/mcp (Streamable HTTP), ${url}/sse (legacy SSE)${options.token ? ', bearer token required' : ''}`);

  return {
    url,
    port,
    async close() {
      clearInterval(reaper);
      await Promise.allSettled([...sessions.values()].map((session) => session.transport.close()));
      sessions.clear();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}

const INVALID = Symbol('invalid body');

/**
 * Reads one JSON-RPC message from a body, answering 413, a parse error or an invalid-request
 * error itself when it cannot. Batches (arrays) are refused at both endpoints: MCP removed
 * batching in 2025-06-18, no SDK client sends them, and the SDK's own cap (100 entries) would
 * still let one POST start 100 concurrent benchmark or profiling runs. The message is checked
 * against the SDK's schema here so both endpoints answer -32600 in JSON (the SDK answers /mcp
 * with -32700 and /messages with a plain-text echo of the whole body).
 */
async function readMessage(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) {
    refuseTooLarge(req, res, `Request body too large: ${declared} bytes; the limit is ${maxBytes}`);
    return INVALID;
  }
  const chunks = await readBody(req, maxBytes);
  if (!chunks) {
    refuseTooLarge(req, res, `Request body too large: over ${maxBytes} bytes`);
    return INVALID;
  }
  const read = readJsonRpcMessage(Buffer.concat(chunks).toString('utf8'));
  if ('error' in read) {
    sendJsonRpcError(res, 400, read.error.code, read.error.message, read.error.id);
    return INVALID;
  }
  return read.message;
}

/**
 * The body's chunks, or undefined as soon as it grows past `maxBytes`. It never ends the request
 * itself: leaving a `for await` loop over it early destroys the request and resets the
 * connection, and a client still uploading then lost the 413 (ECONNRESET instead of the answer).
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer[] | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stopListening = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      // The stream keeps flowing without listeners: the rest is read and dropped.
      stopListening();
      resolve(undefined);
    };
    const onEnd = () => {
      stopListening();
      resolve(chunks);
    };
    const onError = (error: Error) => {
      stopListening();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * 413, then the rest of the upload read and dropped unbuffered, on a connection left open.
 * Closing it mid-upload resets it, and a client still writing (fetch, any HTTP library) sees only
 * the broken pipe, never the 413 and its message. Node's requestTimeout bounds an endless upload.
 */
function refuseTooLarge(req: IncomingMessage, res: ServerResponse, message: string): void {
  sendJsonRpcError(res, 413, INVALID_REQUEST, message);
  req.resume();
}

function sendJsonRpcError(res: ServerResponse, status: number, code: number, message: string, id: string | number | null = null): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(jsonRpcError(code, message, id)));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
