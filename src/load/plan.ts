import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { configEntry, type BenchmarkConfig, type ComponentConfig, type Config, type LoadConfig, type Thresholds } from '../config.js';
import { InputError } from '../errors.js';
import type { Policy } from '../policy.js';
import { CAPACITY_STEPS } from './capacity.js';
import type { HttpLoadSpec, HttpRequestSpec } from './http-load.js';

/** What a benchmark_run call asks for, after the tool has parsed it. */
export interface BenchmarkRequest {
  suite?: string;
  iterations?: number;
  url?: string;
  component?: string;
  connections?: number;
  duration?: number;
  amount?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  requests?: Array<{ method?: string; path: string; headers?: Record<string, string>; body?: unknown }>;
  pipelining?: number;
  workers?: number;
  rate?: number;
  warmup?: number;
  command?: string;
  cwd?: string;
  label?: string;
  /** The optimization technique this run tries; recorded with the measured outcome. */
  technique?: string;
  baseline?: string;
  thresholds?: Thresholds;
  noise_pct?: number;
  capacity?: boolean;
  target_p95_ms?: number;
  step_duration?: number;
}

interface PlannedBase {
  name: string;
  thresholds: Thresholds;
  noisePct?: number;
}

export interface PlannedHttp extends PlannedBase {
  type: 'http';
  component?: { name: string; config: ComponentConfig };
  load: HttpLoadSpec;
  workers: number;
  /** Seconds at the start left out of the comparison: JIT, caches and connection set-up. */
  warmupS: number;
  /** The URL as the user wrote it (load may go to a pinned address). */
  target: string;
  capacity?: { targetP95Ms: number; maxErrorRate: number; stepSeconds: number };
}

export interface PlannedCommand extends PlannedBase {
  type: 'command';
  command: string;
  cwd: string;
  env?: Record<string, string>;
  iterations: number;
  warmup: number;
}

export interface PlannedMicro extends PlannedBase {
  type: 'micro';
  module: string;
  cwd: string;
  rounds: number;
  functions?: string[];
}

export type PlannedBenchmark = PlannedHttp | PlannedCommand | PlannedMicro;

export interface Plan {
  suite?: string;
  benchmarks: PlannedBenchmark[];
  /** Folder whose git commit the run records. */
  workDir: string;
  notes: string[];
}

const DEFAULTS = { connections: 10, duration: 10, pipelining: 1, timeoutS: 10, iterations: 10, warmup: 3, rounds: 20, httpWarmupS: 1 };

/**
 * Turns a call into the benchmarks to run: a suite from the config, or one ad-hoc HTTP or command
 * benchmark. Every command, host and size passes the policy here, before anything starts.
 */
export async function planBenchmarks(request: BenchmarkRequest, config: Config, policy: Policy): Promise<Plan> {
  const notes: string[] = [];
  if (request.suite !== undefined) {
    const suite = configEntry(config.suites, request.suite);
    if (!suite) {
      const known = Object.keys(config.suites);
      throw new InputError(
        'suite',
        `no suite "${request.suite}" in ${config.path ?? 'perfsop.config.json (none found)'}`,
        known.length ? `known suites: ${known.join(', ')}` : 'define suites in perfsop.config.json, or call with url, component or command for an ad-hoc benchmark',
      );
    }
    const benchmarks: PlannedBenchmark[] = [];
    for (const benchmark of suite.benchmarks) {
      benchmarks.push(await planOne(benchmark, { ...suite.thresholds, ...request.thresholds }, request, config, policy, notes));
    }
    return { suite: request.suite, benchmarks, workDir: workDirOf(benchmarks, config), notes };
  }
  const adhoc = adhocBenchmark(request, config);
  const planned = await planOne(adhoc, request.thresholds ?? {}, request, config, policy, notes);
  return { benchmarks: [planned], workDir: workDirOf([planned], config), notes };
}

