/**
 * Messages between perfsop and the preload agent running inside the profiled service, one JSON
 * object per line over a Unix socket. The agent (CommonJS, loaded with --require) and perfsop
 * (ESM) both import the types and the line reader, so this module must stay free of dependencies.
 */
import type { Socket } from 'node:net';

/** Same layout as LogHistogramJSON (src/stats/log-histogram.ts): base 1 µs, 1% buckets. */
export interface HistogramJSON {
  precision: number;
  base: number;
  n: number;
  sum: number;
  sumSq: number;
  min: number | null;
  max: number | null;
  zero: number;
  index: number[];
  count: number[];
}

export type Command = { type: 'start'; heap: boolean } | { type: 'stop' };

export interface Hello {
  type: 'hello';
  pid: number;
  ppid: number;
  argv: string[];
  cwd: string;
  node: string;
}

export interface Tick {
  type: 'tick';
  pid: number;
  /** Seconds since start. */
  t: number;
  requests: number;
  eld: { p50: number; p99: number; max: number; mean: number };
  elu: number;
  gc: { count: number; ms: number; maxPauseMs: number };
  mem: { rss: number; heapUsed: number; heapTotal: number; external: number };
  cpuMs: number;
}

export interface QueryStats {
  fingerprint: string;
  driver: string;
  calls: number;
  totalMs: number;
  maxMs: number;
  /** Calls made while serving a request. */
  inRequests: number;
  /** Requests that made this query at least once. */
  requests: number;
  /** Requests that made it at least 5 times (Sentry's N+1 rule). */
  requestsRepeated: number;
  maxPerRequest: number;
  /** A sample SQL text (with its original literals replaced by placeholders where it had them). */
  sample: string;
  /**
   * The application frames (outside node_modules and node internals) of its first call, innermost
   * first: a database helper, then the function that used it, and so on (up to 4).
   */
  callers?: Array<{ name: string; file: string; line: number }>;
}

export interface RouteStats {
  route: string;
  requests: number;
  errors: number;
  latency: HistogramJSON;
  queries: number;
  dbMs: number;
  /** Fingerprints repeated >= 5 times in one request, with their per-request count and time. */
  repeated: Array<{ fingerprint: string; requests: number; meanPerRequest: number; maxPerRequest: number; msPerRequest: number }>;
}

export interface Explain {
  fingerprint: string;
  sql: string;
  plan: string[];
  error?: string;
}

export interface Final {
  type: 'final';
  pid: number;
  durationMs: number;
  profilePath: string | null;
  heapProfilePath: string | null;
  profileError?: string;
  eld: { p50: number; p90: number; p99: number; max: number; mean: number };
  elu: number;
  gc: { count: number; ms: number; maxPauseMs: number };
  requests: number;
  routes: RouteStats[];
  queries: QueryStats[];
  explains: Explain[];
  cpuMs: number;
  /** Heap in use after a full GC at start and at stop (when the process has --expose-gc). */
  retained: { startBytes: number; endBytes: number } | null;
}

export type AgentMessage = Hello | Tick | Final;

/**
 * Both ends of the agent's socket speak newline-delimited JSON: this calls `onMessage` with each
 * complete line parsed. A malformed line is skipped, so neither side can be stopped by the other's
 * garbage.
 */
export function onMessages<T>(socket: Socket, onMessage: (message: T) => void): void {
  socket.setEncoding('utf8');
  let buffered = '';
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let message: T;
      try {
        message = JSON.parse(line) as T;
      } catch {
        continue;
      }
      onMessage(message);
    }
  });
}
