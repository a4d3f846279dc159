import { createRandom } from '../../src/stats/random.js';

/**
 * Optimization outcomes with a rule a model can learn, in the shape the SOP records them: the
 * technique follows from the bottleneck's category, its impact and its CPU ratio; `noise` of the
 * labels are replaced by a random technique; a few irrelevant fields ride along. The improvement
 * depends on the technique, so the regression head has something to learn too.
 */
export const TECHNIQUES = ['batch-queries', 'add-index', 'hash-map', 'memoize', 'bounded-cache', 'async-io', 'worker-thread'] as const;

const PHRASES: Record<string, string[]> = {
  db: ['N+1 queries on orders', 'missing index on sku', 'slow join query'],
  cpu: ['hot loop in pricing', 'nested loop matcher', 'regex backtracking'],
  memory: ['heap growth in cache', 'leaking listeners'],
  io: ['sync file read', 'large payload serialization'],
  event_loop: ['blocking crypto call', 'sync zlib'],
};

function rule(category: string, impact: number, cpuRatio: number): string {
  if (category === 'db') return impact > 100 ? 'batch-queries' : 'add-index';
  if (category === 'cpu') return cpuRatio > 0.5 ? 'hash-map' : 'memoize';
  if (category === 'memory') return 'bounded-cache';
  return impact > 50 ? 'async-io' : 'worker-thread';
}

export interface Outcome {
  input: { bottleneck: string; category: string; impact: number; cpu_ratio: number; service: string; noise: number };
  output: { technique: string; improvement: number };
}

export function outcomes(count: number, options: { seed?: number; noise?: number; shuffleLabels?: boolean } = {}): Outcome[] {
  const random = createRandom(options.seed ?? 7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const categories = Object.keys(PHRASES);
  const out: Outcome[] = [];
  for (let i = 0; i < count; i++) {
    const category = pick(categories);
    const impact = Math.round(Math.exp(random() * 7));
    const cpuRatio = Math.round(random() * 1000) / 1000;
    let technique = rule(category, impact, cpuRatio);
    if (random() < (options.noise ?? 0.1)) technique = pick(TECHNIQUES);
    const improvement = Math.round((0.2 + 0.1 * TECHNIQUES.indexOf(technique as (typeof TECHNIQUES)[number]) + random() * 0.05) * 1000) / 1000;
    out.push({
      input: { bottleneck: `${pick(PHRASES[category]!)} in ${pick(['checkout', 'cart', 'search', 'login'])}`, category, impact, cpu_ratio: cpuRatio, service: pick(['a', 'b', 'c', 'd', 'e', 'f']), noise: Math.round(random() * 1000) },
      output: { technique, improvement },
    });
  }
  if (options.shuffleLabels) {
    const labels = out.map((e) => e.output);
    for (let i = labels.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [labels[i], labels[j]] = [labels[j]!, labels[i]!];
    }
    out.forEach((e, i) => (e.output = labels[i]!));
  }
  return out;
}
