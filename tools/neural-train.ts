import { z } from 'zod';
import { formatInteger } from '../src/format.js';
import { KNN_K, MAX_EXAMPLES_PER_CALL, MIN_EXAMPLES_TO_VALIDATE, PATTERN_TYPES } from '../src/learn/dataset.js';
import { defineTool } from '../src/tooling/define-tool.js';
import { inline } from '../src/tooling/response.js';

const input = z.object({
  pattern_type: z.enum(PATTERN_TYPES).describe('Which dataset and model: coordination, optimization (what fixed a bottleneck) or prediction.'),
  training_data: z
    .string()
    .optional()
    .describe(
      `JSON string: one example {"input": {...}, "output": {...}} or an array of them (at most ${formatInteger(MAX_EXAMPLES_PER_CALL)}), appended to the stored dataset of pattern_type. Empty or omitted: retrain on what is stored.`,
    ),
  epochs: z.number().int().min(1).max(1000).default(50).describe('Passes over the training set (default 50).'),
  learning_rate: z.number().positive().max(1).default(0.01).describe('Adam step size (default 0.01).'),
  seed: z.number().int().default(42).describe('Seed of every random choice (split, initial weights, batch order); the same data and seed give the same model (default 42).'),
  validation_split: z.number().min(0.05).max(0.5).default(0.2).describe('Share of the examples held out to measure accuracy, per class (default 0.2).'),
  target: z.string().min(1).optional().describe('The output field to predict (a category). Default: `technique` for optimization, else the first string field of the output.'),
  hidden: z.number().int().min(2).max(256).default(32).describe('Units in the hidden layer (default 32).'),
});

const nullableNumber = z.number().nullable();

const output = z.object({
  success: z.boolean(),
  modelId: z.string().describe('pass to neural_predict'),
  pattern_type: z.enum(PATTERN_TYPES),
  version: z.number().int(),
  status: z.enum(['trained', 'trained_unvalidated']).describe('trained_unvalidated: too few examples to hold any out, so no accuracy'),
  target: z.string(),
  classes: z.array(z.object({ value: z.string(), examples: z.number().int() })),
  epochs: z.number().int(),
  learning_rate: z.number(),
  seed: z.number().int(),
  examples: z.number().int().describe('stored examples of this pattern type'),
  examples_added: z.number().int(),
  examples_without_target: z.number().int(),
  train_examples: z.number().int(),
  holdout_examples: z.number().int(),
  accuracy: nullableNumber.describe('on the held-out examples; null when none could be held out'),
  loss: nullableNumber.describe('cross-entropy on the held-out examples'),
  train_accuracy: z.number(),
  train_loss: z.number(),
  baselines: z
    .object({
      majority: z.object({ accuracy: z.number(), class: z.string() }),
      knn: z.object({ accuracy: z.number(), k: z.number().int() }),
    })
    .nullable()
    .describe('the same held-out examples, predicted by the most common class and by k nearest neighbours'),
  regression: z
    .object({ target: z.string(), mae: nullableNumber, baseline_mae: nullableNumber })
    .nullable()
    .describe('the regression head (optimization: improvement): held-out mean absolute error next to predicting the training mean'),
  not_validated_reason: z.string().nullable(),
  training_time: z.number().describe('seconds'),
});

export const neuralTrain = defineTool({
  name: 'neural_train',
  title: 'Train on outcomes',
  description:
    'Stores {input, output} examples (e.g. a bottleneck and the technique that fixed it, with its measured improvement) and trains a real model on all stored examples of the pattern type: a small neural network (MLP) with seeded, repeatable training. ' +
    `Reports accuracy on held-out examples next to the majority-class and ${KNN_K}-nearest-neighbour baselines on the same split; below ${MIN_EXAMPLES_TO_VALIDATE} examples it says so instead of printing an accuracy. The model is saved with a modelId for neural_predict.`,
  input,
  output,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler(args, response, { app }) {
    // The engine loads on the first call (see tools/index.ts).
    const { trainFromStore } = await import('../src/learn/neural.js');
    const { model, added } = trainFromStore(app, {
      patternType: args.pattern_type,
      trainingData: args.training_data,
      epochs: args.epochs,
      learningRate: args.learning_rate,
      seed: args.seed,
      validationSplit: args.validation_split,
      hidden: args.hidden,
      ...(args.target ? { target: args.target } : {}),
    });
    const r = model.report;
    const classes = model.spec.classes.map((value) => ({ value, examples: r.class_counts[value] ?? 0 }));
    const seconds = Math.round(r.training_ms) / 1000;
    response.line(
      `Trained ${inline(model.modelId)} (${args.pattern_type}, predicts ${inline(model.spec.target)} among ${classes.length} value(s)) on ${r.examples.used} stored example(s)` +
        `${added ? `, ${added} added now` : ''}: ${args.epochs} epochs in ${seconds} s.`,
    );
    if (r.accuracy !== null && r.baselines) {
      response.line(
        `Held-out accuracy ${pct(r.accuracy)} on ${r.examples.holdout} examples it never trained on (loss ${r.loss?.toFixed(3)}), ` +
          `against ${pct(r.baselines.majority.accuracy)} for always answering ${inline(r.baselines.majority.class)} and ${pct(r.baselines.knn.accuracy)} for ${r.baselines.knn.k}-nearest neighbours. Training accuracy ${pct(r.train_accuracy)}.`,
      );
      const best = Math.max(r.baselines.majority.accuracy, r.baselines.knn.accuracy);
      if (r.accuracy <= best) response.note('the model does not beat the best baseline on held-out data: treat its predictions as no better than that baseline');
    } else {
      response.line(`No accuracy: ${r.not_validated_reason}. Training accuracy ${pct(r.train_accuracy)} (on the examples it learned from, so it says little).`);
    }
    if (r.regression?.mae !== null && r.regression?.mae !== undefined) {
      response.line(`${inline(r.regression.target)}: held-out mean absolute error ${r.regression.mae.toFixed(3)} against ${r.regression.baseline_mae?.toFixed(3)} for the training mean.`);
    }
    if (r.examples.without_target) response.note(`${r.examples.without_target} stored example(s) have no ${model.spec.target} category and were not used`);
    response.table(['value', 'examples'], classes.map((c) => [c.value, c.examples]));
    return {
      success: true,
      modelId: model.modelId,
      pattern_type: args.pattern_type,
      version: model.version,
      status: r.validated ? ('trained' as const) : ('trained_unvalidated' as const),
      target: model.spec.target,
      classes,
      epochs: args.epochs,
      learning_rate: args.learning_rate,
      seed: args.seed,
      examples: r.examples.total,
      examples_added: added,
      examples_without_target: r.examples.without_target,
      train_examples: r.examples.train,
      holdout_examples: r.examples.holdout,
      accuracy: r.accuracy,
      loss: r.loss,
      train_accuracy: r.train_accuracy,
      train_loss: r.train_loss,
      baselines: r.baselines,
      regression: r.regression,
      not_validated_reason: r.not_validated_reason,
      training_time: seconds,
    };
  },
});

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}
