import { z } from 'zod';
import { InputError } from '../src/errors.js';
import { formatBytes, formatInteger as fmt, formatUsd as usd } from '../src/format.js';
import type { ReportResult, TokenAccounting } from '../src/tokens/accounting.js';
import { COUNT_METHOD } from '../src/tokens/count.js';
import { UsageSchema, normalizeUsage } from '../src/tokens/recorded.js';
import { COST_MODES, GROUP_BY, type Group, type Usage } from '../src/tokens/report.js';
import { defineTool } from '../src/tooling/define-tool.js';
import { inline, type ToolResponse } from '../src/tooling/response.js';

const ACTIONS = ['report', 'record', 'count'] as const;
const TEXT_ROWS = 20;

const input = z.object({
  action: z
    .enum(ACTIONS)
    .optional()
    .describe('report (default): totals, a breakdown and recommendations; record: store usage an agent reports; count: estimate the tokens of `text`.'),
  operation: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .describe('report: only the usage of this recorded operation, project (path or folder name) or session (id, or a prefix of 8+ characters); record: the operation the usage belongs to.'),
  timeframe: z.string().max(20).optional().describe('report: "24h" (default), "7d", "30d", any "<n>h", "<n>d" or "<n>w", or "all".'),
  since: z.string().max(40).optional().describe('report: first day (YYYY-MM-DD, in `timezone`) or an ISO time; with since/until, timeframe is ignored.'),
  until: z.string().max(40).optional().describe('report: last day, included (YYYY-MM-DD), or an ISO time (default: now).'),
  group_by: z
    .enum(GROUP_BY)
    .optional()
    .describe('report: breakdown by operation, model (default), day, week, month, session, project, or block (5-hour billing blocks).'),
  cost_mode: z
    .enum(COST_MODES)
    .optional()
    .describe('report: auto (default: the cost a transcript or record states, else tokens x price), calculate (always tokens x price), display (stated costs only).'),
  timezone: z.string().max(64).optional().describe('report: IANA time zone of days, weeks, months and since/until dates (default: the system\'s).'),
  limit: z.number().int().min(1).max(1000).optional().describe(`report: breakdown rows returned in structuredContent (default 50; the text shows at most ${TEXT_ROWS}).`),
  usage: z
    .union([UsageSchema, z.array(UsageSchema).min(1).max(1000)])
    .optional()
    .describe(
      'record: one usage object or a list of them: {operation, model, input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, session, project, timestamp, cost_usd, id}; OpenTelemetry gen_ai.usage.* / gen_ai.request.model names are accepted too.',
    ),
  text: z.string().max(10_000_000).optional().describe('count: the text whose tokens to estimate.'),
  model: z.string().min(1).max(200).optional().describe('count: also price the estimate as input tokens of this model.'),
});

