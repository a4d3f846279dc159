import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, callOk, textOf } from '../helpers/mcp.js';
import { tempDir } from '../helpers/temp.js';

const PROCESSES = 4;
const KEYS_EACH = 250;

async function agent(dbPath: string, name: string): Promise<{ client: Client; pid: number }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: { ...(process.env as Record<string, string>), PERFSOP_DB: dbPath },
    stderr: 'pipe',
  });
  const client = new Client({ name, version: '0.0.0' });
  await client.connect(transport);
  return { client, pid: transport.pid! };
}

describe('several perfsop processes on one database', () => {
  it(`stores ${PROCESSES} x ${KEYS_EACH} keys at the same time with zero errors and zero losses`, async () => {
    const db = join(tempDir(), 'shared.db');
    // Start every process before any store, so they all open (and migrate) the new file together.
    const agents = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => agent(db, `agent-${i}`)));
    expect(new Set(agents.map((a) => a.pid)).size).toBe(PROCESSES);

    const results = await Promise.all(
      agents.flatMap(({ client }, i) =>
        Array.from({ length: KEYS_EACH }, (_, j) =>
          client.callTool({
            name: 'memory_usage',
            arguments: { action: 'store', namespace: 'swarm', key: `agent-${i}/key-${j}`, value: JSON.stringify({ agent: i, j }) },
          }) as Promise<CallToolResult>,
        ),
      ),
    );
    const failures = results.filter((r) => r.isError).map(textOf);
    expect(failures).toEqual([]);
    expect(results).toHaveLength(PROCESSES * KEYS_EACH);

    // Every agent sees every other agent's writes.
    for (const { client } of agents) {
      expect((await callOk(client, 'memory_usage', { action: 'list', namespace: 'swarm', limit: 1 })).total).toBe(PROCESSES * KEYS_EACH);
    }
    const reader = agents[0]!.client;
    for (let i = 0; i < PROCESSES; i++) {
      for (const j of [0, 124, KEYS_EACH - 1]) {
        const got = await callOk(reader, 'memory_usage', { action: 'retrieve', namespace: 'swarm', key: `agent-${i}/key-${j}` });
        expect(got).toMatchObject({ found: true, value: { agent: i, j } });
      }
    }
    await Promise.all(agents.map(({ client }) => client.close()));
  });
});
