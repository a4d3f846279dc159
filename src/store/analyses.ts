import { statSync } from 'node:fs';
import type { Finding } from '../analyze/findings.js';
import { redact, redactDeep } from '../secrets.js';
import type { Db } from './db.js';

export interface ArtifactRecord {
  id: number;
  owner: 'analysis' | 'run' | 'report';
  ownerId: number;
  kind: string;
  path: string;
  mimeType: string;
  bytes: number;
  createdAt: number;
}

/** Bottleneck analyses, their ranked findings, and the artifact files perfsop wrote. */
export class AnalysisStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  create(component: string | null, params: object): number {
    const result = this.db
      .prepare("INSERT INTO analyses (component, status, started_at, params) VALUES (?, 'running', ?, ?)")
      .run(component, this.now(), JSON.stringify(redactDeep(params)));
    return Number(result.lastInsertRowid);
  }

  /** The summary and every finding in rank order, in one transaction. */
  complete(id: number, summary: object, findings: readonly Finding[]): void {
    const insert = this.db.prepare(
      `INSERT INTO findings (analysis_id, rank, kind, title, category, priority, impact_ms, impact_share, location, evidence, fix)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      findings.forEach((f, index) =>
        insert.run(id, index + 1, f.kind, f.title, f.category, f.priority, f.impact.ms_per_request, f.impact.share, f.location ? JSON.stringify(f.location) : null, JSON.stringify(redactDeep(f.evidence)), redact(f.fix)),
      );
      this.db.prepare("UPDATE analyses SET status = 'completed', finished_at = ?, summary = ? WHERE id = ?").run(this.now(), JSON.stringify(summary), id);
    })();
  }

  /**
   * The top finding of the latest completed analysis that started in [from, to], preferring one of
   * `components`: in the SOP that is the analysis between a baseline run and its validation run.
   */
  topFindingBetween(from: number, to: number, components: readonly string[]): { analysisId: number; component: string | null; title: string; category: string; impactMs: number | null } | undefined {
    const rows = this.db
      .prepare(
        `SELECT a.id, a.component, f.title, f.category, f.impact_ms FROM analyses a JOIN findings f ON f.analysis_id = a.id AND f.rank = 1
         WHERE a.status = 'completed' AND a.started_at BETWEEN ? AND ? ORDER BY a.started_at DESC, a.id DESC`,
      )
      .all(from, to) as Array<{ id: number; component: string | null; title: string; category: string; impact_ms: number | null }>;
    const row = rows.find((r) => r.component !== null && components.includes(r.component)) ?? rows[0];
    return row && { analysisId: row.id, component: row.component, title: row.title, category: row.category, impactMs: row.impact_ms };
  }

  /** One analysis with its findings in rank order, as stored. */
  get(id: number): { id: number; component: string | null; status: string; startedAt: number; finishedAt: number | null; params: unknown; summary: unknown; error: string | null; findings: unknown[] } | undefined {
    const row = this.db.prepare('SELECT * FROM analyses WHERE id = ?').get(id) as
      | { id: number; component: string | null; status: string; started_at: number; finished_at: number | null; params: string; summary: string | null; error: string | null }
      | undefined;
    if (!row) return undefined;
    const findings = (this.db.prepare('SELECT * FROM findings WHERE analysis_id = ? ORDER BY rank').all(id) as Array<Record<string, unknown>>).map((f) => ({
      rank: f.rank,
      kind: f.kind,
      title: f.title,
      category: f.category,
      priority: f.priority,
      impact: { ms_per_request: f.impact_ms, share: f.impact_share },
      location: typeof f.location === 'string' ? JSON.parse(f.location) : null,
      evidence: JSON.parse(f.evidence as string),
      fix: f.fix,
    }));
    return {
      id: row.id,
      component: row.component,
      status: row.status,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      params: JSON.parse(row.params),
      summary: row.summary ? JSON.parse(row.summary) : null,
      error: row.error,
      findings,
    };
  }

  recent(limit: number): Array<{ id: number; component: string | null; status: string; startedAt: number }> {
    return this.db
      .prepare('SELECT id, component, status, started_at AS startedAt FROM analyses ORDER BY started_at DESC, id DESC LIMIT ?')
      .all(limit) as Array<{ id: number; component: string | null; status: string; startedAt: number }>;
  }

  fail(id: number, status: 'failed' | 'cancelled', error: string): void {
    this.db.prepare('UPDATE analyses SET status = ?, finished_at = ?, error = ? WHERE id = ?').run(status, this.now(), redact(error), id);
  }

  addArtifact(owner: ArtifactRecord['owner'], ownerId: number, kind: string, path: string, mimeType: string): ArtifactRecord {
    const bytes = statSync(path).size;
    const createdAt = this.now();
    const result = this.db
      .prepare('INSERT OR REPLACE INTO artifacts (owner, owner_id, kind, path, mime_type, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(owner, ownerId, kind, path, mimeType, bytes, createdAt);
    return { id: Number(result.lastInsertRowid), owner, ownerId, kind, path, mimeType, bytes, createdAt };
  }

  artifacts(limit = 200): ArtifactRecord[] {
    return (
      this.db
        .prepare('SELECT id, owner, owner_id AS ownerId, kind, path, mime_type AS mimeType, bytes, created_at AS createdAt FROM artifacts ORDER BY created_at DESC, id DESC LIMIT ?')
        .all(limit) as ArtifactRecord[]
    );
  }
}
