import { log } from '../log.js';
import type { Db } from './db.js';

export interface ToolCallStats {
  tool: string;
  calls: number;
  failures: number;
  meanMs: number;
  maxMs: number;
}

/** How long a call waits in memory before it is written: a log line must not cost a write transaction per call. */
const FLUSH_AFTER_MS = 1000;

/**
 * The log of every tool call (tool, start, duration, success). Calls are buffered and written in
 * one transaction per second and on close, so memory_usage's round trip does not pay for a write
 * lock; a kill -9 loses at most the last second of log lines, never a tool's own data.
 */
export class ToolCallLog {
  private pending: Array<[string, number, number, number]> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: () => Db | undefined) {}

  record(tool: string, startedAt: number, durationMs: number, ok: boolean): void {
    this.pending.push([tool, startedAt, durationMs, ok ? 1 : 0]);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_AFTER_MS);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const db = this.db();
    if (!db?.open) return;
    const rows = this.pending;
    this.pending = [];
    try {
      const insert = db.prepare('INSERT INTO tool_calls (tool, started_at, duration_ms, ok, pid) VALUES (?, ?, ?, ?, ?)');
      db.transaction(() => {
        for (const row of rows) insert.run(...row, process.pid);
      })();
    } catch (error) {
      log.warn(`could not write ${rows.length} tool-call log line(s)`, error);
    }
  }
}

/** Per-tool counts and times of calls started in [from, to]. */
export function toolCallStats(db: Db, from: number, to: number): ToolCallStats[] {
  return (
    db
      .prepare(
        `SELECT tool, COUNT(*) AS calls, SUM(1 - ok) AS failures, AVG(duration_ms) AS meanMs, MAX(duration_ms) AS maxMs
         FROM tool_calls WHERE started_at BETWEEN ? AND ? GROUP BY tool ORDER BY calls DESC, tool`,
      )
      .all(from, to) as ToolCallStats[]
  );
}
