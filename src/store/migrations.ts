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
];
