import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, writeConfig } from '../helpers/mcp.js';
import { freePort } from '../helpers/ports.js';
import { agentSockets, commandScratch, listed, processesWithEnv, waitUntil } from '../helpers/process-scan.js';
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

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

interface Launched {
  client: Client;
  mark: string;
  pid: number;
  stderr(): string;
}

/** The built CLI over stdio with `config`, every process it starts carrying a fresh marker. */
async function launch(config: object): Promise<Launched> {
  const mark = randomUUID();
  const home = tempDir();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, '--config', writeConfig(config)],
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
  return { client, mark, pid: transport.pid!, stderr: () => stderr };
}

/** Starts a tool call; settles with a description once the call ends, however it ends. */
function start(perfsop: Launched, tool: string, args: Record<string, unknown>, onProgress: (message: string) => void = () => {}): Promise<string> {
  return perfsop.client
    .callTool({ name: tool, arguments: args }, undefined, { timeout: 120_000, onprogress: (p) => onProgress(p.message ?? '') })
    .then(
      (result) => `finished: ${JSON.stringify(result).slice(0, 500)}`,
      (error: unknown) => `rejected: ${String(error)}`,
    );
}

/** `kill -9` perfsop, then wait (bounded) until nothing it started runs and `port` is free. */
async function killAndExpectNothingLeft(perfsop: Launched, call: Promise<string>, port?: number): Promise<void> {
  const before = processesWithEnv(MARK, perfsop.mark);
  process.kill(perfsop.pid, 'SIGKILL');
  expect(await call).toMatch(/^rejected/);
  // Bounded: the reaper sends SIGTERM at once and SIGKILL a second later.
  // The profiler's socket file and a command benchmark's scratch folder are left by a killed
  // perfsop unless the reaper removes them.
  const files = () => [...agentSockets(perfsop.pid), ...commandScratch(perfsop.pid)];
  await waitUntil(
    async () => processesWithEnv(MARK, perfsop.mark).length === 0 && (port === undefined || !(await isListening(port))) && files().length === 0,
    15_000,
    () =>
      `still running after perfsop was killed${port === undefined ? '' : ` (or port ${port} still taken)`}:\n${listed(processesWithEnv(MARK, perfsop.mark))}\n` +
      `files left in the temp folder: ${files().join(', ') || 'none'}\nbefore the kill:\n${listed(before)}`,
  );
}

async function crashMidLoad(tool: keyof typeof SERVICES, args: Record<string, unknown>): Promise<void> {
  const port = await freePort();
  // The component is a service plus a child that is not Node (so the profiler's agent, which ends
  // its own process when perfsop's socket closes, cannot take it down): both must go.
  const perfsop = await launch({
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
  let loadFlowing!: () => void;
  const flowing = new Promise<void>((resolve) => (loadFlowing = resolve));
  const call = start(perfsop, tool, { component: 'svc', duration: 30, ...args }, (message) => {
    if (/second \d+/.test(message)) loadFlowing();
  });
  const early = await Promise.race([flowing.then(() => undefined), call, new Promise<string>((r) => setTimeout(() => r('no load progress within 30 s'), 30_000))]);
  expect(early, `${early}\nperfsop stderr:\n${perfsop.stderr()}`).toBeUndefined();
  expect(await isListening(port)).toBe(true);
  const running = processesWithEnv(MARK, perfsop.mark);
  expect(running.find((p) => p.cmdline.startsWith('sleep 600')), `the component's child is running:\n${listed(running)}`).toBeDefined();
  if (tool === 'bottleneck_analyze') expect(agentSockets(perfsop.pid), 'the profiler socket before the kill').toHaveLength(1);
  await killAndExpectNothingLeft(perfsop, call, port);
}

describe('kill -9 of perfsop leaves nothing it started behind', () => {
  it('during benchmark_run with a started component and two load worker processes', async () => {
    await crashMidLoad('benchmark_run', { workers: 2 });
  });

  it('during bottleneck_analyze, with the service under the profiler', async () => {
    await crashMidLoad('bottleneck_analyze', {});
  });

  it('during a command benchmark whose command started a child of its own', async () => {
    const perfsop = await launch({ policy: { allowAdhocCommands: true } });
    const call = start(perfsop, 'benchmark_run', { command: 'sleep 601 & sleep 602; wait', iterations: 3 });
    const both = () => processesWithEnv(MARK, perfsop.mark).filter((p) => /^sleep 60[12]/.test(p.cmdline)).length === 2;
    await waitUntil(both, 30_000, () => `the command did not start: ${listed(processesWithEnv(MARK, perfsop.mark))}\n${perfsop.stderr()}`);
    expect(commandScratch(perfsop.pid), 'the scratch folder before the kill').toHaveLength(1);
    await killAndExpectNothingLeft(perfsop, call);
  });
});
