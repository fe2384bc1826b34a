import type { Stage } from '@strangler/manifests';
import { AppError, ConflictError } from '@strangler/platform';
import type pg from 'pg';

/** `external`: a change made in Unleash outside the admin API, noticed and recorded by a proxy. */
export type FlipMode = 'manual' | 'automatic' | 'external';

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
  /** The safety check a forced flip went past (ADR-0021), or null. */
  override?: string | null;
  /** What a guard measured, and over which window, for its automatic rollback or promotion (ADR-0023). */
  evidence?: Record<string, unknown> | null;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: string;
}

/** One domain's rows, inside a transaction that holds the domain's lock. */
export interface DomainLedger {
  /** The domain's newest row, if it has any. */
  last(): Promise<AuditRecord | undefined>;
  append(entry: AuditEntry): Promise<AuditRecord>;
}

/** The append-only record of flips. */
export interface AuditLog {
  /** Newest first, optionally for one domain. */
  list(options?: { domain?: string; limit?: number }): Promise<AuditRecord[]>;
  /**
   * Runs `work` in one transaction that first takes the domain's lock, so that work on one domain
   * from every proxy instance on this database runs one at a time. Commits when `work` resolves and
   * rolls back when it throws (its error is rethrown). Throws AuditLogUnavailableError when the
   * database cannot start or serve the transaction, and AuditCommitError when `work` resolved but
   * the commit failed: nothing of the transaction stands, but whatever `work` did elsewhere does.
   */
  transaction<T>(domain: string, work: (ledger: DomainLedger) => Promise<T>): Promise<T>;
}

/** The audit log cannot be read or written now; nothing of the transaction was recorded. */
export class AuditLogUnavailableError extends AppError {
  constructor(message: string, cause?: unknown) {
    super(503, 'audit_log_unavailable', message, { retriable: true, cause, headers: { 'retry-after': '5' } });
  }
}

/** The commit of a transaction failed after its work had succeeded. */
export class AuditCommitError extends Error {
  constructor(
    readonly domain: string,
    readonly detail: string,
    cause?: unknown,
  ) {
    super(`the audit log could not commit the transaction of ${domain}: ${detail}`, { cause });
    this.name = 'AuditCommitError';
  }
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
  override: string | null;
  evidence?: Record<string, unknown> | null;
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
    override: row.override,
    evidence: row.evidence ?? null,
  };
}

/** The class id of the domain locks (the object id is the hash of the domain's name). */
const DOMAIN_LOCK_CLASS = 4_711_205;
/** pg's code for a lock wait past lock_timeout. */
const LOCK_NOT_AVAILABLE = '55P03';

const detailOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** `audit_log` in the proxy's own PostgreSQL database (sql/0001_audit_log.sql, mode external since 0002). */
export class PgAuditLog implements AuditLog {
  /**
   * @param lockTimeoutMs how long a transaction waits for its domain's lock: a flip stuck on a slow
   * Unleash elsewhere then fails clearly (409 flip_in_progress) instead of hanging the caller.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly lockTimeoutMs = 10_000,
  ) {}

  async list(options: { domain?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const { rows } = options.domain
      ? await this.pool.query<Row>('SELECT * FROM audit_log WHERE domain = $1 ORDER BY id DESC LIMIT $2', [options.domain, limit])
      : await this.pool.query<Row>('SELECT * FROM audit_log ORDER BY id DESC LIMIT $1', [limit]);
    return rows.map(toRecord);
  }

  async transaction<T>(domain: string, work: (ledger: DomainLedger) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new AuditLogUnavailableError(`the audit log's database is unreachable: ${detailOf(err)}`, err);
    }
    // A client whose transaction ended in an unknown state is closed rather than reused.
    let broken: Error | undefined;
    // While `work` waits on something else, the connection may drop; unhandled, that would crash the proxy.
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    const query = async <R extends pg.QueryResultRow>(what: string, text: string, values?: unknown[]) => {
      try {
        return await client.query<R>(text, values);
      } catch (err) {
        if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) {
          throw new ConflictError(`another flip of ${domain} is still in progress; retry when it is done`, 'flip_in_progress');
        }
        throw new AuditLogUnavailableError(`the audit log could not ${what} for ${domain}: ${detailOf(err)}`, err);
      }
    };
    const ledger: DomainLedger = {
      last: async () => {
        const { rows } = await query<Row>('read the last row', 'SELECT * FROM audit_log WHERE domain = $1 ORDER BY id DESC LIMIT 1', [domain]);
        return rows[0] ? toRecord(rows[0]) : undefined;
      },
      append: async (e) => {
        const { rows } = await query<Row>(
          'append a row',
          `INSERT INTO audit_log (actor, domain, from_stage, to_stage, from_percentage, to_percentage, adr, reason, mode, override, evidence)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
          [e.actor, e.domain, e.fromStage, e.toStage, e.fromPercentage, e.toPercentage, e.adr, e.reason, e.mode, e.override ?? null, e.evidence ? JSON.stringify(e.evidence) : null],
        );
        return toRecord(rows[0]!);
      },
    };
    let open = false;
    try {
      await query('begin a transaction', 'BEGIN');
      open = true;
      await query('set the lock timeout', `SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.lockTimeoutMs))}`);
      await query('take the lock', 'SELECT pg_advisory_xact_lock($1, hashtext($2))', [DOMAIN_LOCK_CLASS, domain]);
      const result = await work(ledger);
      open = false;
      try {
        await client.query('COMMIT');
      } catch (err) {
        broken ??= err instanceof Error ? err : new Error(String(err));
        throw new AuditCommitError(domain, detailOf(err), err);
      }
      return result;
    } catch (err) {
      if (open && !broken) await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}