function adhocBenchmark(request: BenchmarkRequest, config: Config): BenchmarkConfig {
  // Ad-hoc names come from what is measured, not from the label: `before` and `after` runs of the
  // same target must carry the same name to be compared.
  if (request.command !== undefined) {
    return { type: 'command', name: shorten(request.command), command: request.command, ...(request.cwd ? { cwd: request.cwd } : {}) };
  }
  if (request.component !== undefined) {
    if (!configEntry(config.components, request.component)) {
      const known = Object.keys(config.components);
      throw new InputError('component', `no component "${request.component}" in the config`, known.length ? `known components: ${known.join(', ')}` : 'define it under components in perfsop.config.json, or send a url');
    }
    return { type: 'http', name: request.component, component: request.component };
  }
  if (request.url !== undefined) return { type: 'http', name: `${request.method ?? 'GET'} ${pathOf(request.url)}`, url: request.url };
  throw new InputError('suite', 'say what to benchmark: `suite` (from perfsop.config.json), `component`, `url`, or `command`');
}

async function planOne(
  benchmark: BenchmarkConfig,
  inherited: Thresholds,
  request: BenchmarkRequest,
  config: Config,
  policy: Policy,
  notes: string[],
): Promise<PlannedBenchmark> {
  const base = { name: benchmark.name, thresholds: { ...inherited, ...benchmark.thresholds, ...request.thresholds }, noisePct: request.noise_pct ?? benchmark.noise_pct };
  const fromConfig = request.suite !== undefined;
  switch (benchmark.type) {
    case 'command': {
      policy.assertCommandAllowed('command', benchmark.command, fromConfig);
      const iterations = policy.cap('iterations', request.iterations ?? benchmark.iterations ?? policy.defaultWithin(DEFAULTS.iterations, 'maxIterations'), 'maxIterations');
      return {
        ...base,
        type: 'command',
        command: benchmark.command,
        cwd: resolve(config.baseDir, request.suite ? (benchmark.cwd ?? '.') : (request.cwd ?? benchmark.cwd ?? '.')),
        ...(benchmark.env ? { env: benchmark.env } : {}),
        iterations,
        warmup: policy.cap('warmup', request.warmup ?? benchmark.warmup ?? policy.defaultWithin(DEFAULTS.warmup, 'maxIterations'), 'maxIterations'),
      };
    }
    case 'micro': {
      const cwd = resolve(config.baseDir, benchmark.cwd ?? '.');
      const module = isAbsolute(benchmark.module) ? benchmark.module : resolve(cwd, benchmark.module);
      if (!existsSync(module)) throw new InputError('suite', `micro benchmark "${benchmark.name}": module ${module} does not exist`);
      const rounds = policy.cap('iterations', request.iterations ?? benchmark.iterations ?? policy.defaultWithin(DEFAULTS.rounds, 'maxIterations'), 'maxIterations');
      // A margin of error needs a spread, so a micro benchmark needs two rounds at least.
      if (rounds < 2) throw new InputError('iterations', `micro benchmark "${benchmark.name}" needs at least 2 rounds, got ${rounds}`);
      return {
        ...base,
        type: 'micro',
        module,
        cwd,
        rounds,
        ...(benchmark.functions ? { functions: benchmark.functions } : {}),
      };
    }
    case 'http':
      return planHttp(benchmark, base, request, config, policy, notes);
  }
}

