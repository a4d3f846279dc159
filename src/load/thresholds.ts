import type { Thresholds } from '../config.js';

export interface ThresholdCheck {
  benchmark: string;
  name: keyof Thresholds;
  limit: number;
  actual: number | null;
  passed: boolean;
}

/** The figures thresholds are checked against; absent ones (e.g. rps of a command) skip their checks. */
export interface CheckedFigures {
  p50?: number;
  p95?: number;
  p99?: number;
  rps?: number;
  errorRate?: number;
  mean?: number;
}

const CHECKS: Array<[keyof Thresholds, keyof CheckedFigures, 'max' | 'min']> = [
  ['p50_ms', 'p50', 'max'],
  ['p95_ms', 'p95', 'max'],
  ['p99_ms', 'p99', 'max'],
  ['min_rps', 'rps', 'min'],
  ['max_error_rate', 'errorRate', 'max'],
  ['max_mean_ms', 'mean', 'max'],
];

export function checkThresholds(benchmark: string, thresholds: Thresholds, figures: CheckedFigures): ThresholdCheck[] {
  const checks: ThresholdCheck[] = [];
  for (const [name, figure, kind] of CHECKS) {
    const limit = thresholds[name];
    if (limit === undefined) continue;
    const actual = figures[figure];
    if (actual === undefined) continue;
    // A figure that could not be measured (NaN: no successful request) fails rather than passes.
    const passed = Number.isFinite(actual) && (kind === 'max' ? actual <= limit : actual >= limit);
    checks.push({ benchmark, name, limit, actual: Number.isFinite(actual) ? actual : null, passed });
  }
  return checks;
}
