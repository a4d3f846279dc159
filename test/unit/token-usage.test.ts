import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callError, callOk, connectInMemory, textOf, type Connected } from '../helpers/mcp.js';
import { tempDir } from '../helpers/temp.js';
import { append, assistant, transcriptPath, user, writeTranscript, type Call } from '../helpers/transcripts.js';

let connected: Connected | undefined;
afterEach(async () => {
  await connected?.close();
  connected = undefined;
});

const SONNET = 'claude-sonnet-4-20250514';
const HAIKU = 'claude-3-5-haiku-20241022';
const OPUS = 'claude-opus-4-1-20250805';
const ALPHA = '/work/alpha';
const BETA = '/work/beta';

/**
 * Two projects, four session files, with every case the reader must get right. The expected
 * figures below are worked out by hand from the shipped prices (USD per million tokens: Sonnet 4
 * 3 / 15 / 3.75 write / 6 1-hour write / 0.30 read, 6 input beyond 200k; 3.5 Haiku 0.80 / 4;
 * Opus 4.1 15 / 75 / 1.50 read).
 */
function writeFixture(root: string) {
  const m1 = (output: number): Call => ({ ts: '2026-03-01T10:00:00.000Z', id: 'm1', requestId: 'r1', model: SONNET, input: 100, output, cacheRead: 1000, session: 'a1', cwd: ALPHA });
  const m2: Call = { ts: '2026-03-01T10:30:00.000Z', id: 'm2', model: SONNET, input: 200, output: 20, cacheCreation: 500, session: 'a1', cwd: ALPHA };
  const a1 = transcriptPath(root, '-work-alpha', 'a1');
  writeTranscript(a1, [
    user('2026-03-01T09:59:00.000Z', 'a1', ALPHA),
    // m1 streams as three copies; the last has the most output tokens.
    assistant(m1(10)),
    assistant(m1(40)),
    assistant(m1(80)),
    // m2 has no requestId: its copies share message.id alone.
    assistant(m2),
    assistant(m2),
    assistant(m2),
    '{"timestamp":"2026-03-01T10:40:00Z","message":{"id":"broken"',
    'not json at all',
    '[1,2,3]',
    '{"timestamp":"2026-03-01T10:41:00Z","message":{"id":"bad","usage":{"input_tokens":"many","output_tokens":1}}}',
    assistant({ ts: '2026-03-01T10:45:00.000Z', id: 'syn', requestId: 'rs', model: '<synthetic>', input: 0, output: 0, session: 'a1', cwd: ALPHA }),
    // 6.5 hours after m1's block began (5 after the previous call): a new block.
    assistant({ ts: '2026-03-01T16:30:00.000Z', id: 'm3', requestId: 'r3', model: OPUS, input: 10, output: 100, cacheRead: 2000, session: 'a1', cwd: ALPHA }),
  ]);
  writeTranscript(transcriptPath(root, '-work-alpha', 'a2'), [
    assistant({ ts: '2026-03-02T09:15:00.000Z', id: 'm4', requestId: 'r4', model: HAIKU, input: 1000, output: 500, costUSD: 0.5, session: 'a2', cwd: ALPHA }),
    assistant({ ts: '2026-03-02T12:00:00.000Z', id: 'm5', requestId: 'r5', model: SONNET, input: 5, output: 300, cacheCreation: 10_000, cacheCreation1h: 10_000, session: 'a2', cwd: ALPHA }),
  ]);
  writeTranscript(transcriptPath(root, '-work-beta', 'b1'), [
    assistant({ ts: '2026-03-01T11:00:00.000Z', id: 'm6', requestId: 'r6', model: SONNET, input: 300_000, output: 1000, session: 'b1', cwd: BETA }),
  ]);
  // No sessionId and no cwd: the file name and the project folder stand in.
  writeTranscript(transcriptPath(root, '-work-beta', 'b2'), [
    assistant({ ts: '2026-03-01T11:30:00.000Z', id: 'm7', requestId: 'r7', model: HAIKU, input: 50, output: 50, session: null, cwd: null }),
  ]);
  return { a1 };
}

