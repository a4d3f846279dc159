import type { Statement } from 'better-sqlite3';
import { InputError } from '../errors.js';
import { log } from '../log.js';
import type { Db } from './db.js';
import { ftsQuery, searchTerms, type MatchMode } from './fts-query.js';

export const MAX_KEY_LENGTH = 512;
export const MAX_NAMESPACE_LENGTH = 64;
export const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;
/** Ten years: beyond that a TTL is a typo, not a retention policy. */
export const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;
export const DEFAULT_NAMESPACE = 'default';

export interface MemoryLimits {
  maxValueBytes: number;
}

export interface MemoryEntry {
  id: number;
  namespace: string;
  key: string;
  value: string;
  size: number;
  version: number;
  createdAt: number;
  updatedAt: number;
  expiresAt: number | null;
  accessCount: number;
  accessedAt: number | null;
}

export type MemorySummary = Omit<MemoryEntry, 'value'>;

export interface StoreResult {
  id: number;
  created: boolean;
  size: number;
  version: number;
  expiresAt: number | null;
}

export interface ListPage {
  entries: MemorySummary[];
  total: number;
  nextOffset: number | null;
}

export interface SearchHit extends MemorySummary {
  score: number | null;
  snippet: string;
}

export interface SearchOutcome {
  hits: SearchHit[];
  /** `all`: every word matched; `any`: no entry had all words, so entries with some are ranked; `everything`: no words given. */
  match: MatchMode | 'everything';
  terms: string[];
}

// Aliased to the field names of MemorySummary, so rows need no mapping. They read ENTRIES: an
// entry (m) with its read counts (r, kept apart so counting a read writes a narrow row).
const SUMMARY = [
  'm.id', 'm.namespace', 'm.key', 'm.size', 'm.version', 'm.created_at AS createdAt', 'm.updated_at AS updatedAt',
  'm.expires_at AS expiresAt', 'COALESCE(r.count, 0) AS accessCount', 'r.accessed_at AS accessedAt',
].join(', ');
const ENTRIES = 'memory AS m LEFT JOIN memory_reads AS r ON r.id = m.id';
const LIVE = '(expires_at IS NULL OR expires_at > @now)';
const LIVE_M = '(m.expires_at IS NULL OR m.expires_at > @now)';

/** A row of `retrieveVersioned`: every entry column is null when the entry is absent. */
type VersionedRow = { dataVersion: number } & ({ [K in keyof MemoryEntry]: MemoryEntry[K] } | { [K in keyof MemoryEntry]: null });

/** Rows kept by the read cache: enough for the working set of a swarm, bounded in memory. */
const CACHE_ENTRIES = 1024;
const CACHE_MAX_VALUE_BYTES = 64 * 1024;

/**
 * The key/value memory that agents share. Every read filters out expired rows, so an entry past
 * its TTL is gone for callers at once; `sweepExpired` removes the rows from disk later.
 */
export class MemoryStore {
  /** Reads counted since the last flush, by row id. */
  private readonly pendingReads = new Map<number, { namespace: string; key: string; count: number; at: number }>();
  private flushTimer: NodeJS.Timeout | undefined;
  /**
   * Rows this process read lately (null: known absent), by namespace and key. Agents re-read the
   * same few keys; serving those from here skips a SQLite read transaction (two fcntl locks and a
   * B-tree descent), which costs more over stdio than in a loop. The cache is valid only while
   * `PRAGMA data_version` is unchanged, i.e. no other connection has committed, and it is emptied
   * by every write of our own (store, delete, sweep, read-count flush).
   */
  private readonly cache = new Map<string, MemoryEntry | null>();
  private cacheVersion: number | undefined;
  private readonly statements: {
    dataVersion: Statement;
    retrieveVersioned: Statement;
    upsert: Statement;
    retrieve: Statement;
    countReads: Statement;
    remove: Statement;
    count: Statement;
    page: Statement;
    countPrefix: Statement;
    pagePrefix: Statement;
    namespaces: Statement;
    sweep: Statement;
  };

