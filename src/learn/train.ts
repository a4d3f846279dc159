import { InputError } from '../errors.js';
import { mean, stddev } from '../stats/descriptive.js';
import { createRandom } from '../stats/random.js';
import { KNN_K, MIN_EXAMPLES_TO_VALIDATE, type PatternType, type TrainingExample } from './dataset.js';
import { Featurizer, type FeaturizerState, type Json } from './features.js';
import { CosineIndex } from './knn.js';
import { Mlp, shuffle, type Example, type MlpShape } from './mlp.js';

/**
 * Trains a classifier on stored examples and measures it honestly: on a held-out split the model
 * never saw, next to the majority-class and k-nearest-neighbour baselines on the same split. The
 * model that is kept is the one measured (trained on the training split only).
 */

export interface TrainParams {
  patternType: PatternType;
  examples: readonly TrainingExample[];
  epochs: number;
  learningRate: number;
  seed: number;
  validationSplit: number;
  target?: string;
  hidden: number;
}

export interface ModelSpec {
  patternType: PatternType;
  target: string;
  classes: string[];
  /** A numeric output field learned by the regression head, with its training mean and spread. */
  regression: { target: string; mean: number; std: number } | null;
  featurizer: FeaturizerState;
  shape: MlpShape;
}

export interface TrainingReport {
  examples: { total: number; used: number; without_target: number; train: number; holdout: number };
  class_counts: Record<string, number>;
  validated: boolean;
  /** Why no held-out accuracy is given, when it is not. */
  not_validated_reason: string | null;
  accuracy: number | null;
  loss: number | null;
  train_accuracy: number;
  train_loss: number;
  baselines: { majority: { accuracy: number; class: string }; knn: { accuracy: number; k: number } } | null;
  regression: { target: string; mae: number | null; baseline_mae: number | null } | null;
  training_ms: number;
}

export interface TrainedModel {
  spec: ModelSpec;
  params: Float64Array;
  report: TrainingReport;
}

export function defaultTarget(patternType: PatternType, examples: readonly TrainingExample[]): string {
  if (patternType === 'optimization') return 'technique';
  // The first output field that holds a category (a string or boolean) in the first example.
  for (const example of examples) {
    const key = Object.keys(example.output).find((k) => typeof example.output[k] === 'string' || typeof example.output[k] === 'boolean');
    if (key) return key;
  }
  throw new InputError('target', 'no output field holds a category (a string or boolean) to predict', 'name the output field to predict with `target`');
}

function label(value: Json | undefined): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

export function trainModel(params: TrainParams): TrainedModel {
  const begun = performance.now();
  const target = params.target ?? defaultTarget(params.patternType, params.examples);
  const usable = params.examples.filter((e) => label(e.output[target]) !== undefined);
  if (usable.length === 0) {
    const numbers = params.examples.some((e) => typeof e.output[target] === 'number');
    throw new InputError(
      'target',
      `no stored ${params.patternType} example has a category in output.${target}${numbers ? ' (it holds numbers; neural_train predicts categories)' : ''}`,
      `send examples whose output has "${target}" as a string, or name another output field with \`target\``,
    );
  }
  const classes = [...new Set(usable.map((e) => label(e.output[target])!))].sort();
  const regressionTarget = params.patternType === 'optimization' && target !== 'improvement' && usable.some((e) => typeof e.output.improvement === 'number') ? 'improvement' : null;

  const { train, holdout, reason } = split(usable, target, params.validationSplit, params.seed);
  const featurizer = Featurizer.fit(train.map((e) => e.input));
  const regressionValues = regressionTarget ? train.map((e) => e.output[regressionTarget]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v)) : [];
  const regression = regressionTarget && regressionValues.length
    ? { target: regressionTarget, mean: mean(regressionValues), std: stddev(regressionValues) || 1 }
    : null;
  const encode = (e: TrainingExample): Example => {
    const r = regression ? e.output[regression.target] : undefined;
    return {
      x: featurizer.transform(e.input),
      y: classes.indexOf(label(e.output[target])!),
      r: regression && typeof r === 'number' && Number.isFinite(r) ? (r - regression.mean) / regression.std : Number.NaN,
    };
  };
  const trainSet = train.map(encode);
  const holdoutSet = holdout.map(encode);
  const shape: MlpShape = { inputs: featurizer.dims, hidden: params.hidden, classes: classes.length, regression: regression !== null };
  const mlp = new Mlp(shape);
  mlp.train(trainSet, { epochs: params.epochs, learningRate: params.learningRate, seed: params.seed });

  const onTrain = mlp.evaluate(trainSet);
  const counts: Record<string, number> = {};
  for (const e of usable) counts[label(e.output[target])!] = (counts[label(e.output[target])!] ?? 0) + 1;
  let validation: Pick<TrainingReport, 'accuracy' | 'loss' | 'baselines' | 'regression'> = {
    accuracy: null,
    loss: null,
    baselines: null,
    regression: regression ? { target: regression.target, mae: null, baseline_mae: null } : null,
  };
  if (holdoutSet.length > 0) {
    const onHoldout = mlp.evaluate(holdoutSet);
    const majority = majorityClass(trainSet, classes.length);
    const k = Math.min(KNN_K, trainSet.length);
    validation = {
      accuracy: onHoldout.accuracy,
      loss: onHoldout.loss,
      baselines: {
        majority: { accuracy: holdoutSet.filter((e) => e.y === majority).length / holdoutSet.length, class: classes[majority]! },
        knn: { accuracy: knnAccuracy(trainSet, holdoutSet, k, classes.length), k },
      },
      regression: regression ? regressionErrors(mlp, holdoutSet, trainSet, regression) : null,
    };
  }
  return {
    spec: { patternType: params.patternType, target, classes, regression, featurizer: featurizer.state, shape },
    params: mlp.params,
    report: {
      examples: { total: params.examples.length, used: usable.length, without_target: params.examples.length - usable.length, train: trainSet.length, holdout: holdoutSet.length },
      class_counts: counts,
      validated: holdoutSet.length > 0,
      not_validated_reason: reason,
      ...validation,
      train_accuracy: onTrain.accuracy,
      train_loss: onTrain.loss,
      training_ms: performance.now() - begun,
    },
  };
}