const COST = {
  m1: 100 * 3e-6 + 80 * 15e-6 + 1000 * 0.3e-6,
  m2: 200 * 3e-6 + 20 * 15e-6 + 500 * 3.75e-6,
  m3: 10 * 15e-6 + 100 * 75e-6 + 2000 * 1.5e-6,
  m4Stated: 0.5,
  m4Calculated: 1000 * 0.8e-6 + 500 * 4e-6,
  m5: 5 * 3e-6 + 300 * 15e-6 + 10_000 * 6e-6,
  m6: 200_000 * 3e-6 + 100_000 * 6e-6 + 1000 * 15e-6,
  m7: 50 * 0.8e-6 + 50 * 4e-6,
};
const AUTO_TOTAL = COST.m1 + COST.m2 + COST.m3 + COST.m4Stated + COST.m5 + COST.m6 + COST.m7;

async function open(root: string, options: Parameters<typeof connectInMemory>[0] = {}) {
  connected = await connectInMemory({ ...options, env: { CLAUDE_CONFIG_DIR: root, ...options.env } });
  const client = connected.client;
  return {
    ...connected,
    report: (args: Record<string, unknown> = {}) => callOk(client, 'token_usage', { timeframe: 'all', timezone: 'UTC', ...args }),
    call: (args: Record<string, unknown>) => callOk(client, 'token_usage', args),
    fail: (args: Record<string, unknown>) => callError(client, 'token_usage', args),
    text: async (args: Record<string, unknown>) => textOf((await client.callTool({ name: 'token_usage', arguments: args })) as never),
  };
}

type Row = Record<string, number | string | string[] | object>;
const byKey = (groups: unknown) => Object.fromEntries((groups as Row[]).map((g) => [g.key as string, g]));

