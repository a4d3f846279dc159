import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { identifyBlocks } from '../../src/tokens/blocks.js';
import { Pricing, requestCost } from '../../src/tokens/pricing.js';
import { FIELDS, F_CACHE_CREATION, F_CACHE_CREATION_1H, F_OUTPUT, REFS, R_PROJECT, R_SESSION, scanFile, type ScanTask } from '../../src/tokens/scan.js';
import { Calendar } from '../../src/tokens/timeframe.js';
import { tempDir } from '../helpers/temp.js';
import { assistant } from '../helpers/transcripts.js';

const at = (iso: string) => Date.parse(iso);

describe('5-hour billing blocks', () => {
  it("starts a block at the first call's hour and closes it five hours after its start or after a silence of five hours", () => {
    const times = [
      at('2026-03-01T10:20:00Z'),
      at('2026-03-01T12:00:00Z'),
      at('2026-03-01T15:00:00Z'), // exactly 5 h after the block's 10:00 start: still inside
      at('2026-03-01T15:00:01Z'), // past it: a new block from 15:00
      at('2026-03-01T20:00:01Z'), // 5 h and 0 s after the previous call but 5 h 0 m 1 s after 15:00: new block
      at('2026-03-02T02:00:00Z'), // a gap of more than five hours
    ];
    const blocks = identifyBlocks(times, at('2026-03-02T03:00:00Z'));
    expect(blocks.map((b) => [new Date(b.start).toISOString(), b.to - b.from, b.active])).toEqual([
      ['2026-03-01T10:00:00.000Z', 3, false],
      ['2026-03-01T15:00:00.000Z', 1, false],
      ['2026-03-01T20:00:00.000Z', 1, false],
      ['2026-03-02T02:00:00.000Z', 1, true],
    ]);
    expect(identifyBlocks([], 0)).toEqual([]);
  });
});

