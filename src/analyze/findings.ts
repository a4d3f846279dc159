import { relative } from 'node:path';
import type { Explain, Final, QueryStats, RouteStats, Tick } from '../profile/agent-protocol.cjs';
import { LogHistogram } from '../stats/log-histogram.js';
import type { ProfileAnalysis } from './cpu-profile.js';
import { scanHotLines } from './source-scan.js';

export type Category = 'cpu' | 'db' | 'event_loop' | 'memory' | 'gc' | 'io' | 'logging';
export type Priority = 'critical' | 'high' | 'medium' | 'low';
export type FindingKind =
  | 'hot-function'
  | 'algorithmic'
  | 'n-plus-one'
  | 'missing-index'
  | 'event-loop-blocking'
  | 'memory-growth'
  | 'gc-pressure'
  | 'logging';

export interface Finding {
  kind: FindingKind;
  title: string;
  category: Category;
  priority: Priority;
  impact: {
    /** Estimated time per request this costs; null without request data (an offline profile). */
    ms_per_request: number | null;
    /** Share of mean response time (with requests) or of the profiled CPU time (without). */
    share: number;
    basis: string;
  };
  location?: { function: string; file: string; line: number };
  evidence: Record<string, unknown>;
  fix: string;
}

export type Metric = 'response_time' | 'cpu_usage' | 'memory' | 'db_queries' | 'event_loop' | 'gc';
export const METRICS: readonly Metric[] = ['response_time', 'cpu_usage', 'memory', 'db_queries', 'event_loop', 'gc'];

export interface FindingInputs {
  metrics: ReadonlySet<Metric>;
  appRoot: string;
  profile?: ProfileAnalysis;
  /** The agent's report from the process that served the requests. */
  agent?: Final;
  ticks: readonly Tick[];
}

/** Share of CPU a user function must take before it is worth a finding... */
const HOT_SHARE = 0.05;
/** ...and, with requests measured, time per request: under 0.1 ms a function is not a bottleneck. */
const HOT_MIN_MS = 0.1;
// The N+1 rule (>= 5 of one fingerprint in one request) is applied where requests are seen: agent.cts REPEAT.
// Clinic.js Doctor's published thresholds.
const ELD_MEDIAN_MS = 10;
const ELD_MAX_MS = 100;
const GC_MS_PER_S = 100;

/**
 * Turns measurements into ranked findings, each with its evidence, an estimated impact and a fix.
 * Heuristics follow Clinic.js Doctor (event loop, GC) and Sentry (N+1: the same query 5+ times in
 * one request); impact is measured time per request where requests were measured.
 */
export function detectFindings(inputs: FindingInputs): Finding[] {
  const { metrics, agent, profile } = inputs;
  const requests = agent?.requests ?? 0;
  const meanLatency = agent ? meanRouteLatency(agent.routes) : 0;
  const context: Context = { ...inputs, requests, meanLatency };
  const findings: Finding[] = [];
  if (agent && (metrics.has('db_queries') || metrics.has('response_time'))) {
    findings.push(...nPlusOne(agent.queries, agent.routes, context));
    findings.push(...missingIndexes(agent.queries, agent.explains, context));
  }
  const flaggedDbMs = agent ? flaggedQueryTime(agent.queries, findings) : new Map<string, number>();
  if (profile && (metrics.has('cpu_usage') || metrics.has('response_time'))) {
    findings.push(...hotFunctions(profile, context, flaggedDbMs));
    const logging = loggingFinding(profile, context);
    if (logging) findings.push(logging);
  }
  if (agent && metrics.has('event_loop')) {
    const blocking = eventLoopFinding(agent, profile, context);
    if (blocking) findings.push(blocking);
  }
  if (metrics.has('memory')) {
    const growth = memoryGrowth(agent, inputs.ticks);
    if (growth) findings.push(growth);
  }
  if (agent && metrics.has('gc')) {
    const gc = gcPressure(agent);
    if (gc) findings.push(gc);
  }
  return findings.sort(
    (a, b) => Number(b.impact.ms_per_request !== null) - Number(a.impact.ms_per_request !== null) || (b.impact.ms_per_request ?? 0) - (a.impact.ms_per_request ?? 0) || b.impact.share - a.impact.share,
  );
}

