import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/store/db.js';
import { MemoryStore } from '../../src/store/memory.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { tempDir } from '../helpers/temp.js';

describe('the perfsop database', () => {
  it('creates its folder, uses WAL with a busy timeout, and records every migration once', () => {
    const path = join(tempDir(), 'nested', 'deeper', 'perfsop.db');
    const db = openDatabase(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(Number(db.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{ version: number }>;
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    db.close();

    const again = openDatabase(path);
    expect(migrate(again, MIGRATIONS)).toEqual([]);
    again.close();
  });

  it('keeps the read counts of a database from before they moved to their own table (migration 7)', () => {
    const path = join(tempDir(), 'perfsop.db');
    const old = new Database(path);
    migrate(old, MIGRATIONS.filter((m) => m.version < 7));
    const insert = old.prepare('INSERT INTO memory (namespace, key, value, size, created_at, updated_at, access_count, accessed_at) VALUES (?, ?, ?, 1, 1000, 1000, ?, ?)');
    insert.run('default', 'read', 'x', 3, 5000);
    insert.run('default', 'unread', 'y', 0, null);
    old.close();
    const db = openDatabase(path);
    const memory = new MemoryStore(db, { maxValueBytes: 1024 });
    expect(memory.retrieve('default', 'read')).toMatchObject({ accessCount: 4 });
    expect(memory.retrieve('default', 'unread')).toMatchObject({ accessCount: 1 });
    memory.close();
    expect(memory.list('default', { limit: 10, offset: 0 }).entries.find((e) => e.key === 'read')).toMatchObject({ accessCount: 4, accessedAt: expect.any(Number) });
    expect(db.prepare("SELECT name FROM pragma_table_info('memory') WHERE name LIKE 'access%'").all()).toEqual([]);
    db.close();
  });

  it('applies only the migrations a database has not seen, in order', () => {
    const path = join(tempDir(), 'perfsop.db');
    const db = new Database(path);
    const extra = [...MIGRATIONS, { version: 999, name: 'later', sql: 'CREATE TABLE later_table (x INTEGER)' }];
    expect(migrate(db, MIGRATIONS)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db, extra)).toEqual([999]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'later_table'").get()).toBeDefined();
    db.close();
  });

  it('refuses a database written by a newer perfsop instead of guessing', () => {
    const path = join(tempDir(), 'perfsop.db');
    const db = new Database(path);
    migrate(db, [...MIGRATIONS, { version: 999, name: 'future', sql: 'SELECT 1' }]);
    db.close();
    expect(() => openDatabase(path)).toThrow(/schema version 999 is newer than this perfsop understands/);
  });

  it('rolls back a failing migration entirely', () => {
    const db = new Database(join(tempDir(), 'perfsop.db'));
    const broken = [{ version: 1, name: 'half', sql: 'CREATE TABLE a (x INTEGER); THIS IS NOT SQL;' }];
    expect(() => migrate(db, broken)).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'a'").get()).toBeUndefined();
    expect((db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(0);
    db.close();
  });
});