/**
 * A stratified split: each class gives the same share to the held-out set, so a rare class is not
 * missing from it by chance. Seeded, so the same data and seed hold out the same examples.
 */
function split(examples: readonly TrainingExample[], target: string, share: number, seed: number): { train: TrainingExample[]; holdout: TrainingExample[]; reason: string | null } {
  if (examples.length < MIN_EXAMPLES_TO_VALIDATE) {
    return { train: [...examples], holdout: [], reason: `${examples.length} example(s) with a ${target}: too few to hold any out (at least ${MIN_EXAMPLES_TO_VALIDATE} needed), so no accuracy is reported` };
  }
  const random = createRandom(seed ^ 0x5eed);
  const byClass = new Map<string, TrainingExample[]>();
  for (const e of examples) {
    const key = label(e.output[target])!;
    const list = byClass.get(key) ?? [];
    list.push(e);
    byClass.set(key, list);
  }
  const train: TrainingExample[] = [];
  const holdout: TrainingExample[] = [];
  for (const key of [...byClass.keys()].sort()) {
    const list = shuffle([...byClass.get(key)!], random);
    const held = Math.round(list.length * share);
    holdout.push(...list.slice(0, held));
    train.push(...list.slice(held));
  }
  if (holdout.length === 0) return { train, holdout, reason: `a validation split of ${share} holds out no example of ${examples.length}` };
  return { train: shuffle(train, random), holdout, reason: null };
}

function majorityClass(examples: readonly Example[], classes: number): number {
  const counts = new Array<number>(classes).fill(0);
  for (const e of examples) counts[e.y]! += 1;
  return counts.indexOf(Math.max(...counts));
}

/** k nearest training examples by cosine similarity of the same features; majority vote, ties to the nearest. */
function knnAccuracy(train: readonly Example[], holdout: readonly Example[], k: number, classes: number): number {
  const index = new CosineIndex(train, (e) => e.x);
  let correct = 0;
  for (const e of holdout) {
    const nearest = index.nearest(e.x, k);
    const votes = new Array<number>(classes).fill(0);
    for (const { item } of nearest) votes[item.y]! += 1;
    const best = Math.max(...votes);
    if (nearest.find(({ item }) => votes[item.y] === best)!.item.y === e.y) correct += 1;
  }
  return correct / holdout.length;
}

function regressionErrors(mlp: Mlp, holdout: readonly Example[], train: readonly Example[], regression: NonNullable<ModelSpec['regression']>): TrainingReport['regression'] {
  const targets = holdout.filter((e) => !Number.isNaN(e.r));
  if (targets.length === 0) return { target: regression.target, mae: null, baseline_mae: null };
  const trainMean = mean(train.filter((e) => !Number.isNaN(e.r)).map((e) => e.r));
  let mae = 0;
  let baseline = 0;
  for (const e of targets) {
    mae += Math.abs(mlp.predict(e.x).regression - e.r);
    baseline += Math.abs(trainMean - e.r);
  }
  // Back to the target's own units.
  return { target: regression.target, mae: (mae / targets.length) * regression.std, baseline_mae: (baseline / targets.length) * regression.std };
}
