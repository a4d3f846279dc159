/**
 * perfsop's profiling agent, loaded into the service under test with
 * NODE_OPTIONS=--require <this file> (no change to the service's code). It connects to perfsop over
 * the Unix socket named by PERFSOP_AGENT_SOCKET and, between `start` and `stop`:
 * - records a V8 CPU profile (inspector, in-thread) and, when asked, a sampling heap profile;
 * - measures event-loop delay and utilization, GC pauses, memory and CPU once a second;
 * - attributes every database query (better-sqlite3, pg, mysql2, sqlite3) to the HTTP request that
 *   made it, through AsyncLocalStorage around the server's `request` event.
 * Nothing here may break the service: every hook fails closed to the original behaviour.
 * If perfsop goes away (its socket closes), the service exits: it was started for the analysis,
 * and must not outlive perfsop.
 */
import type { AsyncLocalStorage as AsyncLocalStorageType } from 'node:async_hooks';
import type { Socket } from 'node:net';
import { onMessages, type Command, type Explain, type Final, type HistogramJSON, type QueryStats, type RouteStats, type Tick } from './agent-protocol.cjs';

const MARK = Symbol.for('perfsop.agent');
const REPEAT = 5;
const HIST_BASE = 0.001;
const HIST_PRECISION = 0.01;
const INV_LOG_GROWTH = 1 / Math.log1p(HIST_PRECISION);

type Loose = Record<string | symbol, unknown>;
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

interface RequestContext {
  queries: Map<string, { count: number; ms: number }>;
  dbMs: number;
  count: number;
}

/** The same bucket layout as src/stats/log-histogram.ts, so perfsop reads it with LogHistogram.fromJSON. */
class Histogram {
  private counts = new Map<number, number>();
  private zero = 0;
  private n = 0;
  private sum = 0;
  private sumSq = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  record(ms: number): void {
    if (!(ms >= 0 && ms < Number.POSITIVE_INFINITY)) return;
    const ratio = ms / HIST_BASE;
    if (ratio < 1) this.zero += 1;
    else {
      const i = Math.floor(Math.log(ratio) * INV_LOG_GROWTH);
      this.counts.set(i, (this.counts.get(i) ?? 0) + 1);
    }
    this.n += 1;
    this.sum += ms;
    this.sumSq += ms * ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  toJSON(): HistogramJSON {
    const index = [...this.counts.keys()].sort((a, b) => a - b);
    return {
      precision: HIST_PRECISION,
      base: HIST_BASE,
      n: this.n,
      sum: this.sum,
      sumSq: this.sumSq,
      min: this.n ? this.min : null,
      max: this.n ? this.max : null,
      zero: this.zero,
      index,
      count: index.map((i) => this.counts.get(i)!),
    };
  }
}

interface RouteAggregate {
  requests: number;
  errors: number;
  latency: Histogram;
  queries: number;
  dbMs: number;
  repeated: Map<string, { requests: number; count: number; max: number; ms: number }>;
}

interface QueryAggregate extends Omit<QueryStats, 'fingerprint'> {
  /** For EXPLAIN QUERY PLAN on better-sqlite3: the database and one real argument list. */
  explainable?: { db: Loose; args: unknown[]; sql: string };
}

function install(socketPath: string): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const net = require('node:net') as typeof import('node:net');
  const inspector = require('node:inspector') as typeof import('node:inspector');
  const { AsyncLocalStorage, AsyncResource } = require('node:async_hooks') as typeof import('node:async_hooks');
  const perfHooks = require('node:perf_hooks') as typeof import('node:perf_hooks');
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const http = require('node:http') as typeof import('node:http');
  const https = require('node:https') as typeof import('node:https');
  const Module = require('node:module') as unknown as { _load: AnyFunction };
  /* eslint-enable @typescript-eslint/no-require-imports */

