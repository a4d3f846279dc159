import type { App } from '../app.js';
import type { ComparisonRow } from '../load/compare-runs.js';
import { AnalysisStore } from '../store/analyses.js';
import { ModelStore } from '../store/models.js';
import type { RunRecord } from '../store/runs.js';
import type { TrainingExample } from './dataset.js';

/**
 * Optimization outcomes recorded by themselves: when benchmark_run compares a run made with a
 * technique against its baseline, the measured change becomes an `optimization` example for
 * neural_train, with the bottleneck that the analysis between the two runs found as its input.
 */

/** Labels that name a moment rather than a technique ("before", "after", "v2", "run-3"...). */
const GENERIC_LABEL = /^(before|after|baseline|base|current|candidate|control|main|master|head|pr|test|run|fix(ed)?|optimi[sz]ed|new|old|v?\d+(\.\d+)*)([-_ ]?\d+)?$/i;

export function techniqueOf(request: { technique?: string; label?: string }): string | undefined {
  if (request.technique) return request.technique;
  if (request.label && !GENERIC_LABEL.test(request.label.trim())) return request.label.trim();
  return undefined;
}

/** The metric whose change is "the improvement": p95 for HTTP (what the SOP targets), mean time otherwise. */
const IMPROVEMENT_METRICS = ['p95', 'mean'];

export interface RecordedOutcome {
  benchmark: string;
  example: TrainingExample;
}

export function recordOutcomes(
  app: App,
  technique: string,
  baseline: RunRecord,
  runStartedAt: number,
  comparison: readonly ComparisonRow[],
  componentOf: (benchmark: string) => string | undefined,
): RecordedOutcome[] {
  const analyses = new AnalysisStore(app.db);
  const recorded: RecordedOutcome[] = [];
  const seen = new Set<string>();
  for (const row of comparison) {
    if (!IMPROVEMENT_METRICS.includes(row.metric) || row.change_pct === null || row.baseline === null || seen.has(row.name)) continue;
    seen.add(row.name);
    const component = componentOf(row.name);
    const baselineComponent = typeof baseline.params.component === 'string' ? baseline.params.component : undefined;
    const finding = analyses.topFindingBetween(baseline.startedAt, runStartedAt, [component, baselineComponent].filter((c): c is string => c !== undefined));
    const example: TrainingExample = {
      input: {
        ...(finding ? { bottleneck: finding.title, category: finding.category, ...(finding.impactMs !== null ? { impact: finding.impactMs } : {}) } : {}),
        component: component ?? row.name,
        metric: row.metric,
        baseline_ms: row.baseline,
      },
      output: { technique, improvement: Math.round((-row.change_pct / 100) * 10_000) / 10_000, verdict: row.verdict },
    };
    recorded.push({ benchmark: row.name, example });
  }
  if (recorded.length) new ModelStore(app.db).addExamples('optimization', recorded.map((r) => r.example), 'benchmark_run');
  return recorded;
}
