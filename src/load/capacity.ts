import { CancelledError } from '../errors.js';
import { LogHistogram } from '../stats/log-histogram.js';
import { comparableSlices, type HttpLoadResult, type HttpLoadSpec } from './http-load.js';

export interface CapacityStep {
  offered_rps: number;
  achieved_rps: number;
  p50: number;
  p95: number;
  p99: number;
  error_rate: number;
  passed: boolean;
}

export interface CapacityResult {
  target_p95_ms: number;
  max_error_rate: number;
  /** The highest offered rate that held every condition, as achieved; null when even the lowest step failed. */
  max_sustainable_rps: number | null;
  limited_by: 'p95' | 'errors' | 'throughput' | 'not reached';
  unconstrained_rps: number;
  steps: CapacityStep[];
  /** Why the search stopped where it did, when the reason is the test rather than the target. */
  note?: string;
}

/** Fractions of the unconstrained rate offered in turn; finer near the top, where the knee usually is. */
const STEP_FRACTIONS = [0.2, 0.4, 0.6, 0.75, 0.85, 0.95, 1.05, 1.2];
export const CAPACITY_STEPS = STEP_FRACTIONS.length;
/** A step whose achieved rate falls this far below the offered one has hit the target's ceiling. */
const ACHIEVED_SHARE = 0.9;

/**
 * Capacity mode: from the unconstrained rate just measured, offer rising fixed rates (autocannon's
 * overallRate) until p95 crosses the target, errors pass the limit, or the target stops keeping up.
 * Answers "how much load does it sustain within its latency goal" (the SOP's "3x production load").
 */
export async function measureCapacity(options: {
  spec: HttpLoadSpec;
  unconstrained: HttpLoadResult;
  targetP95Ms: number;
  maxErrorRate: number;
  stepSeconds: number;
  warmupS: number;
  signal: AbortSignal;
  drive(spec: HttpLoadSpec): Promise<HttpLoadResult>;
  onStep?(step: CapacityStep, index: number, total: number): void;
}): Promise<CapacityResult> {
  const unconstrained = options.unconstrained.requests / options.unconstrained.durationS;
  const steps: CapacityStep[] = [];
  let limitedBy: CapacityResult['limited_by'] = 'not reached';
  for (const [index, fraction] of STEP_FRACTIONS.entries()) {
    if (options.signal.aborted) throw new CancelledError();
    const offered = Math.max(1, Math.round(unconstrained * fraction));
    const load = await options.drive({ ...options.spec, amount: undefined, duration: options.stepSeconds, overallRate: offered });
    const step = judge(offered, load, options);
    steps.push(step);
    options.onStep?.(step, index, STEP_FRACTIONS.length);
    if (!step.passed) {
      limitedBy = step.p95 > options.targetP95Ms ? 'p95' : step.error_rate > options.maxErrorRate ? 'errors' : 'throughput';
      break;
    }
  }
  const passing = steps.filter((s) => s.passed);
  const last = steps[steps.length - 1];
  // Each connection carries one request at a time (per pipelined slot): with latency L the offered
  // rate cannot exceed connections x pipelining / L, whatever the target could do.
  const ceiling = last ? (options.spec.connections * options.spec.pipelining * 1000) / Math.max(last.p50, 0.001) : Infinity;
  const note =
    limitedBy === 'throughput' && last && last.achieved_rps >= 0.85 * ceiling
      ? `${options.spec.connections} connections at ~${last.p50.toFixed(1)} ms per request carry at most ~${Math.round(ceiling)} req/s: the connection count, not necessarily the target, set this limit; raise connections`
      : undefined;
  return {
    ...(note ? { note } : {}),
    target_p95_ms: options.targetP95Ms,
    max_error_rate: options.maxErrorRate,
    max_sustainable_rps: passing.length ? passing[passing.length - 1]!.achieved_rps : null,
    limited_by: limitedBy,
    unconstrained_rps: unconstrained,
    steps,
  };
}

function judge(offered: number, load: HttpLoadResult, options: { targetP95Ms: number; maxErrorRate: number; warmupS: number }): CapacityStep {
  // Latency from the seconds after the warm-up, so each step is judged at its steady state.
  const steady = comparableSlices(load.slices, options.warmupS);
  const histogram = new LogHistogram();
  for (const slice of steady) histogram.merge(slice.histogram);
  const seconds = steady.reduce((sum, s) => sum + s.seconds, 0);
  const requests = steady.reduce((sum, s) => sum + s.requests, 0);
  const achieved = seconds > 0 ? requests / seconds : load.requests / load.durationS;
  const attempts = load.requests + load.errors;
  const errorRate = attempts > 0 ? (load.errors + load.non2xx) / attempts : 1;
  const p = (q: number) => (histogram.count > 0 ? histogram.percentile(q) : load.histogram.count > 0 ? load.histogram.percentile(q) : Number.POSITIVE_INFINITY);
  const p95 = p(95);
  return {
    offered_rps: offered,
    achieved_rps: achieved,
    p50: p(50),
    p95,
    p99: p(99),
    error_rate: errorRate,
    passed: p95 <= options.targetP95Ms && errorRate <= options.maxErrorRate && achieved >= offered * ACHIEVED_SHARE,
  };
}
