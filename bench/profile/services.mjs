// The example checkout service started three ways, each a fresh process on a port the OS picks
// (PORT=0; the service prints its port on its first stdout line):
//   unprofiled  node server.mjs
//   perfsop     node server.mjs with perfsop's agent injected exactly as bottleneck_analyze does it:
//               an AgentSession (dist/), its environment() (NODE_OPTIONS --require agent.cjs
//               --expose-gc, the socket, the output folder), the `start` command bottleneck_analyze
//               broadcasts, and at the end session.stop() (the agent writes its .cpuprofile and final
//               report) and close() (the agent then exits the service).
//   0x          node_modules/0x/cmd.js --collect-only --output-dir <run>/{pid}.0x -- node server.mjs,
//               stopped with SIGINT to its process group, as Ctrl-C in a terminal would.
// Every process is the leader of its own process group (detached), so stopping it stops what it
// started; stdout and stderr go to a file in the run's folder, as perfsop's startComponent does.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { AgentSession } from '../../dist/src/profile/agent-session.js';
import { ROOT } from '../lib/servers.mjs';

export const SERVICE_SCRIPT = join(ROOT, 'examples/checkout-service/server.mjs');
export const ZEROX_CMD = join(ROOT, 'node_modules/0x/cmd.js');
const AGENT_TIMEOUT_MS = 15_000;
const READY_TIMEOUT_MS = 30_000;

/** CPU (user + system) a process has used so far, ms, from /proc (Linux; 10 ms ticks). */
export function procCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000;
  } catch {
    return NaN;
  }
}