describe('token_usage reports from Claude Code transcripts', () => {
  it('counts every call once with exact totals: streamed copies, missing requestId, malformed and synthetic lines, non-usage "usage" keys', async () => {
    const root = tempDir();
    writeFixture(root);
    const { report } = await open(root);
    const result = await report();
    expect(result.totals).toEqual({
      requests: 7,
      input_tokens: 100 + 200 + 10 + 1000 + 5 + 300_000 + 50,
      output_tokens: 80 + 20 + 100 + 500 + 300 + 1000 + 50,
      cache_creation_tokens: 500 + 10_000,
      cache_read_tokens: 1000 + 2000,
      total_tokens: 301_365 + 2050 + 10_500 + 3000,
      cost_usd: expect.closeTo(AUTO_TOTAL, 12),
      cache_hit_ratio: expect.closeTo(3000 / (301_365 + 10_500 + 3000), 12),
    });
    expect(result.sources).toMatchObject({
      claude_dirs: [root],
      transcript_files: 4,
      files_read: 4,
      new_calls: 7,
      malformed_lines: 4,
      malformed_lines_total: 4,
      synthetic_skipped: 1,
      transcript_requests: 7,
      recorded_requests: 0,
    });
    // The duplicates: m1's two smaller copies and m2's two repeats, all within one file.
    expect(result.unpriced_models).toEqual([]);
  });

  it('breaks usage down exactly by model, day, session, project and 5-hour block', async () => {
    const root = tempDir();
    writeFixture(root);
    const { report } = await open(root);
    const models = byKey((await report({ group_by: 'model' })).groups);
    expect(Object.keys(models)).toEqual([SONNET, HAIKU, OPUS]);
    expect(models[SONNET]).toMatchObject({ requests: 4, output_tokens: 80 + 20 + 300 + 1000, cost_usd: expect.closeTo(COST.m1 + COST.m2 + COST.m5 + COST.m6, 12) });
    expect(models[HAIKU]).toMatchObject({ requests: 2, cost_usd: expect.closeTo(COST.m4Stated + COST.m7, 12) });
    expect(models[OPUS]).toMatchObject({ requests: 1, cost_usd: expect.closeTo(COST.m3, 12) });

    const days = (await report({ group_by: 'day' })).groups as Row[];
    expect(days.map((d) => [d.key, d.requests])).toEqual([
      ['2026-03-01', 5],
      ['2026-03-02', 2],
    ]);
    expect(days[0]!.cost_usd).toBeCloseTo(COST.m1 + COST.m2 + COST.m3 + COST.m6 + COST.m7, 12);
    expect(days[1]!.cost_usd).toBeCloseTo(COST.m4Stated + COST.m5, 12);

    const sessions = byKey((await report({ group_by: 'session' })).groups);
    expect(Object.keys(sessions).sort()).toEqual(['a1', 'a2', 'b1', 'b2']);
    expect(sessions.a1).toMatchObject({ requests: 3, project: ALPHA, cost_usd: expect.closeTo(COST.m1 + COST.m2 + COST.m3, 12) });
    expect(sessions.b2).toMatchObject({ requests: 1, project: '-work-beta' });

    const projects = byKey((await report({ group_by: 'project' })).groups);
    expect(Object.fromEntries(Object.entries(projects).map(([k, g]) => [k, (g as Row).requests]))).toEqual({ [ALPHA]: 5, [BETA]: 1, '-work-beta': 1 });

    const blocks = (await report({ group_by: 'block' })).groups as Array<Row & { block: { end: string; last_call: string; active: boolean } }>;
    expect(blocks.map((b) => [b.key, b.requests, b.block.end, b.block.last_call])).toEqual([
      ['2026-03-01T10:00:00.000Z', 4, '2026-03-01T15:00:00.000Z', '2026-03-01T11:30:00.000Z'],
      ['2026-03-01T16:00:00.000Z', 1, '2026-03-01T21:00:00.000Z', '2026-03-01T16:30:00.000Z'],
      ['2026-03-02T09:00:00.000Z', 2, '2026-03-02T14:00:00.000Z', '2026-03-02T12:00:00.000Z'],
    ]);
    expect(blocks.every((b) => b.block.active === false)).toBe(true);
    expect(blocks[0]!.cost_usd).toBeCloseTo(COST.m1 + COST.m2 + COST.m6 + COST.m7, 12);
  });

  it('marks the block still running as active, by the clock of the server', async () => {
    const root = tempDir();
    writeFixture(root);
    const { report } = await open(root, { now: () => Date.parse('2026-03-02T13:00:00.000Z') });
    const blocks = (await report({ group_by: 'block' })).groups as Array<{ block: { active: boolean } }>;
    expect(blocks.map((b) => b.block.active)).toEqual([false, false, true]);
  });

  it('applies cost modes as ccusage does: auto prefers costUSD, calculate prices every call, display shows only stated costs', async () => {
    const root = tempDir();
    writeFixture(root);
    const { report } = await open(root);
    expect(((await report({ cost_mode: 'auto' })).totals as Row).cost_usd).toBeCloseTo(AUTO_TOTAL, 12);
    expect(((await report({ cost_mode: 'calculate' })).totals as Row).cost_usd).toBeCloseTo(AUTO_TOTAL - COST.m4Stated + COST.m4Calculated, 12);
    expect(((await report({ cost_mode: 'display' })).totals as Row).cost_usd).toBeCloseTo(COST.m4Stated, 12);
  });

  it('recommends from the figures: a dominant session, oversized prompts with the long-context premium, a low cache hit ratio', async () => {
    const root = tempDir();
    writeFixture(root);
    const { text: textFor, report } = await open(root);
    const recommendations = (await report()).recommendations as Array<{ kind: string; figure: string; savings_usd: number | null }>;
    expect(recommendations.map((r) => r.kind).sort()).toEqual(['dominant_session', 'low_cache_hit', 'oversized_prompts']);
    const byKind = Object.fromEntries(recommendations.map((r) => [r.kind, r]));
    expect(byKind.dominant_session!.figure).toContain('session b1 (/work/beta) cost $1.21, 67.7% of $1.79 across 4 sessions');
    expect(byKind.oversized_prompts!.figure).toMatch(/^1 of 7 requests \(14\.3%\) sent over 100k prompt tokens/);
    // Beyond 200k input tokens Sonnet 4 costs $6 instead of $3 per million: 100k tokens, $0.30.
    expect(byKind.oversized_prompts!.savings_usd).toBeCloseTo(0.3, 12);
    expect(byKind.low_cache_hit!.figure).toBe('1.0% of 314,865 prompt tokens were cache reads (threshold 50%); uncached input and cache writes cost $1.26');
    const text = await textFor({ timeframe: 'all', timezone: 'UTC' });
    expect(text).toContain('**7 requests, 316,915 tokens, $1.79** (cost mode auto)');
    expect(text).toContain('Recommendations:');
  });

  it('flags an Opus model spent on small tasks with the saving at Sonnet prices', async () => {
    const root = tempDir();
    const calls = Array.from({ length: 10 }, (_, i) => assistant({ ts: `2026-03-01T10:0${i}:00.000Z`, id: `o${i}`, requestId: `q${i}`, model: OPUS, input: 3000, output: 200, session: 's' }));
    writeTranscript(transcriptPath(root, '-p', 's'), calls);
    const { report } = await open(root);
    const recommendation = ((await report()).recommendations as Array<{ kind: string; savings_usd: number }>).find((r) => r.kind === 'expensive_model_small_tasks');
    const opus = 10 * (3000 * 15e-6 + 200 * 75e-6);
    const sonnet = 10 * (3000 * 3e-6 + 200 * 15e-6);
    expect(recommendation?.savings_usd).toBeCloseTo(opus - sonnet, 12);
  });
});