  constructor(
    private readonly db: Db,
    private readonly limits: MemoryLimits,
    private readonly now: () => number = Date.now,
    /** How long read counts wait before they are written; see `retrieve`. */
    private readonly readFlushMs = 1000,
  ) {
    // An upsert over an expired row starts a fresh entry rather than continuing the dead one.
    const revived = 'memory.expires_at IS NOT NULL AND memory.expires_at <= excluded.updated_at';
    this.statements = {
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      upsert: db.prepare(`
        INSERT INTO memory (namespace, key, value, size, created_at, updated_at, expires_at)
        VALUES (@namespace, @key, @value, @size, @now, @now, @expires_at)
        ON CONFLICT (namespace, key) DO UPDATE SET
          value = excluded.value,
          size = excluded.size,
          updated_at = excluded.updated_at,
          expires_at = excluded.expires_at,
          version = CASE WHEN ${revived} THEN 1 ELSE memory.version + 1 END,
          created_at = CASE WHEN ${revived} THEN excluded.created_at ELSE memory.created_at END
        RETURNING id, version`),
      retrieve: db.prepare(`SELECT ${SUMMARY}, m.value FROM ${ENTRIES} WHERE m.namespace = @namespace AND m.key = @key AND ${LIVE_M}`),
      // One row even when the entry is absent, so a miss learns the data version in the same read.
      retrieveVersioned: db.prepare(`
        SELECT d.data_version AS dataVersion, ${SUMMARY}, m.value
        FROM pragma_data_version AS d
        LEFT JOIN memory AS m ON m.namespace = @namespace AND m.key = @key AND ${LIVE_M}
        LEFT JOIN memory_reads AS r ON r.id = m.id`),
      // Counted only while the entry read is still there under its key.
      countReads: db.prepare(`
        INSERT INTO memory_reads (id, count, accessed_at)
        SELECT @id, @count, @at WHERE EXISTS (SELECT 1 FROM memory WHERE id = @id AND namespace = @namespace AND key = @key)
        ON CONFLICT (id) DO UPDATE SET count = count + excluded.count, accessed_at = MAX(accessed_at, excluded.accessed_at)`),
      remove: db.prepare(`DELETE FROM memory WHERE namespace = @namespace AND key = @key AND ${LIVE}`),
      count: db.prepare(`SELECT COUNT(*) AS n FROM memory WHERE namespace = @namespace AND ${LIVE}`),
      page: db.prepare(`
        SELECT ${SUMMARY} FROM ${ENTRIES} WHERE m.namespace = @namespace AND ${LIVE_M}
        ORDER BY m.updated_at DESC, m.id DESC LIMIT @limit OFFSET @offset`),
      countPrefix: db.prepare(`
        SELECT COUNT(*) AS n FROM memory
        WHERE namespace = @namespace AND substr(key, 1, length(@prefix)) = @prefix AND ${LIVE}`),
      pagePrefix: db.prepare(`
        SELECT ${SUMMARY} FROM ${ENTRIES}
        WHERE m.namespace = @namespace AND substr(m.key, 1, length(@prefix)) = @prefix AND ${LIVE_M}
        ORDER BY m.updated_at DESC, m.id DESC LIMIT @limit OFFSET @offset`),
      namespaces: db.prepare(`
        SELECT namespace, COUNT(*) AS entries FROM memory WHERE ${LIVE}
        GROUP BY namespace ORDER BY entries DESC, namespace LIMIT 20`),
      sweep: db.prepare(`
        DELETE FROM memory WHERE id IN (
          SELECT id FROM memory WHERE expires_at IS NOT NULL AND expires_at <= @now LIMIT @batch)`),
    };
  }

  store(namespace: string, key: string, value: string, ttlSeconds?: number): StoreResult {
    checkNamespace(namespace);
    checkKey(key);
    const size = Buffer.byteLength(value, 'utf8');
    if (size > this.limits.maxValueBytes) {
      throw new InputError(
        'value',
        `value is ${size} bytes; the limit is ${this.limits.maxValueBytes} bytes`,
        'store large data in a file and keep its path in memory, or raise memory.maxValueBytes in perfsop.config.json',
      );
    }
    const now = this.now();
    const expiresAt = ttlSeconds ? now + checkTtl(ttlSeconds) * 1000 : null;
    this.cache.clear();
    const row = this.statements.upsert.get({ namespace, key, value, size, now, expires_at: expiresAt }) as {
      id: number;
      version: number;
    };
    return { id: row.id, created: row.version === 1, size, version: row.version, expiresAt };
  }

