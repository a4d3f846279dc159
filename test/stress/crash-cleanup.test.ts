import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, writeConfig } from '../helpers/mcp.js';
import { freePort } from '../helpers/ports.js';
import { listed, processesWithEnv, waitUntil } from '../helpers/process-scan.js';
import { isListening } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp.js';

/**
 * `kill -9` of perfsop in the middle of a load: nothing it started may outlive it. SIGKILL runs no
 * 'exit' hook, so only the reaper (src/load/process-group.ts) and load workers exiting on IPC
 * disconnect (src/load/load-worker.ts) stand between a crash and an orphaned service on a port.
 */

const MARK = 'PERFSOP_CRASH_MARK';
const SERVICES = {
  benchmark_run: join(REPO_ROOT, 'test', 'fixtures', 'http-server.mjs'),
  bottleneck_analyze: join(REPO_ROOT, 'test', 'fixtures', 'planted-service.mjs'),
};

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function crashMidLoad(tool: keyof typeof SERVICES, args: Record<string, unknown>): Promise<void> {
  const mark = randomUUID();
  const port = await freePort();
  // The component is a service plus a child that is not Node (so the profiler's agent, which ends
  // its own process when perfsop's socket closes, cannot take it down): both must go.
  const config = writeConfig({
    components: {
      svc: {
        command: `sleep 600 & exec "${process.execPath}" "${SERVICES[tool]}"`,
        cwd: REPO_ROOT,
        env: { PORT: String(port), DELAY_MS: '1' },
        url: `http://127.0.0.1:${port}`,
        ready: '/health',
        load: { connections: 2, requests: [{ path: '/work' }] },
      },
    },
  });
  const home = tempDir();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, '--config', config],
    env: { ...(process.env as Record<string, string>), PERFSOP_HOME: home, PERFSOP_LOG_LEVEL: 'warn', CLAUDE_CONFIG_DIR: join(home, 'claude'), [MARK]: mark },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'crash-test', version: '0.0.0' });
  // Whatever happens below, nothing marked survives the test (all started by this test, by pid).
  cleanup.push(async () => {
    await client.close().catch(() => {});
    for (const p of processesWithEnv(MARK, mark)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  });
  await client.connect(transport);
  const perfsopPid = transport.pid!;

  let loadFlowing!: () => void;
  const flowing = new Promise<void>((resolve) => (loadFlowing = resolve));
  const call = client
    .callTool({ name: tool, arguments: { component: 'svc', duration: 30, ...args } }, undefined, {
      timeout: 120_000,
      onprogress: (p) => {
        if (/second \d+/.test(p.message ?? '')) loadFlowing();
      },
    })
    .then(
      (result) => `finished: ${JSON.stringify(result).slice(0, 500)}`,
      (error: unknown) => `rejected: ${String(error)}`,
    );
  const early = await Promise.race([flowing.then(() => undefined), call, new Promise<string>((r) => setTimeout(() => r('no load progress within 30 s'), 30_000))]);
  expect(early, `${early}\nperfsop stderr:\n${stderr}`).toBeUndefined();
  expect(await isListening(port)).toBe(true);

  const before = processesWithEnv(MARK, mark);
  const sleeper = before.find((p) => p.cmdline.startsWith('sleep 600'));
  expect(sleeper, `the component's child is running:\n${listed(before)}`).toBeDefined();

  process.kill(perfsopPid, 'SIGKILL');
  expect(await call).toMatch(/^rejected/);

  // Bounded: the reaper sends SIGTERM at once and SIGKILL a second later.
  await waitUntil(
    async () => processesWithEnv(MARK, mark).length === 0 && !(await isListening(port)),
    15_000,
    () => `still running after perfsop was killed (port ${port} listening: see below):\n${listed(processesWithEnv(MARK, mark))}\nbefore the kill:\n${listed(before)}`,
  );
  expect(await isListening(port)).toBe(false);
}

describe('kill -9 of perfsop leaves nothing it started behind', () => {
  it('during benchmark_run with a started component and two load worker processes', async () => {
    await crashMidLoad('benchmark_run', { workers: 2 });
  });

  it('during bottleneck_analyze, with the service under the profiler', async () => {
    await crashMidLoad('bottleneck_analyze', {});
  });
});
