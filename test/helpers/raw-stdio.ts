import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import { CLI } from './mcp.js';
import { waitForExit } from './processes.js';

export interface JsonRpcAnswer {
  jsonrpc: string;
  id?: string | number | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/**
 * The built CLI on stdio, driven with raw lines rather than the SDK client, so a test can send
 * what no well-behaved client would. Every stdout line must be a JSON-RPC 2.0 message: anything
 * else fails the test (stdout is the protocol channel).
 */
export interface RawStdio {
  child: ChildProcess;
  write(data: string | Buffer): Promise<void>;
  /** The next message the server sends that no `request` is waiting for. */
  next(): Promise<JsonRpcAnswer>;
  /** Sends a request and resolves with the answer carrying its id. */
  request(method: string, params?: object): Promise<JsonRpcAnswer>;
  stderr(): string;
  stop(): Promise<number | null>;
}

export async function startRawStdio(env: NodeJS.ProcessEnv, cwd?: string): Promise<RawStdio> {
  const child = spawn(process.execPath, [CLI], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));

  const unclaimed: JsonRpcAnswer[] = [];
  const waiting: Array<(message: JsonRpcAnswer) => void> = [];
  const byId = new Map<string | number, (message: JsonRpcAnswer) => void>();
  const failures = new Set<(error: Error) => void>();
  let exited: Error | undefined;
  child.once('exit', (code, signal) => {
    exited = new Error(`perfsop exited (code ${code}, signal ${signal}); stderr:\n${stderr.slice(-4000)}`);
    for (const fail of failures) fail(exited);
  });

  createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
    let message: JsonRpcAnswer;
    try {
      message = JSON.parse(line) as JsonRpcAnswer;
    } catch {
      throw new Error(`stdout carried a non-JSON line: ${line.slice(0, 200)}`);
    }
    expect(message.jsonrpc, line.slice(0, 200)).toBe('2.0');
    const owner = message.id !== undefined && message.id !== null ? byId.get(message.id) : undefined;
    if (owner) {
      byId.delete(message.id!);
      owner(message);
    } else if (waiting.length > 0) waiting.shift()!(message);
    else unclaimed.push(message);
  });

  function awaiting(register: (resolve: (message: JsonRpcAnswer) => void) => void): Promise<JsonRpcAnswer> {
    return new Promise((resolve, reject) => {
      if (exited) return reject(exited);
      const fail = (error: Error) => reject(error);
      failures.add(fail);
      register((message) => {
        failures.delete(fail);
        resolve(message);
      });
    });
  }

  let nextId = 1_000_000;
  const session: RawStdio = {
    child,
    write: (data) =>
      new Promise((resolve, reject) => {
        if (exited) return reject(exited);
        child.stdin!.write(data, (error) => (error ? reject(error) : resolve()));
      }),
    next: () => {
      const queued = unclaimed.shift();
      return queued ? Promise.resolve(queued) : awaiting((resolve) => waiting.push(resolve));
    },
    request: async (method, params) => {
      const id = nextId++;
      const answer = awaiting((resolve) => byId.set(id, resolve));
      await session.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) })}\n`);
      return answer;
    },
    stderr: () => stderr,
    async stop() {
      child.stdin!.end();
      return waitForExit(child);
    },
  };
  const init = await session.request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } });
  expect(init.result?.serverInfo).toBeDefined();
  await session.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  return session;
}

/** A store then a retrieve of a fresh key: the server still parses, runs tools and answers. */
export async function expectServing(session: RawStdio, key: string): Promise<void> {
  const call = (args: object) => session.request('tools/call', { name: 'memory_usage', arguments: args });
  const stored = await call({ action: 'store', key, value: `value of ${key}` });
  expect(stored.result?.isError, JSON.stringify(stored)).toBeFalsy();
  const read = await call({ action: 'retrieve', key });
  expect(read.result?.structuredContent).toMatchObject({ found: true, value: `value of ${key}` });
}
