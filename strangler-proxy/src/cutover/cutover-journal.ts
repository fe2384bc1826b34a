import type pg from 'pg';

/** One cutover (new ⇄ owned) as the status shows it. */
export interface CutoverRecord {
  id: number;
  domain: string;
  actor: string;
  fromStage: string;
  toStage: string;
  startedAt: Date;
  finishedAt: Date | null;
  /** How long the domain's writes were fenced (held or refused), ms. */
  fenceMs: number | null;
  outcome: 'done' | 'refused' | null;
  failedStep: string | null;
  detail: string | null;
  auditId: number | null;
  /** The steps done (the last one refused, if any) and how long each took, ms. */
  steps: { step: string; ms: number }[];
}

type Finish = { outcome: 'done' | 'refused'; fenceMs: number | null; failedStep?: string; detail?: string; auditId?: number; steps?: { step: string; ms: number }[] };

/** Where cutovers are recorded: the proxy's database, beside the audit log. */
export interface CutoverJournal {
  start(entry: { domain: string; actor: string; fromStage: string; toStage: string }): Promise<number>;
  finish(id: number, result: Finish): Promise<void>;
  last(domain: string): Promise<CutoverRecord | undefined>;
}

interface Row {
  id: string;
  domain: string;
  actor: string;
  from_stage: string;
  to_stage: string;
  started_at: Date;
  finished_at: Date | null;
  fence_ms: number | null;
  outcome: 'done' | 'refused' | null;
  failed_step: string | null;
  detail: string | null;
  audit_id: string | null;
  steps: { step: string; ms: number }[];
}

export class PgCutoverJournal implements CutoverJournal {
  constructor(private readonly pool: pg.Pool) {}

  async start(entry: { domain: string; actor: string; fromStage: string; toStage: string }): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>('INSERT INTO cutovers (domain, actor, from_stage, to_stage) VALUES ($1, $2, $3, $4) RETURNING id', [entry.domain, entry.actor, entry.fromStage, entry.toStage]);
    return Number(rows[0]!.id);
  }

  async finish(id: number, result: Finish): Promise<void> {
    await this.pool.query('UPDATE cutovers SET finished_at = now(), outcome = $2, fence_ms = $3, failed_step = $4, detail = $5, audit_id = $6, steps = $7 WHERE id = $1', [
      id,
      result.outcome,
      result.fenceMs === null ? null : Math.round(result.fenceMs),
      result.failedStep ?? null,
      result.detail?.slice(0, 2000) ?? null,
      result.auditId ?? null,
      JSON.stringify(result.steps ?? []),
    ]);
  }

  async last(domain: string): Promise<CutoverRecord | undefined> {
    const { rows } = await this.pool.query<Row>('SELECT * FROM cutovers WHERE domain = $1 ORDER BY id DESC LIMIT 1', [domain]);
    const r = rows[0];
    return (
      r && {
        id: Number(r.id),
        domain: r.domain,
        actor: r.actor,
        fromStage: r.from_stage,
        toStage: r.to_stage,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        fenceMs: r.fence_ms,
        outcome: r.outcome,
        failedStep: r.failed_step,
        detail: r.detail,
        auditId: r.audit_id === null ? null : Number(r.audit_id),
        steps: r.steps,
      }
    );
  }
}