interface Context extends FindingInputs {
  requests: number;
  meanLatency: number;
}

function meanRouteLatency(routes: readonly RouteStats[]): number {
  const n = routes.reduce((sum, r) => sum + r.latency.n, 0);
  return n ? routes.reduce((sum, r) => sum + r.latency.sum, 0) / n : 0;
}

/** Impact from time spent per request, as a share of the mean response time. */
function perRequest(totalMs: number, context: Context, basis: string): Finding['impact'] {
  if (context.requests === 0) return { ms_per_request: null, share: 0, basis };
  const ms = totalMs / context.requests;
  return { ms_per_request: round(ms), share: context.meanLatency ? Math.min(1, ms / context.meanLatency) : 0, basis };
}

const RANK: Priority[] = ['low', 'medium', 'high', 'critical'];

/**
 * Priority from the share of response time, never below `floor`; and for CPU findings never above
 * what the absolute cost supports: 25% of a 0.2 ms request is not a critical problem.
 */
function priorityOf(share: number, floor: Priority = 'low', msPerRequest: number | null = null): Priority {
  const byShare: Priority = share >= 0.4 ? 'critical' : share >= 0.15 ? 'high' : share >= 0.05 ? 'medium' : 'low';
  const ceiling: Priority = msPerRequest === null || msPerRequest >= 1 ? 'critical' : msPerRequest >= 0.2 ? 'medium' : 'low';
  const priority = RANK[Math.min(RANK.indexOf(byShare), RANK.indexOf(ceiling))]!;
  return RANK[Math.max(RANK.indexOf(priority), RANK.indexOf(floor))]!;
}

/**
 * Where a query comes from: its innermost application frame, unless that frame is a helper shared
 * by several different queries (a db.get wrapper), in which case the helper's caller.
 */
function callsiteOf(q: QueryStats, all: readonly QueryStats[]): { name: string; file: string; line: number } | undefined {
  const frames = q.callers ?? [];
  const shared = (frame: { file: string; line: number }) =>
    all.filter((other) => other !== q && (other.callers ?? []).some((f) => f.file === frame.file && f.line === frame.line)).length > 0;
  return frames.find((frame, i) => i === frames.length - 1 || !shared(frame));
}

function nPlusOne(queries: readonly QueryStats[], routes: readonly RouteStats[], context: Context): Finding[] {
  const out: Finding[] = [];
  for (const q of queries) {
    // Most requests that run it repeat it: a loop around a query, not an occasional retry.
    if (q.requests === 0 || q.requestsRepeated < Math.max(1, q.requests * 0.5)) continue;
    const perRoute = routes.flatMap((r) => r.repeated.filter((rep) => rep.fingerprint === q.fingerprint).map((rep) => ({ route: r.route, ...rep })));
    const meanCount = perRoute.length ? perRoute.reduce((s, r) => s + r.meanPerRequest * r.requests, 0) / perRoute.reduce((s, r) => s + r.requests, 0) : q.calls / q.requests;
    const impact = perRequest(q.totalMs, context, 'measured time of these queries per request');
    const callsite = callsiteOf(q, queries);
    out.push({
      kind: 'n-plus-one',
      title: `N+1 query: \`${short(q.fingerprint)}\` runs ${round(meanCount)}x per request${callsite ? ` in ${callsite.name}` : ''}`,
      category: 'db',
      // A query that is cheap on a local file is a network round trip on a real database server:
      // 10+ repeats is a serious problem even when the measured time is small here.
      priority: priorityOf(impact.share, meanCount >= 10 ? 'high' : 'medium'),
      impact,
      ...(callsite ? { location: { function: callsite.name, file: rel(callsite.file, context.appRoot), line: callsite.line } } : {}),
      evidence: {
        fingerprint: q.fingerprint,
        driver: q.driver,
        call_chain: (q.callers ?? []).map((f) => `${f.name} (${rel(f.file, context.appRoot)}:${f.line})`),
        per_request_mean: round(meanCount),
        per_request_max: q.maxPerRequest,
        requests_with_repeats: q.requestsRepeated,
        requests_with_query: q.requests,
        calls: q.calls,
        total_ms: round(q.totalMs),
        mean_ms_per_call: round(q.totalMs / q.calls),
        routes: perRoute.map((r) => ({ route: r.route, per_request: round(r.meanPerRequest), ms_per_request: round(r.msPerRequest) })),
      },
      fix: `Fetch all rows in one query instead of one per item (e.g. \`... WHERE key IN (?, ?, ...)\` or a JOIN), then look them up in a Map; ${round(meanCount)} round trips become 1.`,
    });
  }
  return out;
}

