import { formatInteger, formatUsd as usd } from '../format.js';
import { OVERSIZED_PROMPT_TOKENS, SMALL_TASK_ALTERNATIVE, SMALL_TASK_OUTPUT_TOKENS, type UsageReport } from './report.js';

/**
 * Recommendations computed from a report, each carrying the figure that triggered it. Thresholds
 * are deliberately plain so an agent can check them against the numbers it is shown.
 */

export type RecommendationKind = 'dominant_session' | 'oversized_prompts' | 'expensive_model_small_tasks' | 'low_cache_hit';

export interface Recommendation {
  kind: RecommendationKind;
  title: string;
  /** The measured figure, in words. */
  figure: string;
  /** What to do about it. */
  action: string;
  /** USD the finding is about (the cost concerned); the list is ordered by it. */
  impact_usd: number;
  /** USD that acting on it would have saved in this timeframe, where that can be computed. */
  savings_usd: number | null;
}

/** Below this share of prompt tokens read from the cache, caching is not doing its job. */
export const LOW_CACHE_HIT_RATIO = 0.5;
/** Too few prompt tokens say nothing about caching. */
const MIN_PROMPT_TOKENS = 50_000;
/** A session is dominant when it alone costs at least this share of the timeframe. */
export const DOMINANT_SESSION_SHARE = 0.5;
const OVERSIZED_REQUEST_SHARE = 0.1;
const OVERSIZED_COST_SHARE = 0.25;
/** Small-task savings worth mentioning: this share of the timeframe's cost. */
const SMALL_TASK_SAVINGS_SHARE = 0.05;

export function recommend(report: UsageReport): Recommendation[] {
  const { totals, signals } = report;
  const out: Recommendation[] = [];
  const total = totals.cost;
  const pct = (part: number, whole: number) => `${whole > 0 ? ((100 * part) / whole).toFixed(1) : '0.0'}%`;

  const top = signals.topSessions[0];
  if (top && signals.sessionCount >= 2 && total > 0 && top.cost >= DOMINANT_SESSION_SHARE * total) {
    out.push({
      kind: 'dominant_session',
      title: 'One session dominates the cost',
      figure: `session ${top.session}${top.project ? ` (${top.project})` : ''} cost ${usd(top.cost)}, ${pct(top.cost, total)} of ${usd(total)} across ${signals.sessionCount} sessions`,
      action: 'Look at what that session did (long context carried turn after turn, retries, an expensive model) before optimizing anything else.',
      impact_usd: top.cost,
      savings_usd: null,
    });
  }

  const { oversized } = signals;
  if (oversized.requests > 0 && (oversized.requests >= OVERSIZED_REQUEST_SHARE * totals.requests || oversized.cost >= OVERSIZED_COST_SHARE * total)) {
    const premium = oversized.longContextPremium > 0 ? `; ${usd(oversized.longContextPremium)} of it is the long-context price beyond 200k tokens` : '';
    out.push({
      kind: 'oversized_prompts',
      title: 'Oversized prompts',
      figure: `${oversized.requests} of ${totals.requests} requests (${pct(oversized.requests, totals.requests)}) sent over ${OVERSIZED_PROMPT_TOKENS / 1000}k prompt tokens and cost ${usd(oversized.cost)} (${pct(oversized.cost, total)})${premium}`,
      action: 'The whole context is re-sent on every turn: compact or clear between tasks, read files in parts, and keep tool output short.',
      impact_usd: oversized.cost,
      savings_usd: oversized.longContextPremium > 0 ? oversized.longContextPremium : null,
    });
  }

  const { smallTasks } = signals;
  const smallSavings = smallTasks.cost - smallTasks.alternativeCost;
  if (smallTasks.requests > 0 && smallSavings > 0 && smallSavings >= SMALL_TASK_SAVINGS_SHARE * total) {
    out.push({
      kind: 'expensive_model_small_tasks',
      title: 'Expensive model on small tasks',
      figure: `${smallTasks.requests} requests on ${smallTasks.models.join(', ')} answered in at most ${SMALL_TASK_OUTPUT_TOKENS} output tokens and cost ${usd(smallTasks.cost)}; at ${SMALL_TASK_ALTERNATIVE} prices they would cost ${usd(smallTasks.alternativeCost)}`,
      action: `Route short, routine steps (lookups, small edits, summaries) to ${SMALL_TASK_ALTERNATIVE} or a Haiku model and keep Opus for the hard ones.`,
      impact_usd: smallTasks.cost,
      savings_usd: smallSavings,
    });
  }

  const prompt = totals.input + totals.cacheCreation + totals.cacheRead;
  if (report.cacheHitRatio !== null && prompt >= MIN_PROMPT_TOKENS && report.cacheHitRatio < LOW_CACHE_HIT_RATIO) {
    out.push({
      kind: 'low_cache_hit',
      title: 'Low cache hit ratio',
      figure: `${pct(totals.cacheRead, prompt)} of ${formatInteger(prompt)} prompt tokens were cache reads (threshold ${LOW_CACHE_HIT_RATIO * 100}%); uncached input and cache writes cost ${usd(signals.uncachedPromptCost)}`,
      action: 'Keep the stable part of prompts (system prompt, tool definitions, long documents) first and byte-identical between calls so it is cached, and avoid editing early context.',
      impact_usd: signals.uncachedPromptCost,
      savings_usd: null,
    });
  }
  return out.sort((a, b) => b.impact_usd - a.impact_usd);
}
