import { z } from 'zod';
import { InputError } from '../errors.js';

/**
 * Usage an agent reports itself (`token_usage` with action "record"). Field names follow
 * Anthropic's usage object; the OpenTelemetry GenAI attribute names (`gen_ai.usage.input_tokens`,
 * ...) and OpenAI's `prompt_tokens`/`completion_tokens` are accepted too, so a span's attributes
 * or an SDK response can be passed on unchanged.
 */

/**
 * Bounds on one call. The largest context windows hold a few million tokens and no call costs a
 * million dollars; without bounds, a few calls at Number.MAX_SAFE_INTEGER tokens or 1e308 USD add
 * up to totals that are inexact or Infinity, which no result can carry (found by fuzzing).
 */
const MAX_TOKENS_PER_CALL = 1_000_000_000;
const MAX_COST_PER_CALL_USD = 1_000_000;

const tokens = z.number().int().min(0).max(MAX_TOKENS_PER_CALL);

export const UsageSchema = z.object({
  operation: z.string().min(1).max(200).optional().describe('What the tokens were spent on, e.g. "optimization" (default: the call\'s `operation`).'),
  model: z.string().min(1).max(200).optional().describe('The model called, e.g. "claude-sonnet-4-5".'),
  input_tokens: tokens.optional(),
  output_tokens: tokens.optional(),
  cache_creation_input_tokens: tokens.optional(),
  cache_read_input_tokens: tokens.optional(),
  prompt_tokens: tokens.optional().describe('OpenAI name for input_tokens.'),
  completion_tokens: tokens.optional().describe('OpenAI name for output_tokens.'),
  session: z.string().min(1).max(200).optional().describe('A session or conversation id, to group by.'),
  project: z.string().min(1).max(1000).optional().describe('A project name or path, to group by.'),
  timestamp: z.union([z.string(), z.number()]).optional().describe('When the call happened: ISO 8601 or epoch milliseconds (default: now).'),
  cost_usd: z.number().min(0).max(MAX_COST_PER_CALL_USD).optional().describe('The cost the provider reported; used in cost_mode auto and display.'),
  id: z.string().min(1).max(500).optional().describe('A unique id of the call (e.g. the response id): recording it twice counts it once.'),
  'gen_ai.operation.name': z.string().min(1).max(200).optional(),
  'gen_ai.request.model': z.string().min(1).max(200).optional(),
  'gen_ai.response.model': z.string().min(1).max(200).optional(),
  'gen_ai.response.id': z.string().min(1).max(500).optional(),
  'gen_ai.conversation.id': z.string().min(1).max(200).optional(),
  'gen_ai.usage.input_tokens': tokens.optional(),
  'gen_ai.usage.output_tokens': tokens.optional(),
  'gen_ai.usage.cache_creation.input_tokens': tokens.optional(),
  'gen_ai.usage.cache_read.input_tokens': tokens.optional(),
});

export type UsageInput = z.output<typeof UsageSchema>;

export interface RecordedUsage {
  operation: string | null;
  model: string;
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
  session: string | null;
  project: string | null;
  ts: number;
  cost: number | null;
  /** De-duplication key; recorded ids live apart from transcript message ids. */
  key: string | null;
}

/** `field` names the argument in errors (`usage` or `usage[2]`). */
export function normalizeUsage(raw: UsageInput, defaults: { operation?: string; now: number }, field: string): RecordedUsage {
  const model = raw.model ?? raw['gen_ai.response.model'] ?? raw['gen_ai.request.model'];
  if (model === undefined) {
    throw new InputError(`${field}.model`, 'the model is required to price the usage', 'send `model` (or `gen_ai.request.model`), e.g. "claude-sonnet-4-5"');
  }
  const input = raw.input_tokens ?? raw['gen_ai.usage.input_tokens'] ?? raw.prompt_tokens;
  const output = raw.output_tokens ?? raw['gen_ai.usage.output_tokens'] ?? raw.completion_tokens;
  if (input === undefined && output === undefined) {
    throw new InputError(
      field,
      'no token counts: send input_tokens and/or output_tokens (or gen_ai.usage.input_tokens / gen_ai.usage.output_tokens)',
      'e.g. {"operation": "optimization", "model": "claude-sonnet-4-5", "input_tokens": 1200, "output_tokens": 350}',
    );
  }
  const id = raw.id ?? raw['gen_ai.response.id'];
  return {
    operation: raw.operation ?? defaults.operation ?? raw['gen_ai.operation.name'] ?? null,
    model,
    input: input ?? 0,
    output: output ?? 0,
    cacheCreation: raw.cache_creation_input_tokens ?? raw['gen_ai.usage.cache_creation.input_tokens'] ?? 0,
    cacheRead: raw.cache_read_input_tokens ?? raw['gen_ai.usage.cache_read.input_tokens'] ?? 0,
    session: raw.session ?? raw['gen_ai.conversation.id'] ?? null,
    project: raw.project ?? null,
    ts: timestamp(raw.timestamp, defaults.now, `${field}.timestamp`),
    cost: raw.cost_usd ?? null,
    key: id === undefined ? null : `recorded:${id}`,
  };
}

function timestamp(value: string | number | undefined, now: number, field: string): number {
  if (value === undefined) return now;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new InputError(field, `not a time: ${JSON.stringify(value)}`, 'send ISO 8601 (2026-01-31T14:05:00Z) or epoch milliseconds');
  }
  return Math.round(ms);
}