  const outDir = process.env.PERFSOP_AGENT_DIR ?? require('node:os').tmpdir();
  // 4 ms between CPU samples: the profiler's cost grows with its rate (measured on the example
  // service at a fixed load: +33-39% CPU per request at 1 ms, +18% at 4 ms, +8-11% at 10 ms), and
  // a 10 s analysis still gets ~2,500 samples per busy core, plenty to rank functions above 5%.
  const samplingUs = Number(process.env.PERFSOP_AGENT_SAMPLING_US ?? 4000);
  const als: AsyncLocalStorageType<RequestContext> = new AsyncLocalStorage<RequestContext>();
  /** Set while a pool's query runs, so the connection query inside it is not counted twice. */
  const insidePoolQuery: AsyncLocalStorageType<boolean> = new AsyncLocalStorage<boolean>();

  let recording = false;
  let startedAt = 0n;
  let heapRequested = false;
  let retainedStart: number | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let detached = false;
  const routes = new Map<string, RouteAggregate>();
  const queries = new Map<string, QueryAggregate>();
  const fingerprints = new Map<string, string>();
  let requestCount = 0;
  let tickRequests = 0;
  let gcCount = 0;
  let gcMs = 0;
  let gcMax = 0;
  let tickGc = { count: 0, ms: 0, max: 0 };
  const eldTick = perfHooks.monitorEventLoopDelay({ resolution: 10 });
  const eldRun = perfHooks.monitorEventLoopDelay({ resolution: 10 });
  let eluStart = perfHooks.performance.eventLoopUtilization();
  let eluTick = eluStart;
  let cpuStart = process.cpuUsage();
  let cpuTick = cpuStart;

  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<Loose>((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve((result ?? {}) as Loose))));

  // --- the connection to perfsop -------------------------------------------------------------
  const socket: Socket = net.createConnection(socketPath);
  socket.setNoDelay(true);
  socket.unref();
  const send = (message: object) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
  };
  socket.on('connect', () =>
    send({ type: 'hello', pid: process.pid, ppid: process.ppid, argv: process.argv, cwd: process.cwd(), node: process.version }),
  );
  // A malformed command is ignored: the service keeps running.
  onMessages<Command>(socket, (command) => void handle(command));
  socket.on('error', () => {});
  socket.on('close', () => {
    // perfsop is gone (done, crashed or killed): this process was started for the analysis.
    if (detached) return;
    detached = true;
    setTimeout(() => process.exit(0), 50).unref();
  });

  async function handle(command: Command): Promise<void> {
    if (command.type === 'start') await start(command.heap);
    else if (command.type === 'stop') send(await stop());
  }

  async function start(heap: boolean): Promise<void> {
    routes.clear();
    queries.clear();
    requestCount = tickRequests = 0;
    gcCount = gcMs = gcMax = 0;
    tickGc = { count: 0, ms: 0, max: 0 };
    eldTick.reset();
    eldRun.reset();
    eldTick.enable();
    eldRun.enable();
    eluStart = eluTick = perfHooks.performance.eventLoopUtilization();
    cpuStart = cpuTick = process.cpuUsage();
    heapRequested = heap;
    retainedStart = retainedHeap();
    try {
      await post('Profiler.enable');
      await post('Profiler.setSamplingInterval', { interval: samplingUs });
      await post('Profiler.start');
      if (heap) {
        await post('HeapProfiler.enable');
        await post('HeapProfiler.startSampling', { samplingInterval: 32768 });
      }
    } catch {
      // profiling unavailable (e.g. another inspector client): the other measurements still run
    }
    startedAt = process.hrtime.bigint();
    recording = true;
    ticker = setInterval(sendTick, 1000);
    ticker.unref();
  }

  function sendTick(): void {
    const elu = perfHooks.performance.eventLoopUtilization(eluTick);
    eluTick = perfHooks.performance.eventLoopUtilization();
    const cpu = process.cpuUsage(cpuTick);
    cpuTick = process.cpuUsage();
    const mem = process.memoryUsage();
    const tick: Tick = {
      type: 'tick',
      pid: process.pid,
      t: Number(process.hrtime.bigint() - startedAt) / 1e9,
      requests: tickRequests,
      eld: { p50: ms(eldTick.percentile(50)), p99: ms(eldTick.percentile(99)), max: ms(eldTick.max), mean: ms(eldTick.mean) },
      elu: elu.utilization,
      gc: { count: tickGc.count, ms: tickGc.ms, maxPauseMs: tickGc.max },
      mem: { rss: mem.rss, heapUsed: mem.heapUsed, heapTotal: mem.heapTotal, external: mem.external },
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
    eldTick.reset();
    tickRequests = 0;
    tickGc = { count: 0, ms: 0, max: 0 };
    send(tick);
  }

  async function stop(): Promise<Final> {
    recording = false;
    if (ticker) clearInterval(ticker);
    const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
    eldTick.disable();
    eldRun.disable();
    let profilePath: string | null = null;
    let heapProfilePath: string | null = null;
    let profileError: string | undefined;
    try {
      const { profile } = await post('Profiler.stop');
      profilePath = path.join(outDir, `${process.pid}.cpuprofile`);
      fs.mkdirSync(outDir, { recursive: true });
      fs.writeFileSync(profilePath, JSON.stringify(profile));
      if (heapRequested) {
        const { profile: heap } = await post('HeapProfiler.stopSampling');
        heapProfilePath = path.join(outDir, `${process.pid}.heapprofile`);
        fs.writeFileSync(heapProfilePath, JSON.stringify(heap));
      }
    } catch (error) {
      profileError = error instanceof Error ? error.message : String(error);
    }
    const cpu = process.cpuUsage(cpuStart);
    const retainedEnd = retainedHeap();
    return {
      type: 'final',
      retained: retainedStart !== undefined && retainedEnd !== undefined ? { startBytes: retainedStart, endBytes: retainedEnd } : null,
      pid: process.pid,
      durationMs,
      profilePath,
      heapProfilePath,
      ...(profileError ? { profileError } : {}),
      eld: { p50: ms(eldRun.percentile(50)), p90: ms(eldRun.percentile(90)), p99: ms(eldRun.percentile(99)), max: ms(eldRun.max), mean: ms(eldRun.mean) },
      elu: perfHooks.performance.eventLoopUtilization(eluStart).utilization,
      gc: { count: gcCount, ms: gcMs, maxPauseMs: gcMax },
      requests: requestCount,
      routes: [...routes].map(([route, r]) => routeStats(route, r)),
      queries: [...queries].map(([fingerprint, q]) => {
        const { explainable, ...stats } = q;
        void explainable;
        return { fingerprint, ...stats };
      }),
      explains: explainSlowQueries(),
      cpuMs: (cpu.user + cpu.system) / 1000,
    };
  }

  // --- GC --------------------------------------------------------------------------------------
  try {
    new perfHooks.PerformanceObserver((list) => {
      if (!recording) return;
      for (const entry of list.getEntries()) {
        gcCount += 1;
        gcMs += entry.duration;
        gcMax = Math.max(gcMax, entry.duration);
        tickGc.count += 1;
        tickGc.ms += entry.duration;
        tickGc.max = Math.max(tickGc.max, entry.duration);
      }
    }).observe({ entryTypes: ['gc'] });
  } catch {
    // no GC observation on this runtime
  }

  // --- HTTP requests ---------------------------------------------------------------------------
  for (const server of [http.Server, https.Server] as unknown as Array<{ prototype: Loose }>) {
    const original = server.prototype.emit as AnyFunction;
    server.prototype.emit = function emit(this: unknown, event: unknown, ...args: unknown[]) {
      if (event !== 'request' || !recording) return original.call(this, event, ...args);
      const [req, res] = args as [{ method?: string; url?: string }, { once(e: string, f: () => void): void; statusCode: number }];
      const context: RequestContext = { queries: new Map(), dbMs: 0, count: 0 };
      const begun = process.hrtime.bigint();
      res.once('finish', () => finishRequest(routeOf(req.method, req.url), context, Number(process.hrtime.bigint() - begun) / 1e6, res.statusCode));
      return als.run(context, () => original.call(this, event, ...args));
    };
  }

  function finishRequest(route: string, context: RequestContext, latencyMs: number, status: number): void {
    if (!recording) return;
    requestCount += 1;
    tickRequests += 1;
    let r = routes.get(route);
    if (!r) routes.set(route, (r = { requests: 0, errors: 0, latency: new Histogram(), queries: 0, dbMs: 0, repeated: new Map() }));
    r.requests += 1;
    if (status >= 500) r.errors += 1;
    r.latency.record(latencyMs);
    r.queries += context.count;
    r.dbMs += context.dbMs;
    for (const [fingerprint, q] of context.queries) {
      const stats = queries.get(fingerprint);
      if (stats) {
        stats.requests += 1;
        stats.maxPerRequest = Math.max(stats.maxPerRequest, q.count);
        if (q.count >= REPEAT) stats.requestsRepeated += 1;
      }
      if (q.count >= REPEAT) {
        const rep = r.repeated.get(fingerprint) ?? { requests: 0, count: 0, max: 0, ms: 0 };
        rep.requests += 1;
        rep.count += q.count;
        rep.max = Math.max(rep.max, q.count);
        rep.ms += q.ms;
        r.repeated.set(fingerprint, rep);
      }
    }
  }

  function routeStats(route: string, r: RouteAggregate): RouteStats {
    return {
      route,
      requests: r.requests,
      errors: r.errors,
      latency: r.latency.toJSON(),
      queries: r.queries,
      dbMs: r.dbMs,
      repeated: [...r.repeated].map(([fingerprint, rep]) => ({
        fingerprint,
        requests: rep.requests,
        meanPerRequest: rep.count / rep.requests,
        maxPerRequest: rep.max,
        msPerRequest: rep.ms / rep.requests,
      })),
    };
  }

  // --- database queries ------------------------------------------------------------------------
  /**
   * A query in flight. The request context and the calling code are taken when the query is
   * issued: an asynchronous driver completes it from its socket's callbacks, where neither the
   * request's AsyncLocalStorage context nor the application's stack is current any more.
   */
  interface PendingQuery {
    aggregate: QueryAggregate;
    fingerprint: string;
    context: RequestContext | undefined;
    begun: bigint;
  }

  function beginQuery(driver: string, sql: string, explainable?: QueryAggregate['explainable']): PendingQuery {
    let fingerprint = fingerprints.get(sql);
    if (fingerprint === undefined) {
      fingerprint = fingerprintSql(sql);
      if (fingerprints.size < 10_000) fingerprints.set(sql, fingerprint);
    }
    let aggregate = queries.get(fingerprint);
    if (!aggregate) {
      const callers = applicationFrames();
      queries.set(
        fingerprint,
        (aggregate = { driver, calls: 0, totalMs: 0, maxMs: 0, inRequests: 0, requests: 0, requestsRepeated: 0, maxPerRequest: 0, sample: sql.slice(0, 2000), ...(callers.length ? { callers } : {}) }),
      );
    }
    if (!aggregate.explainable && explainable) aggregate.explainable = explainable;
    return { aggregate, fingerprint, context: als.getStore(), begun: process.hrtime.bigint() };
  }

  function endQuery(pending: PendingQuery): void {
    if (!recording) return;
    const elapsedMs = Number(process.hrtime.bigint() - pending.begun) / 1e6;
    const q = pending.aggregate;
    q.calls += 1;
    q.totalMs += elapsedMs;
    q.maxMs = Math.max(q.maxMs, elapsedMs);
    const context = pending.context;
    if (context) {
      q.inRequests += 1;
      context.count += 1;
      context.dbMs += elapsedMs;
      const inRequest = context.queries.get(pending.fingerprint) ?? { count: 0, ms: 0 };
      inRequest.count += 1;
      inRequest.ms += elapsedMs;
      context.queries.set(pending.fingerprint, inRequest);
    }
  }

  /** Times a synchronous call (better-sqlite3). */
  function timedSync(driver: string, sql: string, call: () => unknown, explainable?: QueryAggregate['explainable']): unknown {
    if (!recording) return call();
    const pending = beginQuery(driver, sql, explainable);
    try {
      return call();
    } finally {
      endQuery(pending);
    }
  }

  /**
   * Times a call that completes through a callback (last argument), a returned promise, or a
   * returned command emitting `end` (pg and mysql2 streaming). A call with none of these (sqlite3
   * without a callback returns its database for chaining) cannot be timed: it is counted with the
   * time of the call itself, which keeps the per-request counts that N+1 detection needs.
   */
  function timedAsync(driver: string, sql: string, target: unknown, original: AnyFunction, args: unknown[], completion: 'callback-or-promise' | 'callback-or-end' = 'callback-or-promise'): unknown {
    if (!recording) return original.apply(target, args);
    const pending = beginQuery(driver, sql);
    let ended = false;
    const done = () => {
      if (ended) return;
      ended = true;
      endQuery(pending);
    };
    const last = args.length - 1;
    if (last >= 0 && typeof args[last] === 'function') {
      const callback = args[last] as AnyFunction;
      // Bound to the caller's context: a driver calls back from its socket's events, and code
      // that issues its next query from the callback belongs to the request that issued this one.
      args[last] = AsyncResource.bind(function (this: unknown, ...callbackArgs: unknown[]) {
        done();
        return callback.apply(this, callbackArgs);
      });
      return original.apply(target, args);
    }
    const result = original.apply(target, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(done, done);
    } else if (completion === 'callback-or-end' && result && result !== target && typeof (result as { once?: unknown }).once === 'function') {
      const emitter = result as { once(e: string, f: () => void): void };
      emitter.once('end', done);
      emitter.once('error', done);
    } else done();
    return result;
  }

  /**
   * A pool's own `query` is timed as one query, from the caller's point of view: it includes the
   * wait for a free connection, which the request really spends on the database, and its stack
   * still shows the application code that issued it. The connection's query it runs inside is then
   * not counted again. The checkout callback is bound to the caller's context: a pool hands a freed
   * connection to the next waiter from inside the releasing request's callbacks, so without this
   * the waiter's work would be attributed to the request that released the connection.
   */
  function patchPool(driver: string, proto: Loose | undefined, checkout: string, queryMethods: string[], sqlOf: (first: unknown) => string): void {
    wrapMethods(proto, [checkout], (original) =>
      function (this: unknown, ...args: unknown[]) {
        const last = args.length - 1;
        if (recording && last >= 0 && typeof args[last] === 'function') args[last] = AsyncResource.bind(args[last] as AnyFunction);
        return original.apply(this, args);
      },
    );
    wrapMethods(proto, queryMethods, (original) =>
      function (this: unknown, ...args: unknown[]) {
        if (!recording) return original.apply(this, args);
        const last = args.length - 1;
        // Bound outside the pool's scope, so queries the caller issues from its callback count.
        if (last >= 0 && typeof args[last] === 'function') args[last] = AsyncResource.bind(args[last] as AnyFunction);
        return insidePoolQuery.run(true, () => timedAsync(driver, sqlOf(args[0]), this, original, args, 'callback-or-end'));
      },
    );
  }

  function wrapMethods(proto: Loose | undefined, names: string[], wrap: (original: AnyFunction, name: string) => AnyFunction): void {
    if (!proto) return;
    for (const name of names) {
      const original = proto[name];
      if (typeof original !== 'function' || (original as unknown as Loose)[MARK]) continue;
      const wrapped = wrap(original as AnyFunction, name);
      (wrapped as unknown as Loose)[MARK] = true;
      proto[name] = wrapped;
    }
  }

  const patched = new WeakSet<object>();
  function patchDriver(request: string, exports: unknown): void {
    if (!exports || (typeof exports !== 'function' && typeof exports !== 'object') || patched.has(exports as object)) return;
    patched.add(exports as object);
    try {
      if (request === 'better-sqlite3') patchBetterSqlite3(exports as { prototype: Loose });
      else if (request === 'pg') patchPg(exports as Loose);
      else if (request === 'mysql2' || request === 'mysql2/promise') patchMysql2(exports as Loose);
      else if (request === 'sqlite3') patchSqlite3(exports as Loose);
    } catch {
      // an unexpected driver version: queries go unmeasured, the service still works
    }
  }

  function patchBetterSqlite3(Database: { prototype: Loose }): void {
    let statementProto: Loose | undefined;
    wrapMethods(Database.prototype, ['prepare'], (prepare) =>
      function (this: unknown, ...args: unknown[]) {
        const statement = prepare.apply(this, args) as Loose;
        if (!statementProto) {
          statementProto = Object.getPrototypeOf(statement) as Loose;
          wrapMethods(statementProto, ['run', 'get', 'all', 'iterate'], (method) =>
            function (this: unknown, ...params: unknown[]) {
              const statementThis = this as Loose & { source: string; database: Loose };
              return timedSync('better-sqlite3', statementThis.source, () => method.apply(this, params), {
                db: statementThis.database,
                args: params,
                sql: statementThis.source,
              });
            },
          );
        }
        return statement;
      },
    );
    wrapMethods(Database.prototype, ['exec'], (exec) =>
      function (this: unknown, ...args: unknown[]) {
        return timedSync('better-sqlite3', String(args[0]), () => exec.apply(this, args));
      },
    );
  }

  function patchPg(pg: Loose): void {
    const sqlOf = (first: unknown) => (typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? ''));
    wrapMethods((pg.Client as { prototype: Loose } | undefined)?.prototype, ['query'], (query) =>
      function (this: unknown, ...args: unknown[]) {
        if (insidePoolQuery.getStore()) return query.apply(this, args);
        return timedAsync('pg', sqlOf(args[0]), this, query, args, 'callback-or-end');
      },
    );
    patchPool('pg', (pg.Pool as { prototype: Loose } | undefined)?.prototype, 'connect', ['query'], sqlOf);
  }

  function patchMysql2(mysql: Loose): void {
    const sqlOf = (first: unknown) => (typeof first === 'string' ? first : ((first as { sql?: string } | undefined)?.sql ?? ''));
    wrapMethods((mysql.Connection as { prototype: Loose } | undefined)?.prototype, ['query', 'execute'], (method) =>
      function (this: unknown, ...args: unknown[]) {
        if (insidePoolQuery.getStore()) return method.apply(this, args);
        return timedAsync('mysql2', sqlOf(args[0]), this, method, args, 'callback-or-end');
      },
    );
    patchPool('mysql2', (mysql.Pool as { prototype: Loose } | undefined)?.prototype, 'getConnection', ['query', 'execute'], sqlOf);
  }

  function patchSqlite3(sqlite3: Loose): void {
    wrapMethods((sqlite3.Database as { prototype: Loose } | undefined)?.prototype, ['run', 'get', 'all', 'each', 'exec'], (method) =>
      function (this: unknown, ...args: unknown[]) {
        return timedAsync('sqlite3', String(args[0]), this, method, args);
      },
    );
  }

  /**
   * EXPLAIN QUERY PLAN for the slowest better-sqlite3 fingerprints, run here where the database
   * handle lives, with arguments of a real call. "SCAN <table>" means a full-table scan.
   */
  function explainSlowQueries(): Explain[] {
    const candidates = [...queries]
      .filter(([, q]) => q.explainable && /^\s*select\b/i.test(q.explainable.sql))
      .sort((a, b) => b[1].totalMs - a[1].totalMs)
      .slice(0, 10);
    return candidates.map(([fingerprint, q]) => {
      const { db, args, sql } = q.explainable!;
      try {
        const statement = (db.prepare as AnyFunction).call(db, `EXPLAIN QUERY PLAN ${sql}`) as Loose;
        const rows = (statement.all as AnyFunction).apply(statement, args) as Array<{ detail: string }>;
        return { fingerprint, sql, plan: rows.map((row) => row.detail) };
      } catch (error) {
        return { fingerprint, sql, plan: [], error: error instanceof Error ? error.message : String(error) };
      }
    });
  }

  // Patch drivers as a CommonJS service requires them...
  const DRIVERS = ['better-sqlite3', 'pg', 'mysql2', 'mysql2/promise', 'sqlite3'];
  const originalLoad = Module._load;
  Module._load = function load(this: unknown, ...args: unknown[]) {
    const exports = originalLoad.apply(this, args);
    const request = args[0];
    if (typeof request === 'string' && DRIVERS.includes(request)) patchDriver(request, exports);
    return exports;
  };
  // ...and load them now, from where the service resolves them: an ES module's `import` of a
  // CommonJS package does not pass through Module._load, but it reuses the CommonJS cache entry
  // of the same file, so the service then gets the patched copy.
  const main = process.argv[1] ? path.resolve(process.argv[1]) : path.join(process.cwd(), 'index.js');
  const requireFromService = (require('node:module') as typeof import('node:module')).createRequire(main);
  for (const driver of DRIVERS) {
    try {
      requireFromService.resolve(driver);
    } catch {
      continue; // not installed for this service
    }
    try {
      patchDriver(driver, requireFromService(driver));
    } catch {
      // it failed to load here; the service will see the same error itself if it uses it
    }
  }
}