function missingIndexes(queries: readonly QueryStats[], explains: readonly Explain[], context: Context): Finding[] {
  const out: Finding[] = [];
  for (const explain of explains) {
    const q = queries.find((x) => x.fingerprint === explain.fingerprint);
    if (!q) continue;
    const scans = explain.plan.flatMap((detail) => {
      const match = /^SCAN (\w+)(?: AS \w+)?$/i.exec(detail.trim());
      return match ? [match[1]!] : [];
    });
    if (scans.length === 0) continue;
    const filtered = filteredColumns(explain.sql);
    for (const table of scans) {
      const columns = filtered.filter((c) => c.table === undefined || c.table === table).map((c) => c.column);
      if (columns.length === 0) continue; // scanning everything on purpose (no WHERE on this table)
      const impact = perRequest(q.totalMs, context, 'measured time of this query per request');
      const meanMs = q.totalMs / q.calls;
      // A scan that costs nothing measurable is not worth an index yet.
      if ((impact.ms_per_request ?? meanMs) < 0.2 && meanMs < 0.2) continue;
      const column = columns[0]!;
      const callsite = callsiteOf(q, queries);
        out.push({
        kind: 'missing-index',
        title: `Missing index: full scan of ${table} filtering on ${column} (${round(meanMs)} ms per query)`,
        category: 'db',
        priority: priorityOf(impact.share, 'medium'),
        impact,
        ...(callsite ? { location: { function: callsite.name, file: rel(callsite.file, context.appRoot), line: callsite.line } } : {}),
        evidence: {
          table,
          column,
          columns,
          fingerprint: q.fingerprint,
          plan: explain.plan,
          calls: q.calls,
          mean_ms_per_call: round(meanMs),
          calls_per_request: context.requests ? round(q.inRequests / context.requests) : null,
        },
        fix: `CREATE INDEX idx_${table}_${columns.join('_')} ON ${table}(${columns.join(', ')});`,
      });
    }
  }
  return out;
}

/** Columns compared in the WHERE clause, with their table qualifier when written. */
function filteredColumns(sql: string): Array<{ table?: string; column: string }> {
  const where = /\bwhere\b([\s\S]*?)(?:\bgroup\s+by\b|\border\s+by\b|\blimit\b|$)/i.exec(sql)?.[1];
  if (!where) return [];
  const out: Array<{ table?: string; column: string }> = [];
  const comparison = /(?:(\w+)\.)?(\w+)\s*(?:=|<|>|<=|>=|!=|<>|\bin\b|\blike\b|\bis\b|\bbetween\b)/gi;
  for (const match of where.matchAll(comparison)) {
    const column = match[2]!;
    if (/^(and|or|not|null|\d+)$/i.test(column)) continue;
    if (!out.some((c) => c.column === column)) out.push({ ...(match[1] ? { table: match[1] } : {}), column });
  }
  return out;
}

/**
 * Time of the queries that have findings of their own (N+1, missing index), per function on their
 * call chain: that part of a function's CPU is already reported, and must not be reported twice.
 */
function flaggedQueryTime(queries: readonly QueryStats[], findings: readonly Finding[]): Map<string, number> {
  const flagged = new Set(findings.flatMap((f) => (f.kind === 'n-plus-one' || f.kind === 'missing-index' ? [String(f.evidence.fingerprint)] : [])));
  const byFunction = new Map<string, number>();
  for (const q of queries) {
    if (!flagged.has(q.fingerprint)) continue;
    for (const frame of new Map((q.callers ?? []).map((f) => [functionId(f.name, f.file), f])).keys()) {
      byFunction.set(frame, (byFunction.get(frame) ?? 0) + q.totalMs);
    }
  }
  return byFunction;
}

