import type { Db } from './db.js';

/**
 * Token usage on disk: de-duplicated model calls from transcripts and recorded usage, the names
 * they refer to, and how far each transcript file has been read. Reads feed the in-memory ledger;
 * every write goes through `write`, which bumps a version so each process can tell when its
 * ledger is out of date.
 */

export type EventSource = 'transcript' | 'recorded';

export interface FileState {
  id: number;
  path: string;
  size: number;
  mtimeMs: number;
  readOffset: number;
  headLen: number;
  headHash: string;
  lines: number;
  malformed: number;
}

export interface EventRow {
  source: EventSource;
  fileId: number | null;
  ts: number;
  key: string | null;
  model: number;
  session: number | null;
  project: number | null;
  operation: number | null;
  input: number;
  output: number;
  cacheCreation: number;
  cacheCreation1h: number;
  cacheRead: number;
  /** The cost the source stated (a transcript's costUSD, a recorded cost_usd); null when none. */
  cost: number | null;
}

/** Column order of `eventRows()`, for loaders that read raw rows without building objects. */
export const EVENT_COLUMNS =
  'id, source, file_id, ts, dedupe_key, model, session, project, operation, input_tokens, output_tokens, cache_creation_tokens, cache_creation_1h_tokens, cache_read_tokens, cost_usd';

export type RawEventRow = [
  id: number,
  source: EventSource,
  fileId: number | null,
  ts: number,
  key: string | null,
  model: number,
  session: number | null,
  project: number | null,
  operation: number | null,
  input: number,
  output: number,
  cacheCreation: number,
  cacheCreation1h: number,
  cacheRead: number,
  cost: number | null,
];

/** Thrown inside `write` when another process wrote since `expectedVersion`; the caller reloads and retries. */
export class StaleVersionError extends Error {
  constructor(readonly current: number) {
    super(`token usage changed on disk (version ${current})`);
    this.name = 'StaleVersionError';
  }
}

export class TokenStore {
  constructor(private readonly db: Db) {}

  version(): number {
    return (this.db.prepare('SELECT version FROM token_state WHERE id = 1').get() as { version: number }).version;
  }

  names(): Array<{ id: number; name: string }> {
    return this.db.prepare('SELECT id, name FROM token_names').all() as Array<{ id: number; name: string }>;
  }

  files(): FileState[] {
    return this.db
      .prepare(
        `SELECT id, path, size, mtime_ms AS mtimeMs, read_offset AS readOffset, head_len AS headLen, head_hash AS headHash, lines, malformed
         FROM token_files`,
      )
      .all() as FileState[];
  }

  eventRows(): IterableIterator<RawEventRow> {
    return this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM token_events`).raw().iterate() as IterableIterator<RawEventRow>;
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction and bumps the version. When the version on disk is not
   * `expectedVersion`, `onStale` runs first (inside the transaction, holding the write lock, so
   * nothing can change again before `fn`) to let the caller catch up with what others wrote.
   */
  write<T>(expectedVersion: number, onStale: (current: number) => void, fn: (writer: TokenWriter) => T): { result: T; version: number } {
    const run = this.db.transaction(() => {
      const current = this.version();
      if (current !== expectedVersion) onStale(current);
      const result = fn(new TokenWriter(this.db));
      this.db.prepare('UPDATE token_state SET version = ? WHERE id = 1').run(current + 1);
      return { result, version: current + 1 };
    });
    return run.immediate();
  }
}

/** The statements a write transaction uses, prepared once per transaction. */
export class TokenWriter {
  private readonly insertName;
  private readonly insertEventStatement;
  private readonly updateEventStatement;

  constructor(private readonly db: Db) {
    this.insertName = db.prepare('INSERT INTO token_names (name) VALUES (?)');
    this.insertEventStatement = db.prepare(
      `INSERT INTO token_events (source, file_id, ts, dedupe_key, model, session, project, operation,
         input_tokens, output_tokens, cache_creation_tokens, cache_creation_1h_tokens, cache_read_tokens, cost_usd)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateEventStatement = db.prepare(
      `UPDATE token_events SET source = ?, file_id = ?, ts = ?, dedupe_key = ?, model = ?, session = ?, project = ?, operation = ?,
         input_tokens = ?, output_tokens = ?, cache_creation_tokens = ?, cache_creation_1h_tokens = ?, cache_read_tokens = ?, cost_usd = ?
       WHERE id = ?`,
    );
  }

  addName(name: string): number {
    return Number(this.insertName.run(name).lastInsertRowid);
  }

  insertEvent(row: EventRow): number {
    return Number(this.insertEventStatement.run(...values(row)).lastInsertRowid);
  }

  updateEvent(id: number, row: EventRow): void {
    this.updateEventStatement.run(...values(row), id);
  }

  /** Forgets what a rewritten file contributed before it is read again from the start. */
  deleteFileEvents(fileId: number): void {
    this.db.prepare('DELETE FROM token_events WHERE file_id = ?').run(fileId);
  }

  saveFile(state: Omit<FileState, 'id'> & { id?: number }): number {
    const now = Date.now();
    if (state.id !== undefined) {
      this.db
        .prepare('UPDATE token_files SET size = ?, mtime_ms = ?, read_offset = ?, head_len = ?, head_hash = ?, lines = ?, malformed = ?, read_at = ? WHERE id = ?')
        .run(state.size, state.mtimeMs, state.readOffset, state.headLen, state.headHash, state.lines, state.malformed, now, state.id);
      return state.id;
    }
    const result = this.db
      .prepare('INSERT INTO token_files (path, size, mtime_ms, read_offset, head_len, head_hash, lines, malformed, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(state.path, state.size, state.mtimeMs, state.readOffset, state.headLen, state.headHash, state.lines, state.malformed, now);
    return Number(result.lastInsertRowid);
  }
}

function values(row: EventRow): Array<string | number | null> {
  return [
    row.source,
    row.fileId,
    row.ts,
    row.key,
    row.model,
    row.session,
    row.project,
    row.operation,
    row.input,
    row.output,
    row.cacheCreation,
    row.cacheCreation1h,
    row.cacheRead,
    row.cost,
  ];
}