  /**
   * A read stays a read: the access count is kept in memory and written in one batch a moment
   * later. Bumping it in place would turn every retrieve into a write transaction, which doubles
   * its cost and changes the file under every other process sharing it (they would all drop their
   * page caches). A crash loses at most the last `readFlushMs` of counts, never stored data.
   */
  retrieve(namespace: string, key: string): MemoryEntry | undefined {
    checkNamespace(namespace);
    checkKey(key);
    const now = this.now();
    const entry = this.cachedRow(namespace, key, now);
    if (!entry) return undefined;
    const pending = this.pendingReads.get(entry.id) ?? { namespace, key, count: 0, at: now };
    pending.count += 1;
    pending.at = now;
    this.pendingReads.set(entry.id, pending);
    this.scheduleFlush();
    return { ...entry, accessCount: entry.accessCount + pending.count, accessedAt: now };
  }

  /**
   * The live row, from the cache when no connection has committed since it was read. A cache hit
   * costs one `PRAGMA data_version`; a miss reads the row and the data version in one statement,
   * so a process whose reads mostly miss (a large, uniformly read memory) pays nothing extra.
   */
  private cachedRow(namespace: string, key: string, now: number): MemoryEntry | undefined {
    // Inside a caller's transaction a row may be uncommitted and later rolled back: read through.
    if (this.db.inTransaction) return this.statements.retrieve.get({ namespace, key, now }) as MemoryEntry | undefined;
    const cacheKey = cacheKeyOf(namespace, key);
    let row = this.cache.get(cacheKey);
    if (row !== undefined && this.statements.dataVersion.get() !== this.cacheVersion) row = undefined;
    if (row === undefined) {
      const { dataVersion, ...fetched } = this.statements.retrieveVersioned.get({ namespace, key, now }) as VersionedRow;
      if (dataVersion !== this.cacheVersion) {
        this.cache.clear();
        this.cacheVersion = dataVersion;
      }
      row = fetched.id === null ? null : (fetched as MemoryEntry);
      if (row === null || row.size <= CACHE_MAX_VALUE_BYTES) {
        // Oldest first out: Map iteration follows insertion order.
        if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
        this.cache.set(cacheKey, row);
      }
    }
    // A cached row may have expired since it was read; an absent one cannot appear without a write.
    if (row === null || (row.expiresAt !== null && row.expiresAt <= now)) return undefined;
    return row;
  }

