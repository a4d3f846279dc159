import { z } from 'zod';
import { InputError } from '../src/errors.js';
import { PATTERN_TYPES } from '../src/learn/dataset.js';
import type { Json } from '../src/learn/features.js';
import { defineTool } from '../src/tooling/define-tool.js';
import { inline } from '../src/tooling/response.js';

const input = z.object({
  modelId: z.string().min(1).optional().describe('A model from neural_train (e.g. "optimization-v3").'),
  pattern_type: z.enum(PATTERN_TYPES).optional().describe('Use the latest model of this type when no modelId is given.'),
  input: z
    .union([z.record(z.string(), z.unknown()), z.string()])
    .describe('The case to predict for, as an object or a JSON string, with the same fields as the training inputs (e.g. {"bottleneck": "N+1 database queries", "impact": 340}).'),
  top: z.number().int().min(1).max(50).default(5).describe('How many ranked outcomes to return (default 5).'),
});

const output = z.object({
  success: z.boolean(),
  modelId: z.string(),
  pattern_type: z.enum(PATTERN_TYPES),
  target: z.string(),
  predictions: z.array(
    z.object({
      value: z.string(),
      probability: z.number(),
      similar_cases: z
        .object({ count: z.number().int(), median: z.number(), min: z.number(), max: z.number() })
        .nullable()
        .describe('what the most similar stored cases with this outcome measured (optimization: improvement)'),
    }),
  ),
  expected: z.object({ target: z.string(), value: z.number() }).nullable().describe("the model's regression head for this input (optimization: improvement)"),
  ignored_fields: z.array(z.string()),
  missing_fields: z.array(z.string()),
  model_accuracy: z.number().nullable().describe('held-out accuracy measured when the model was trained; null if it could not be measured'),
  model_examples: z.number().int(),
});

export const neuralPredict = defineTool({
  name: 'neural_predict',
  title: 'Predict from past outcomes',
  description:
    'Ranks the outcomes a trained model predicts for an input, with probabilities (e.g. which optimization technique fits a bottleneck) and, for optimization models, the improvement similar past cases measured. Says how accurate the model was on held-out data.',
  input,
  output,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, response, { app }) {
    // The engine loads on the first call (see tools/index.ts).
    const { predictFromStore } = await import('../src/learn/neural.js');
    const { model, result } = predictFromStore(app, {
      ...(args.modelId ? { modelId: args.modelId } : {}),
      ...(args.pattern_type ? { patternType: args.pattern_type } : {}),
      input: parseInput(args.input),
      top: args.top,
    });
    const accuracy = model.report.accuracy;
    response.line(
      `${inline(model.modelId)} predicts ${inline(result.target)}` +
        (accuracy === null ? ' (not validated: too few examples to measure its accuracy)' : ` (held-out accuracy ${pct(accuracy)}, ${model.report.examples.used} examples)`) +
        ':',
    );
    response.table(
      ['#', result.target, 'probability', 'similar past cases'],
      result.predictions.map((p, i) => [
        i + 1,
        p.value,
        pct(p.probability),
        p.similar_cases ? `${p.similar_cases.count}: median ${p.similar_cases.median.toFixed(2)} (${p.similar_cases.min.toFixed(2)} to ${p.similar_cases.max.toFixed(2)})` : '-',
      ]),
    );
    if (result.expected) response.line(`Expected ${inline(result.expected.target)} for this input: ${result.expected.value.toFixed(2)}.`);
    if (result.ignored_fields.length) response.note(`fields the model never saw, ignored: ${result.ignored_fields.join(', ')}`);
    if (result.missing_fields.length) response.note(`fields the model uses that this input lacks: ${result.missing_fields.join(', ')}`);
    return {
      success: true,
      modelId: model.modelId,
      pattern_type: model.patternType,
      target: result.target,
      predictions: result.predictions,
      expected: result.expected,
      ignored_fields: result.ignored_fields,
      missing_fields: result.missing_fields,
      model_accuracy: accuracy,
      model_examples: model.report.examples.used,
    };
  },
});

function parseInput(value: Record<string, unknown> | string): Record<string, Json> {
  if (typeof value !== 'string') return value as Record<string, Json>;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InputError('input', `\`input\` is not valid JSON: ${(error as Error).message}`, 'send an object, or JSON.stringify of one');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError('input', '`input` must be a JSON object such as {"bottleneck": "N+1 database queries"}');
  return parsed as Record<string, Json>;
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