describe('token_usage reads transcripts incrementally', () => {
  it('reads only appended bytes, keeps the larger streamed copy, and reads nothing when nothing changed', async () => {
    const root = tempDir();
    const { a1 } = writeFixture(root);
    const { report } = await open(root);
    await report();
    const appended =
      append(a1, `${assistant({ ts: '2026-03-02T13:00:00.000Z', id: 'm8', requestId: 'r8', model: SONNET, input: 7, output: 7, session: 'a1', cwd: ALPHA })}\n`) +
      append(a1, `${assistant({ ts: '2026-03-01T10:00:05.000Z', id: 'm1', requestId: 'r1', model: SONNET, input: 100, output: 90, cacheRead: 1000, session: 'a1', cwd: ALPHA })}\n`);
    const second = await report();
    expect(second.sources).toMatchObject({ files_read: 1, bytes_read: appended, new_calls: 1, updated_calls: 1, malformed_lines: 0, malformed_lines_total: 4 });
    expect(second.totals).toMatchObject({ requests: 8, output_tokens: 2050 + 7 + 10 });
    const third = await report();
    expect(third.sources).toMatchObject({ files_read: 0, bytes_read: 0, new_calls: 0 });
    expect(third.totals).toEqual(second.totals);
  });

  it('leaves a half-written last line for the next read, then counts it once', async () => {
    const root = tempDir();
    const { a1 } = writeFixture(root);
    const { report } = await open(root);
    await report();
    const line = assistant({ ts: '2026-03-02T14:00:00.000Z', id: 'm9', requestId: 'r9', model: SONNET, input: 11, output: 11, session: 'a1', cwd: ALPHA });
    append(a1, line.slice(0, 60));
    const partial = await report();
    expect(partial.sources).toMatchObject({ bytes_read: 0, new_calls: 0, malformed_lines: 0 });
    append(a1, `${line.slice(60)}\n`);
    const complete = await report();
    expect(complete.sources).toMatchObject({ files_read: 1, bytes_read: Buffer.byteLength(`${line}\n`), new_calls: 1 });
    expect((complete.totals as Row).requests).toBe(8);
  });

  it('reads a rewritten (shorter) file again from the start, replacing what it gave before', async () => {
    const root = tempDir();
    writeFixture(root);
    const { report } = await open(root);
    await report();
    const b2 = transcriptPath(root, '-work-beta', 'b2');
    writeTranscript(b2, [assistant({ ts: '2026-03-01T11:31:00.000Z', id: 'n1', requestId: 'q1', model: HAIKU, input: 1, output: 1, session: null, cwd: null })]);
    const result = await report({ group_by: 'session' });
    expect(result.sources).toMatchObject({ files_read: 1, new_calls: 1 });
    expect(byKey(result.groups).b2).toMatchObject({ requests: 1, input_tokens: 1, output_tokens: 1 });
    expect((result.totals as Row).requests).toBe(7);
  });

  it('keeps what it read after Claude Code deletes a transcript', async () => {
    const root = tempDir();
    writeFixture(root);
    const { report } = await open(root);
    await report();
    rmSync(transcriptPath(root, '-work-beta', 'b1'));
    const result = await report();
    expect(result.sources).toMatchObject({ transcript_files: 3, files_read: 0 });
    expect((result.totals as Row).requests).toBe(7);
  });

  it('gives the same figures when the first read runs in worker threads', async () => {
    const root = tempDir();
    writeFixture(root);
    for (let s = 0; s < 6; s++) {
      const calls = Array.from({ length: 50 }, (_, i) => assistant({ ts: `2026-03-0${1 + (i % 5)}T1${i % 10}:00:00.000Z`, id: `w${s}-${i}`, requestId: `x${i}`, model: i % 3 ? SONNET : HAIKU, input: 10 + i, output: 5 * i, cacheRead: 100 * i, session: `w${s}` }));
      writeTranscript(transcriptPath(root, `-work-w${s}`, `w${s}`), calls);
    }
    const inThread = await (await open(root)).report({ group_by: 'day' });
    await connected!.close();
    const threaded = await (await open(root, { tokenWorkerMinBytes: 0 })).report({ group_by: 'day' });
    expect((threaded.sources as Row).workers).toBeGreaterThan(0);
    expect((inThread.sources as Row).workers).toBe(0);
    expect(threaded.totals).toEqual(inThread.totals);
    expect(threaded.groups).toEqual(inThread.groups);
  });

  it('lets a second process on the same database use what the first read, and see what it records', async () => {
    const root = tempDir();
    writeFixture(root);
    const home = tempDir();
    const dbPath = join(home, 'shared.db');
    const first = await open(root, { dbPath });
    const firstConnection = connected!;
    await first.report();
    const second = await connectInMemory({ dbPath, env: { CLAUDE_CONFIG_DIR: root } });
    try {
      const seen = await callOk(second.client, 'token_usage', { timeframe: 'all', timezone: 'UTC' });
      expect(seen.sources).toMatchObject({ files_read: 0, new_calls: 0 });
      expect((seen.totals as Row).requests).toBe(7);
      await callOk(second.client, 'token_usage', { action: 'record', usage: { operation: 'optimization', model: SONNET, input_tokens: 10, output_tokens: 10, timestamp: '2026-03-01T12:00:00Z' } });
    } finally {
      await second.close();
    }
    const after = await first.report();
    expect((after.totals as Row).requests).toBe(8);
    expect(after.sources).toMatchObject({ recorded_requests: 1 });
    await firstConnection.close();
    connected = undefined;
  });
});

