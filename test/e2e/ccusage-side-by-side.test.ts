import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ccusageDaily, ensureCcusage, type CcusageDaily } from '../../bench/lib/ccusage.mjs';
import { generateTranscripts, type Copy } from '../../bench/tokens/generate.mjs';
import { Pricing, requestCost } from '../../src/tokens/pricing.js';
import { CLI } from '../helpers/mcp.js';
import { tempDir } from '../helpers/temp.js';

/**
 * perfsop's figures beside the ccusage CLI's on the same generated transcript folders: the
 * built `perfsop call token_usage` against `ccusage daily --json --offline`, days in UTC.
 */

interface Day {
  key: string;
  input_tokens: number;
  output_tokens: number;
  cache_creation_tokens: number;
  cache_read_tokens: number;
  cost_usd: number;
}

interface Ours {
  totals: Omit<Day, 'key'>;
  groups: Day[];
  sources: { files_read: number; workers: number };
}

function perfsopDaily(claudeDir: string): Ours {
  const out = execFileSync(process.execPath, [CLI, 'call', 'token_usage', JSON.stringify({ timeframe: 'all', group_by: 'day', timezone: 'UTC', limit: 1000 }), '--json'], {
    env: { ...process.env, CLAUDE_CONFIG_DIR: claudeDir, PERFSOP_DB: join(tempDir(), 'perfsop.db'), PERFSOP_LOG_LEVEL: 'error' },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out) as Ours;
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-12);
const dayOf = (ts: number) => new Date(ts).toISOString().slice(0, 10);

function byDay(ccusage: CcusageDaily): Map<string, CcusageDaily['totals']> {
  return new Map(ccusage.daily.map((d) => [d.period ?? d.date ?? '?', d]));
}

let ccusage: string;
beforeAll(() => {
  ccusage = ensureCcusage().bin;
});

describe('token_usage beside ccusage', () => {
  it('agrees on every total and every day when each message has a requestId', () => {
    const dir = tempDir('perfsop-ccusage-a-');
    const generated = generateTranscripts(dir, { mb: 8, seed: 11 });
    const ours = perfsopDaily(dir);
    const theirs = ccusageDaily(ccusage, dir);
    expect(generated.extraCopies).toHaveLength(0);
    expect(ours.totals).toMatchObject({
      input_tokens: theirs.totals.inputTokens,
      output_tokens: theirs.totals.outputTokens,
      cache_creation_tokens: theirs.totals.cacheCreationTokens,
      cache_read_tokens: theirs.totals.cacheReadTokens,
    });
    expect(ours.totals.output_tokens).toBe(generated.output);
    expect(relative(ours.totals.cost_usd, theirs.totals.totalCost)).toBeLessThan(1e-9);
    const days = byDay(theirs);
    expect(ours.groups.map((d) => d.key)).toEqual([...days.keys()]);
    for (const day of ours.groups) {
      const other = days.get(day.key)!;
      expect([day.input_tokens, day.output_tokens, day.cache_creation_tokens, day.cache_read_tokens], day.key).toEqual([
        other.inputTokens,
        other.outputTokens,
        other.cacheCreationTokens,
        other.cacheReadTokens,
      ]);
      expect(relative(day.cost_usd, other.totalCost), day.key).toBeLessThan(1e-9);
    }
  });

  it('differs, where requestId is missing, by exactly the streamed copies ccusage counts again', () => {
    const dir = tempDir('perfsop-ccusage-b-');
    const generated = generateTranscripts(dir, { mb: 8, seed: 12, withRequestId: (rng) => rng() < 0.7 });
    const ours = perfsopDaily(dir);
    const theirs = ccusageDaily(ccusage, dir);
    const extra = generated.extraCopies;
    expect(extra.length).toBeGreaterThan(100);
    const pricing = new Pricing();
    const costOf = (c: Copy) => c.costUSD ?? requestCost(pricing.lookup(c.model)!, c);
    const sum = (copies: Copy[], f: (c: Copy) => number) => copies.reduce((total, c) => total + f(c), 0);
    expect(theirs.totals.inputTokens - ours.totals.input_tokens).toBe(sum(extra, (c) => c.input));
    expect(theirs.totals.outputTokens - ours.totals.output_tokens).toBe(sum(extra, (c) => c.output));
    expect(theirs.totals.cacheCreationTokens - ours.totals.cache_creation_tokens).toBe(sum(extra, (c) => c.cacheCreation));
    expect(theirs.totals.cacheReadTokens - ours.totals.cache_read_tokens).toBe(sum(extra, (c) => c.cacheRead));
    expect(relative(theirs.totals.totalCost - ours.totals.cost_usd, sum(extra, costOf))).toBeLessThan(1e-6);
    const days = byDay(theirs);
    for (const day of ours.groups) {
      const copies = extra.filter((c) => dayOf(c.ts) === day.key);
      const other = days.get(day.key)!;
      expect(other.outputTokens - day.output_tokens, day.key).toBe(sum(copies, (c) => c.output));
      expect(Math.abs(other.totalCost - day.cost_usd - sum(copies, costOf)), day.key).toBeLessThan(1e-6 * Math.max(1, other.totalCost));
    }
  });
});
