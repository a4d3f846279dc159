import type { App } from '../app.js';
import { InputError } from '../errors.js';
import { ModelStore, type ModelHeader, type StoredModel } from '../store/models.js';
import { parseTrainingData, type PatternType } from './dataset.js';
import type { Json } from './features.js';
import { predict, type PredictionResult } from './predict.js';
import { trainModel, type TrainParams } from './train.js';

/** The training parameters, with the examples as the caller sent them (JSON text) instead of parsed. */
export type NeuralTrainRequest = Omit<TrainParams, 'examples'> & { trainingData?: string };

export interface NeuralTrainResult {
  model: StoredModel;
  added: number;
}

/** Appends the given examples, then trains a new model version on every stored example of the type. */
export function trainFromStore(app: App, request: NeuralTrainRequest): NeuralTrainResult {
  const store = new ModelStore(app.db);
  const incoming = parseTrainingData(request.trainingData);
  const added = incoming.length ? store.addExamples(request.patternType, incoming, 'neural_train') : 0;
  const upto = store.lastExampleId(request.patternType);
  const examples = store.examples(request.patternType, upto);
  if (examples.length === 0) {
    throw new InputError(
      'training_data',
      `no ${request.patternType} examples are stored yet, so there is nothing to train on`,
      'send training_data: JSON.stringify({input: {...}, output: {...}}) or an array of examples (benchmark_run also records optimization outcomes when a run labelled with a technique is compared with its baseline)',
    );
  }
  const trained = trainModel({ ...request, examples });
  const model = store.saveModel(request.patternType, upto, trained.spec, trained.params, trained.report);
  return { model, added };
}

export interface NeuralPredictRequest {
  modelId?: string;
  patternType?: PatternType;
  input: Record<string, Json>;
  top: number;
}

export function findModel(store: ModelStore, request: Pick<NeuralPredictRequest, 'modelId' | 'patternType'>): ModelHeader {
  if (request.modelId !== undefined) {
    const model = store.model(request.modelId);
    if (!model) {
      const known = store.modelIds();
      throw new InputError('modelId', `no model \`${request.modelId}\``, known.length ? `trained models: ${known.join(', ')}` : 'no model is trained yet: call neural_train first');
    }
    if (request.patternType !== undefined && model.patternType !== request.patternType) {
      throw new InputError('pattern_type', `model \`${model.modelId}\` is a ${model.patternType} model, not ${request.patternType}`);
    }
    return model;
  }
  if (request.patternType === undefined) throw new InputError('modelId', 'give `modelId` or `pattern_type` (the latest model of that type is used)');
  const latest = store.latestModel(request.patternType);
  if (!latest) throw new InputError('pattern_type', `no ${request.patternType} model is trained yet`, `call neural_train with pattern_type "${request.patternType}" first`);
  return latest;
}

export function predictFromStore(app: App, request: NeuralPredictRequest): { model: ModelHeader; result: PredictionResult } {
  const store = new ModelStore(app.db);
  const model = findModel(store, request);
  const result = predict(model, request.input, () => store.body(model.modelId), () => store.examples(model.patternType, model.examplesUpto), request.top);
  return { model, result };
}
