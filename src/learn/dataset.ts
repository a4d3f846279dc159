import { InputError } from '../errors.js';
import type { Json } from './features.js';

export const PATTERN_TYPES = ['coordination', 'optimization', 'prediction'] as const;
export type PatternType = (typeof PATTERN_TYPES)[number];

export interface TrainingExample {
  input: Record<string, Json>;
  output: Record<string, Json>;
}

export const MAX_EXAMPLES_PER_CALL = 50_000;

// Training constants live here, beside the dataset, so that the tool definitions can name them
// without loading the trainer (the MLP and k-NN load on the first neural_train call).
/** Below this many usable examples nothing is held out: an accuracy on 1 or 2 examples means nothing. */
export const MIN_EXAMPLES_TO_VALIDATE = 10;
export const KNN_K = 5;

const MAX_EXAMPLE_CHARS = 64 * 1024;

function isRecord(value: unknown): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * `training_data` as the SOP sends it: a JSON string holding one `{input, output}` example or an
 * array of them; empty means "retrain on what is stored". Every problem names the example and field.
 */
export function parseTrainingData(text: string | undefined): TrainingExample[] {
  if (text === undefined || text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError('training_data', `\`training_data\` is not valid JSON: ${(error as Error).message}`, 'send JSON.stringify({input: {...}, output: {...}}) or an array of such examples');
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length > MAX_EXAMPLES_PER_CALL) {
    throw new InputError('training_data', `\`training_data\` holds ${items.length} examples; at most ${MAX_EXAMPLES_PER_CALL} per call`, 'send them in several calls');
  }
  return items.map((item, i) => validateExample(item, Array.isArray(parsed) ? `training_data[${i}]` : 'training_data'));
}

export function validateExample(item: unknown, where: string): TrainingExample {
  if (!isRecord(item)) throw new InputError('training_data', `\`${where}\` must be an object {"input": {...}, "output": {...}}, got ${describe(item)}`);
  for (const part of ['input', 'output'] as const) {
    if (!isRecord(item[part])) throw new InputError('training_data', `\`${where}.${part}\` must be an object, got ${describe(item[part])}`);
    if (Object.keys(item[part]).length === 0) throw new InputError('training_data', `\`${where}.${part}\` is empty; it needs at least one field`);
  }
  const extra = Object.keys(item).filter((k) => k !== 'input' && k !== 'output');
  if (extra.length) throw new InputError('training_data', `\`${where}\` has unknown field(s) ${extra.map((k) => `\`${k}\``).join(', ')}; an example has only input and output`);
  if (JSON.stringify(item).length > MAX_EXAMPLE_CHARS) throw new InputError('training_data', `\`${where}\` is larger than ${MAX_EXAMPLE_CHARS / 1024} KiB`);
  return { input: item.input as Record<string, Json>, output: item.output as Record<string, Json> };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