const usageFields = {
  requests: z.number().int(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_creation_tokens: z.number(),
  cache_read_tokens: z.number(),
  total_tokens: z.number(),
  cost_usd: z.number(),
};

const output = z.object({
  success: z.boolean(),
  action: z.enum(ACTIONS),
  timeframe: z
    .object({ label: z.string(), since: z.string().nullable(), until: z.string().nullable(), timezone: z.string() })
    .optional()
    .describe('since inclusive, until exclusive; null for an open end'),
  filter: z
    .object({ operation: z.string(), matched_as: z.enum(['operation', 'project', 'session']).nullable() })
    .optional()
    .describe('matched_as null: nothing is named so, and all usage is reported'),
  group_by: z.enum(GROUP_BY).optional(),
  cost_mode: z.enum(COST_MODES).optional(),
  totals: z.object({ ...usageFields, cache_hit_ratio: z.number().nullable().describe('cache reads / (input + cache writes + cache reads)') }).optional(),
  groups: z
    .array(
      z.object({
        key: z.string(),
        ...usageFields,
        share: z.number().describe('of the total cost (of tokens when the total cost is 0)'),
        models: z.array(z.string()),
        project: z.string().optional(),
        block: z.object({ start: z.string(), end: z.string(), last_call: z.string(), active: z.boolean() }).optional(),
      }),
    )
    .optional(),
  groups_total: z.number().int().optional(),
  recommendations: z
    .array(
      z.object({
        kind: z.enum(['dominant_session', 'oversized_prompts', 'expensive_model_small_tasks', 'low_cache_hit']),
        title: z.string(),
        figure: z.string(),
        action: z.string(),
        impact_usd: z.number(),
        savings_usd: z.number().nullable(),
      }),
    )
    .optional(),
  unpriced_models: z.array(z.object({ model: z.string(), requests: z.number().int(), tokens: z.number() })).optional().describe('models without a price: their tokens cost $0 here'),
  sources: z
    .object({
      claude_dirs: z.array(z.string()),
      transcript_files: z.number().int(),
      files_read: z.number().int(),
      bytes_read: z.number(),
      new_calls: z.number().int(),
      updated_calls: z.number().int(),
      duplicate_copies: z.number().int(),
      malformed_lines: z.number().int(),
      malformed_lines_total: z.number().int(),
      synthetic_skipped: z.number().int(),
      unreadable_files: z.array(z.string()),
      workers: z.number().int(),
      transcript_requests: z.number().int(),
      recorded_requests: z.number().int(),
    })
    .optional(),
  recorded: z.number().int().optional().describe('record: calls stored (new or replacing a smaller copy)'),
  duplicates: z.number().int().optional().describe('record: calls already stored with as many tokens'),
  tokens: z.number().int().optional().describe('record: tokens of the calls given; count: the estimate'),
  cost_usd: z.number().optional().describe('record: their cost (stated, else at list prices); count: the estimate as input tokens of `model`'),
  characters: z.number().int().optional(),
  words: z.number().int().optional(),
  approximate: z.boolean().optional(),
  method: z.string().optional(),
  model: z.string().optional(),
  notes: z.array(z.string()).optional(),
});

type Args = z.output<typeof input>;
type Output = z.input<typeof output>;

export const tokenUsage = defineTool({
  name: 'token_usage',
  title: 'Token usage and cost',
  description:
    'Token and cost accounting from real records: Claude Code transcripts (read incrementally from CLAUDE_CONFIG_DIR, ~/.config/claude or ~/.claude, streamed copies counted once) and usage agents record here. ' +
    'report: totals (input, output, cache writes and reads, cost, cache hit ratio) for a timeframe, a breakdown (operation, model, day, week, month, session, project, 5-hour block) and recommendations with their figures. ' +
    'record: store usage ({operation, model, input_tokens, output_tokens, ...}). count: estimate the tokens of a text (approximate).',
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler(args, response, { app, signal }) {
    switch (args.action ?? 'report') {
      case 'record':
        return record(args, response, app.tokens);
      case 'count':
        return count(args, response, app.tokens);
      case 'report': {
        const result = await app.tokens.report(
          {
            operation: args.operation,
            timeframe: args.timeframe,
            since: args.since,
            until: args.until,
            groupBy: args.group_by ?? 'model',
            costMode: args.cost_mode ?? 'auto',
            timezone: args.timezone,
          },
          signal,
        );
        return report(args, result, response);
      }
    }
  },
});

function record(args: Args, response: ToolResponse, tokens: TokenAccounting): Output {
  if (args.usage === undefined) {
    throw new InputError('usage', '`usage` is required for action "record"', 'send {"operation": "optimization", "model": "claude-sonnet-4-5", "input_tokens": 1200, "output_tokens": 350}');
  }
  const list = Array.isArray(args.usage) ? args.usage : [args.usage];
  const now = Date.now();
  const usages = list.map((raw, i) => normalizeUsage(raw, { operation: args.operation, now }, Array.isArray(args.usage) ? `usage[${i}]` : 'usage'));
  const result = tokens.record(usages);
  const recorded = result.added + result.updated;
  response.line(
    `Recorded ${recorded} call(s) (${result.added} new, ${result.updated} replacing a copy with fewer tokens${result.duplicates ? `, ${result.duplicates} already stored` : ''}): ` +
      `${fmt(result.tokens)} tokens, ${usd(result.cost)}.`,
  );
  if (result.unpriced.length > 0) response.note(`no price for ${result.unpriced.map(inline).join(', ')}: counted at $0 (add it under tokens.pricing in perfsop.config.json)`);
  return { success: true, action: 'record', recorded, duplicates: result.duplicates, tokens: result.tokens, cost_usd: result.cost };
}

function count(args: Args, response: ToolResponse, tokens: TokenAccounting): Output {
  if (args.text === undefined) throw new InputError('text', '`text` is required for action "count"', 'send the text to estimate in `text`');
  const estimate = tokens.estimate(args.text, args.model);
  const cost = estimate.price ? estimate.tokens * estimate.price.input.base : undefined;
  response.line(
    `About ${fmt(estimate.tokens)} tokens (approximate) in ${fmt(estimate.characters)} characters` +
      `${cost === undefined ? '' : `; as ${args.model} input: ${usd(cost)}`}.`,
  );
  response.note(COUNT_METHOD);
  if (args.model !== undefined && !estimate.price) response.note(`no price for ${inline(args.model)}`);
  return {
    success: true,
    action: 'count',
    tokens: estimate.tokens,
    characters: estimate.characters,
    words: estimate.words,
    approximate: true,
    method: COUNT_METHOD,
    ...(args.model === undefined ? {} : { model: args.model }),
    ...(cost === undefined ? {} : { cost_usd: cost }),
  };
}

function usageOut(u: Usage) {
  return {
    requests: u.requests,
    input_tokens: u.input,
    output_tokens: u.output,
    cache_creation_tokens: u.cacheCreation,
    cache_read_tokens: u.cacheRead,
    total_tokens: u.tokens,
    cost_usd: u.cost,
  };
}

function report(args: Args, result: ReportResult, response: ToolResponse): Output {
  const { report: r, timeframe, ingest } = result;
  const groupBy = args.group_by ?? 'model';
  const costMode = args.cost_mode ?? 'auto';
  const limit = args.limit ?? 50;
  const notes: string[] = [];
  const share = (g: Group) => (r.totals.cost > 0 ? g.cost / r.totals.cost : r.totals.tokens > 0 ? g.tokens / r.totals.tokens : 0);
  const iso = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);

  const scope = args.operation === undefined ? 'all usage' : result.filter ? `${result.filter.column} ${inline(args.operation)}` : 'all usage';
  if (args.operation !== undefined && !result.filter) {
    notes.push(`nothing recorded or transcribed is named ${JSON.stringify(args.operation)} (no operation, project or session); the report covers all usage`);
  }
  response.line(`Token usage, ${timeframe.label} (${result.timeZone}), ${scope}:`);
  const t = r.totals;
  if (t.requests === 0) {
    response.line('No model calls in this timeframe.');
    if (ingest.dirs.length === 0) notes.push(`no Claude Code transcripts found (looked in ${ingest.looked.join(', ')}; set CLAUDE_CONFIG_DIR to the folder holding projects/)`);
  } else {
    response.line(
      `**${fmt(t.requests)} requests, ${fmt(t.tokens)} tokens, ${usd(t.cost)}** (cost mode ${costMode})`,
      '',
    );
    response.table(
      ['input', 'output', 'cache writes', 'cache reads', 'cache hit'],
      [[fmt(t.input), fmt(t.output), fmt(t.cacheCreation), fmt(t.cacheRead), r.cacheHitRatio === null ? null : `${(100 * r.cacheHitRatio).toFixed(1)}%`]],
    );
    response.line('', `By ${groupBy} (${r.groups.length}):`);
    response.table(
      [groupBy, 'requests', 'tokens', 'cost', 'share'],
      r.groups.slice(0, TEXT_ROWS).map((g) => [blockLabel(g), fmt(g.requests), fmt(g.tokens), usd(g.cost), `${(100 * share(g)).toFixed(1)}%`]),
    );
    if (r.groups.length > TEXT_ROWS) response.line(`(${r.groups.length - TEXT_ROWS} more in structuredContent.groups${r.groups.length > limit ? `, up to limit ${limit}` : ''})`);
  }
  if (result.recommendations.length > 0) {
    response.line('', 'Recommendations:');
    result.recommendations.forEach((rec, i) => response.line(`${i + 1}. **${rec.title}**: ${rec.figure}. ${rec.action}`));
  } else if (t.requests > 0) {
    response.line('', 'No recommendation: no session dominates, prompts are not oversized, caching works, and Opus is not spent on small tasks.');
  }

  const recordedRequests = r.recordedRequests;
  notes.push(
    `sources: ${ingest.files} transcript file(s) in ${ingest.dirs.length > 0 ? ingest.dirs.join(', ') : 'no Claude folder'}; ` +
      `${ingest.filesRead} read now (${formatBytes(ingest.bytesRead)}, ${ingest.added} new call(s)${ingest.workers > 0 ? `, ${ingest.workers} worker threads` : ''}); ` +
      `${t.requests - recordedRequests} transcript and ${recordedRequests} recorded call(s) in this report`,
  );
  if (ingest.malformed > 0 || ingest.malformedTotal > 0) notes.push(`${ingest.malformed} malformed line(s) skipped in this read, ${ingest.malformedTotal} in all files read so far`);
  if (ingest.unreadable.length > 0) notes.push(`could not read: ${ingest.unreadable.slice(0, 3).join('; ')}${ingest.unreadable.length > 3 ? ` (+${ingest.unreadable.length - 3} more)` : ''}`);
  if (r.unpriced.length > 0) {
    notes.push(`no price for ${r.unpriced.map((u) => `${inline(u.model)} (${fmt(u.tokens)} tokens)`).join(', ')}: counted at $0; add them under tokens.pricing in perfsop.config.json`);
  }
  for (const note of notes) response.note(note);

  return {
    success: true,
    action: 'report',
    timeframe: { label: timeframe.label, since: iso(timeframe.since), until: iso(timeframe.until), timezone: result.timeZone },
    ...(args.operation === undefined ? {} : { filter: { operation: args.operation, matched_as: result.filter?.column ?? null } }),
    group_by: groupBy,
    cost_mode: costMode,
    totals: { ...usageOut(t), cache_hit_ratio: r.cacheHitRatio },
    groups: r.groups.slice(0, limit).map((g) => ({
      key: g.key,
      ...usageOut(g),
      share: share(g),
      models: g.models,
      ...(g.project === undefined ? {} : { project: g.project }),
      ...(g.block
        ? { block: { start: new Date(g.block.start).toISOString(), end: new Date(g.block.end).toISOString(), last_call: new Date(g.block.lastCall).toISOString(), active: g.block.active } }
        : {}),
    })),
    groups_total: r.groups.length,
    recommendations: result.recommendations,
    unpriced_models: r.unpriced,
    sources: {
      claude_dirs: ingest.dirs,
      transcript_files: ingest.files,
      files_read: ingest.filesRead,
      bytes_read: ingest.bytesRead,
      new_calls: ingest.added,
      updated_calls: ingest.updated,
      duplicate_copies: ingest.duplicates,
      malformed_lines: ingest.malformed,
      malformed_lines_total: ingest.malformedTotal,
      synthetic_skipped: ingest.synthetic,
      unreadable_files: ingest.unreadable,
      workers: ingest.workers,
      transcript_requests: t.requests - recordedRequests,
      recorded_requests: recordedRequests,
    },
    notes,
  };
}

function blockLabel(g: Group): string {
  if (!g.block) return g.key;
  return `${g.key.slice(0, 16).replace('T', ' ')}${g.block.active ? ' (active)' : ''}`;
}
