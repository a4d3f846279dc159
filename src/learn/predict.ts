import { median } from '../stats/descriptive.js';
import type { StoredExample, StoredModel } from '../store/models.js';
import { Featurizer, flatten, type Json, type SparseVector } from './features.js';
import { Mlp } from './mlp.js';
import { nearestExamples } from './train.js';

export interface RankedOutcome {
  value: string;
  probability: number;
  /**
   * For a model with a regression head (optimization: `improvement`): what the most similar past
   * cases with this outcome measured, so the expected figure comes with its spread.
   */
  similar_cases: { count: number; median: number; min: number; max: number } | null;
}

export interface PredictionResult {
  model_id: string;
  target: string;
  predictions: RankedOutcome[];
  /** The regression head's estimate for the input (e.g. expected improvement), when the model has one. */
  expected: { target: string; value: number } | null;
  /** Input fields the model never saw in training, so they did not count. */
  ignored_fields: string[];
  /** Input fields the model knows that this input lacks. */
  missing_fields: string[];
}

const SIMILAR_CASES = 5;
const TOP_WITH_CASES = 3;

interface Loaded {
  featurizer: Featurizer;
  mlp: Mlp;
  /** Training examples featurized once, for the similar-case spread. */
  cases: Array<{ x: SparseVector; label: string; value: number }> | undefined;
}

/** Models parsed from the store, kept per process: predicting is then a few microseconds of arithmetic. */
const loadedModels = new Map<string, Loaded>();
const MAX_LOADED = 8;

function load(model: StoredModel, examples: () => StoredExample[]): Loaded {
  const key = `${model.modelId}@${model.createdAt}`;
  let loaded = loadedModels.get(key);
  if (!loaded) {
    const featurizer = Featurizer.restore(model.spec.featurizer);
    const regression = model.spec.regression;
    const cases = regression
      ? examples().flatMap((e) => {
          const label = e.output[model.spec.target];
          const value = e.output[regression.target];
          return (typeof label === 'string' || typeof label === 'boolean') && typeof value === 'number' && Number.isFinite(value)
            ? [{ x: featurizer.transform(e.input), label: String(label), value }]
            : [];
        })
      : undefined;
    loaded = { featurizer, mlp: new Mlp(model.spec.shape, model.params), cases };
    if (loadedModels.size >= MAX_LOADED) loadedModels.delete(loadedModels.keys().next().value!);
    loadedModels.set(key, loaded);
  }
  return loaded;
}

export function predict(model: StoredModel, input: Record<string, Json>, examples: () => StoredExample[], top = 5): PredictionResult {
  const { featurizer, mlp, cases } = load(model, examples);
  const x = featurizer.transform(input);
  const { probabilities, regression } = mlp.predict(x);
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
  const predictions = order.slice(0, top).map((c, rank): RankedOutcome => {
    const value = model.spec.classes[c]!;
    let similar: RankedOutcome['similar_cases'] = null;
    if (cases && rank < TOP_WITH_CASES) {
      const near = nearestExamples(cases.filter((k) => k.label === value), x, SIMILAR_CASES).map((n) => n.example.value);
      if (near.length) similar = { count: near.length, median: median(near), min: Math.min(...near), max: Math.max(...near) };
    }
    return { value, probability: probabilities[c]!, similar_cases: similar };
  });
  const known = new Set(featurizer.describe().map((f) => f.key));
  const given = [...flatten(input).keys()];
  const spec = model.spec.regression;
  return {
    model_id: model.modelId,
    target: model.spec.target,
    predictions,
    expected: spec ? { target: spec.target, value: regression * spec.std + spec.mean } : null,
    ignored_fields: given.filter((k) => !known.has(k)),
    missing_fields: [...known].filter((k) => !given.includes(k)),
  };
}