/**
 * The stack frames in application code, innermost first: where a query came from. Taken once per
 * distinct query (a stack trace costs microseconds), so it never weighs on the hot path.
 */
function applicationFrames(): Array<{ name: string; file: string; line: number }> {
  const frames: Array<{ name: string; file: string; line: number }> = [];
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = limit;
  for (const line of (holder.stack ?? '').split('\n').slice(1)) {
    const match = /at (?:(.+?) \()?(.+?):(\d+):\d+\)?$/.exec(line.trim());
    if (!match) continue;
    const file = match[2]!.startsWith('file://') ? decodeURIComponent(match[2]!.slice('file://'.length)) : match[2]!;
    if (file === __filename || file.startsWith('node:') || file.includes('/node_modules/') || !file.startsWith('/')) continue;
    frames.push({ name: (match[1] ?? '(anonymous)').replace(/^(async |Object\.)/, ''), file, line: Number(match[3]) });
    if (frames.length === 4) break;
  }
  return frames;
}

/** Heap in use after a full collection, when perfsop exposed gc(); undefined otherwise. */
function retainedHeap(): number | undefined {
  const gc = (globalThis as unknown as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return undefined;
  gc();
  return process.memoryUsage().heapUsed;
}

/** ns -> ms, NaN-safe (a histogram with no samples reports NaN or huge sentinels). */
function ms(ns: number): number {
  return Number.isFinite(ns) && ns < 1e15 ? ns / 1e6 : 0;
}

/** Literals become ?, IN lists collapse, whitespace and case of keywords normalize. */
function fingerprintSql(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\d+/g, '?') // pg's placeholders, before numbers would turn $1 into $?
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .replace(/\bin\s*\(\s*\?(?:\s*,\s*\?)*\s*\)/gi, 'IN (?)')
    .trim();
}

/** Route key: the method and the path with ids (numbers, UUIDs, long hex, SKU-like codes) as :id. */
function routeOf(method: string | undefined, url: string | undefined): string {
  const path = (url ?? '/').split('?')[0]!;
  const normalized = path
    .split('/')
    .map((segment) =>
      /^\d+$/.test(segment) || /^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(segment) || /^[0-9a-f]{12,}$/i.test(segment) || (/\d/.test(segment) && segment.length >= 5) ? ':id' : segment,
    )
    .join('/');
  return `${method ?? 'GET'} ${normalized}`;
}

const socketPath = process.env.PERFSOP_AGENT_SOCKET;
const globals = globalThis as unknown as Loose;
if (socketPath && !globals[MARK]) {
  globals[MARK] = true;
  try {
    install(socketPath);
  } catch {
    // the agent must never stop the service from starting
  }
}