async function planHttp(
  benchmark: Extract<BenchmarkConfig, { type: 'http' }>,
  base: PlannedBase,
  request: BenchmarkRequest,
  config: Config,
  policy: Policy,
  notes: string[],
): Promise<PlannedHttp> {
  const componentName = benchmark.component;
  const component = componentName ? configEntry(config.components, componentName) : undefined;
  if (componentName && !component) throw new InputError('suite', `benchmark "${benchmark.name}" names component "${componentName}", which the config does not define`);
  if (component?.command) policy.assertCommandAllowed('component', component.command, true);
  const targetUrl = benchmark.url ?? component?.url ?? request.url;
  if (!targetUrl) throw new InputError('url', `benchmark "${benchmark.name}" has neither a url nor a component`);
  // Precedence: the call's explicit options, then the benchmark's, then the component's defaults.
  const load: LoadConfig = { ...component?.load, ...benchmark.load, ...definedLoad(request) };
  const pinned = await policy.resolveTarget('url', targetUrl);
  const connections = policy.cap('connections', load.connections ?? policy.defaultWithin(DEFAULTS.connections, 'maxConnections'), 'maxConnections');
  const duration = policy.cap('duration', load.duration ?? policy.defaultWithin(DEFAULTS.duration, 'maxDuration'), 'maxDuration');
  const amount = load.amount === undefined ? undefined : policy.cap('amount', load.amount, 'maxAmount');
  const workers = policy.cap('workers', load.workers ?? 1, 'maxWorkers');
  if (workers > cpus().length) notes.push(`${workers} load workers on a ${cpus().length}-core machine share cores with the target`);
  if (request.iterations !== undefined) notes.push(`iterations (${request.iterations}) applies to command and micro benchmarks; "${benchmark.name}" ran for its duration`);
  const requests = load.requests?.map((r): HttpRequestSpec => {
    const encoded = encodeBody(r.body, r.headers);
    return {
      path: r.path,
      ...(r.method ? { method: r.method } : {}),
      headers: { ...r.headers, ...encoded.headers },
      ...(encoded.body === undefined ? {} : { body: encoded.body }),
    };
  });
  const body = encodeBody(load.body, load.headers);
  const capacity = request.capacity ? planCapacity(request, base.thresholds, duration, policy) : undefined;
  return {
    ...(capacity ? { capacity } : {}),
    ...base,
    type: 'http',
    ...(component && componentName ? { component: { name: componentName, config: component } } : {}),
    target: targetUrl,
    workers,
    warmupS: load.warmup ?? DEFAULTS.httpWarmupS,
    load: {
      url: pinned.url,
      ...(pinned.hostHeader ? { hostHeader: pinned.hostHeader } : {}),
      connections,
      duration,
      ...(amount ? { amount } : {}),
      pipelining: load.pipelining ?? DEFAULTS.pipelining,
      method: load.method ?? 'GET',
      headers: { ...load.headers, ...body.headers },
      ...(body.body === undefined ? {} : { body: body.body }),
      ...(requests ? { requests } : {}),
      ...(request.rate ? { overallRate: request.rate } : {}),
      timeoutS: load.timeout ?? DEFAULTS.timeoutS,
    },
  };
}

/** The load options the call itself set; unset ones must not hide the config's values. */
function definedLoad(request: BenchmarkRequest): LoadConfig {
  const entries = {
    connections: request.connections,
    duration: request.duration,
    amount: request.amount,
    pipelining: request.pipelining,
    workers: request.workers,
    method: request.method,
    headers: request.headers,
    body: request.body as LoadConfig['body'],
    requests: request.requests as LoadConfig['requests'],
    warmup: request.warmup,
  };
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as LoadConfig;
}

/** Objects and arrays are sent as JSON with the matching content type unless one was given. */
function encodeBody(body: unknown, headers: Record<string, string> | undefined): { body?: string; headers?: Record<string, string> } {
  if (body === undefined) return {};
  if (typeof body === 'string') return { body };
  const hasType = Object.keys(headers ?? {}).some((h) => h.toLowerCase() === 'content-type');
  return { body: JSON.stringify(body), headers: hasType ? {} : { 'content-type': 'application/json' } };
}

function workDirOf(benchmarks: readonly PlannedBenchmark[], config: Config): string {
  for (const b of benchmarks) {
    if (b.type === 'http' && b.component) return resolve(config.baseDir, b.component.config.cwd);
    if (b.type !== 'http') return b.cwd;
  }
  return config.baseDir;
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

function pathOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return url; // the policy check reports the bad URL
  }
}

function planCapacity(request: BenchmarkRequest, thresholds: Thresholds, duration: number, policy: Policy): NonNullable<PlannedHttp['capacity']> {
  const targetP95Ms = request.target_p95_ms ?? thresholds.p95_ms;
  if (targetP95Ms === undefined) {
    throw new InputError('target_p95_ms', 'capacity mode needs a latency goal: send target_p95_ms (e.g. 500)', 'capacity steps the offered rate up until p95 crosses this target');
  }
  const stepSeconds = request.step_duration ?? 5;
  // The whole search must fit the policy's duration cap, like a single load test.
  policy.cap('step_duration', duration + stepSeconds * CAPACITY_STEPS, 'maxDuration');
  return { targetP95Ms, maxErrorRate: thresholds.max_error_rate ?? 0.01, stepSeconds };
}
