/**
 * Numbered, forward-only schema changes. Append new ones; never edit or reorder a released one,
 * because databases in the wild record which versions they already applied.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'memory',
    sql: `
      CREATE TABLE memory (
        id           INTEGER PRIMARY KEY,
        namespace    TEXT    NOT NULL,
        key          TEXT    NOT NULL,
        value        TEXT    NOT NULL,
        size         INTEGER NOT NULL,
        version      INTEGER NOT NULL DEFAULT 1,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        expires_at   INTEGER,
        access_count INTEGER NOT NULL DEFAULT 0,
        accessed_at  INTEGER,
        UNIQUE (namespace, key)
      );
      CREATE INDEX memory_by_recency ON memory (namespace, updated_at DESC, id DESC);
      CREATE INDEX memory_by_expiry ON memory (expires_at) WHERE expires_at IS NOT NULL;

      -- External-content FTS5 index over key and value; the triggers keep it in step.
      CREATE VIRTUAL TABLE memory_fts USING fts5(
        key, value,
        content = 'memory', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER memory_fts_insert AFTER INSERT ON memory BEGIN
        INSERT INTO memory_fts (rowid, key, value) VALUES (new.id, new.key, new.value);
      END;
      CREATE TRIGGER memory_fts_delete AFTER DELETE ON memory BEGIN
        INSERT INTO memory_fts (memory_fts, rowid, key, value) VALUES ('delete', old.id, old.key, old.value);
      END;
      -- Only a change of text re-indexes: retrieve bumps access counters on every read.
      CREATE TRIGGER memory_fts_update AFTER UPDATE OF key, value ON memory BEGIN
        INSERT INTO memory_fts (memory_fts, rowid, key, value) VALUES ('delete', old.id, old.key, old.value);
        INSERT INTO memory_fts (rowid, key, value) VALUES (new.id, new.key, new.value);
      END;
    `,
  },
  {
    version: 2,
    name: 'benchmark runs',
    sql: `
      -- One row per benchmark_run call; label names it (before, after, ...) for later comparison.
      CREATE TABLE runs (
        id          INTEGER PRIMARY KEY,
        label       TEXT,
        suite       TEXT,
        status      TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
        started_at  INTEGER NOT NULL,
        finished_at INTEGER,
        git_commit  TEXT,
        git_dirty   INTEGER,
        cwd         TEXT,
        params      TEXT    NOT NULL,
        host        TEXT    NOT NULL,
        error       TEXT
      );
      CREATE INDEX runs_by_label ON runs (label, started_at DESC);
      CREATE INDEX runs_by_time ON runs (started_at DESC);

      CREATE TABLE benchmarks (
        id             INTEGER PRIMARY KEY,
        run_id         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        name           TEXT    NOT NULL,
        type           TEXT    NOT NULL CHECK (type IN ('http', 'command', 'micro')),
        target         TEXT,
        stats          TEXT    NOT NULL,
        rps            REAL,
        throughput_bps REAL,
        requests       INTEGER,
        errors         INTEGER,
        timeouts       INTEGER,
        non2xx         INTEGER,
        duration_s     REAL,
        iterations     INTEGER,
        histogram      TEXT,
        thresholds     TEXT,
        notes          TEXT    NOT NULL DEFAULT '[]',
        extra          TEXT
      );
      CREATE INDEX benchmarks_by_run ON benchmarks (run_id);
      CREATE INDEX benchmarks_by_name ON benchmarks (name, run_id);

      -- The units the comparison rests on: per-second slices of a load test, timed runs of a
      -- command, rounds of a micro benchmark.
      CREATE TABLE samples (
        benchmark_id INTEGER NOT NULL REFERENCES benchmarks (id) ON DELETE CASCADE,
        unit         TEXT    NOT NULL,
        metric       TEXT    NOT NULL,
        seq          INTEGER NOT NULL,
        value        REAL,
        PRIMARY KEY (benchmark_id, metric, seq)
      ) WITHOUT ROWID;

      CREATE TABLE comparisons (
        id              INTEGER PRIMARY KEY,
        run_id          INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        baseline_run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        benchmark       TEXT    NOT NULL,
        metric          TEXT    NOT NULL,
        baseline        REAL,
        current         REAL,
        change_pct      REAL,
        ci_low          REAL,
        ci_high         REAL,
        verdict         TEXT    NOT NULL,
        created_at      INTEGER NOT NULL
      );
      CREATE INDEX comparisons_by_run ON comparisons (run_id);
    `,
  },
  {
    version: 3,
    name: 'bottleneck analyses',
    sql: `
      CREATE TABLE analyses (
        id          INTEGER PRIMARY KEY,
        component   TEXT,
        status      TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
        started_at  INTEGER NOT NULL,
        finished_at INTEGER,
        params      TEXT    NOT NULL,
        summary     TEXT,
        error       TEXT
      );
      CREATE INDEX analyses_by_time ON analyses (started_at DESC);

      CREATE TABLE findings (
        id          INTEGER PRIMARY KEY,
        analysis_id INTEGER NOT NULL REFERENCES analyses (id) ON DELETE CASCADE,
        rank        INTEGER NOT NULL,
        kind        TEXT    NOT NULL,
        title       TEXT    NOT NULL,
        category    TEXT    NOT NULL,
        priority    TEXT    NOT NULL,
        impact_ms   REAL,
        impact_share REAL   NOT NULL,
        location    TEXT,
        evidence    TEXT    NOT NULL,
        fix         TEXT    NOT NULL
      );
      CREATE INDEX findings_by_analysis ON findings (analysis_id, rank);

      -- Files perfsop wrote (profiles, flame graphs, reports), under the artifacts folder.
      CREATE TABLE artifacts (
        id          INTEGER PRIMARY KEY,
        owner       TEXT    NOT NULL,
        owner_id    INTEGER NOT NULL,
        kind        TEXT    NOT NULL,
        path        TEXT    NOT NULL UNIQUE,
        mime_type   TEXT    NOT NULL,
        bytes       INTEGER NOT NULL,
        created_at  INTEGER NOT NULL
      );
      CREATE INDEX artifacts_by_owner ON artifacts (owner, owner_id);
    `,
  },
  {
    version: 4,
    name: 'token usage',
    sql: `
      -- Model, session, project and operation names, stored once; events refer to them by id.
      CREATE TABLE token_names (
        id   INTEGER PRIMARY KEY,
        name TEXT    NOT NULL UNIQUE
      );

      -- Every transcript file read so far: how far it was read, and its first bytes' hash, so a
      -- file that grew is read only from read_offset on and a rewritten one is read again whole.
      CREATE TABLE token_files (
        id          INTEGER PRIMARY KEY,
        path        TEXT    NOT NULL UNIQUE,
        size        INTEGER NOT NULL,
        mtime_ms    REAL    NOT NULL,
        read_offset INTEGER NOT NULL,
        head_len    INTEGER NOT NULL,
        head_hash   TEXT    NOT NULL,
        lines       INTEGER NOT NULL DEFAULT 0,
        malformed   INTEGER NOT NULL DEFAULT 0,
        read_at     INTEGER NOT NULL
      );

      -- One row per de-duplicated model call. No index but the primary key: a process loads the
      -- whole table once and aggregates in memory, and each index would slow the first ingestion
      -- of a large transcript folder. Name ids are not foreign keys for the same reason; they are
      -- written in the same transaction as the names.
      CREATE TABLE token_events (
        id                       INTEGER PRIMARY KEY,
        source                   TEXT    NOT NULL CHECK (source IN ('transcript', 'recorded')),
        file_id                  INTEGER,
        ts                       INTEGER NOT NULL,
        dedupe_key               TEXT,
        model                    INTEGER NOT NULL,
        session                  INTEGER,
        project                  INTEGER,
        operation                INTEGER,
        input_tokens             INTEGER NOT NULL,
        output_tokens            INTEGER NOT NULL,
        cache_creation_tokens    INTEGER NOT NULL,
        cache_creation_1h_tokens INTEGER NOT NULL,
        cache_read_tokens        INTEGER NOT NULL,
        cost_usd                 REAL
      );

      -- Bumped by every write to the tables above, so a process knows when its in-memory copy is stale.
      CREATE TABLE token_state (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
      );
      INSERT INTO token_state (id, version) VALUES (1, 0);
    `,
  },
  {
    version: 5,
    name: 'learning: training examples and models',
    sql: `
      CREATE TABLE training_examples (
        id           INTEGER PRIMARY KEY,
        pattern_type TEXT    NOT NULL,
        input        TEXT    NOT NULL,
        output       TEXT    NOT NULL,
        source       TEXT    NOT NULL,
        created_at   INTEGER NOT NULL
      );
      CREATE INDEX training_examples_by_type ON training_examples (pattern_type, id);

      CREATE TABLE models (
        id           INTEGER PRIMARY KEY,
        model_id     TEXT    NOT NULL UNIQUE,
        pattern_type TEXT    NOT NULL,
        version      INTEGER NOT NULL,
        created_at   INTEGER NOT NULL,
        -- the last training example the model saw, so predictions can say how current it is
        examples_upto INTEGER NOT NULL,
        spec         TEXT    NOT NULL,
        params       BLOB    NOT NULL,
        report       TEXT    NOT NULL,
        UNIQUE (pattern_type, version)
      );
    `,
  },
  {
    version: 6,
    name: 'tool call log',
    sql: `
      -- Every tool call perfsop served: what performance_report's tasks_executed, success_rate and
      -- avg_execution_time are computed from.
      CREATE TABLE tool_calls (
        id          INTEGER PRIMARY KEY,
        tool        TEXT    NOT NULL,
        started_at  INTEGER NOT NULL,
        duration_ms REAL    NOT NULL,
        ok          INTEGER NOT NULL,
        pid         INTEGER NOT NULL
      );
      CREATE INDEX tool_calls_by_time ON tool_calls (started_at);
    `,
  },
  {
    version: 7,
    name: 'read counts apart from the entries',
    sql: `
      -- retrieve counts reads and writes the counts in batches. Kept in the memory rows, every
      -- counted read rewrote a wide row's page: at 100k entries a batch of random reads cost
      -- 13.5 µs per read. Narrow rows here fit hundreds to a page: 1.5 µs.
      CREATE TABLE memory_reads (
        id          INTEGER PRIMARY KEY, -- memory.id
        count       INTEGER NOT NULL,
        accessed_at INTEGER NOT NULL
      );
      INSERT INTO memory_reads (id, count, accessed_at)
        SELECT id, access_count, COALESCE(accessed_at, updated_at) FROM memory WHERE access_count > 0;
      ALTER TABLE memory DROP COLUMN access_count;
      ALTER TABLE memory DROP COLUMN accessed_at;
      CREATE TRIGGER memory_reads_delete AFTER DELETE ON memory BEGIN
        DELETE FROM memory_reads WHERE id = old.id;
      END;
      -- A store over an expired entry starts a fresh one (its created_at is set anew): no reads yet.
      CREATE TRIGGER memory_reads_revive AFTER UPDATE OF created_at ON memory WHEN new.created_at IS NOT old.created_at BEGIN
        DELETE FROM memory_reads WHERE id = new.id;
      END;
    `,
  },
];
