// Types for the stress tests that run these scenarios.
export interface CallError {
  where: string;
  op: string;
  message: string;
}

export interface Problem {
  kind: 'lost write' | 'version' | 'stale read' | 'search' | 'list' | 'wrong answer' | 'setup';
  message: string;
}

export interface ProcessLoadResult {
  processes: number;
  /** Processes that only retrieve (shared keys and other processes' keys). */
  readers: number;
  opsPerProcess: number;
  inFlight: number;
  privateKeys: number;
  sharedKeys: number;
  operations: number;
  elapsedMs: number;
  /** Milliseconds per call, by operation (store, retrieve, list, search, delete, verify ...). */
  latency: Record<string, number[]>;
  errors: CallError[];
  /** Errors whose message names SQLITE_BUSY or a locked database. */
  busyErrors: number;
  /** Mentions of SQLITE_BUSY or a locked database in the servers' stderr. */
  busyInLogs: number;
  problems: Problem[];
  /** Keys whose final state is not their last acknowledged write. */
  lostWrites: number;
  sharedWrites: number;
}

export function processLoad(options: {
  cli: string;
  dbPath: string;
  processes?: number;
  readers?: number;
  opsPerProcess?: number;
  inFlight?: number;
  privateKeys?: number;
  sharedKeys?: number;
  valueBytes?: number;
  seed?: number;
  env?: Record<string, string>;
  log?: (line: string) => void;
}): Promise<ProcessLoadResult>;

export interface HttpSessionsResult {
  sessions: number;
  sseSessions: number;
  callsEach: number;
  calls: number;
  elapsedMs: number;
  /** Milliseconds per call, by call (connect, memory_usage store/retrieve/search, tools/list, performance_report, token_usage). */
  latency: Record<string, number[]>;
  errors: CallError[];
  problems: Problem[];
  rssKb: { before: number | null; after: number | null };
}

export function httpSessions(options: {
  url: string;
  sessions?: number;
  sseSessions?: number;
  callsEach?: number;
  pid?: number;
  tag?: string;
  log?: (line: string) => void;
}): Promise<HttpSessionsResult>;

export function rssKb(pid: number): number | null;

export function latencySummary(latency: Record<string, number[]>): Array<{ op: string; n: number; p50: number; p99: number }>;
