import { basename } from 'node:path';
import { identifyBlocks } from './blocks.js';
import { NO_NAME, type Ledger } from './ledger.js';
import { baseCostOf, costOf, type ModelPrice, type Pricing } from './pricing.js';
import type { Calendar } from './timeframe.js';

/** One pass over the ledger: totals, the chosen breakdown, and the figures recommendations need. */

export const GROUP_BY = ['operation', 'model', 'day', 'week', 'month', 'session', 'project', 'block'] as const;
export type GroupBy = (typeof GROUP_BY)[number];
/** As ccusage: auto uses the cost a source stated and prices the rest; calculate always prices; display only states. */
export const COST_MODES = ['auto', 'calculate', 'display'] as const;
export type CostMode = (typeof COST_MODES)[number];

/** A prompt (input + cache writes + cache reads) above this is re-sent context worth trimming. */
export const OVERSIZED_PROMPT_TOKENS = 100_000;
/** A reply this short on an Opus model is a task a cheaper model usually does as well. */
export const SMALL_TASK_OUTPUT_TOKENS = 500;
/** What small Opus tasks are priced at for comparison. */
export const SMALL_TASK_ALTERNATIVE = 'claude-sonnet-4-5';
export const NO_OPERATION = '(none)';

export interface Usage {
  requests: number;
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
  tokens: number;
  cost: number;
}

export interface Group extends Usage {
  key: string;
  models: string[];
  /** For session groups: the session's project. */
  project?: string;
  /** For block groups. */
  block?: { start: number; end: number; lastCall: number; active: boolean };
}

export type FilterColumn = 'operation' | 'project' | 'session';

export interface Filter {
  column: FilterColumn;
  ids: ReadonlySet<number>;
}

export interface ReportQuery {
  since: number;
  until: number;
  groupBy: GroupBy;
  costMode: CostMode;
  calendar: Calendar;
  filter: Filter | null;
  now: number;
}

export interface SessionCost {
  session: string;
  project: string | null;
  requests: number;
  tokens: number;
  cost: number;
}

export interface Signals {
  sessionCount: number;
  /** The costliest sessions, most expensive first. */
  topSessions: SessionCost[];
  oversized: { requests: number; cost: number; longContextPremium: number };
  smallTasks: { requests: number; cost: number; alternativeCost: number; models: string[] };
  /** What uncached prompt tokens (input and cache writes) cost at list prices. */
  uncachedPromptCost: number;
}

export interface UsageReport {
  totals: Usage;
  /** Cache reads over all prompt tokens (input + cache writes + cache reads); null without prompts. */
  cacheHitRatio: number | null;
  groups: Group[];
  /** Of totals.requests, how many were recorded by agents (the rest come from transcripts). */
  recordedRequests: number;
  /** Models without a price whose tokens therefore cost $0 in this report. */
  unpriced: Array<{ model: string; requests: number; tokens: number }>;
  signals: Signals;
}

export function emptyUsage(): Usage {
  return { requests: 0, input: 0, output: 0, cacheCreation: 0, cacheRead: 0, tokens: 0, cost: 0 };
}

function add(usage: Usage, input: number, output: number, cacheCreation: number, cacheRead: number, cost: number): void {
  usage.requests++;
  usage.input += input;
  usage.output += output;
  usage.cacheCreation += cacheCreation;
  usage.cacheRead += cacheRead;
  usage.tokens += input + output + cacheCreation + cacheRead;
  usage.cost += cost;
}

const TIME_GROUPS: ReadonlySet<GroupBy> = new Set(['day', 'week', 'month']);

interface GroupAccumulator extends Usage {
  key: number;
  models: Set<number>;
  /** A call of the group, for labels that need one (a session's project). */
  sample: number;
}

/**
 * One pass over the ledger's columns. Everything per call is arithmetic on numbers: group keys
 * are name ids or day numbers, prices and flags are resolved once per model id, and labels are
 * made at the end, so a report over 100k calls takes milliseconds.
 */
