import { median } from '../stats/descriptive.js';
import type { ModelBody, ModelHeader, StoredExample } from '../store/models.js';
import type { ModelSpec } from './train.js';
import { Featurizer, flatten, type Json, type SparseVector } from './features.js';
import { CosineIndex } from './knn.js';
import { Mlp } from './mlp.js';

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
  spec: ModelSpec;
  featurizer: Featurizer;
  mlp: Mlp;
  /** Training examples featurized once and indexed per outcome, for the similar-case spread. */
  cases: Map<string, CosineIndex<{ x: SparseVector; value: number }>> | undefined;
}

/** Models parsed from the store, kept per process: predicting is then a few microseconds of arithmetic. */
const loadedModels = new Map<string, Loaded>();
const MAX_LOADED = 8;

function load(model: ModelHeader, body: () => ModelBody, examples: () => StoredExample[]): Loaded {
  const key = `${model.modelId}@${model.createdAt}`;
  let loaded = loadedModels.get(key);
  if (!loaded) {
    const { spec, params } = body();
    const featurizer = Featurizer.restore(spec.featurizer);
    const regression = spec.regression;
    let cases: Loaded['cases'];
    if (regression) {
      const byLabel = new Map<string, Array<{ x: SparseVector; value: number }>>();
      for (const e of examples()) {
        const label = e.output[spec.target];
        const value = e.output[regression.target];
        if ((typeof label !== 'string' && typeof label !== 'boolean') || typeof value !== 'number' || !Number.isFinite(value)) continue;
        const list = byLabel.get(String(label)) ?? [];
        list.push({ x: featurizer.transform(e.input), value });
        byLabel.set(String(label), list);
      }
      cases = new Map([...byLabel].map(([label, list]) => [label, new CosineIndex(list, (c) => c.x)]));
    }
    loaded = { spec, featurizer, mlp: new Mlp(spec.shape, params), cases };
    if (loadedModels.size >= MAX_LOADED) loadedModels.delete(loadedModels.keys().next().value!);
    loadedModels.set(key, loaded);
  }
  return loaded;
}

/**
 * Ranks the outcomes for one input. The weights and the featurized past cases are loaded once per
 * process and model (`body` and `examples` are only called then), so a warm call is arithmetic.
 */
export function predict(model: ModelHeader, input: Record<string, Json>, body: () => ModelBody, examples: () => StoredExample[], top = 5): PredictionResult {
  const { spec: modelSpec, featurizer, mlp, cases } = load(model, body, examples);
  const x = featurizer.transform(input);
  const { probabilities, regression } = mlp.predict(x);
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
  const predictions = order.slice(0, top).map((c, rank): RankedOutcome => {
    const value = modelSpec.classes[c]!;
    let similar: RankedOutcome['similar_cases'] = null;
    if (cases && rank < TOP_WITH_CASES) {
      const near = (cases.get(value)?.nearest(x, SIMILAR_CASES) ?? []).map((n) => n.item.value);
      if (near.length) similar = { count: near.length, median: median(near), min: Math.min(...near), max: Math.max(...near) };
    }
    return { value, probability: probabilities[c]!, similar_cases: similar };
  });
  const known = new Set(featurizer.describe().map((f) => f.key));
  const given = [...flatten(input).keys()];
  const spec = modelSpec.regression;
  return {
    model_id: model.modelId,
    target: modelSpec.target,
    predictions,
    expected: spec ? { target: spec.target, value: regression * spec.std + spec.mean } : null,
    ignored_fields: given.filter((k) => !known.has(k)),
    missing_fields: [...known].filter((k) => !given.includes(k)),
  };
}