/** Whether `pid` is still a running copy of the service (not a reused pid). */
function isService(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(SERVICE_SCRIPT);
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spawns `command args` as the leader of a new process group, output to `logPath`. The closer
 * registered with `resources` stops the group if it still runs (SIGTERM, SIGKILL after 5 s), and
 * the service process too if it outlived its wrapper.
 */
function spawnGroup(resources, command, args, { cwd, env, logPath }) {
  const fd = openSync(logPath, 'w');
  let child;
  try {
    child = spawn(command, args, { cwd, env, stdio: ['ignore', fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is gone already
    }
  };
  const handle = { child, pid: child.pid, exited, running, signalGroup, servicePid: undefined };
  /** Waits up to `ms` for the leader to exit; true if it did. */
  handle.waitExit = (ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  handle.stop = resources.add(async () => {
    if (running()) {
      signalGroup('SIGTERM');
      if (!(await handle.waitExit(5000))) {
        signalGroup('SIGKILL');
        await exited;
      }
    }
    if (handle.servicePid !== undefined && isService(handle.servicePid)) process.kill(handle.servicePid, 'SIGKILL');
  });
  return handle;
}

/** The service's first stdout line: {service, variant, url, port, pid, seedMs}. */
async function waitForHello(proc, logPath) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const text = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    const match = /\{"service":"checkout-service"[^\n]*\}/.exec(text);
    if (match) return JSON.parse(match[0]);
    if (!proc.running()) throw new Error(`the service exited before it listened. Its output:\n${text.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`the service did not print its port within ${READY_TIMEOUT_MS / 1000} s. Its output:\n${text.slice(-2000)}`);
    await sleep(50);
  }
}

function getStatus(url) {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function waitForHealth(proc, url) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while ((await getStatus(`${url}/health`)) !== 200) {
    if (!proc.running()) throw new Error(`the service exited before ${url}/health answered`);
    if (Date.now() > deadline) throw new Error(`${url}/health did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`);
    await sleep(50);
  }
}

/**
 * Starts the service in `mode` ('unprofiled' | 'perfsop' | '0x'), waits until /health answers (and,
 * for perfsop, until the agent connected and was told to start), and returns what the run needs:
 * its url, the pids to read CPU from, and stop(), which says what stopping cost.
 */
export async function startService(resources, { mode, optimized, runDir }) {
  const logPath = join(runDir, 'service.log');
  const env = { ...process.env, PORT: '0', OPTIMIZED: optimized ? '1' : '0' };
  let command = process.execPath;
  let args = [SERVICE_SCRIPT];
  let session;
  let closeSession;
  if (mode === 'perfsop') {
    session = await AgentSession.open();
    closeSession = resources.add(() => session.close());
    Object.assign(env, session.environment(join(runDir, 'agent')));
  } else if (mode === '0x') {
    args = [ZEROX_CMD, '--collect-only', '--output-dir', join(runDir, '{pid}.0x'), '--', process.execPath, SERVICE_SCRIPT];
  } else if (mode !== 'unprofiled') {
    throw new Error(`unknown mode ${mode}`);
  }
  // cwd: the run's folder, where 0x writes its isolate log (and deletes stray ones: `tidy`).
  const proc = spawnGroup(resources, command, args, { cwd: runDir, env, logPath });
  const hello = await waitForHello(proc, logPath);
  proc.servicePid = hello.pid;
  const url = `http://127.0.0.1:${hello.port}`;
  await waitForHealth(proc, url);

  const signal = new AbortController().signal;
  if (session) {
    // As analyzeLive: the component answers, the agent has said hello, then `start`.
    await session.waitForAgent(AGENT_TIMEOUT_MS, signal);
    if (!session.connections.some((c) => c.hello.pid === hello.pid)) throw new Error(`no agent connected from the service (pid ${hello.pid})`);
    session.broadcast({ type: 'start', heap: false });
    // The agent starts the profiler asynchronously and sends its first tick a second after: wait
    // for it, so the whole warm-up and measurement run under the profiler.
    const deadline = Date.now() + AGENT_TIMEOUT_MS;
    while (!session.connections.some((c) => c.hello.pid === hello.pid && c.ticks.length > 0)) {
      if (Date.now() > deadline) throw new Error('the agent sent no tick after start');
      await sleep(20);
    }
  }

  return {
    url,
    servicePid: hello.pid,
    wrapperPid: mode === '0x' ? proc.pid : undefined,
    /** Stops the service the way its mode expects and reports what that took. */
    async stop() {
      const started = process.hrtime.bigint();
      const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
      if (mode === 'unprofiled') {
        proc.signalGroup('SIGTERM');
        await proc.waitExit(10_000);
        await proc.stop();
        return { stopMs: elapsed() };
      }
      if (mode === 'perfsop') {
        const finals = await session.stop(AGENT_TIMEOUT_MS, signal);
        const stopMs = elapsed();
        const final = finals.find((f) => f.pid === hello.pid);
        const ticks = session.connections.find((c) => c.hello.pid === hello.pid)?.ticks.length ?? 0;
        const profileBytes = final?.profilePath && existsSync(final.profilePath) ? statSync(final.profilePath).size : 0;
        await closeSession(); // the agent sees its socket close and exits the service
        const exitedAlone = await proc.waitExit(5000);
        await proc.stop();
        if (!final) throw new Error('the agent sent no final report');
        return { stopMs, agentRequests: final.requests, ticks, profileBytes, profileError: final.profileError, exitedAlone };
      }
      // 0x: SIGINT to the group, as Ctrl-C would send it to 0x and the service alike; 0x then turns
      // the isolate log into ticks (even with --collect-only) and exits.
      proc.signalGroup('SIGINT');
      const exitedInTime = await proc.waitExit(300_000);
      const stopMs = elapsed();
      const { code, signal: exitSignal } = await (exitedInTime ? proc.exited : Promise.resolve({ code: null, signal: 'timeout' }));
      await proc.stop();
      const folder = readdirSync(runDir).find((name) => name.endsWith('.0x'));
      const isolate = folder && readdirSync(join(runDir, folder)).find((name) => /^isolate-.*-v8\.log$/.test(name));
      if (code !== 0 || !isolate) {
        const log = readFileSync(logPath, 'utf8');
        throw new Error(`0x exited (${exitSignal ?? code}) ${isolate ? '' : 'without an isolate log '}after SIGINT. Its output ends with:\n${log.slice(-2000)}`);
      }
      return { stopMs, isolateBytes: statSync(join(runDir, folder, isolate)).size };
    },
  };
}
