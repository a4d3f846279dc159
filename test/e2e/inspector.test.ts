import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureInspector, type Inspector } from '../helpers/inspector.js';
import { CLI } from '../helpers/mcp.js';
import { startHttpPerfsop } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp.js';

let inspector: Inspector;
beforeAll(() => {
  inspector = ensureInspector();
});

/** Runs the Inspector CLI on Node 22; perfsop itself runs on this Node, which built better-sqlite3. */
function inspect(target: string[], args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(inspector.inspector, ['--cli', ...target, ...args], {
    env: { ...process.env, ...env, PATH: `${inspector.binDir}:${process.env.PATH}`, MCP_CATALOG_PATH: join(tempDir(), 'catalog.json') },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('the MCP Inspector CLI (Node 22) against perfsop', () => {
  it('lists the tools over stdio, with schemas it finds portable', () => {
    const run = inspect([process.execPath, CLI], ['--method', 'tools/list', '--strict'], { PERFSOP_DB: join(tempDir(), 'p.db') });
    expect(run.status, run.stderr).toBe(0);
    const { tools } = JSON.parse(run.stdout) as { tools: Array<{ name: string; outputSchema?: object }> };
    expect(tools.map((t) => t.name)).toContain('memory_usage');
    expect(tools[0]?.outputSchema).toBeDefined();
    expect(run.stderr).not.toMatch(/Warning|Error/);
  });

  it('calls memory_usage over stdio, and a second Inspector run reads what the first stored', () => {
    const env = { PERFSOP_DB: join(tempDir(), 'p.db') };
    const stored = inspect([process.execPath, CLI], ['--method', 'tools/call', '--tool-name', 'memory_usage', '--tool-arg', 'action=store', 'key=inspector', 'value=hello from node 22'], env);
    expect(stored.status, stored.stderr).toBe(0);
    expect(JSON.parse(stored.stdout)).toMatchObject({ structuredContent: { stored: true, key: 'inspector' } });
    const retrieved = inspect([process.execPath, CLI], ['--method', 'tools/call', '--tool-name', 'memory_usage', '--tool-arg', 'action=retrieve', 'key=inspector'], env);
    expect(JSON.parse(retrieved.stdout)).toMatchObject({ structuredContent: { found: true, value: 'hello from node 22' } });
  });

  it('talks to perfsop --http over Streamable HTTP and legacy SSE', async () => {
    const server = await startHttpPerfsop();
    try {
      for (const path of ['/mcp', '/sse']) {
        const run = inspect([`${server.url}${path}`], ['--method', 'tools/call', '--tool-name', 'memory_usage', '--tool-arg', 'action=list']);
        expect(run.status, `${path}: ${run.stderr}`).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ structuredContent: { action: 'list', total: 0 } });
      }
    } finally {
      await server.stop();
    }
  });
});
