import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/db.js';
import { MemoryStore } from '../../src/store/memory.js';
import { callError, callOk, connectInMemory, textOf, type Connected } from '../helpers/mcp.js';

let connected: Connected | undefined;
afterEach(async () => {
  await connected?.close();
  connected = undefined;
});

/** A clock the test moves by hand, so TTL behaviour is exact rather than a race with sleep(). */
function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

async function open(options: Parameters<typeof connectInMemory>[0] = {}) {
  connected = await connectInMemory(options);
  const call = (args: Record<string, unknown>) => callOk(connected!.client, 'memory_usage', args);
  const fail = (args: Record<string, unknown>) => callError(connected!.client, 'memory_usage', args);
  return { ...connected, call, fail };
}

describe('memory_usage over the MCP protocol', () => {
  it('is listed with input and output schemas and honest annotations', async () => {
    const { client } = await open();
    const { tools } = await client.listTools();
    const tool = tools.find((t) => t.name === 'memory_usage');
    expect(tool?.inputSchema.required).toEqual(['action']);
    expect(Object.keys(tool?.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining(['action', 'key', 'value', 'namespace', 'ttl', 'pattern', 'query', 'prefix', 'limit']),
    );
    expect(tool?.outputSchema?.type).toBe('object');
    expect(tool?.annotations?.readOnlyHint).toBe(false);
  });

  it('stores, then updates in place, reporting bytes, version and expiry', async () => {
    const clock = manualClock();
    const { call } = await open({ now: clock.now });
    const first = await call({ action: 'store', key: 'k', value: 'héllo' });
    expect(first).toMatchObject({ success: true, action: 'store', key: 'k', namespace: 'default', stored: true, created: true, size: 6, version: 1, expires_at: null });
    const second = await call({ action: 'store', key: 'k', value: 'bye', ttl: 60 });
    expect(second).toMatchObject({ created: false, version: 2, size: 3, id: first.id, expires_at: new Date(clock.now() + 60_000).toISOString() });
  });

  it('retrieves the stored string, parses JSON containers, counts reads, and reports a miss', async () => {
    const { call } = await open();
    await call({ action: 'store', key: 'plain', value: '42' });
    await call({ action: 'store', key: 'json', value: JSON.stringify({ p95: 312, techniques: ['batch'] }) });
    expect(await call({ action: 'retrieve', key: 'plain' })).toMatchObject({ found: true, value: '42', value_type: 'string', access_count: 1 });
    const json = await call({ action: 'retrieve', key: 'json' });
    expect(json).toMatchObject({ found: true, value: { p95: 312, techniques: ['batch'] }, value_type: 'json' });
    expect((await call({ action: 'retrieve', key: 'json' })).access_count).toBe(2);
    expect(await call({ action: 'retrieve', key: 'absent' })).toMatchObject({ success: true, found: false, value: null });
  });

  it('answers retrieve without writing to the database, and writes the read counts in one batch', async () => {
    const { call, app } = await open();
    await call({ action: 'store', key: 'hot', value: 'read me' });
    // data_version changes for a connection when any other connection commits to the file.
    const observer = new Database(app.dbPath, { readonly: true });
    const version = () => observer.pragma('data_version', { simple: true });
    const before = version();
    for (let i = 0; i < 5; i++) await call({ action: 'retrieve', key: 'hot' });
    expect(version()).toBe(before);
    // This process's own answers already include the reads it has not written yet.
    expect((await call({ action: 'list' })).entries).toMatchObject([{ key: 'hot', access_count: 5 }]);
    app.memory.flushReads();
    expect(version()).not.toBe(before);
    const row = observer.prepare("SELECT r.count AS access_count, r.accessed_at FROM memory_reads r JOIN memory m ON m.id = r.id WHERE m.key = 'hot'").get() as { access_count: number; accessed_at: number };
    expect(row.access_count).toBe(5);
    expect(row.accessed_at).toBeGreaterThan(0);
    observer.close();
  });

  it('serves repeated reads from its cache yet sees another process\'s writes at once', async () => {
    const { call, app } = await open();
    await call({ action: 'store', key: 'shared', value: 'v1' });
    expect((await call({ action: 'retrieve', key: 'shared' })).value).toBe('v1');
    expect((await call({ action: 'retrieve', key: 'absent' })).found).toBe(false);
    // Another process: its own connection and store on the same file.
    const other = new MemoryStore(openDatabase(app.dbPath), { maxValueBytes: 1 << 20 });
    other.store('default', 'shared', 'v2');
    other.store('default', 'absent', 'now here');
    expect((await call({ action: 'retrieve', key: 'shared' })).value).toBe('v2');
    expect((await call({ action: 'retrieve', key: 'absent' })).value).toBe('now here');
    other.delete('default', 'shared');
    expect((await call({ action: 'retrieve', key: 'shared' })).found).toBe(false);
    other.close();
    // Our own writes and the read-count flush keep cached rows exact too.
    await call({ action: 'store', key: 'mine', value: 'a' });
    await call({ action: 'retrieve', key: 'mine' });
    await call({ action: 'store', key: 'mine', value: 'b' });
    expect(await call({ action: 'retrieve', key: 'mine' })).toMatchObject({ value: 'b', version: 2, access_count: 2 });
    app.memory.flushReads();
    expect((await call({ action: 'retrieve', key: 'mine' })).access_count).toBe(3);
    // A row read inside a transaction that rolls back must not be remembered.
    expect(() =>
      app.db.transaction(() => {
        app.memory.store('default', 'mine', 'rolled back');
        expect(app.memory.retrieve('default', 'mine')?.value).toBe('rolled back');
        throw new Error('roll back');
      })(),
    ).toThrow('roll back');
    expect((await call({ action: 'retrieve', key: 'mine' })).value).toBe('b');
  });

  it('writes pending read counts when the app closes, so a new process sees them', async () => {
    const { call, app } = await open();
    await call({ action: 'store', key: 'counted', value: 'x' });
    await call({ action: 'retrieve', key: 'counted' });
    await call({ action: 'retrieve', key: 'counted' });
    const path = app.dbPath;
    await connected!.close();
    connected = undefined;
    const reopened = await open({ dbPath: path });
    expect((await reopened.call({ action: 'list' })).entries).toMatchObject([{ key: 'counted', access_count: 2 }]);
    expect((await reopened.call({ action: 'retrieve', key: 'counted' })).access_count).toBe(3);
  });

  it('keeps namespaces apart', async () => {
    const { call } = await open();
    await call({ action: 'store', key: 'same', value: 'in a', namespace: 'a' });
    await call({ action: 'store', key: 'same', value: 'in b', namespace: 'swarm/b' });
    expect((await call({ action: 'retrieve', key: 'same', namespace: 'a' })).value).toBe('in a');
    expect((await call({ action: 'retrieve', key: 'same', namespace: 'swarm/b' })).value).toBe('in b');
    expect((await call({ action: 'retrieve', key: 'same' })).found).toBe(false);
  });

  it('lists newest first, pages with next_offset, filters by prefix, and points at other namespaces when empty', async () => {
    const clock = manualClock();
    const { call, client } = await open({ now: clock.now });
    for (const key of ['run/1', 'run/2', 'other', 'run/3']) {
      clock.advance(1000);
      await call({ action: 'store', key, value: key, namespace: 'ns' });
    }
    clock.advance(1000);
    await call({ action: 'store', key: 'run/1', value: 'touched', namespace: 'ns' });

    const page1 = await call({ action: 'list', namespace: 'ns', limit: 2 });
    expect((page1.entries as Array<{ key: string }>).map((e) => e.key)).toEqual(['run/1', 'run/3']);
    expect(page1).toMatchObject({ total: 4, count: 2, next_offset: 2 });
    const page2 = await call({ action: 'list', namespace: 'ns', limit: 2, offset: 2 });
    expect((page2.entries as Array<{ key: string }>).map((e) => e.key)).toEqual(['other', 'run/2']);
    expect(page2.next_offset).toBeNull();

    const runs = await call({ action: 'list', namespace: 'ns', prefix: 'run/' });
    expect((runs.entries as Array<{ key: string }>).map((e) => e.key)).toEqual(['run/1', 'run/3', 'run/2']);

    const empty = await call({ action: 'list' });
    expect(empty).toMatchObject({ total: 0, entries: [], namespaces: [{ namespace: 'ns', entries: 4 }] });
    const text = textOf((await client.callTool({ name: 'memory_usage', arguments: { action: 'list' } })) as never);
    expect(text).toContain('`ns` (4)');
  });

  it('deletes once and reports whether anything was deleted', async () => {
    const { call } = await open();
    await call({ action: 'store', key: 'gone', value: 'x' });
    expect(await call({ action: 'delete', key: 'gone' })).toMatchObject({ deleted: true });
    expect(await call({ action: 'delete', key: 'gone' })).toMatchObject({ deleted: false });
    expect((await call({ action: 'retrieve', key: 'gone' })).found).toBe(false);
  });

  describe('search', () => {
    async function seeded() {
      const ctx = await open();
      await ctx.call({ action: 'store', namespace: 'swarm', key: 'perf-analyzer/checkout-bottlenecks', value: JSON.stringify({ name: 'N+1 inventory queries', fix: 'batch queries' }) });
      await ctx.call({ action: 'store', namespace: 'swarm', key: 'coder/notes', value: 'the checkout service got a new index on product_variants.sku' });
      await ctx.call({ action: 'store', namespace: 'learning', key: 'authentication-design', value: 'JWT with refresh tokens' });
      await ctx.call({ action: 'store', namespace: 'learning', key: 'unrelated', value: 'tax rules are cached per zip code' });
      return ctx;
    }

    it('ranks a key match above a value-only match, with highlighted snippets', async () => {
      const { call } = await seeded();
      const found = await call({ action: 'search', pattern: 'checkout' });
      const keys = (found.results as Array<{ key: string; snippet: string; score: number }>).map((r) => r.key);
      expect(keys).toEqual(['perf-analyzer/checkout-bottlenecks', 'coder/notes']);
      expect(found).toMatchObject({ count: 2, match: 'all' });
      expect((found.results as Array<{ snippet: string }>)[1]!.snippet).toContain('**checkout**');
      const scores = (found.results as Array<{ score: number }>).map((r) => r.score);
      expect(scores[0]).toBeGreaterThan(scores[1]!);
    });

    it('accepts the text in pattern, query or value (claude-flow), and glob-style prefixes', async () => {
      const { call } = await seeded();
      for (const args of [{ pattern: 'auth*' }, { query: 'auth' }, { value: 'authentication' }]) {
        const found = await call({ action: 'search', ...args });
        expect((found.results as Array<{ key: string }>).map((r) => r.key)).toEqual(['authentication-design']);
      }
    });

    it('filters by namespace when one is given and searches all otherwise', async () => {
      const { call } = await seeded();
      expect((await call({ action: 'search', pattern: 'checkout', namespace: 'learning' })).count).toBe(0);
      expect((await call({ action: 'search', pattern: 'checkout', namespace: 'swarm' })).count).toBe(2);
    });

    it('falls back to entries with any of the words when none has all of them', async () => {
      const { call } = await seeded();
      const found = await call({ action: 'search', pattern: 'inventory zip' });
      expect(found.match).toBe('any');
      expect((found.results as Array<{ key: string }>).map((r) => r.key).sort()).toEqual(['perf-analyzer/checkout-bottlenecks', 'unrelated']);
    });

    it('treats FTS syntax in user text as plain words instead of failing', async () => {
      const { call } = await seeded();
      for (const pattern of ['"checkout', 'NEAR(checkout service)', 'key:checkout', '-checkout', 'checkout)', 'AND OR NOT']) {
        const found = await call({ action: 'search', pattern });
        expect(found.success).toBe(true);
      }
    });

    it('shows the newest entries for a pattern without words, such as *', async () => {
      const { call } = await seeded();
      const found = await call({ action: 'search', pattern: '*', limit: 2 });
      expect(found).toMatchObject({ match: 'everything', count: 2 });
      expect((found.results as Array<{ key: string }>).map((r) => r.key)).toEqual(['unrelated', 'authentication-design']);
    });
  });

  describe('ttl', () => {
    it('hides an entry from retrieve, list and search the moment it expires', async () => {
      const clock = manualClock();
      const { call } = await open({ now: clock.now });
      await call({ action: 'store', key: 'short', value: 'checkout finding', ttl: 10 });
      clock.advance(9_999);
      expect((await call({ action: 'retrieve', key: 'short' })).found).toBe(true);
      clock.advance(1);
      expect((await call({ action: 'retrieve', key: 'short' })).found).toBe(false);
      expect((await call({ action: 'list' })).total).toBe(0);
      expect((await call({ action: 'search', pattern: 'checkout' })).count).toBe(0);
      expect((await call({ action: 'delete', key: 'short' })).deleted).toBe(false);
      // Storing again starts a fresh entry rather than continuing the expired one.
      expect(await call({ action: 'store', key: 'short', value: 'again' })).toMatchObject({ created: true, version: 1 });
    });

    it('starts the read count again for a key stored anew after it expired, and forgets a deleted entry\'s reads', async () => {
      const clock = manualClock();
      const { call, app } = await open({ now: clock.now });
      await call({ action: 'store', key: 'short', value: 'first life', ttl: 10 });
      await call({ action: 'retrieve', key: 'short' });
      await call({ action: 'retrieve', key: 'short' });
      app.memory.flushReads(); // the counts are on disk, where the fresh entry must not inherit them
      clock.advance(10_000);
      await call({ action: 'store', key: 'short', value: 'second life' });
      expect(await call({ action: 'retrieve', key: 'short' })).toMatchObject({ value: 'second life', version: 1, access_count: 1 });
      // An entry stored over a live one keeps counting.
      await call({ action: 'store', key: 'short', value: 'updated' });
      expect(await call({ action: 'retrieve', key: 'short' })).toMatchObject({ version: 2, access_count: 2 });
      app.memory.flushReads();
      const reads = () => (app.db.prepare('SELECT COUNT(*) AS n FROM memory_reads').get() as { n: number }).n;
      expect(reads()).toBe(1);
      expect((await call({ action: 'delete', key: 'short' })).deleted).toBe(true);
      expect(reads()).toBe(0);
    });

    it('treats ttl 0 as no expiry', async () => {
      const clock = manualClock();
      const { call } = await open({ now: clock.now });
      expect((await call({ action: 'store', key: 'forever', value: 'x', ttl: 0 })).expires_at).toBeNull();
      clock.advance(365 * 24 * 3600 * 1000);
      expect((await call({ action: 'retrieve', key: 'forever' })).found).toBe(true);
    });

    it('removes expired rows from disk in the background', async () => {
      const clock = manualClock();
      const { call, app } = await open({ now: clock.now, env: { PERFSOP_SWEEP_SECONDS: '0.02' } });
      await call({ action: 'store', key: 'a', value: 'x', ttl: 1 });
      await call({ action: 'store', key: 'b', value: 'y' });
      const rows = () => (app.db.prepare('SELECT key FROM memory ORDER BY key').all() as Array<{ key: string }>).map((r) => r.key);
      expect(rows()).toEqual(['a', 'b']);
      clock.advance(1_000);
      for (let i = 0; i < 250 && rows().length > 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect(rows()).toEqual(['b']);
      const fts = app.db.prepare("SELECT COUNT(*) AS n FROM memory_fts WHERE memory_fts MATCH 'x'").get() as { n: number };
      expect(fts.n).toBe(0);
    });
  });

  describe('bad input', () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['wrong type for key', { action: 'retrieve', key: 123 }, /`key` must be a string, got 123/],
      ['wrong type for value', { action: 'store', key: 'k', value: { a: 1 } }, /`value` must be a string, got an object/],
      ['unknown action', { action: 'frob' }, /`action` must be one of "store", "retrieve", "list", "delete", "search", got "frob"/],
      ['missing action', { key: 'k' }, /`action` is required/],
      ['missing key', { action: 'retrieve' }, /`key` is required for action "retrieve"/],
      ['missing key on delete', { action: 'delete' }, /`key` is required for action "delete"/],
      ['missing value', { action: 'store', key: 'k' }, /`value` is required for action "store"/],
      ['negative ttl', { action: 'store', key: 'k', value: 'v', ttl: -5 }, /`ttl`.*>=0.*got -5/],
      ['ttl as a string', { action: 'store', key: 'k', value: 'v', ttl: '60' }, /`ttl` must be a number, got "60"/],
      ['bad namespace', { action: 'list', namespace: 'has space' }, /`namespace`.*letters, digits/],
      ['empty key', { action: 'retrieve', key: '' }, /`key`.*>=1 characters/],
      ['limit out of range', { action: 'list', limit: 0 }, /`limit`.*>=1/],
      ['search without text', { action: 'search' }, /`pattern` \(or `query`, or `value`\) is required/],
    ];

    it.each(cases)('%s gets an isError answer naming the field', async (_name, args, message) => {
      const { fail } = await open();
      expect(await fail(args)).toMatch(message);
    });

    it('refuses a value over the configured size and keeps serving afterwards', async () => {
      const { call, fail } = await open({ env: { PERFSOP_MAX_VALUE_BYTES: '64' } });
      const error = await fail({ action: 'store', key: 'big', value: 'x'.repeat(65) });
      expect(error).toMatch(/Invalid `value`: value is 65 bytes; the limit is 64 bytes/);
      expect(await call({ action: 'store', key: 'small', value: 'x'.repeat(64) })).toMatchObject({ stored: true, size: 64 });
      expect((await call({ action: 'retrieve', key: 'big' })).found).toBe(false);
    });

    it('keeps answering correctly after a run of bad calls', async () => {
      const { call, fail } = await open();
      for (const [, args] of cases) await fail(args);
      await call({ action: 'store', key: 'after', value: 'still fine' });
      expect((await call({ action: 'retrieve', key: 'after' })).value).toBe('still fine');
    });

    it('answers an unknown tool with a protocol error that lists the tools', async () => {
      const { client } = await open();
      const error = await client.callTool({ name: 'nope', arguments: {} }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: -32602 });
      // The client adds "MCP error -32602: " once; the message on the wire is the reason alone.
      expect((error as Error).message).toMatch(/^MCP error -32602: Unknown tool "nope". Available: memory_usage/);
    });

    it('notes fields it ignored, so a typo does not pass silently', async () => {
      const { client } = await open();
      const result = await client.callTool({ name: 'memory_usage', arguments: { action: 'store', key: 'k', value: 'v', namesapce: 'x' } });
      expect(textOf(result as never)).toContain('ignored unknown field(s): `namesapce`');
    });
  });
});
