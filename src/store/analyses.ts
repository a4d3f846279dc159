import { statSync } from 'node:fs';
import type { Finding } from '../analyze/findings.js';
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
      .run(component, this.now(), JSON.stringify(params));
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
        insert.run(id, index + 1, f.kind, f.title, f.category, f.priority, f.impact.ms_per_request, f.impact.share, f.location ? JSON.stringify(f.location) : null, JSON.stringify(f.evidence), f.fix),
      );
      this.db.prepare("UPDATE analyses SET status = 'completed', finished_at = ?, summary = ? WHERE id = ?").run(this.now(), JSON.stringify(summary), id);
    })();
  }

  fail(id: number, status: 'failed' | 'cancelled', error: string): void {
    this.db.prepare('UPDATE analyses SET status = ?, finished_at = ?, error = ? WHERE id = ?').run(status, this.now(), error, id);
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
