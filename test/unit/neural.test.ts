import { afterEach, describe, expect, it } from 'vitest';
import { trainModel } from '../../src/learn/train.js';
import { outcomes } from '../helpers/learn-data.js';
import { callError, callOk, connectInMemory, type Connected } from '../helpers/mcp.js';

type Trained = {
  modelId: string;
  status: string;
  accuracy: number | null;
  train_accuracy: number;
  baselines: { majority: { accuracy: number }; knn: { accuracy: number } } | null;
  examples: number;
  holdout_examples: number;
  version: number;
  regression: { mae: number | null; baseline_mae: number | null } | null;
  not_validated_reason: string | null;
};

let connected: Connected | undefined;
afterEach(async () => {
  await connected?.close();
  connected = undefined;
});

async function train(args: Record<string, unknown>): Promise<Trained> {
  connected ??= await connectInMemory();
  return (await callOk(connected.client, 'neural_train', args)) as unknown as Trained;
}

describe('neural_train measures honestly', () => {
  it('learns a rule under 10% label noise and beats both baselines on held-out data', async () => {
    const result = await train({ pattern_type: 'optimization', training_data: JSON.stringify(outcomes(600)) });
    expect(result.status).toBe('trained');
    expect(result.holdout_examples).toBeGreaterThanOrEqual(100);
    expect(result.accuracy!).toBeGreaterThan(result.baselines!.majority.accuracy + 0.3);
    expect(result.accuracy!).toBeGreaterThan(result.baselines!.knn.accuracy);
    // The improvement depends on the technique: the regression head beats the training mean.
    expect(result.regression!.mae!).toBeLessThan(result.regression!.baseline_mae!);
  });

  it('does not beat the majority baseline when the labels are shuffled (nothing leaks)', async () => {
    const result = await train({ pattern_type: 'optimization', training_data: JSON.stringify(outcomes(600, { shuffleLabels: true })) });
    expect(result.accuracy!).toBeLessThanOrEqual(result.baselines!.majority.accuracy + 0.05);
    // It memorized the training split, which is exactly why only held-out figures count.
    expect(result.train_accuracy).toBeGreaterThan(result.accuracy! + 0.2);
  });

  it('says it cannot measure accuracy with too few examples', async () => {
    const result = await train({ pattern_type: 'prediction', training_data: JSON.stringify(outcomes(6).map((o) => ({ input: o.input, output: { verdict: o.output.technique } }))) });
    expect(result.status).toBe('trained_unvalidated');
    expect(result.accuracy).toBeNull();
    expect(result.baselines).toBeNull();
    expect(result.not_validated_reason).toMatch(/6 example\(s\).*too few to hold any out/);
  });

  it('retrains on the stored dataset when training_data is empty, as a new version', async () => {
    const first = await train({ pattern_type: 'optimization', training_data: JSON.stringify(outcomes(50)) });
    const second = await train({ pattern_type: 'optimization' });
    expect([first.modelId, second.modelId]).toEqual(['optimization-v1', 'optimization-v2']);
    expect(second.examples).toBe(50);
    expect(second.accuracy).toBe(first.accuracy);
  });

  it('gives the same weights for the same seed, and different ones for another seed', () => {
    const examples = outcomes(200);
    const options = { patternType: 'optimization' as const, examples, epochs: 10, learningRate: 0.01, validationSplit: 0.2, hidden: 16 };
    const a = trainModel({ ...options, seed: 1 });
    const b = trainModel({ ...options, seed: 1 });
    const c = trainModel({ ...options, seed: 2 });
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(b.params.buffer))).toBe(true);
    expect(Buffer.from(a.params.buffer).equals(Buffer.from(c.params.buffer))).toBe(false);
  });
});

describe('neural_predict', () => {
  it('ranks techniques with probabilities and the improvement of similar past cases', async () => {
    const trained = await train({ pattern_type: 'optimization', training_data: JSON.stringify(outcomes(400)) });
    const result = (await callOk(connected!.client, 'neural_predict', {
      modelId: trained.modelId,
      input: JSON.stringify({ bottleneck: 'N+1 queries on orders in checkout', category: 'db', impact: 340, cpu_ratio: 0.2, extra: 'x' }),
    })) as { predictions: Array<{ value: string; probability: number; similar_cases: { count: number; median: number } | null }>; ignored_fields: string[]; missing_fields: string[]; expected: { value: number } };
    expect(result.predictions[0]!.value).toBe('batch-queries');
    expect(result.predictions.map((p) => p.probability).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-9);
    expect(result.predictions[0]!.similar_cases!.count).toBe(5);
    // batch-queries is technique 0: its improvements are 0.20-0.25 in the generated data.
    expect(result.predictions[0]!.similar_cases!.median).toBeGreaterThanOrEqual(0.2);
    expect(result.predictions[0]!.similar_cases!.median).toBeLessThanOrEqual(0.25);
    expect(result.ignored_fields).toEqual(['extra']);
    expect(result.missing_fields.sort()).toEqual(['noise', 'service']);
  });
});

describe('neural tools reject bad input with the field at fault', () => {
  it.each([
    [{ pattern_type: 'optimization', training_data: '{"input": {"a": 1}, "output": ' }, /training_data.*not valid JSON/],
    [{ pattern_type: 'mystery', training_data: '[]' }, /pattern_type/],
    [{ pattern_type: 'optimization' }, /no optimization examples are stored yet/],
    [{ pattern_type: 'optimization', training_data: '[{"input": {"a": 1}, "output": {"technique": "x"}}, {"input": {"a": 2}}]' }, /training_data\[1\]\.output.*must be an object/],
    [{ pattern_type: 'optimization', training_data: '{"input": {"a": 1}, "output": {"improvement": 0.5}}' }, /no stored optimization example has a category in output\.technique/],
    [{ pattern_type: 'prediction', training_data: '{"input": {"a": 1}, "output": {"verdict": 0.5}}', target: 'verdict' }, /output\.verdict \(it holds numbers/],
    [{ pattern_type: 'optimization', training_data: '[]', epochs: -3 }, /epochs/],
  ])('neural_train %j', async (args, message) => {
    connected = await connectInMemory();
    expect(await callError(connected.client, 'neural_train', args)).toMatch(message);
  });

  it.each([
    [{ pattern_type: 'optimization', input: {} }, /no optimization model is trained yet/],
    [{ modelId: 'optimization-v9', input: {} }, /no model `optimization-v9`/],
    [{ input: {} }, /modelId.*pattern_type/],
    [{ pattern_type: 'optimization', input: '{bad' }, /input.*not valid JSON/],
    [{ pattern_type: 'optimization', input: '[1]' }, /input.*JSON object/],
  ])('neural_predict %j', async (args, message) => {
    connected = await connectInMemory();
    expect(await callError(connected.client, 'neural_predict', args)).toMatch(message);
  });
});
