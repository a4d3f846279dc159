import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from './mcp.js';
import { tempDir } from './temp.js';

/** True while a process with this pid exists (signal 0 probes without touching it). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

export interface HttpPerfsop {
  url: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** Starts the built CLI with `--http --port 0` on a fresh database and waits for its address. */
export async function startHttpPerfsop(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<HttpPerfsop> {
  // The address comes from an info line on stderr.
  if (/^(warn|error|silent)$/i.test(env.PERFSOP_LOG_LEVEL ?? '')) throw new Error(`startHttpPerfsop reads the info line that gives the address; PERFSOP_LOG_LEVEL=${env.PERFSOP_LOG_LEVEL} hides it`);
  const child = spawn(process.execPath, [CLI, '--http', '--port', '0', ...extraArgs], {
    env: { ...process.env, PERFSOP_DB: join(tempDir(), 'perfsop.db'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    // Bounded, so a server that never says where it listens fails the test instead of hanging it.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`perfsop --http did not print its address within 60 s: ${stderr}`));
    }, 60_000);
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /serving MCP over HTTP: (http:\/\/\S+?)\/mcp/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`perfsop --http exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return waitForExit(child);
    },
  };
}

export interface FixtureServer {
  port: number;
  url: string;
  child: ChildProcess;
  /** Requests the server itself counted (not counting /__count and /health). */
  served(): Promise<number>;
  stop(): Promise<number | null>;
}

/**
 * Starts test/fixtures/http-server.mjs (or another fixture that prints `{"port"}` and counts on
 * /__count) as its own process, so it never shares an event loop with the load.
 */
export async function startFixtureServer(env: Record<string, string> = {}, fixture = 'http-server.mjs'): Promise<FixtureServer> {
  const script = join(REPO_ROOT, 'test', 'fixtures', fixture);
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`fixture server exited with ${code}`)));
  });
  const url = `http://${env.HOST ?? '127.0.0.1'}:${port}`;
  return {
    port,
    url,
    child,
    async served() {
      const response = await fetch(`${url}/__count`);
      return ((await response.json()) as { served: number }).served;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return waitForExit(child);
    },
  };
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