export function buildReport(ledger: Ledger, pricing: Pricing, query: ReportQuery): UsageReport {
  const { since, until, costMode, calendar, filter, groupBy } = query;
  const names = ledger.names;
  const prices: Array<ModelPrice | null | undefined> = new Array<ModelPrice | null | undefined>(names.length);
  const opus = new Uint8Array(names.length);
  const alternative = pricing.lookup(SMALL_TASK_ALTERNATIVE);
  const column = filter ? ledger[filter.column] : null;
  const key = groupKey(ledger, calendar, groupBy);
  const totals = emptyUsage();
  const groups = new Map<number, GroupAccumulator>();
  const sessions = new Map<number, SessionCost>();
  const unpriced = new Map<number, { model: string; requests: number; tokens: number }>();
  const oversized = { requests: 0, cost: 0, longContextPremium: 0 };
  const smallTasks = { requests: 0, cost: 0, alternativeCost: 0, models: new Set<string>() };
  let uncachedPromptCost = 0;
  let recordedRequests = 0;
  const selected: number[] = [];
  const costs = new Float64Array(ledger.size);

  for (let slot = 0; slot < ledger.size; slot++) {
    const ts = ledger.ts[slot]!;
    if (ledger.alive[slot] === 0 || ts < since || ts >= until) continue;
    if (column && !filter!.ids.has(column[slot]!)) continue;
    const input = ledger.input[slot]!;
    const output = ledger.output[slot]!;
    const cacheCreation = ledger.cacheCreation[slot]!;
    const cacheCreation1h = ledger.cacheCreation1h[slot]!;
    const cacheRead = ledger.cacheRead[slot]!;
    const tokens = input + output + cacheCreation + cacheRead;
    const model = ledger.model[slot]!;
    let price = prices[model];
    if (price === undefined) {
      const name = names[model] ?? 'unknown';
      price = prices[model] = pricing.lookup(name);
      opus[model] = /opus/i.test(name) ? 1 : 0;
    }
    const stated = ledger.cost[slot]!;
    const calculated = price ? costOf(price, input, output, cacheCreation, cacheCreation1h, cacheRead) : 0;
    const cost = costMode === 'calculate' ? calculated : Number.isNaN(stated) ? (costMode === 'display' ? 0 : calculated) : stated;
    if (!price && (costMode === 'calculate' || Number.isNaN(stated))) {
      let entry = unpriced.get(model);
      if (!entry) unpriced.set(model, (entry = { model: names[model] ?? 'unknown', requests: 0, tokens: 0 }));
      entry.requests++;
      entry.tokens += tokens;
    }
    costs[slot] = cost;
    add(totals, input, output, cacheCreation, cacheRead, cost);
    recordedRequests += ledger.recorded[slot]!;
    if (price) uncachedPromptCost += costOf(price, input, 0, cacheCreation, cacheCreation1h, 0);

    if (groupBy === 'block') {
      selected.push(slot);
    } else {
      const k = key(slot);
      let group = groups.get(k);
      if (!group) groups.set(k, (group = { key: k, models: new Set(), sample: slot, ...emptyUsage() }));
      add(group, input, output, cacheCreation, cacheRead, cost);
      group.models.add(model);
    }

    const session = ledger.session[slot]!;
    if (session !== NO_NAME) {
      let s = sessions.get(session);
      if (!s) sessions.set(session, (s = { session: names[session]!, project: nameOrNull(names, ledger.project[slot]!), requests: 0, tokens: 0, cost: 0 }));
      s.requests++;
      s.tokens += tokens;
      s.cost += cost;
    }
    if (input + cacheCreation + cacheRead > OVERSIZED_PROMPT_TOKENS) {
      oversized.requests++;
      oversized.cost += cost;
      if (price) oversized.longContextPremium += calculated - baseCostOf(price, input, output, cacheCreation, cacheCreation1h, cacheRead);
    }
    if (alternative && opus[model] === 1 && output <= SMALL_TASK_OUTPUT_TOKENS) {
      smallTasks.requests++;
      smallTasks.cost += cost;
      smallTasks.alternativeCost += costOf(alternative, input, output, cacheCreation, cacheCreation1h, cacheRead);
      smallTasks.models.add(names[model] ?? 'unknown');
    }
  }

  let list: Group[];
  if (groupBy === 'block') {
    list = blockGroups(ledger, selected, costs, query.now);
  } else {
    const accumulators = [...groups.values()];
    if (TIME_GROUPS.has(groupBy)) accumulators.sort((a, b) => a.key - b.key);
    else accumulators.sort((a, b) => b.cost - a.cost || b.tokens - a.tokens);
    list = accumulators.map(({ key: k, models, sample, ...usage }) => ({
      key: groupLabel(ledger, calendar, groupBy, k),
      models: [...models].map((id) => names[id] ?? 'unknown'),
      ...(groupBy === 'session' ? { project: nameOrNull(names, ledger.project[sample]!) ?? undefined } : {}),
      ...usage,
    }));
  }
  const promptTokens = totals.input + totals.cacheCreation + totals.cacheRead;
  const sessionCosts = [...sessions.values()].sort((a, b) => b.cost - a.cost);
  return {
    totals,
    cacheHitRatio: promptTokens > 0 ? totals.cacheRead / promptTokens : null,
    groups: list,
    recordedRequests,
    unpriced: [...unpriced.values()].sort((a, b) => b.tokens - a.tokens),
    signals: {
      sessionCount: sessionCosts.length,
      topSessions: sessionCosts.slice(0, 3),
      oversized,
      smallTasks: { ...smallTasks, models: [...smallTasks.models] },
      uncachedPromptCost,
    },
  };
}

