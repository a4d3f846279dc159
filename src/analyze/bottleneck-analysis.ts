import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from '../app.js';
import { configEntry, type ComponentConfig, type Config } from '../config.js';
import { CancelledError, InputError, errorMessage } from '../errors.js';
import { formatInteger } from '../format.js';
import { locateChildScript } from '../load/child-script.js';
import { startComponent } from '../load/component.js';
import { runHttpLoad, runHttpLoadInWorkers, type HttpLoadResult } from '../load/http-load.js';
import { planBenchmarks, type PlannedHttp } from '../load/plan.js';
import { Policy } from '../policy.js';
import { AgentSession } from '../profile/agent-session.js';
import type { Final, Tick } from '../profile/agent-protocol.cjs';
import { parseCpuProfile } from '../profile/cpuprofile.js';
import { renderFlameGraph } from '../report/flamegraph.js';
import { redactRequest } from '../secrets.js';
import { AnalysisStore, type ArtifactRecord } from '../store/analyses.js';
import { analyzeCpuProfile, type ProfileAnalysis } from './cpu-profile.js';
import { METRICS, detectFindings, round, routePercentile, type Finding, type Metric } from './findings.js';

export interface AnalysisRequest {
  component?: string;
  command?: string;
  url?: string;
  cwd?: string;
  metrics?: Metric[];
  duration?: number;
  connections?: number;
  requests?: Array<{ method?: string; path: string; headers?: Record<string, string>; body?: unknown }>;
  method?: string;
  body?: unknown;
  workers?: number;
  /** An existing .cpuprofile to analyze without running anything. */
  profile?: string;
  /** Take a sampling heap profile too. */
  heap?: boolean;
}

export interface AnalysisSummary {
  duration_s: number | null;
  requests: number | null;
  rps: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  error_rate: number | null;
  cpu_pct: number | null;
  rss_max_mb: number | null;
  heap_slope_mb_per_min: number | null;
  elu: number | null;
  gc_ms_per_s: number | null;
  event_loop_delay_p50_ms: number | null;
  event_loop_delay_max_ms: number | null;
  queries_per_request: number | null;
  db_time_share: number | null;
}

export interface RouteSummary {
  route: string;
  requests: number;
  p50_ms: number;
  p95_ms: number;
  errors: number;
  queries_per_request: number;
  db_time_share: number;
}

export interface AnalysisResult {
  analysisId: number;
  component: string | null;
  mode: 'live' | 'offline';
  summary: AnalysisSummary;
  routes: RouteSummary[];
  findings: Finding[];
  artifacts: ArtifactRecord[];
  notes: string[];
}

export interface AnalysisContext {
  app: App;
  signal: AbortSignal;
  progress(done: number, total: number, message: string): void;
}

const DEFAULT_DURATION = 10;
const AGENT_TIMEOUT_MS = 15_000;

/**
 * bottleneck_analyze's engine: start the service under the preload agent, load it, stop it, and
 * turn the CPU profile, event-loop, GC, memory and per-request query measurements into ranked
 * findings with artifacts (the .cpuprofile and a flame graph). Or, given `profile`, analyze an
 * existing .cpuprofile offline.
 */
export async function runBottleneckAnalysis(request: AnalysisRequest, context: AnalysisContext): Promise<AnalysisResult> {
  const metrics = new Set<Metric>(request.metrics?.length ? request.metrics : METRICS);
  if (request.profile !== undefined) return analyzeOffline(request.profile, metrics, context);
  return analyzeLive(request, metrics, context);
}

