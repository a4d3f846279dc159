import type BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { MIGRATIONS, type Migration } from './migrations.js';

export type Db = BetterSqlite3.Database;

// Loaded on first open rather than at import: the native module costs start-up time that
// tools/list never needs.
let Database: typeof BetterSqlite3 | undefined;
function sqlite(): typeof BetterSqlite3 {
  Database ??= createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
  return Database;
}

/** How long a writer waits for another process's lock before giving up; swarms write concurrently. */
const BUSY_TIMEOUT_MS = 15_000;

export interface OpenOptions {
  migrations?: readonly Migration[];
}

/**
 * Opens (creating if needed) the one perfsop database: WAL so readers never block the writer,
 * a busy timeout so several perfsop processes can share the file, and pending migrations applied.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const Sqlite = sqlite();
  const db = new Sqlite(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    // Switching to WAL takes a lock that the busy handler does not always cover on a brand-new
    // file opened by several processes at once, so retry briefly.
    retryWhileBusy(() => db.pragma('journal_mode = WAL'));
    // NORMAL in WAL mode is durable against a crash of this process (kill -9); only power loss
    // can drop the last transactions, and it keeps each store to one write without fsync.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Reads go through a memory map instead of a read() per page: lookups in a large memory
    // table stay off the syscall path, and every process shares the OS page cache.
    db.pragma('mmap_size = 268435456');
    migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function migrate(db: Db, migrations: readonly Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const latestKnown = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  // IMMEDIATE takes the write lock up front, so two processes starting together cannot both
  // decide the same migration is pending.
  const apply = db.transaction(() => {
    const row = db.prepare('SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations').get() as { version: number };
    if (row.version > latestKnown) {
      throw new Error(
        `database schema version ${row.version} is newer than this perfsop understands (${latestKnown}); upgrade perfsop`,
      );
    }
    const applied: number[] = [];
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= row.version) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
      applied.push(migration.version);
    }
    return applied;
  });
  return apply.immediate();
}

function retryWhileBusy<T>(fn: () => T): T {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return fn();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
