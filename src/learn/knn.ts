import type { SparseVector } from './features.js';

/**
 * Nearest neighbours by cosine similarity over sparse vectors. Items are scaled to unit length
 * once, so a query costs one sparse-by-dense dot product per item: this is what keeps the k-NN
 * baseline on 10,000 examples and the similar-case lookup of every prediction cheap.
 */
export class CosineIndex<T> {
  private readonly units: SparseVector[];

  constructor(
    readonly items: readonly T[],
    vectorOf: (item: T) => SparseVector,
  ) {
    this.units = items.map((item) => unit(vectorOf(item)));
  }

  nearest(query: SparseVector, k: number): Array<{ item: T; similarity: number }> {
    const q = unit(query);
    if (q.index.length === 0 || k <= 0) return this.items.slice(0, k).map((item) => ({ item, similarity: 0 }));
    const dense = new Float64Array(q.index[q.index.length - 1]! + 1);
    for (let i = 0; i < q.index.length; i++) dense[q.index[i]!] = q.value[i]!;
    const best: Array<{ at: number; similarity: number }> = [];
    for (let at = 0; at < this.units.length; at++) {
      const v = this.units[at]!;
      let similarity = 0;
      for (let i = 0; i < v.index.length; i++) {
        const column = v.index[i]!;
        if (column < dense.length) similarity += v.value[i]! * dense[column]!;
      }
      if (best.length < k || similarity > best[best.length - 1]!.similarity) {
        // Insertion into a short sorted list: k is small.
        let position = best.length;
        while (position > 0 && best[position - 1]!.similarity < similarity) position--;
        best.splice(position, 0, { at, similarity });
        if (best.length > k) best.pop();
      }
    }
    return best.map(({ at, similarity }) => ({ item: this.items[at]!, similarity }));
  }
}

function unit(v: SparseVector): SparseVector {
  let squares = 0;
  for (const x of v.value) squares += x * x;
  if (squares === 0) return v;
  const scale = 1 / Math.sqrt(squares);
  return { index: v.index, value: v.value.map((x) => x * scale) };
}
