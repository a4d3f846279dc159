import { createRandom, type Random } from '../stats/random.js';
import type { SparseVector } from './features.js';

/**
 * A small multilayer perceptron trained by mini-batch gradient descent (Adam): sparse input ->
 * one hidden ReLU layer -> softmax over the classes, plus an optional linear regression head on
 * the same hidden layer (e.g. the improvement a technique brought). Written out by hand rather
 * than taken from a library: a network this size trains in well under a second in plain
 * JavaScript (bench/learn), with no dependency to install or load.
 * Everything random draws from a seeded generator, so the same data and seed give the same
 * weights, bit for bit.
 */

export interface MlpShape {
  inputs: number;
  hidden: number;
  classes: number;
  regression: boolean;
}

export interface TrainOptions {
  epochs: number;
  learningRate: number;
  seed: number;
  batchSize?: number;
  /** L2 penalty on the weights (not the biases). */
  weightDecay?: number;
  /** Weight of the regression loss next to the classification loss. */
  regressionWeight?: number;
}

export interface Example {
  x: SparseVector;
  /** Class index. */
  y: number;
  /** Standardized regression target, or NaN when the example has none. */
  r: number;
}

export interface LossReport {
  loss: number;
  accuracy: number;
  /** Mean squared error of the regression head on examples with a target (standardized units). */
  regressionMse: number | null;
}

/** About how many inputs of an example are non-zero (a few numbers, categories and words). */
const SPARSE_FAN_IN = 16;
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

export class Mlp {
  /** All parameters in one array (W1, b1, W2, b2, Wr, br), so they persist as one blob. */
  readonly params: Float64Array;
  private readonly w1: number;
  private readonly b1: number;
  private readonly w2: number;
  private readonly b2: number;
  private readonly wr: number;
  private readonly br: number;

  constructor(
    readonly shape: MlpShape,
    params?: Float64Array,
  ) {
    const { inputs, hidden, classes } = shape;
    this.w1 = 0;
    this.b1 = this.w1 + inputs * hidden;
    this.w2 = this.b1 + hidden;
    this.b2 = this.w2 + hidden * classes;
    this.wr = this.b2 + classes;
    this.br = this.wr + hidden;
    const size = this.br + 1;
    if (params && params.length !== size) throw new Error(`model has ${params.length} parameters, its shape needs ${size}`);
    this.params = params ?? new Float64Array(size);
  }

  /** He initialization for the ReLU layer, Glorot for the output layers. */
  initialize(random: Random): void {
    const { inputs, hidden, classes } = this.shape;
    const gaussian = gaussianSource(random);
    const p = this.params;
    // He scaling by the number of inputs actually non-zero in an example, not the vector length.
    const s1 = Math.sqrt(2 / Math.min(inputs, SPARSE_FAN_IN));
    for (let i = 0; i < inputs * hidden; i++) p[this.w1 + i] = gaussian() * s1;
    const s2 = Math.sqrt(2 / (hidden + classes));
    for (let i = 0; i < hidden * classes; i++) p[this.w2 + i] = gaussian() * s2;
    const sr = Math.sqrt(2 / (hidden + 1));
    for (let i = 0; i < hidden; i++) p[this.wr + i] = gaussian() * sr;
  }

  /** Hidden activations (pre-ReLU into `pre`, post-ReLU into `h`). */
  private hiddenLayer(x: SparseVector, pre: Float64Array, h: Float64Array): void {
    const { hidden } = this.shape;
    const p = this.params;
    for (let j = 0; j < hidden; j++) pre[j] = p[this.b1 + j]!;
    for (let k = 0; k < x.index.length; k++) {
      const row = this.w1 + x.index[k]! * hidden;
      const v = x.value[k]!;
      for (let j = 0; j < hidden; j++) pre[j]! += v * p[row + j]!;
    }
    for (let j = 0; j < hidden; j++) h[j] = pre[j]! > 0 ? pre[j]! : 0;
  }

  private outputs(h: Float64Array, probs: Float64Array): number {
    const { hidden, classes } = this.shape;
    const p = this.params;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let z = p[this.b2 + c]!;
      for (let j = 0; j < hidden; j++) z += h[j]! * p[this.w2 + j * classes + c]!;
      probs[c] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += probs[c] = Math.exp(probs[c]! - max);
    for (let c = 0; c < classes; c++) probs[c]! /= sum;
    let r = p[this.br]!;
    for (let j = 0; j < hidden; j++) r += h[j]! * p[this.wr + j]!;
    return r;
  }

  predict(x: SparseVector): { probabilities: Float64Array; regression: number } {
    const pre = new Float64Array(this.shape.hidden);
    const h = new Float64Array(this.shape.hidden);
    const probabilities = new Float64Array(this.shape.classes);
    this.hiddenLayer(x, pre, h);
    const regression = this.outputs(h, probabilities);
    return { probabilities, regression };
  }