function nameOrNull(names: readonly string[], id: number): string | null {
  return id === NO_NAME ? null : (names[id] ?? null);
}

/** The group of a call as a number: a name id, or the day number a period starts on. */
function groupKey(ledger: Ledger, calendar: Calendar, groupBy: GroupBy): (slot: number) => number {
  switch (groupBy) {
    case 'model':
    case 'operation':
    case 'session':
    case 'project': {
      const values = ledger[groupBy];
      return (slot) => values[slot]!;
    }
    case 'day':
    case 'week':
    case 'month':
      return (slot) => calendar.period(groupBy, ledger.ts[slot]!);
    case 'block':
      return () => 0;
  }
}

function groupLabel(ledger: Ledger, calendar: Calendar, groupBy: GroupBy, key: number): string {
  if (groupBy === 'day' || groupBy === 'week' || groupBy === 'month') return calendar.label(groupBy, key);
  return nameOrNull(ledger.names, key) ?? (groupBy === 'operation' ? NO_OPERATION : '(none)');
}

function blockGroups(ledger: Ledger, slots: number[], costs: Float64Array, now: number): Group[] {
  slots.sort((a, b) => ledger.ts[a]! - ledger.ts[b]!);
  const times = Float64Array.from(slots, (slot) => ledger.ts[slot]!);
  return identifyBlocks(times, now).map((block) => {
    const usage = emptyUsage();
    const models = new Set<string>();
    for (let i = block.from; i < block.to; i++) {
      const slot = slots[i]!;
      add(usage, ledger.input[slot]!, ledger.output[slot]!, ledger.cacheCreation[slot]!, ledger.cacheRead[slot]!, costs[slot]!);
      models.add(ledger.names[ledger.model[slot]!] ?? 'unknown');
    }
    return {
      key: new Date(block.start).toISOString(),
      models: [...models],
      ...usage,
      block: { start: block.start, end: block.end, lastCall: block.lastCall, active: block.active },
    };
  });
}

/** Where `operation` names something: a recorded operation, else a project (path or folder name), else a session (id or a prefix of 8+ characters). */
export function resolveFilter(ledger: Ledger, text: string): Filter | null {
  const exact = ledger.nameIds.get(text);
  const candidates: Array<[FilterColumn, Set<number>]> = [
    ['operation', new Set(exact === undefined ? [] : [exact])],
    ['project', idsWhere(ledger, (name) => name === text || basename(name) === text)],
    ['session', idsWhere(ledger, (name) => name === text || (text.length >= 8 && name.startsWith(text)))],
  ];
  for (const [column, ids] of candidates) {
    if (ids.size === 0) continue;
    const values = ledger[column];
    for (let slot = 0; slot < ledger.size; slot++) {
      if (ledger.alive[slot] === 1 && ids.has(values[slot]!)) return { column, ids };
    }
  }
  return null;
}

function idsWhere(ledger: Ledger, test: (name: string) => boolean): Set<number> {
  const ids = new Set<number>();
  ledger.names.forEach((name, id) => {
    if (name !== undefined && test(name)) ids.add(id);
  });
  return ids;
}
