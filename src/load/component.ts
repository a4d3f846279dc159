import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join, resolve } from 'node:path';
import type { ComponentConfig } from '../config.js';
import { CancelledError, InputError } from '../errors.js';
import { log } from '../log.js';
import { registerSecretEnv } from '../secrets.js';
import { LogCapture } from './log-capture.js';
import { spawnGroup, stopGroup } from './process-group.js';

export interface RunningComponent {
  /** False when the component was already listening and perfsop left it alone. */
  started: boolean;
  pid: number | undefined;
  logPath: string | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  baseDir: string;
  logDir: string;
  signal: AbortSignal;
  /** Extra environment, e.g. NODE_OPTIONS for the profiler's preload. */
  env?: Record<string, string>;
  /** The captured log stops at this many bytes (policy.maxArtifactBytes). */
  maxLogBytes: number;
  /** Refuse to use an instance that is already running (the profiler can only go into one perfsop starts). */
  mustStart?: string;
}

/**
 * Starts a component from its config unless something already answers at its URL, then waits until
 * its `ready` path answers 2xx. The process is stopped again by `stop()`, and on any failure here.
 */
export async function startComponent(component: ComponentConfig, options: StartOptions): Promise<RunningComponent> {
  const readyUrl = new URL(component.ready, component.url).toString();
  if (await answers(readyUrl)) {
    if (options.mustStart) throw new InputError('component', `${options.name} is already running at ${component.url}; ${options.mustStart}`);
    log.info(`${options.name} already answers at ${readyUrl}; using the running instance`);
    return { started: false, pid: undefined, logPath: undefined, stop: async () => {} };
  }
  if (!component.command) {
    throw new Error(`${options.name} does not answer at ${readyUrl} and has no command to start it`);
  }
  mkdirSync(options.logDir, { recursive: true });
  const logPath = join(options.logDir, `${options.name.replace(/[^\w.-]+/g, '_')}.log`);
  const env = { ...process.env, ...component.env, ...options.env };
  // Whatever the service inherits may be printed by it; register before it can.
  registerSecretEnv(env, component.secretEnv);
  const capture = new LogCapture(logPath, options.maxLogBytes);
  let child: ChildProcess | undefined;
  try {
    child = spawnGroup('/bin/sh', ['-c', component.command], { cwd: resolve(options.baseDir, component.cwd), env, stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    // With no child, attach() of nothing closes the file.
    capture.attach(child?.stdout, child?.stderr);
  }
  const stop = async () => {
    await stopGroup(child);
    // The log is complete once the pipes drain; a grandchild that escaped the group could hold them open, hence the bound.
    await Promise.race([capture.done, new Promise((r) => setTimeout(r, 1000))]);
  };
  try {
    await waitUntilReady(child, readyUrl, component.readyTimeout * 1000, options.signal, capture);
  } catch (error) {
    await stop();
    throw error;
  }
  return { started: true, pid: child.pid, logPath, stop };
}

async function waitUntilReady(child: ChildProcess, url: string, timeoutMs: number, signal: AbortSignal, capture: LogCapture): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exit: string | undefined;
  child.once('exit', (code, sig) => (exit = sig ? `was killed by ${sig}` : `exited with code ${code}`));
  child.once('error', (error) => (exit = `could not start: ${error.message}`));
  for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
    if (signal.aborted) throw new CancelledError();
    if (exit) {
      // The last output may still be in the pipes when the exit is seen; it explains the exit.
      await Promise.race([capture.done, new Promise((r) => setTimeout(r, 500))]);
      throw new Error(`the component ${exit} before it was ready. Its output ends with:\n${tail(capture.path)}`);
    }
    if (await answers(url)) return;
    if (Date.now() > deadline) {
      throw new Error(`the component did not answer 2xx at ${url} within ${timeoutMs / 1000} s. Its output ends with:\n${tail(capture.path)}`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * True when a GET answers 2xx within a second. A redirect is not followed and does not count as
 * ready: following it would send a request to a host the policy never checked.
 */
function answers(url: string): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const request = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = request(url, { method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolveAnswer((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolveAnswer(false));
    req.end();
  });
}

export function tail(path: string, bytes = 2000): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.length > bytes ? `…${text.slice(-bytes)}` : text || '(no output)';
  } catch {
    return '(no output)';
  }
}