  /** Writes the counted reads; called by its timer, and by `close` so nothing counted is lost. */
  flushReads(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pendingReads.size === 0 || !this.db.open) return;
    this.db.transaction(() => {
      for (const [id, read] of this.pendingReads) this.statements.countReads.run({ id, ...read });
    })();
    // The cached rows now carry the counts just written, so the cache stays valid.
    for (const [id, read] of this.pendingReads) {
      const cacheKey = cacheKeyOf(read.namespace, read.key);
      const row = this.cache.get(cacheKey);
      if (row?.id === id) this.cache.set(cacheKey, { ...row, accessCount: row.accessCount + read.count, accessedAt: Math.max(row.accessedAt ?? 0, read.at) });
    }
    // Cleared only after the commit: if the database was too busy, the counts wait for the next try.
    this.pendingReads.clear();
  }

  /** This process's reads not yet written, so its own answers never show a stale count. */
  private withPendingReads<T extends MemorySummary>(entry: T): T {
    const pending = this.pendingReads.get(entry.id);
    return pending ? { ...entry, accessCount: entry.accessCount + pending.count, accessedAt: Math.max(entry.accessedAt ?? 0, pending.at) } : entry;
  }

  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      // Whoever closed the database without closing this store has given up on the counts.
      if (!this.db.open) return this.pendingReads.clear();
      try {
        this.flushReads();
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY') {
          log.warn(`dropped ${this.pendingReads.size} memory read count(s) that could not be written`, error);
          return this.pendingReads.clear();
        }
        log.warn('database busy; will write memory read counts on the next try');
        this.scheduleFlush();
      }
    }, this.readFlushMs).unref();
  }

  close(): void {
    this.flushReads();
  }

  delete(namespace: string, key: string): boolean {
    checkNamespace(namespace);
    checkKey(key);
    this.cache.clear();
    return this.statements.remove.run({ namespace, key, now: this.now() }).changes > 0;
  }

  list(namespace: string, options: { prefix?: string; limit: number; offset: number }): ListPage {
    checkNamespace(namespace);
    const params = { namespace, prefix: options.prefix, limit: options.limit, offset: options.offset, now: this.now() };
    const [countStmt, pageStmt] = options.prefix
      ? [this.statements.countPrefix, this.statements.pagePrefix]
      : [this.statements.count, this.statements.page];
    const { n: total } = countStmt.get(params) as { n: number };
    const entries = (pageStmt.all(params) as MemorySummary[]).map((entry) => this.withPendingReads(entry));
    const end = options.offset + entries.length;
    return { entries, total, nextOffset: end < total ? end : null };
  }

  /** Namespaces that hold live entries, largest first: shown when a caller looks in an empty one. */
  namespaces(): Array<{ namespace: string; entries: number }> {
    return this.statements.namespaces.all({ now: this.now() }) as Array<{ namespace: string; entries: number }>;
  }

  /**
   * Full-text search over keys and values, ranked by BM25 with the key weighted above the value.
   * All words must match; when nothing matches them all, entries matching any word are ranked,
   * so a long natural-language query still finds the closest entries.
   */
  search(text: string, options: { namespace?: string; limit: number }): SearchOutcome {
    if (options.namespace !== undefined) checkNamespace(options.namespace);
    const terms = searchTerms(text);
    if (terms.length === 0) {
      const rows = this.db
        .prepare(
          `SELECT ${SUMMARY}, substr(m.value, 1, 160) AS snippet FROM ${ENTRIES}
           WHERE ${LIVE_M} ${options.namespace === undefined ? '' : 'AND m.namespace = @namespace'}
           ORDER BY m.updated_at DESC, m.id DESC LIMIT @limit`,
        )
        .all({ now: this.now(), namespace: options.namespace, limit: options.limit }) as Array<MemorySummary & { snippet: string }>;
      return { hits: rows.map((row) => ({ ...this.withPendingReads(row), score: null })), match: 'everything', terms };
    }
    for (const mode of ['all', 'any'] as const) {
      const hits = this.match(ftsQuery(terms, mode), options);
      if (hits.length > 0 || mode === 'any' || terms.length === 1) return { hits, match: mode, terms };
    }
    return { hits: [], match: 'any', terms };
  }

  /** Deletes expired rows in small batches so a big sweep never holds the write lock for long. */
  sweepExpired(batch = 500): number {
    this.cache.clear();
    let removed = 0;
    for (;;) {
      const { changes } = this.statements.sweep.run({ now: this.now(), batch });
      removed += changes;
      if (changes < batch) return removed;
    }
  }

  private match(query: string, options: { namespace?: string; limit: number }): SearchHit[] {
    const rows = this.db
      .prepare(
        `SELECT ${SUMMARY},
                snippet(memory_fts, -1, '**', '**', '…', 16) AS snippet,
                bm25(memory_fts, 4.0, 1.0) AS rank
         FROM memory_fts JOIN memory m ON m.id = memory_fts.rowid LEFT JOIN memory_reads AS r ON r.id = m.id
         WHERE memory_fts MATCH @query
           AND ${LIVE_M}
           ${options.namespace === undefined ? '' : 'AND m.namespace = @namespace'}
         ORDER BY rank LIMIT @limit`,
      )
      .all({ query, now: this.now(), namespace: options.namespace, limit: options.limit }) as Array<
      MemorySummary & { snippet: string; rank: number }
    >;
    // bm25() is "smaller is better" and negative; flip it so a higher score means more relevant.
    return rows.map(({ rank, ...row }) => ({ ...this.withPendingReads(row), score: Number((-rank).toPrecision(4)) }));
  }
}

function cacheKeyOf(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}

export function checkNamespace(namespace: string): void {
  if (namespace.length === 0 || namespace.length > MAX_NAMESPACE_LENGTH || !NAMESPACE_PATTERN.test(namespace)) {
    throw new InputError(
      'namespace',
      `namespace "${namespace.slice(0, 80)}" is not allowed: use 1-${MAX_NAMESPACE_LENGTH} characters from A-Z a-z 0-9 _ . : / -, starting with a letter or digit`,
    );
  }
}

export function checkKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new InputError('key', `key must be 1-${MAX_KEY_LENGTH} characters, got ${key.length}`);
  }
}

function checkTtl(ttl: number): number {
  if (!Number.isFinite(ttl) || ttl < 0 || ttl > MAX_TTL_SECONDS) {
    throw new InputError('ttl', `ttl must be between 0 and ${MAX_TTL_SECONDS} seconds (0 = never expires), got ${ttl}`);
  }
  return ttl;
}