function hotFunctions(profile: ProfileAnalysis, context: Context, flaggedDbMs: ReadonlyMap<string, number>): Finding[] {
  const out: Finding[] = [];
  const logging = loggingHelpers(profile);
  const candidates = profile.functions
    .filter((f) => f.kind === 'user' && profile.activeUs > 0 && f.ownUs / profile.activeUs >= HOT_SHARE)
    .sort((a, b) => b.ownUs - a.ownUs)
    .slice(0, 8);
  for (const f of candidates) {
    // A function that exists to log is reported by the logging finding.
    if (logging.has(functionId(f.name, f.file))) continue;
    // Queries with findings of their own leave only the rest of the function's time to report.
    const reportedMs = flaggedDbMs.get(functionId(f.name, f.file)) ?? 0;
    const ms = Math.max(0, f.ownUs / 1000 - reportedMs);
    const share = ms / (profile.activeUs / 1000);
    if (share < HOT_SHARE || (context.requests > 0 && ms / context.requests < HOT_MIN_MS)) continue;
    const impact: Finding['impact'] =
      context.requests > 0
        ? { ...perRequest(ms, context, 'CPU time in this function and the library code it calls, per request'), share: Math.min(1, (ms / context.requests) / (context.meanLatency || Infinity)) }
        : { ms_per_request: null, share, basis: 'share of profiled CPU time' };
    const hotSpot = scanHotLines(f.file, f.line, f.hotLines.slice(0, 5).map((h) => h.line));
    const location = { function: f.name, file: rel(f.file, context.appRoot), line: f.line };
    const evidence = {
      function: f.name,
      file: location.file,
      line: f.line,
      cpu_share: round(share),
      self_ms: round(f.selfUs / 1000),
      own_ms: round(ms),
      ...(reportedMs > 0 ? { excluded_query_ms: round(reportedMs) } : {}),
      total_ms: round(f.totalUs / 1000),
      hot_lines: f.hotLines.slice(0, 5).map((h) => ({ line: h.line, samples: h.ticks })),
      ...(hotSpot ? { pattern: hotSpot.pattern, source: hotSpot.source } : {}),
    };
    if (hotSpot) {
      out.push({
        kind: 'algorithmic',
        title: `Likely O(n^2) in ${f.name} (${location.file}:${f.line}): ${hotSpot.pattern === 'nested-loop' ? 'a loop nested in a loop' : 'a linear search inside a loop'}, ${pct(share)} of CPU`,
        category: 'cpu',
        priority: priorityOf(impact.share || share, 'low', impact.ms_per_request),
        impact,
        location,
        evidence: { ...evidence, lines: hotSpot.lines },
        fix: 'Index the inner collection once (a Map or Set keyed by what the inner loop searches for) and look up in O(1), turning O(n*m) into O(n+m).',
      });
      continue;
    }
    out.push({
      kind: 'hot-function',
      title: `Hot function ${f.name} (${location.file}:${f.line}): ${pct(share)} of CPU`,
      category: 'cpu',
      priority: priorityOf(impact.share || share, 'low', impact.ms_per_request),
      impact,
      location,
      evidence,
      fix: 'Do less work here per request: cache results that do not change between requests (e.g. rules or lookups loaded once), precompute, or move heavy synchronous work off the request path (a worker thread).',
    });
  }
  return out;
}

/**
 * User functions that exist to log: most of their time goes to console or a logger. Building the
 * dump they print (JSON.stringify of a whole cart) is logging cost too.
 */
function loggingHelpers(profile: ProfileAnalysis): Set<string> {
  const helpers = new Set<string>();
  for (const caller of profile.logging.callers) {
    const f = profile.functions.find((fn) => fn.kind === 'user' && fn.name === caller.name && fn.file === caller.file && fn.line === caller.line);
    if (f && caller.us >= 0.3 * f.ownUs) helpers.add(functionId(f.name, f.file));
  }
  return helpers;
}

