import type { App } from '../app.js';
import type { Finding } from '../analyze/findings.js';
import { ModelStore } from '../store/models.js';
import { predict, type RankedOutcome } from './predict.js';

export interface Suggestions {
  model_id: string;
  /** Held-out accuracy of the model when trained; null when it could not be measured. */
  model_accuracy: number | null;
  techniques: RankedOutcome[];
}

const SUGGESTIONS_PER_FINDING = 3;

/**
 * Techniques that worked on similar bottlenecks before, ranked by the latest optimization model,
 * for each finding; nothing when no model is trained yet. The input has the fields outcomes are
 * recorded with (bottleneck, category, impact, component), so the model sees the same shape.
 */
export function suggestTechniques(app: App, findings: readonly Finding[], component: string | null): Array<Suggestions | undefined> {
  const store = new ModelStore(app.db);
  const model = store.latestModel('optimization');
  if (!model) return findings.map(() => undefined);
  return findings.map((f) => {
    const input = {
      bottleneck: f.title,
      category: f.category,
      ...(f.impact.ms_per_request !== null ? { impact: f.impact.ms_per_request } : {}),
      ...(component ? { component } : {}),
    };
    const result = predict(model, input, () => store.body(model.modelId), () => store.examples('optimization', model.examplesUpto), SUGGESTIONS_PER_FINDING);
    return { model_id: model.modelId, model_accuracy: model.report.accuracy, techniques: result.predictions };
  });
}