describe('token_usage records agent usage', () => {
  it('stores usage, accepts OpenTelemetry GenAI names, counts an id once, and combines with transcripts', async () => {
    const root = tempDir();
    writeFixture(root);
    const { call, report } = await open(root);
    const recorded = await call({
      action: 'record',
      operation: 'optimization',
      usage: [
        { model: SONNET, input_tokens: 1000, output_tokens: 100, session: 'agent-1', timestamp: '2026-03-01T12:00:00Z', id: 'resp-1' },
        { 'gen_ai.request.model': HAIKU, 'gen_ai.usage.input_tokens': 400, 'gen_ai.usage.output_tokens': 40, 'gen_ai.conversation.id': 'agent-1', timestamp: Date.parse('2026-03-01T12:05:00Z') },
      ],
    });
    expect(recorded).toMatchObject({ success: true, action: 'record', recorded: 2, duplicates: 0, tokens: 1540 });
    expect(recorded.cost_usd).toBeCloseTo(1000 * 3e-6 + 100 * 15e-6 + 400 * 0.8e-6 + 40 * 4e-6, 12);
    const again = await call({ action: 'record', usage: { model: SONNET, input_tokens: 1000, output_tokens: 100, id: 'resp-1', timestamp: '2026-03-01T12:00:00Z' } });
    expect(again).toMatchObject({ recorded: 0, duplicates: 1 });

    const all = await report({ group_by: 'operation' });
    expect(all.totals).toMatchObject({ requests: 9, input_tokens: 301_365 + 1400 });
    expect(all.sources).toMatchObject({ transcript_requests: 7, recorded_requests: 2 });
    expect(byKey(all.groups).optimization).toMatchObject({ requests: 2, input_tokens: 1400, output_tokens: 140 });
    expect(byKey(all.groups)['(none)']).toMatchObject({ requests: 7 });

    const filtered = await report({ operation: 'optimization', group_by: 'model' });
    expect(filtered.filter).toEqual({ operation: 'optimization', matched_as: 'operation' });
    expect(filtered.totals).toMatchObject({ requests: 2, input_tokens: 1400 });
  });

  it('filters by project (path or folder name) and session (id or prefix), and reports everything with a note when nothing matches', async () => {
    const root = tempDir();
    writeFixture(root);
    const { text: textFor, report } = await open(root);
    expect(await report({ operation: 'beta' })).toMatchObject({ filter: { matched_as: 'project' }, totals: { requests: 1 } });
    expect(await report({ operation: ALPHA })).toMatchObject({ filter: { matched_as: 'project' }, totals: { requests: 5 } });
    expect(await report({ operation: 'a2' })).toMatchObject({ filter: { matched_as: 'session' }, totals: { requests: 2 } });
    expect(await report({ operation: 'nothing-like-this' })).toMatchObject({ filter: { matched_as: null }, totals: { requests: 7 } });
    const text = await textFor({ operation: 'nothing-like-this', timeframe: 'all' });
    expect(text).toContain('nothing recorded or transcribed is named "nothing-like-this"');
  });

  it('limits reports to the timeframe: relative windows, and since/until whole days in the time zone', async () => {
    const root = tempDir();
    writeFixture(root);
    const { report } = await open(root, { now: () => Date.parse('2026-03-02T12:30:00.000Z') });
    expect(await report({ timeframe: '24h' })).toMatchObject({ totals: { requests: 3 }, timeframe: { label: 'last 24h', until: '2026-03-02T12:30:00.001Z' } });
    expect(await report({ timeframe: '3h' })).toMatchObject({ totals: { requests: 1 } });
    expect(await report({ since: '2026-03-01', until: '2026-03-01' })).toMatchObject({ totals: { requests: 5 }, timeframe: { since: '2026-03-01T00:00:00.000Z', until: '2026-03-02T00:00:00.000Z' } });
    expect(await report({ since: '20260302' })).toMatchObject({ totals: { requests: 2 } });
    // In Tokyo (UTC+9) m3 at 16:30 UTC falls on March 2nd.
    const tokyo = await report({ timezone: 'Asia/Tokyo', group_by: 'day' });
    expect((tokyo.groups as Row[]).map((g) => [g.key, g.requests])).toEqual([
      ['2026-03-01', 4],
      ['2026-03-02', 3],
    ]);
  });
});