function loggingFinding(profile: ProfileAnalysis, context: Context): Finding | undefined {
  const helpers = loggingHelpers(profile);
  const helperUs = profile.functions.filter((f) => f.kind === 'user' && helpers.has(functionId(f.name, f.file))).reduce((sum, f) => sum + f.ownUs, 0);
  const loggingUs = Math.max(profile.logging.us, helperUs);
  const share = profile.activeUs ? loggingUs / profile.activeUs : 0;
  if (share < 0.03) return undefined;
  const ms = loggingUs / 1000;
  const impact: Finding['impact'] = context.requests > 0 ? perRequest(ms, context, 'CPU time in console and logger calls, per request') : { ms_per_request: null, share, basis: 'share of profiled CPU time' };
  const top = profile.logging.callers[0];
  return {
    kind: 'logging',
    title: `Excessive logging: ${pct(share)} of CPU in console/logger calls${top ? `, mostly from ${top.name}` : ''}`,
    category: 'logging',
    priority: priorityOf(impact.share || share, 'low', impact.ms_per_request),
    impact,
    ...(top ? { location: { function: top.name, file: rel(top.file, context.appRoot), line: top.line } } : {}),
    evidence: {
      cpu_share: round(share),
      logging_ms: round(ms),
      console_ms: round(profile.logging.us / 1000),
      callers: profile.logging.callers.map((c) => ({ function: c.name, file: rel(c.file, context.appRoot), line: c.line, ms: round(c.us / 1000) })),
    },
    fix: 'Log less on the hot path: drop per-request dumps of whole objects, log at debug level in production, and use an asynchronous logger (pino) instead of console.log, whose writes to files and pipes are synchronous.',
  };
}

function eventLoopFinding(agent: Final, profile: ProfileAnalysis | undefined, context: Context): Finding | undefined {
  const { eld } = agent;
  if (eld.p50 < ELD_MEDIAN_MS && eld.max < ELD_MAX_MS) return undefined;
  const syncApis = (profile?.functions ?? [])
    .filter((f) => (f.kind === 'node' && /Sync$/.test(f.name)) || /^(pbkdf2Sync|scryptSync|randomFillSync|gzipSync|gunzipSync|deflateSync|inflateSync|brotliCompressSync)$/.test(f.name))
    .filter((f) => profile && f.totalUs / profile.activeUs >= 0.01)
    .map((f) => ({ api: f.name, ms: round(f.totalUs / 1000), called_from: f.callers[0] ? `${f.callers[0].name} (${rel(f.callers[0].file, context.appRoot)}:${f.callers[0].line})` : undefined }));
  const blockers = (profile?.blocking.functions ?? []).map((f) => ({ function: f.name, file: rel(f.file, context.appRoot), line: f.line, ms: round(f.ms) }));
  const top = blockers[0];
  // Just over Clinic's line is a busy loop more than a blocked one.
  const priority: Priority = eld.p50 >= ELD_MEDIAN_MS * 3 || eld.max >= ELD_MAX_MS * 3 ? 'high' : eld.p50 >= ELD_MEDIAN_MS * 2 || eld.max >= ELD_MAX_MS ? 'medium' : 'low';
  return {
    kind: 'event-loop-blocking',
    title: `Event loop ${priority === 'low' ? 'busy' : 'blocked'}: delay p50 ${round(eld.p50)} ms, max ${round(eld.max)} ms${top ? `, mostly ${top.function}` : ''}`,
    category: 'event_loop',
    priority,
    // A symptom whose causes (the functions on the CPU) have findings of their own: it ranks after
    // them, with the mean delay every callback waited as its figure.
    impact: { ms_per_request: null, share: 0, basis: `mean event-loop delay ${round(eld.mean)} ms, what every callback waited; the loop was busy ${pct(agent.elu)} of the time` },
    ...(top ? { location: { function: top.function, file: top.file, line: top.line } } : {}),
    evidence: {
      delay_p50_ms: round(eld.p50),
      delay_p99_ms: round(eld.p99),
      delay_max_ms: round(eld.max),
      utilization: round(agent.elu),
      blocking_runs: profile ? { count: profile.blocking.episodes, longest_ms: round(profile.blocking.maxMs) } : null,
      on_cpu: blockers,
      sync_apis: syncApis,
    },
    fix: `Keep each callback short: ${syncApis.length ? `replace ${syncApis.map((s) => s.api).join(', ')} with the async APIs, ` : ''}cache or precompute the work of ${top ? top.function : 'the functions on the CPU'}, and move CPU-heavy work to a worker thread.`,
  };
}

