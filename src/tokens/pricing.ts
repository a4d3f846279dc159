import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ModelPriceSchema, type ModelPriceConfig } from '../config.js';
import { InputError } from '../errors.js';

/**
 * Prices come from `model-prices.json`, shipped with perfsop in the field names of LiteLLM's
 * model_prices_and_context_window.json (what ccusage reads too), merged with `tokens.pricing` from
 * the config. Nothing is fetched: a price list that changes under a report would make yesterday's
 * figures move.
 */

/** LiteLLM's `_above_200k_tokens` prices apply to the tokens of each kind beyond this count in one request. */
export const LONG_CONTEXT_THRESHOLD = 200_000;

export interface Rate {
  base: number;
  /** Per token beyond LONG_CONTEXT_THRESHOLD; equal to base for models without a long-context price. */
  above: number;
}

export interface ModelPrice {
  input: Rate;
  output: Rate;
  /** 5-minute cache writes, the default. */
  cacheWrite: Rate;
  /** 1-hour cache writes cost more (LiteLLM's `_above_1hr` fields). */
  cacheWrite1h: Rate;
  cacheRead: Rate;
}

export interface TokenCounts {
  input: number;
  output: number;
  /** All cache writes, including the 1-hour ones. */
  cacheCreation: number;
  /** The part of cacheCreation written to the 1-hour cache. */
  cacheCreation1h: number;
  cacheRead: number;
}

const PriceTable = z.record(z.string(), ModelPriceSchema);

let shipped: Record<string, ModelPriceConfig> | undefined;

/** The shipped table, read on first use so that listing tools never parses it. */
export function shippedPrices(): Record<string, ModelPriceConfig> {
  shipped ??= PriceTable.parse(JSON.parse(readFileSync(new URL('./model-prices.json', import.meta.url), 'utf8')));
  return shipped;
}

export class Pricing {
  private readonly table = new Map<string, ModelPrice>();
  private readonly resolved = new Map<string, ModelPrice | null>();

  /** `overrides` is the config's `tokens.pricing`; a model perfsop does not ship must give input and output prices. */
  constructor(overrides: Record<string, ModelPriceConfig> = {}) {
    const base = shippedPrices();
    for (const [name, entry] of Object.entries(base)) this.table.set(name, toPrice(name, entry));
    for (const [name, entry] of Object.entries(overrides)) {
      const merged = { ...(base[name] ?? {}), ...entry };
      if (merged.input_cost_per_token === undefined || merged.output_cost_per_token === undefined) {
        throw new InputError(
          'config',
          `tokens.pricing.${name}: perfsop ships no price for this model, so input_cost_per_token and output_cost_per_token are both required`,
        );
      }
      this.table.set(name, toPrice(name, merged));
    }
  }

  /**
   * The price of a model as transcripts name it. Provider spellings (`anthropic/…`, Bedrock's
   * `us.anthropic.…-v1:0`, Vertex's `…@20250514`) resolve to the plain Anthropic name; null when
   * unknown, so the caller can say which models went unpriced instead of silently costing $0.
   */
  lookup(model: string): ModelPrice | null {
    let price = this.resolved.get(model);
    if (price === undefined) {
      price = null;
      for (const candidate of spellings(model)) {
        const found = this.table.get(candidate);
        if (found) {
          price = found;
          break;
        }
      }
      this.resolved.set(model, price);
    }
    return price;
  }
}

function spellings(model: string): string[] {
  const names = [model];
  const at = model.indexOf('claude');
  let bare = at > 0 ? model.slice(at) : model;
  bare = bare.replace(/-v\d+(:\d+)?$/, '').replace('@', '-');
  names.push(bare);
  const undated = bare.replace(/-\d{8}$/, '');
  if (undated !== bare) names.push(undated);
  return names;
}

function toPrice(name: string, entry: ModelPriceConfig): ModelPrice {
  const input = entry.input_cost_per_token;
  const output = entry.output_cost_per_token;
  if (input === undefined || output === undefined) throw new Error(`model-prices.json: ${name} lacks input or output prices`);
  // LiteLLM leaves cache prices out for models without prompt caching: such tokens cost as input.
  const cacheWrite = entry.cache_creation_input_token_cost ?? input;
  const cacheWrite1h = entry.cache_creation_input_token_cost_above_1hr ?? cacheWrite;
  const cacheRead = entry.cache_read_input_token_cost ?? input;
  return {
    input: { base: input, above: entry.input_cost_per_token_above_200k_tokens ?? input },
    output: { base: output, above: entry.output_cost_per_token_above_200k_tokens ?? output },
    cacheWrite: { base: cacheWrite, above: entry.cache_creation_input_token_cost_above_200k_tokens ?? cacheWrite },
    cacheWrite1h: { base: cacheWrite1h, above: entry.cache_creation_input_token_cost_above_1hr_above_200k_tokens ?? cacheWrite1h },
    cacheRead: { base: cacheRead, above: entry.cache_read_input_token_cost_above_200k_tokens ?? cacheRead },
  };
}

function tiered(tokens: number, rate: Rate): number {
  if (tokens <= LONG_CONTEXT_THRESHOLD) return tokens * rate.base;
  return LONG_CONTEXT_THRESHOLD * rate.base + (tokens - LONG_CONTEXT_THRESHOLD) * rate.above;
}

/**
 * USD for one request. As in ccusage (and LiteLLM's per-kind fields), the long-context price
 * applies to the tokens of each kind beyond 200k, each kind on its own count.
 */
export function requestCost(price: ModelPrice, t: TokenCounts): number {
  return costOf(price, t.input, t.output, t.cacheCreation, t.cacheCreation1h, t.cacheRead);
}

/** requestCost with the counts as arguments, for loops over ledger columns that should not allocate. */
export function costOf(price: ModelPrice, input: number, output: number, cacheCreation: number, cacheCreation1h: number, cacheRead: number): number {
  return (
    tiered(input, price.input) +
    tiered(output, price.output) +
    tiered(cacheCreation - cacheCreation1h, price.cacheWrite) +
    tiered(cacheCreation1h, price.cacheWrite1h) +
    tiered(cacheRead, price.cacheRead)
  );
}

/** The same request at base prices only: the difference is what the long-context tier added. */
export function baseCostOf(price: ModelPrice, input: number, output: number, cacheCreation: number, cacheCreation1h: number, cacheRead: number): number {
  return (
    input * price.input.base +
    output * price.output.base +
    (cacheCreation - cacheCreation1h) * price.cacheWrite.base +
    cacheCreation1h * price.cacheWrite1h.base +
    cacheRead * price.cacheRead.base
  );
}
