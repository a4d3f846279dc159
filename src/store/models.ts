import type { PatternType, TrainingExample } from '../learn/dataset.js';
import type { ModelSpec, TrainingReport } from '../learn/train.js';
import type { Db } from './db.js';

export type ExampleSource = 'neural_train' | 'benchmark_run';

export interface StoredExample extends TrainingExample {
  id: number;
  source: ExampleSource;
  createdAt: number;
}

/** What describes a model; its weights are loaded apart (ModelStore.body), only when needed. */
export interface ModelHeader {
  modelId: string;
  patternType: PatternType;
  version: number;
  createdAt: number;
  examplesUpto: number;
  report: TrainingReport;
}

export interface ModelBody {
  spec: ModelSpec;
  params: Float64Array;
}

export type StoredModel = ModelHeader & ModelBody;

interface HeaderRow {
  model_id: string;
  pattern_type: PatternType;
  version: number;
  created_at: number;
  examples_upto: number;
  report: string;
}

const HEADER = 'model_id, pattern_type, version, created_at, examples_upto, report';

/** Training examples per pattern type, and the models trained on them (weights as float64 blobs). */
export class ModelStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  addExamples(patternType: PatternType, examples: readonly TrainingExample[], source: ExampleSource): number {
    const insert = this.db.prepare('INSERT INTO training_examples (pattern_type, input, output, source, created_at) VALUES (?, ?, ?, ?, ?)');
    const at = this.now();
    this.db.transaction(() => {
      for (const e of examples) insert.run(patternType, JSON.stringify(e.input), JSON.stringify(e.output), source, at);
    })();
    return examples.length;
  }

  examples(patternType: PatternType, upto = Number.MAX_SAFE_INTEGER): StoredExample[] {
    const rows = this.db
      .prepare('SELECT id, input, output, source, created_at FROM training_examples WHERE pattern_type = ? AND id <= ? ORDER BY id')
      .all(patternType, upto) as Array<{ id: number; input: string; output: string; source: ExampleSource; created_at: number }>;
    return rows.map((r) => ({ id: r.id, input: JSON.parse(r.input), output: JSON.parse(r.output), source: r.source, createdAt: r.created_at }));
  }

  lastExampleId(patternType: PatternType): number {
    const row = this.db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM training_examples WHERE pattern_type = ?').get(patternType) as { id: number };
    return row.id;
  }

  /** Saves a model as the next version of its pattern type; the version is taken inside the write. */
  saveModel(patternType: PatternType, examplesUpto: number, spec: ModelSpec, params: Float64Array, report: TrainingReport): StoredModel {
    return this.db.transaction(() => {
      const { next } = this.db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS next FROM models WHERE pattern_type = ?').get(patternType) as { next: number };
      const modelId = `${patternType}-v${next}`;
      const createdAt = this.now();
      this.db
        .prepare('INSERT INTO models (model_id, pattern_type, version, created_at, examples_upto, spec, params, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(modelId, patternType, next, createdAt, examplesUpto, JSON.stringify(spec), Buffer.from(params.buffer, params.byteOffset, params.byteLength), JSON.stringify(report));
      return { modelId, patternType, version: next, createdAt, examplesUpto, spec, params, report };
    }).immediate();
  }

  model(modelId: string): ModelHeader | undefined {
    const row = this.db.prepare(`SELECT ${HEADER} FROM models WHERE model_id = ?`).get(modelId) as HeaderRow | undefined;
    return row && headerOf(row);
  }

  latestModel(patternType: PatternType): ModelHeader | undefined {
    const row = this.db.prepare(`SELECT ${HEADER} FROM models WHERE pattern_type = ? ORDER BY version DESC LIMIT 1`).get(patternType) as HeaderRow | undefined;
    return row && headerOf(row);
  }

  body(modelId: string): ModelBody {
    const row = this.db.prepare('SELECT spec, params FROM models WHERE model_id = ?').get(modelId) as { spec: string; params: Buffer } | undefined;
    if (!row) throw new Error(`model ${modelId} is gone from the database`);
    // Copied into its own buffer: a Float64Array needs 8-byte alignment, which SQLite's blob may not have.
    return { spec: JSON.parse(row.spec) as ModelSpec, params: new Float64Array(new Uint8Array(row.params).slice().buffer) };
  }

  modelIds(): string[] {
    return (this.db.prepare('SELECT model_id FROM models ORDER BY pattern_type, version').all() as Array<{ model_id: string }>).map((r) => r.model_id);
  }
}

function headerOf(row: HeaderRow): ModelHeader {
  return {
    modelId: row.model_id,
    patternType: row.pattern_type,
    version: row.version,
    createdAt: row.created_at,
    examplesUpto: row.examples_upto,
    report: JSON.parse(row.report) as TrainingReport,
  };
}
