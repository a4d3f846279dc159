import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { App, type AppOptions } from '../../src/app.js';
import { createServer } from '../../src/server.js';
import { tempDir } from './temp.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli.js');

export interface Connected {
  client: Client;
  app: App;
  close(): Promise<void>;
}

/**
 * A real SDK client talking to a real perfsop server over the SDK's in-memory transport pair,
 * on a fresh database. tools/list runs first so the client validates every structuredContent
 * against the advertised output schema.
 */
export async function connectInMemory(options: AppOptions = {}): Promise<Connected> {
  // PERFSOP_HOME in a temp folder keeps artifacts (component logs, profiles) out of the real home.
  const home = tempDir();
  // CLAUDE_CONFIG_DIR in the temp folder too: token reports must not read this machine's real transcripts.
  const app = new App({ dbPath: join(home, 'perfsop.db'), configPath: undefined, ...options, env: { PERFSOP_HOME: home, CLAUDE_CONFIG_DIR: join(home, 'claude'), ...options.env } });
  const server = createServer(app);
  const client = new Client({ name: 'perfsop-test', version: '0.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  await client.listTools();
  return {
    client,
    app,
    async close() {
      await client.close();
      await server.close();
      app.close();
    },
  };
}

/** A perfsop.config.json with the given content, in a temp folder. */
export function writeConfig(config: object): string {
  const path = join(tempDir(), 'perfsop.config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** An in-memory client pair on a server whose perfsop.config.json holds `config`. */
export function connectWithConfig(config: object): Promise<Connected> {
  return connectInMemory({ configPath: writeConfig(config) });
}

export function textOf(result: CallToolResult): string {
  return result.content
    .filter((part) => part.type === 'text')
    .map((part) => (part as { text: string }).text)
    .join('\n');
}

/** Calls a tool that must succeed; returns its structured result. */
export async function callOk(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError, textOf(result)).toBeFalsy();
  expect(result.structuredContent).toBeDefined();
  return result.structuredContent as Record<string, unknown>;
}

/** Calls a tool that must answer with an error; returns the error text. */
export async function callError(client: Client, name: string, args: Record<string, unknown>): Promise<string> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  expect(result.isError, `expected an error, got: ${textOf(result)}`).toBe(true);
  return textOf(result);
}
