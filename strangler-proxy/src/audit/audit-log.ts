import type { Stage } from '@strangler/manifests';
import type pg from 'pg';

export type FlipMode = 'manual' | 'automatic';

/** One flip as it is appended to the audit log. */
export interface AuditEntry {
  actor: string;
  domain: string;
  fromStage: Stage | null;
  toStage: Stage;
  fromPercentage: number | null;
  toPercentage: number;
  adr: number | null;
  reason: string | null;
  mode: FlipMode;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: string;
}

/** The append-only record of flips. */
export interface AuditLog {
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** Newest first, optionally for one domain. */
  list(options?: { domain?: string; limit?: number }): Promise<AuditRecord[]>;
}

interface Row {
  id: string;
  at: Date;
  actor: string;
  domain: string;
  from_stage: Stage | null;
  to_stage: Stage;
  from_percentage: number | null;
  to_percentage: number;
  adr: number | null;
  reason: string | null;
  mode: FlipMode;
}

function toRecord(row: Row): AuditRecord {
  return {
    id: Number(row.id),
    at: row.at.toISOString(),
    actor: row.actor,
    domain: row.domain,
    fromStage: row.from_stage,
    toStage: row.to_stage,
    fromPercentage: row.from_percentage,
    toPercentage: row.to_percentage,
    adr: row.adr,
    reason: row.reason,
    mode: row.mode,
  };
}

/** `audit_log` in the proxy's own PostgreSQL database (created by sql/0001_audit_log.sql). */
export class PgAuditLog implements AuditLog {
  constructor(private readonly pool: pg.Pool) {}

  async append(e: AuditEntry): Promise<AuditRecord> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO audit_log (actor, domain, from_stage, to_stage, from_percentage, to_percentage, adr, reason, mode)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [e.actor, e.domain, e.fromStage, e.toStage, e.fromPercentage, e.toPercentage, e.adr, e.reason, e.mode],
    );
    return toRecord(rows[0]!);
  }

  async list(options: { domain?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const { rows } = options.domain
      ? await this.pool.query<Row>('SELECT * FROM audit_log WHERE domain = $1 ORDER BY id DESC LIMIT $2', [options.domain, limit])
      : await this.pool.query<Row>('SELECT * FROM audit_log ORDER BY id DESC LIMIT $1', [limit]);
    return rows.map(toRecord);
  }
}

/** In-memory audit log for unit tests. */
export class FakeAuditLog implements AuditLog {
  readonly records: AuditRecord[] = [];

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const record = { ...entry, id: this.records.length + 1, at: new Date().toISOString() };
    this.records.push(record);
    return record;
  }

  async list(options: { domain?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    return this.records
      .filter((r) => !options.domain || r.domain === options.domain)
      .reverse()
      .slice(0, options.limit ?? 100);
  }
}