/**
 * A leak is memory still held after a full garbage collection: the agent collects (perfsop starts
 * the service with --expose-gc) before and after the load and compares. Raw heap figures rise for a
 * while in any fresh process as the young generation fills, so they alone would cry leak.
 */
function memoryGrowth(agent: Final | undefined, ticks: readonly Tick[]): Finding | undefined {
  const retained = agent?.retained;
  if (!agent || !retained) return undefined;
  const grown = (retained.endBytes - retained.startBytes) / 1_048_576;
  const perRequest = agent.requests ? (retained.endBytes - retained.startBytes) / agent.requests : 0;
  const minutes = agent.durationMs / 60_000;
  if (grown < 10 || perRequest < 1024) return undefined;
  const slopePerMin = minutes > 0 ? grown / minutes : 0;
  return {
    kind: 'memory-growth',
    title: `Memory leak: ${round(grown)} MB still held after garbage collection (${formatKb(perRequest)} per request, ${round(slopePerMin)} MB/min)`,
    category: 'memory',
    priority: slopePerMin >= 100 ? 'high' : 'medium',
    impact: { ms_per_request: null, share: 0, basis: `${round(slopePerMin)} MB/min retained: costs availability (GC work, then out-of-memory), not latency at first` },
    evidence: {
      retained_start_mb: round(retained.startBytes / 1_048_576),
      retained_end_mb: round(retained.endBytes / 1_048_576),
      retained_per_request_bytes: Math.round(perRequest),
      slope_mb_per_min: round(slopePerMin),
      heap_used_series_mb: ticks.map((t) => round(t.mem.heapUsed / 1_048_576)),
    },
    fix: 'Find what keeps objects per request: caches or maps without a bound, listeners never removed, arrays that only grow. Run again with heap: true for the allocation sites that retain memory.',
  };
}

function formatKb(bytes: number): string {
  return bytes >= 1024 ? `${round(bytes / 1024)} KB` : `${Math.round(bytes)} B`;
}

function gcPressure(agent: Final): Finding | undefined {
  const seconds = agent.durationMs / 1000;
  const perSecond = seconds > 0 ? agent.gc.ms / seconds : 0;
  if (perSecond < GC_MS_PER_S) return undefined;
  return {
    kind: 'gc-pressure',
    title: `Garbage collection blocks ${round(perSecond)} ms per second`,
    category: 'gc',
    priority: perSecond >= 250 ? 'high' : 'medium',
    impact: { ms_per_request: agent.requests ? round(agent.gc.ms / agent.requests) : null, share: Math.min(1, perSecond / 1000), basis: 'GC pause time per request' },
    evidence: { gc_ms_per_s: round(perSecond), collections: agent.gc.count, max_pause_ms: round(agent.gc.maxPauseMs) },
    fix: 'Allocate less per request: reuse buffers, avoid building large intermediate arrays and strings, stream big payloads.',
  };
}

/** p-th percentile of a route's latency histogram (ms). */
export function routePercentile(route: RouteStats, p: number): number {
  return route.latency.n ? LogHistogram.fromJSON(route.latency).percentile(p) : Number.NaN;
}

function functionId(name: string, file: string): string {
  return `${name.replace(/^(async |Object\.|exports\.)/, '')}@${file}`;
}

function rel(file: string, root: string): string {
  if (!file.startsWith('/')) return file;
  const r = relative(root, file);
  return r.startsWith('..') ? file : r;
}

function short(sql: string): string {
  return sql.length > 90 ? `${sql.slice(0, 87)}...` : sql;
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}

export function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  const abs = Math.abs(x);
  return Number(x.toFixed(abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3));
}