  evaluate(examples: readonly Example[]): LossReport {
    let loss = 0;
    let correct = 0;
    let squared = 0;
    let withTarget = 0;
    for (const example of examples) {
      const { probabilities, regression } = this.predict(example.x);
      loss -= Math.log(Math.max(probabilities[example.y]!, 1e-12));
      if (argmax(probabilities) === example.y) correct += 1;
      if (!Number.isNaN(example.r)) {
        squared += (regression - example.r) ** 2;
        withTarget += 1;
      }
    }
    const n = Math.max(1, examples.length);
    return { loss: loss / n, accuracy: correct / n, regressionMse: withTarget ? squared / withTarget : null };
  }

  train(examples: readonly Example[], options: TrainOptions): void {
    const { hidden, classes } = this.shape;
    const random = createRandom(options.seed);
    this.initialize(random);
    const batchSize = options.batchSize ?? 32;
    const decay = options.weightDecay ?? 3e-3;
    const regressionWeight = this.shape.regression ? (options.regressionWeight ?? 0.5) : 0;
    const p = this.params;
    const grad = new Float64Array(p.length);
    const m = new Float64Array(p.length);
    const v = new Float64Array(p.length);
    const pre = new Float64Array(hidden);
    const h = new Float64Array(hidden);
    const probs = new Float64Array(classes);
    const dh = new Float64Array(hidden);
    const order = Array.from(examples.keys());
    /** Rows of W1 touched in this batch: the only ones with a non-zero data gradient. */
    const touched = new Set<number>();
    let step = 0;
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      shuffle(order, random);
      for (let start = 0; start < order.length; start += batchSize) {
        const end = Math.min(order.length, start + batchSize);
        const scale = 1 / (end - start);
        grad.fill(0);
        touched.clear();
        for (let b = start; b < end; b++) {
          const example = examples[order[b]!]!;
          this.hiddenLayer(example.x, pre, h);
          const r = this.outputs(h, probs);
          dh.fill(0);
          for (let c = 0; c < classes; c++) {
            const dz = (probs[c]! - (c === example.y ? 1 : 0)) * scale;
            grad[this.b2 + c]! += dz;
            for (let j = 0; j < hidden; j++) {
              grad[this.w2 + j * classes + c]! += h[j]! * dz;
              dh[j]! += p[this.w2 + j * classes + c]! * dz;
            }
          }
          if (regressionWeight > 0 && !Number.isNaN(example.r)) {
            const dr = regressionWeight * 2 * (r - example.r) * scale;
            grad[this.br]! += dr;
            for (let j = 0; j < hidden; j++) {
              grad[this.wr + j]! += h[j]! * dr;
              dh[j]! += p[this.wr + j]! * dr;
            }
          }
          for (let j = 0; j < hidden; j++) if (pre[j]! <= 0) dh[j] = 0;
          for (let j = 0; j < hidden; j++) grad[this.b1 + j]! += dh[j]!;
          for (let k = 0; k < example.x.index.length; k++) {
            const rowIndex = example.x.index[k]!;
            touched.add(rowIndex);
            const row = this.w1 + rowIndex * hidden;
            const value = example.x.value[k]!;
            for (let j = 0; j < hidden; j++) grad[row + j]! += value * dh[j]!;
          }
        }
        step += 1;
        const correction1 = 1 - ADAM_BETA1 ** step;
        const correction2 = 1 - ADAM_BETA2 ** step;
        const lr = options.learningRate;
        // Dense Adam on everything but W1; W1 only on the rows this batch touched (lazy Adam),
        // which is what keeps a few hundred sparse inputs cheap.
        const update = (i: number, decayed: boolean) => {
          const g = grad[i]! + (decayed ? decay * p[i]! : 0);
          m[i] = ADAM_BETA1 * m[i]! + (1 - ADAM_BETA1) * g;
          v[i] = ADAM_BETA2 * v[i]! + (1 - ADAM_BETA2) * g * g;
          p[i]! -= (lr * (m[i]! / correction1)) / (Math.sqrt(v[i]! / correction2) + ADAM_EPSILON);
        };
        for (const rowIndex of touched) {
          const row = this.w1 + rowIndex * hidden;
          for (let j = 0; j < hidden; j++) update(row + j, true);
        }
        for (let i = this.b1; i < p.length; i++) update(i, (i >= this.w2 && i < this.b2) || (i >= this.wr && i < this.br));
      }
    }
  }
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Fisher-Yates with the seeded generator. */
export function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function gaussianSource(random: Random): () => number {
  return () => {
    // Box-Muller; 1 - u keeps the logarithm finite.
    const u = 1 - random();
    const w = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
  };
}