describe('token_usage answers bad input with the field and what to send', () => {
  it('names the field at fault', async () => {
    const root = tempDir();
    const { fail } = await open(root);
    expect(await fail({ timeframe: 'yesterday' })).toMatch(/Invalid `timeframe`: unrecognised timeframe "yesterday"[\s\S]*Hint: use "24h", "7d", "30d"/);
    expect(await fail({ timezone: 'Mars/Olympus' })).toMatch(/Invalid `timezone`: unknown time zone/);
    expect(await fail({ since: '2026-13-01' })).toMatch(/Invalid `since`/);
    expect(await fail({ group_by: 'hour' })).toMatch(/`group_by` must be one of "operation", "model", "day", "week", "month", "session", "project", "block", got "hour"/);
    expect(await fail({ action: 'record' })).toMatch(/Invalid `usage`: `usage` is required for action "record"/);
    expect(await fail({ action: 'record', usage: { input_tokens: 5 } })).toMatch(/Invalid `usage.model`: the model is required/);
    expect(await fail({ action: 'record', usage: [{ model: SONNET, input_tokens: 1 }, { model: SONNET }] })).toMatch(/Invalid `usage\[1\]`: no token counts/);
    expect(await fail({ action: 'record', usage: { model: SONNET, input_tokens: -3 } })).toMatch(/`usage.input_tokens`/);
    expect(await fail({ action: 'count' })).toMatch(/Invalid `text`/);
  });

  it('reports a config price override, and a model without a price as unpriced', async () => {
    const root = tempDir();
    writeTranscript(transcriptPath(root, '-p', 's'), [
      assistant({ ts: '2026-03-01T10:00:00.000Z', id: 'x1', requestId: 'y1', model: 'acme-large', input: 1000, output: 1000, session: 's' }),
      assistant({ ts: '2026-03-01T10:01:00.000Z', id: 'x2', requestId: 'y2', model: 'mystery-model', input: 5, output: 5, session: 's' }),
      assistant({ ts: '2026-03-01T10:02:00.000Z', id: 'x3', requestId: 'y3', model: SONNET, input: 1_000_000, output: 0, session: 's' }),
    ]);
    const configPath = join(tempDir(), 'perfsop.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({ tokens: { pricing: { 'acme-large': { input_cost_per_token: 1e-5, output_cost_per_token: 2e-5 }, [SONNET]: { input_cost_per_token_above_200k_tokens: 3e-6 } } } }),
    );
    const { text: textFor, report } = await open(root, { configPath });
    const result = await report();
    // acme: 1000 x $10/M + 1000 x $20/M; Sonnet 4 with its long-context input price overridden to the base $3/M.
    expect((result.totals as Row).cost_usd).toBeCloseTo(0.01 + 0.02 + 1_000_000 * 3e-6, 12);
    expect(result.unpriced_models).toEqual([{ model: 'mystery-model', requests: 1, tokens: 10 }]);
    const text = await textFor({ timeframe: 'all' });
    expect(text).toContain('no price for `mystery-model` (10 tokens): counted at $0');
  });

  it('says when a config price for an unknown model lacks input or output prices', async () => {
    const configPath = join(tempDir(), 'perfsop.config.json');
    writeFileSync(configPath, JSON.stringify({ tokens: { pricing: { 'acme-large': { input_cost_per_token: 1e-5 } } } }));
    const { fail } = await open(tempDir(), { configPath });
    expect(await fail({ timeframe: 'all' })).toMatch(/tokens\.pricing\.acme-large: perfsop ships no price for this model, so input_cost_per_token and output_cost_per_token are both required/);
  });

  it('says where it looked when there are no transcripts at all', async () => {
    const { text: textFor } = await open(join(tempDir(), 'missing'));
    const text = await textFor({ operation: 'optimization', timeframe: '7d' });
    expect(text).toContain('No model calls in this timeframe.');
    expect(text).toMatch(/no Claude Code transcripts found \(looked in .*missing; set CLAUDE_CONFIG_DIR/);
  });
});

describe('token_usage count', () => {
  it('estimates tokens, labels the estimate approximate, and prices it as input of a model', async () => {
    const { call } = await open(tempDir());
    const text = 'The quick brown fox jumps over the lazy dog.\nfunction add(a, b) { return a + b; }\n東京タワー 12345';
    const result = await call({ action: 'count', text, model: 'claude-sonnet-4-5' });
    expect(result).toMatchObject({ success: true, action: 'count', approximate: true, characters: [...text].length, model: 'claude-sonnet-4-5' });
    expect(result.method).toMatch(/^approximate:/);
    // 9 words and "." | a line break | function add ( a , b ) { return a + b ; } | a line break | 5 CJK characters | 12345 in two pieces
    expect(result.tokens).toBe(10 + 1 + 14 + 1 + 5 + 2);
    expect(result.cost_usd).toBeCloseTo((result.tokens as number) * 3e-6, 12);
  });
});