describe('calendar periods in a time zone', () => {
  it('puts calls on local days across a daylight-saving change, weeks from Monday, and months', () => {
    const ny = new Calendar('America/New_York');
    const day = (iso: string) => ny.label('day', ny.period('day', at(iso)));
    // Clocks go forward on Sunday 2026-03-08: midnight is 05:00 UTC before, 04:00 UTC after.
    expect(day('2026-03-08T04:59:59Z')).toBe('2026-03-07');
    expect(day('2026-03-08T05:00:00Z')).toBe('2026-03-08');
    expect(day('2026-03-09T03:59:59Z')).toBe('2026-03-08');
    expect(day('2026-03-09T04:00:00Z')).toBe('2026-03-09');
    expect(new Date(ny.startOfDay(2026, 3, 8)).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(new Date(ny.startOfDay(2026, 3, 9)).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(ny.label('week', ny.period('week', at('2026-03-08T12:00:00Z')))).toBe('2026-03-02');
    expect(ny.label('week', ny.period('week', at('2026-03-09T12:00:00Z')))).toBe('2026-03-09');
    expect(ny.label('month', ny.period('month', at('2026-04-01T03:00:00Z')))).toBe('2026-03');
    const kathmandu = new Calendar('Asia/Kathmandu'); // UTC+5:45
    expect(kathmandu.label('day', kathmandu.period('day', at('2026-03-01T18:15:00Z')))).toBe('2026-03-02');
    expect(kathmandu.label('day', kathmandu.period('day', at('2026-03-01T18:14:59Z')))).toBe('2026-03-01');
  });
});

describe('prices', () => {
  it('resolves provider spellings of a model to its Anthropic name', () => {
    const pricing = new Pricing();
    const sonnet = pricing.lookup('claude-sonnet-4-20250514');
    expect(sonnet).not.toBeNull();
    for (const name of ['anthropic/claude-sonnet-4-20250514', 'us.anthropic.claude-sonnet-4-20250514-v1:0', 'claude-sonnet-4@20250514', 'claude-sonnet-4']) {
      expect(pricing.lookup(name), name).toEqual(sonnet);
    }
    expect(pricing.lookup('gpt-oss-120b')).toBeNull();
  });

  it('prices each kind of token beyond 200k at the long-context rate on its own count, and 1-hour cache writes at their rate', () => {
    const sonnet = new Pricing().lookup('claude-sonnet-4-20250514')!;
    const cost = (t: Partial<Parameters<typeof requestCost>[1]>) => requestCost(sonnet, { input: 0, output: 0, cacheCreation: 0, cacheCreation1h: 0, cacheRead: 0, ...t });
    // The figures ccusage 20.0.24 prints for the same requests.
    expect(cost({ input: 300_000, output: 1000 })).toBeCloseTo(1.215, 12);
    expect(cost({ input: 100_000, output: 300_000 })).toBeCloseTo(5.55, 12);
    expect(cost({ cacheCreation: 300_000, cacheCreation1h: 300_000 })).toBeCloseTo(2.4, 12);
    expect(cost({ cacheCreation: 300_000, cacheCreation1h: 150_000 })).toBeCloseTo(1.4625, 12);
    expect(cost({ cacheCreation: 350_000, cacheCreation1h: 100_000 })).toBeCloseTo(1.725, 12);
    const opus41 = new Pricing().lookup('claude-opus-4-1-20250805')!;
    expect(requestCost(opus41, { input: 300_000, output: 1000, cacheCreation: 0, cacheCreation1h: 0, cacheRead: 0 })).toBeCloseTo(4.575, 12);
  });
});

describe('transcript scanner', () => {
  const task = (path: string, end: number): ScanTask => ({ path, start: 0, end, session: 'file-session', project: '-folder' });

  it('reads CRLF lines, non-ASCII names as UTF-8, a "usage" string value, and a complete last line without a newline', () => {
    const path = join(tempDir(), 's.jsonl');
    const lines = [
      assistant({ ts: '2026-03-01T10:00:00Z', id: 'a', requestId: 'r', model: 'claude-sonnet-4-20250514', input: 1, output: 2, session: 'sé', cwd: '/home/josé/東京' }),
      JSON.stringify({ type: 'summary', summary: 'usage', name: 'usage', leafUuid: 'x' }).replace('"name":"usage"', '"name":"usage","usage":"usage"'),
      assistant({ ts: '2026-03-01T10:01:00Z', id: 'b', requestId: 'r', model: 'claude-sonnet-4-20250514', input: 3, output: 4, cacheCreation: 10, cacheCreation1h: 4 }),
    ];
    const text = `${lines[0]}\r\n${lines[1]}\r\n${lines[2]}`;
    writeFileSync(path, text);
    const outcome = scanFile(task(path, Buffer.byteLength(text)));
    expect(outcome).toMatchObject({ consumed: Buffer.byteLength(text), lines: 3, malformed: 0, synthetic: 0 });
    const { batch } = outcome;
    expect(batch.count).toBe(2);
    expect(batch.names[batch.refs[R_SESSION]!]).toBe('sé');
    expect(batch.names[batch.refs[R_PROJECT]!]).toBe('/home/josé/東京');
    expect(batch.keys).toEqual(['a:r', 'b:r']);
    expect([batch.numbers[FIELDS + F_OUTPUT], batch.numbers[FIELDS + F_CACHE_CREATION], batch.numbers[FIELDS + F_CACHE_CREATION_1H]]).toEqual([4, 10, 4]);
    expect(batch.refs.length).toBe(2 * REFS);
  });

  it('reads a line longer than its 8 MiB read buffer', () => {
    const path = join(tempDir(), 'long.jsonl');
    const long = assistant({ ts: '2026-03-01T10:00:00Z', id: 'big', requestId: 'r', model: 'claude-sonnet-4-20250514', input: 5, output: 6 }).replace('Here is', 'x'.repeat(9 * 1024 * 1024));
    const text = `${long}\n${assistant({ ts: '2026-03-01T10:01:00Z', id: 'after', requestId: 'r', model: 'claude-sonnet-4-20250514', input: 1, output: 1 })}\n`;
    writeFileSync(path, text);
    const outcome = scanFile(task(path, Buffer.byteLength(text)));
    expect(outcome).toMatchObject({ consumed: Buffer.byteLength(text), lines: 2, malformed: 0 });
    expect(outcome.batch.keys).toEqual(['big:r', 'after:r']);
  });

  it('stops before a half-written last line and reports an unreadable file without throwing', () => {
    const path = join(tempDir(), 'partial.jsonl');
    const first = `${assistant({ ts: '2026-03-01T10:00:00Z', id: 'a', requestId: 'r', model: 'm', input: 1, output: 1 })}\n`;
    const text = `${first}{"timestamp":"2026-03-01T10:00:01Z","message":{"usage":{"input`;
    writeFileSync(path, text);
    expect(scanFile(task(path, Buffer.byteLength(text)))).toMatchObject({ consumed: Buffer.byteLength(first), lines: 1, malformed: 0 });
    const missing = scanFile(task(join(tempDir(), 'gone.jsonl'), 100));
    expect(missing.error).toMatch(/ENOENT/);
    expect(missing.batch.count).toBe(0);
  });
});
