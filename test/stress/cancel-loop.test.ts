import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { liveGroupCount } from '../../src/load/process-group.js';
import { REPO_ROOT, connectWithConfig, type Connected } from '../helpers/mcp.js';
import { freePort } from '../helpers/ports.js';
import { agentSockets, isReaperOf, listed, liveDescendants, waitUntil } from '../helpers/process-scan.js';
import { isListening } from '../helpers/processes.js';

/**
 * 100 bottleneck_analyze calls in a row against one perfsop (in this process, so what leaks is
 * measured where the tools run), each cancelled by the client once it has started: half while the
 * service is starting, half once load flows through the profiler. Whatever a cancelled analysis
 * started or opened (the service and its child, the agent socket, load generator state, file
 * handles) must be gone, and memory must not grow with the number of analyses.
 */

const RUNS = 100;
const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'http-server.mjs');

// gc() without restarting the worker with --expose-gc: the flag takes effect for new contexts.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let connected: Connected | undefined;
afterEach(async () => {
  await connected?.close();
  connected = undefined;
});

interface Sample {
  fds: number;
  heapUsedMb: number;
  rssMb: number;
  agentSockets: number;
}

function sample(): Sample {
  for (let i = 0; i < 3; i++) gc();
  const memory = process.memoryUsage();
  return {
    fds: readdirSync('/proc/self/fd').length,
    heapUsedMb: memory.heapUsed / 2 ** 20,
    rssMb: memory.rss / 2 ** 20,
    agentSockets: agentSockets(process.pid).length,
  };
}

const mb = (n: number) => `${n.toFixed(1)} MB`;

describe(`${RUNS} cancelled analyses in a row`, () => {
  it('leave no process, port, file handle, socket or memory behind', async () => {
    const port = await freePort();
    connected = await connectWithConfig({
      components: {
        svc: {
          // A child that is not Node: the agent cannot end it, only the process group's stop can.
          command: `sleep 600 & exec "${process.execPath}" "${FIXTURE}"`,
          env: { PORT: String(port), DELAY_MS: '1' },
          url: `http://127.0.0.1:${port}`,
          ready: '/health',
          load: { connections: 2 },
        },
      },
    });
    const { client, app } = connected;
    const before = sample();
    const samples = new Map<number, Sample>();
    const started = Date.now();

    for (let run = 1; run <= RUNS; run++) {
      // Odd runs: cancel at the first progress ("starting svc under the profiler"), while the
      // service starts. Even runs: at the second, after the first second of profiled load.
      const cancelAt = run % 2 === 1 ? 1 : 2;
      const controller = new AbortController();
      let progressed = 0;
      const outcome = await client
        .callTool({ name: 'bottleneck_analyze', arguments: { component: 'svc', duration: 30 } }, undefined, {
          signal: controller.signal,
          timeout: 60_000,
          onprogress: () => {
            if (++progressed === cancelAt) controller.abort();
          },
        })
        .then(
          (result) => `run ${run} finished instead of being cancelled: ${JSON.stringify(result).slice(0, 400)}`,
          (error: unknown) => (controller.signal.aborted ? undefined : `run ${run} failed before the cancel: ${String(error)}`),
        );
      expect(outcome).toBeUndefined();
      // The client gives up at once; perfsop stops the service on its own time. Bounded wait.
      await waitUntil(
        async () => liveGroupCount() === 0 && !(await isListening(port)) && app.db.prepare("SELECT count(*) AS n FROM analyses WHERE status = 'running'").pluck().get() === 0,
        20_000,
        () => `run ${run}: the cancelled analysis did not finish cleaning up (groups ${liveGroupCount()}):\n${listed(liveDescendants(process.pid))}`,
      );
      if (run === 20 || run === RUNS) samples.set(run, sample());
    }

    const after = samples.get(RUNS)!;
    const at20 = samples.get(20)!;
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    console.log(
      `${RUNS} cancelled analyses in ${seconds} s. fds: before ${before.fds}, run 20 ${at20.fds}, run ${RUNS} ${after.fds}; ` +
        `heapUsed: before ${mb(before.heapUsedMb)}, run 20 ${mb(at20.heapUsedMb)}, run ${RUNS} ${mb(after.heapUsedMb)}; ` +
        `rss: before ${mb(before.rssMb)}, run 20 ${mb(at20.rssMb)}, run ${RUNS} ${mb(after.rssMb)}`,
    );

    const statuses = app.db.prepare('SELECT status, count(*) AS n FROM analyses GROUP BY status').all();
    expect(statuses).toEqual([{ status: 'cancelled', n: RUNS }]);
    expect(await isListening(port)).toBe(false);
    const left = liveDescendants(process.pid).filter((p) => !isReaperOf(process.pid, p));
    expect(left, listed(left)).toEqual([]);
    expect(after.agentSockets, 'agent sockets left in the temp folder').toBe(before.agentSockets);
    // The reaper's pipe is the one descriptor a first analysis may add for good; allow a few more
    // for what Node opens lazily (e.g. a DNS or inotify handle), but not one per analysis.
    expect(after.fds - before.fds).toBeLessThanOrEqual(4);
    expect(after.fds).toBeLessThanOrEqual(at20.fds + 2);
    // 80 analyses between the samples: 4 MB would be 50 KB kept per analysis.
    expect(after.heapUsedMb - at20.heapUsedMb).toBeLessThan(4);
  });
});