async function analyzeLive(request: AnalysisRequest, metrics: Set<Metric>, context: AnalysisContext): Promise<AnalysisResult> {
  const { app, signal } = context;
  const config = app.config;
  const params = redactRequest(request);
  const policy = new Policy(config.policy);
  const { name, component, effectiveConfig } = resolveComponent(request, config, policy);
  const plan = (await planBenchmarks(
    {
      component: name,
      duration: request.duration ?? component.load.duration ?? policy.defaultWithin(DEFAULT_DURATION, 'maxDuration'),
      ...(request.connections ? { connections: request.connections } : {}),
      ...(request.requests ? { requests: request.requests } : {}),
      ...(request.method ? { method: request.method } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
      ...(request.workers ? { workers: request.workers } : {}),
    },
    effectiveConfig,
    policy,
  )).benchmarks[0] as PlannedHttp;

  const store = new AnalysisStore(app.db);
  const analysisId = store.create(name, params);
  const dir = join(app.artifactsDir, `analysis-${analysisId}`);
  mkdirSync(dir, { recursive: true });
  const total = Math.ceil(plan.load.duration) + 3;
  let step = 0;
  const tick = (message: string) => context.progress(++step, Math.max(total, step), message);
  const session = await AgentSession.open();
  let running: Awaited<ReturnType<typeof startComponent>> | undefined;
  try {
    tick(`starting ${name} under the profiler`);
    running = await startComponent(component, {
      name,
      baseDir: config.baseDir,
      logDir: dir,
      signal,
      maxLogBytes: config.policy.maxArtifactBytes,
      env: session.environment(dir),
      mustStart: 'stop it so perfsop can start it under the profiler (the agent can only be loaded into a process perfsop starts)',
    });
    await session.waitForAgent(AGENT_TIMEOUT_MS, signal).catch(() => {
      throw new Error(`no profiling agent connected from ${name}: is its command a Node.js process that honours NODE_OPTIONS?`);
    });
    session.broadcast({ type: 'start', heap: request.heap ?? false });
    const onSlice = (slice: { requests: number; seconds: number }, index: number) => tick(`${name}: second ${index + 1}, ${Math.round(slice.requests / slice.seconds)} req/s under the profiler`);
    const load: HttpLoadResult =
      plan.workers > 1 ? await runHttpLoadInWorkers(plan.load, plan.workers, { signal, onSlice }) : await runHttpLoad(plan.load, { signal, onSlice });
    tick('collecting the profile');
    const finals = await session.stop(AGENT_TIMEOUT_MS, signal);
    const target = [...finals].sort((a, b) => b.requests - a.requests)[0];
    if (!target || target.requests === 0) {
      throw new Error(
        `the profiling agent in ${name} saw no HTTP request (${load.requests} responses reached the load generator): ` +
          'is the server in a process perfsop started, or behind a proxy?',
      );
    }
    const ticks = session.connections.find((c) => c.hello.pid === target.pid)?.ticks ?? [];
    await running.stop();
    running = undefined;
    tick('analyzing');
    return finish({ analysisId, name, dir, store, metrics, appRoot: resolve(config.baseDir, component.cwd), target, ticks, load, notes: notesFor(plan, finals), maxArtifactBytes: config.policy.maxArtifactBytes });
  } catch (error) {
    const cancelled = error instanceof CancelledError || signal.aborted;
    store.fail(analysisId, cancelled ? 'cancelled' : 'failed', errorMessage(error));
    throw error;
  } finally {
    await running?.stop();
    session.close();
  }
}

function resolveComponent(request: AnalysisRequest, config: Config, policy: Policy): { name: string; component: ComponentConfig; effectiveConfig: Config } {
  if (request.component !== undefined) {
    const component = configEntry(config.components, request.component);
    if (!component) {
      const known = Object.keys(config.components);
      throw new InputError('component', `no component "${request.component}" in ${config.path ?? 'the config (no perfsop.config.json found)'}`, known.length ? `known components: ${known.join(', ')}` : 'define it under components in perfsop.config.json, or send command and url');
    }
    if (!component.command) throw new InputError('component', `component "${request.component}" has no command: perfsop must start it to load the profiler into it`);
    return { name: request.component, component, effectiveConfig: config };
  }
  if (request.command === undefined || request.url === undefined) {
    throw new InputError('component', 'say what to analyze: `component` (from perfsop.config.json), `command` with `url`, or `profile` (an existing .cpuprofile)');
  }
  policy.assertCommandAllowed('command', request.command, false);
  const component: ComponentConfig = { command: request.command, cwd: request.cwd ?? '.', env: {}, secretEnv: [], url: request.url, ready: '/', readyTimeout: 30, load: {} };
  const name = 'service';
  return { name, component, effectiveConfig: { ...config, components: { ...config.components, [name]: component } } };
}

async function analyzeOffline(path: string, metrics: Set<Metric>, context: AnalysisContext): Promise<AnalysisResult> {
  const { app } = context;
  const file = resolve(path);
  if (!file.endsWith('.cpuprofile') || !existsSync(file) || !statSync(file).isFile()) {
    throw new InputError('profile', `${file} is not a .cpuprofile file that exists`, 'record one with `node --cpu-prof`, Chrome DevTools, or a previous bottleneck_analyze run');
  }
  context.progress(1, 3, `reading ${basename(file)}`);
  let profileJson: unknown;
  try {
    profileJson = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError('profile', `cannot read ${file} as JSON: ${errorMessage(error)}`);
  }
  const profile = parseCpuProfile(profileJson);
  const store = new AnalysisStore(app.db);
  const analysisId = store.create(null, { profile: file });
  const dir = join(app.artifactsDir, `analysis-${analysisId}`);
  mkdirSync(dir, { recursive: true });
  context.progress(2, 3, 'analyzing');
  const appRoot = commonAppRoot(profile, app.config.baseDir);
  const analysis = analyzeCpuProfile(profile);
  const findings = detectFindings({ metrics, appRoot, profile: analysis, ticks: [] });
  const notes = [`offline: ${analysis.samples} samples over ${round(analysis.totalUs / 1e6)} s from ${file}; without a live run there are no request, query, event-loop or memory figures`];
  const flame = writeFlameGraph(dir, profile, 'offline profile', basename(file), appRoot, app.config.policy.maxArtifactBytes, notes);
  const artifacts = flame ? [store.addArtifact('analysis', analysisId, 'flamegraph', flame, 'text/html')] : [];
  const summary = emptySummary();
  summary.duration_s = round(analysis.totalUs / 1e6);
  store.complete(analysisId, { summary, routes: [] }, findings);
  context.progress(3, 3, 'done');
  return {
    analysisId,
    component: null,
    mode: 'offline',
    summary,
    routes: [],
    findings,
    artifacts,
    notes,
  };
}

function finish(input: {
  analysisId: number;
  name: string;
  dir: string;
  store: AnalysisStore;
  metrics: Set<Metric>;
  appRoot: string;
  target: Final;
  ticks: Tick[];
  load: HttpLoadResult;
  notes: string[];
  maxArtifactBytes: number;
}): AnalysisResult {
  const { analysisId, name, dir, store, metrics, appRoot, target, ticks, load, notes, maxArtifactBytes } = input;
  const artifacts: ArtifactRecord[] = [];
  let analysis: ProfileAnalysis | undefined;
  if (target.profilePath && existsSync(target.profilePath)) {
    const profilePath = join(dir, `${name}.cpuprofile`);
    renameSync(target.profilePath, profilePath);
    // Analyzed first, then dropped if too big to keep: the findings do not need the file.
    const profile = parseCpuProfile(JSON.parse(readFileSync(profilePath, 'utf8')));
    analysis = analyzeCpuProfile(profile, { agentPath: agentFile() });
    if (keptUnderCap(profilePath, maxArtifactBytes, notes)) artifacts.push(store.addArtifact('analysis', analysisId, 'cpuprofile', profilePath, 'application/json'));
    const subtitle = `${name}, ${round(load.durationS)} s of load, ${formatInteger(load.requests)} requests, ${formatInteger(analysis.samples)} samples`;
    const flame = writeFlameGraph(dir, profile, `${name} CPU profile`, subtitle, appRoot, maxArtifactBytes, notes);
    if (flame) artifacts.push(store.addArtifact('analysis', analysisId, 'flamegraph', flame, 'text/html'));
  } else {
    notes.push(`no CPU profile: ${target.profileError ?? 'the agent did not write one'}`);
  }
  if (target.heapProfilePath && existsSync(target.heapProfilePath)) {
    const heapPath = join(dir, `${name}.heapprofile`);
    renameSync(target.heapProfilePath, heapPath);
    if (keptUnderCap(heapPath, maxArtifactBytes, notes)) artifacts.push(store.addArtifact('analysis', analysisId, 'heapprofile', heapPath, 'application/json'));
  }
  const log = join(dir, `${name}.log`);
  if (existsSync(log)) artifacts.push(store.addArtifact('analysis', analysisId, 'log', log, 'text/plain'));

  const findings = detectFindings({ metrics, appRoot, ...(analysis ? { profile: analysis } : {}), agent: target, ticks });
  const { summary, routes } = summarize(load, target, ticks, analysis);
  store.complete(analysisId, { summary, routes }, findings);
  return { analysisId, component: name, mode: 'live', summary, routes, findings, artifacts, notes };
}

function summarize(load: HttpLoadResult, agent: Final, ticks: readonly Tick[], profile: ProfileAnalysis | undefined): { summary: AnalysisSummary; routes: RouteSummary[] } {
  const seconds = agent.durationMs / 1000;
  const latencyTotal = agent.routes.reduce((sum, r) => sum + r.latency.sum, 0);
  const dbTotal = agent.routes.reduce((sum, r) => sum + r.dbMs, 0);
  const queries = agent.routes.reduce((sum, r) => sum + r.queries, 0);
  const heap = ticks.map((t) => ({ x: t.t / 60, y: t.mem.heapUsed / 1_048_576 }));
  const summary: AnalysisSummary = {
    duration_s: round(load.durationS),
    requests: load.requests,
    rps: round(load.requests / load.durationS),
    p50_ms: round(load.histogram.percentile(50)),
    p95_ms: round(load.histogram.percentile(95)),
    p99_ms: round(load.histogram.percentile(99)),
    error_rate: round((load.errors + load.non2xx) / Math.max(1, load.requests + load.errors)),
    cpu_pct: seconds > 0 ? round((agent.cpuMs / agent.durationMs) * 100) : null,
    rss_max_mb: ticks.length ? round(Math.max(...ticks.map((t) => t.mem.rss)) / 1_048_576) : null,
    heap_slope_mb_per_min: heap.length >= 3 ? round(slope(heap)) : null,
    elu: round(agent.elu),
    gc_ms_per_s: seconds > 0 ? round(agent.gc.ms / seconds) : null,
    event_loop_delay_p50_ms: round(agent.eld.p50),
    event_loop_delay_max_ms: round(agent.eld.max),
    queries_per_request: agent.requests ? round(queries / agent.requests) : null,
    db_time_share: latencyTotal ? round(dbTotal / latencyTotal) : null,
  };
  const routes = agent.routes
    .map((r) => ({
      route: r.route,
      requests: r.requests,
      p50_ms: round(routePercentile(r, 50)),
      p95_ms: round(routePercentile(r, 95)),
      errors: r.errors,
      queries_per_request: r.requests ? round(r.queries / r.requests) : 0,
      db_time_share: r.latency.sum ? round(r.dbMs / r.latency.sum) : 0,
    }))
    .sort((a, b) => b.requests - a.requests);
  return { summary, routes };
}

function notesFor(plan: PlannedHttp, finals: readonly Final[]): string[] {
  const notes: string[] = [`load: ${plan.load.connections} connections for ${plan.load.duration} s against ${plan.target}`];
  const others = finals.filter((f) => f.requests === 0);
  if (others.length > 0) notes.push(`${others.length} other Node process(es) in the component's tree (e.g. a wrapper) were profiled too and served no requests; ignored`);
  return notes;
}

/** Writes the flame graph unless it would exceed policy.maxArtifactBytes; says so in `notes` then. */
function writeFlameGraph(
  dir: string,
  profile: ReturnType<typeof parseCpuProfile>,
  title: string,
  subtitle: string,
  appRoot: string,
  maxBytes: number,
  notes: string[],
): string | undefined {
  const html = renderFlameGraph(profile, { title, subtitle, appRoot });
  const bytes = Buffer.byteLength(html);
  if (bytes > maxBytes) {
    notes.push(`flame graph not written: ${bytes} bytes is above policy.maxArtifactBytes (${maxBytes})`);
    return undefined;
  }
  const path = join(dir, 'flamegraph.html');
  writeFileSync(path, html);
  return path;
}

/** False, with the file removed and a note, when a profile the agent wrote is above policy.maxArtifactBytes. */
function keptUnderCap(path: string, maxBytes: number, notes: string[]): boolean {
  const bytes = statSync(path).size;
  if (bytes <= maxBytes) return true;
  rmSync(path, { force: true });
  notes.push(`${basename(path)} removed: ${bytes} bytes is above policy.maxArtifactBytes (${maxBytes})`);
  return false;
}

/** The agent's own file, so its frames count as profiler overhead rather than the service's work. */
function agentFile(): string | undefined {
  try {
    return locateChildScript('../profile/agent.cjs', 'PERFSOP_AGENT');
  } catch {
    return undefined;
  }
}

/** For an offline profile: the folder most of its application files share, else the config folder. */
function commonAppRoot(profile: ReturnType<typeof parseCpuProfile>, fallback: string): string {
  const files = profile.nodes
    .map((n) => n.callFrame.url)
    .filter((url) => url.startsWith('file://') && !url.includes('/node_modules/'))
    .map((url) => fileURLToPath(url));
  if (files.length === 0) return fallback;
  let prefix = files[0]!.split('/').slice(0, -1);
  for (const file of files) {
    const parts = file.split('/');
    let i = 0;
    while (i < prefix.length && prefix[i] === parts[i]) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix.join('/') || fallback;
}

function slope(points: ReadonlyArray<{ x: number; y: number }>): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx ? sxy / sxx : 0;
}

function emptySummary(): AnalysisSummary {
  return {
    duration_s: null,
    requests: null,
    rps: null,
    p50_ms: null,
    p95_ms: null,
    p99_ms: null,
    error_rate: null,
    cpu_pct: null,
    rss_max_mb: null,
    heap_slope_mb_per_min: null,
    elu: null,
    gc_ms_per_s: null,
    event_loop_delay_p50_ms: null,
    event_loop_delay_max_ms: null,
    queries_per_request: null,
    db_time_share: null,
  };
}
