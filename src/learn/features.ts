/**
 * Turns arbitrary `input` objects into fixed-length numeric vectors, learning the layout from the
 * training examples:
 * - nested objects are flattened to dotted keys (`load.rps`), at most 4 levels deep;
 * - numbers and numeric strings are log-scaled (sign(x) * ln(1 + |x|), so 3 ms and 3,000 ms are
 *   a few units apart, not a thousand) and standardized with the training mean and spread;
 * - booleans are 0/1;
 * - a string field whose values are short single tokens (`component: "inventory"`) is a category,
 *   one-hot over the values seen in training; an unseen value sets no bit;
 * - any other string (free text such as `bottleneck: "N+1 database queries"`) and arrays of
 *   strings are tokenized and hashed into a shared block of buckets, keyed by field, so words of
 *   different fields stay apart and a new word never needs a new column.
 * Keys never seen in training are ignored at prediction time. Vectors are sparse: a handful of
 * non-zero entries out of a few hundred, which keeps training and nearest-neighbour search cheap.
 */

import { mean, stddev } from '../stats/descriptive.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface SparseVector {
  index: Int32Array;
  value: Float64Array;
}

type FieldSpec =
  | { key: string; kind: 'number'; column: number; mean: number; std: number }
  | { key: string; kind: 'boolean'; column: number }
  | { key: string; kind: 'category'; column: number; values: string[] }
  | { key: string; kind: 'text' };

export interface FeaturizerState {
  version: 1;
  fields: FieldSpec[];
  hashOffset: number;
  hashBuckets: number;
  dims: number;
}

const MAX_DEPTH = 4;
const HASH_BUCKETS = 256;
/** A category with more distinct values than this is treated as text. */
const MAX_CATEGORIES = 64;
const MAX_CATEGORY_LENGTH = 40;
const TOKEN = /[a-z0-9]+(?:[+#][a-z0-9]*)*/g;

/** Flattens an input object to dotted keys and primitive (or string-array) values. */
export function flatten(input: Record<string, Json>, prefix = '', depth = 0, out = new Map<string, Json>()): Map<string, Json> {
  for (const [name, value] of Object.entries(input)) {
    const key = prefix ? `${prefix}.${name}` : name;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (depth < MAX_DEPTH) flatten(value, key, depth + 1, out);
    } else if (value !== null) out.set(key, value);
  }
  return out;
}

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

function numeric(value: Json): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '' && /^[-+]?\d*\.?\d+(e[-+]?\d+)?$/i.test(value.trim())) return Number(value);
  return undefined;
}

function logScale(x: number): number {
  return Math.sign(x) * Math.log1p(Math.abs(x));
}

function textOf(value: Json): string {
  return Array.isArray(value) ? value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(' ') : String(value);
}

/** FNV-1a: a stable hash, so a model trained in one process featurizes alike in another. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export class Featurizer {
  private constructor(readonly state: FeaturizerState) {}

  static fit(inputs: ReadonlyArray<Record<string, Json>>): Featurizer {
    const seen = new Map<string, Json[]>();
    for (const input of inputs) {
      for (const [key, value] of flatten(input)) {
        let values = seen.get(key);
        if (!values) seen.set(key, (values = []));
        values.push(value);
      }
    }
    const fields: FieldSpec[] = [];
    let column = 0;
    for (const key of [...seen.keys()].sort()) {
      const values = seen.get(key)!;
      if (values.every((v) => typeof v === 'boolean')) {
        fields.push({ key, kind: 'boolean', column: column++ });
      } else if (values.every((v) => numeric(v) !== undefined)) {
        const scaled = values.map((v) => logScale(numeric(v)!));
        fields.push({ key, kind: 'number', column: column++, mean: mean(scaled), std: stddev(scaled) || 1 });
      } else {
        const strings = values.map(textOf);
        const distinct = [...new Set(strings)].sort();
        const categorical = values.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') &&
          distinct.length <= MAX_CATEGORIES &&
          distinct.every((s) => s.length <= MAX_CATEGORY_LENGTH && !/\s/.test(s));
        if (categorical) {
          fields.push({ key, kind: 'category', column, values: distinct });
          column += distinct.length;
        } else fields.push({ key, kind: 'text' });
      }
    }
    return new Featurizer({ version: 1, fields, hashOffset: column, hashBuckets: HASH_BUCKETS, dims: column + HASH_BUCKETS });
  }

  static restore(state: FeaturizerState): Featurizer {
    if (state.version !== 1) throw new Error(`unknown featurizer version ${String(state.version)}`);
    return new Featurizer(state);
  }

  get dims(): number {
    return this.state.dims;
  }

  /** The fields a vector is built from, for explaining what the model looks at. */
  describe(): Array<{ key: string; kind: string }> {
    return this.state.fields.map((f) => ({ key: f.key, kind: f.kind }));
  }

  transform(input: Record<string, Json>): SparseVector {
    const flat = flatten(input);
    const entries = new Map<number, number>();
    const add = (column: number, value: number) => {
      if (value !== 0) entries.set(column, (entries.get(column) ?? 0) + value);
    };
    for (const field of this.state.fields) {
      const value = flat.get(field.key);
      if (value === undefined) continue;
      switch (field.kind) {
        case 'boolean':
          add(field.column, value === true ? 1 : 0);
          break;
        case 'number': {
          const x = numeric(value);
          // Clipped, so one absurd value cannot swamp every other feature.
          if (x !== undefined) add(field.column, Math.max(-5, Math.min(5, (logScale(x) - field.mean) / field.std)));
          break;
        }
        case 'category': {
          const at = field.values.indexOf(textOf(value));
          if (at >= 0) add(field.column + at, 1);
          break;
        }
        case 'text': {
          const tokens = tokenize(textOf(value));
          // Each field's words weigh 1 in total (L2), however long the text.
          const weight = tokens.length ? 1 / Math.sqrt(tokens.length) : 0;
          for (const token of tokens) {
            const hash = fnv1a(`${field.key}\u0000${token}`);
            const sign = hash & 0x8000_0000 ? -1 : 1;
            add(this.state.hashOffset + (hash % this.state.hashBuckets), sign * weight);
          }
          break;
        }
      }
    }
    const columns = [...entries.keys()].sort((a, b) => a - b);
    return { index: Int32Array.from(columns), value: Float64Array.from(columns.map((c) => entries.get(c)!)) };
  }
}
