import { NOT_OWNER_SQLSTATE } from '@strangler/platform';
import pg from 'pg';
import { PoisonMessageError } from '../projection/change-event.js';
import type { ApplyOutcome, PartitionPosition } from '../projection/projection.js';
import type { CatalogEvent } from './catalog-event.js';

/** The reverse sync's own schema in the monolith's database: its positions and the events it has seen, beside the rows it writes. */
export const REVERSE_SYNC_SCHEMA = 'strangler_reverse_sync';
/** The session setting that marks the reverse sync's own transactions, which the write guard lets through. */
const WRITER_SETTING = 'strangler.writer';
const REVERSE_SYNC_WRITER = 'catalog-reverse-sync';

export type WriteOwner = 'monolith' | 'service';

/** Who may write a domain's tables in the monolith's database, and the monolith's WAL position once that took effect. */
export interface WriteOwnerRecord {
  domain: string;
  owner: WriteOwner;
  changedAt: string;
  /** Read after the change committed: with owner `service`, no write of the monolith's own can commit after it. */
  monolithLsn: string;
}

const SCHEMA = `
  CREATE SCHEMA IF NOT EXISTS ${REVERSE_SYNC_SCHEMA};
  CREATE TABLE IF NOT EXISTS ${REVERSE_SYNC_SCHEMA}.positions (
    topic text NOT NULL, partition int NOT NULL, "offset" bigint NOT NULL,
    committed_at timestamptz, applied_at timestamptz NOT NULL, PRIMARY KEY (topic, partition));
  CREATE TABLE IF NOT EXISTS ${REVERSE_SYNC_SCHEMA}.aggregate_versions (
    aggregate_type text NOT NULL, aggregate_id text NOT NULL, version bigint NOT NULL, event_id uuid NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (aggregate_type, aggregate_id));
  CREATE TABLE IF NOT EXISTS ${REVERSE_SYNC_SCHEMA}.processed_events (
    event_id uuid PRIMARY KEY, aggregate_type text NOT NULL, aggregate_id text NOT NULL, version bigint NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('applied', 'stale', 'dead_lettered')), reason text,
    processed_at timestamptz NOT NULL DEFAULT now());
  -- processed_events counted per outcome as they are recorded, so the status never counts the table.
  CREATE TABLE IF NOT EXISTS ${REVERSE_SYNC_SCHEMA}.outcome_counts (
    outcome text PRIMARY KEY CHECK (outcome IN ('applied', 'stale', 'dead_lettered')), n bigint NOT NULL);
  INSERT INTO ${REVERSE_SYNC_SCHEMA}.outcome_counts (outcome, n)
    SELECT o, (SELECT count(*) FROM ${REVERSE_SYNC_SCHEMA}.processed_events WHERE outcome = o) FROM unnest(ARRAY['applied', 'stale', 'dead_lettered']) AS o
    ON CONFLICT (outcome) DO NOTHING;
  CREATE TABLE IF NOT EXISTS ${REVERSE_SYNC_SCHEMA}.write_owners (
    domain text PRIMARY KEY, owner text NOT NULL CHECK (owner IN ('monolith', 'service')),
    changed_at timestamptz NOT NULL DEFAULT now());
  INSERT INTO ${REVERSE_SYNC_SCHEMA}.write_owners (domain, owner) VALUES ('catalog', 'monolith') ON CONFLICT (domain) DO NOTHING;
  -- The monolith's database refuses a write of a table whose domain its service owns (ADR-0032), except
  -- the reverse sync's own. FOR SHARE: a change of owner waits for every write in flight to commit.
  CREATE OR REPLACE FUNCTION ${REVERSE_SYNC_SCHEMA}.refuse_unowned_write() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    current_owner text;
  BEGIN
    IF current_setting('${WRITER_SETTING}', true) = '${REVERSE_SYNC_WRITER}' THEN
      RETURN NULL;
    END IF;
    SELECT owner INTO current_owner FROM ${REVERSE_SYNC_SCHEMA}.write_owners WHERE domain = TG_ARGV[0] FOR SHARE;
    IF current_owner = 'service' THEN
      RAISE EXCEPTION 'the % domain is owned by its service: % on % is refused in the monolith''s database', TG_ARGV[0], TG_OP, TG_TABLE_NAME
        USING ERRCODE = '${NOT_OWNER_SQLSTATE}', HINT = 'the write belongs to the service now (npm run strangler -- status)';
    END IF;
    RETURN NULL;
  END $$;
  CREATE OR REPLACE TRIGGER strangler_owned_write_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION ${REVERSE_SYNC_SCHEMA}.refuse_unowned_write('catalog');
  CREATE OR REPLACE TRIGGER strangler_owned_write_guard BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION ${REVERSE_SYNC_SCHEMA}.refuse_unowned_write('catalog');`;

/** Events never seen before, by id: recorded (as stale until applied) and returned. */
const CLAIM_EVENTS = `
  INSERT INTO ${REVERSE_SYNC_SCHEMA}.processed_events (event_id, aggregate_type, aggregate_id, version, outcome)
  SELECT e.id, e.type, e.aggregate, e.version, 'stale' FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bigint[]) AS e (id, type, aggregate, version)
  ON CONFLICT (event_id) DO NOTHING RETURNING event_id::text`;

/** The version last applied of each aggregate, locked for this batch. */
const LOCK_VERSIONS = `
  SELECT v.aggregate_type, v.aggregate_id, v.version::text FROM ${REVERSE_SYNC_SCHEMA}.aggregate_versions v
  JOIN unnest($1::text[], $2::text[]) AS k (type, aggregate) ON v.aggregate_type = k.type AND v.aggregate_id = k.aggregate
  FOR UPDATE OF v`;

const CLAIM_VERSIONS = `
  INSERT INTO ${REVERSE_SYNC_SCHEMA}.aggregate_versions AS v (aggregate_type, aggregate_id, version, event_id)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::uuid[])
  ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE SET version = EXCLUDED.version, event_id = EXCLUDED.event_id, applied_at = now()
  WHERE v.version < EXCLUDED.version`;

const UPSERT_PRODUCTS = `
  INSERT INTO products AS t (id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::uuid[], $8::boolean[], $9::timestamptz[], $10::timestamptz[])
  ON CONFLICT (id) DO UPDATE SET sku = EXCLUDED.sku, name = EXCLUDED.name, description = EXCLUDED.description,
    price_cents = EXCLUDED.price_cents, currency = EXCLUDED.currency, category_id = EXCLUDED.category_id,
    active = EXCLUDED.active, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at`;

const COUNT_OUTCOMES = `
  UPDATE ${REVERSE_SYNC_SCHEMA}.outcome_counts AS c SET n = c.n + d.n
  FROM unnest($1::text[], $2::bigint[]) AS d (outcome, n) WHERE c.outcome = d.outcome AND d.n <> 0`;

const MARK_APPLIED = `UPDATE ${REVERSE_SYNC_SCHEMA}.processed_events SET outcome = 'applied' WHERE event_id = ANY($1::uuid[])`;

/**
 * A statement of the batch, named: each connection parses and plans it once, not in every batch
 * (planning was a good part of a small batch's cost on a loaded machine).
 */
function named(name: string, text: string, values: unknown[]): pg.QueryConfig {
  return { name, text, values };
}

const UPSERT_POSITION = `
  INSERT INTO ${REVERSE_SYNC_SCHEMA}.positions AS p (topic, partition, "offset", committed_at, applied_at) VALUES ($1, $2, $3, $4, now())
  ON CONFLICT (topic, partition) DO UPDATE SET "offset" = EXCLUDED."offset",
    committed_at = GREATEST(p.committed_at, EXCLUDED.committed_at), applied_at = EXCLUDED.applied_at`;

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): the monolith refuses the data, a retry cannot help. */
function isRefusedData(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/** What the reverse sync has done, for its status and the cutover's "caught up" check. */
export interface ReverseSyncCounts {
  applied: number;
  stale: number;
  deadLettered: number;
}

/**
 * Applies catalog events to the monolith's `products`, in the monolith's database,
 * one transaction per batch holding the row changes, the event ids and versions seen and the new
 * position. Idempotent twice over: an event id seen before changes nothing, and an event whose
 * version is not above the aggregate's last applied version changes nothing (an older event
 * replayed, or a duplicate with a new id). Events carry the whole row, so the newest wins.
 */
export class PgReverseSyncStore {
  constructor(private readonly pool: pg.Pool) {}

  /** Creates the reverse sync's schema if missing (idempotent; run at start). */
  async prepare(): Promise<void> {
    await this.pool.query(SCHEMA);
  }

  /**
   * Applies a batch in one transaction of a fixed number of statements, whatever its size: the events
   * never seen (by id), the versions they claim, the newest row of each aggregate, the outcomes and the
   * position. `onApplied` hears of each event applied (not skipped) once it committed.
   */
  async apply(events: CatalogEvent[], position: PartitionPosition, onApplied?: (event: CatalogEvent) => void): Promise<ApplyOutcome> {
    const client = await this.pool.connect();
    let appliedEvents: CatalogEvent[] = [];
    let broken: Error | undefined;
    try {
      // One round trip for both (a simple query of two statements).
      await client.query(`BEGIN; SET LOCAL ${WRITER_SETTING} = '${REVERSE_SYNC_WRITER}'`);
      if (events.length > 0) appliedEvents = await this.applyBatch(client, events);
      await client.query(named('reverse-sync.upsert-position', UPSERT_POSITION, [position.topic, position.partition, position.offset, position.committedAt]));
      await client.query('COMMIT');
    } catch (err) {
      if (isRefusedData(err)) {
        await client.query('ROLLBACK');
        throw new PoisonMessageError(`the monolith's database refused the change: ${err.message} (SQLSTATE ${err.code})`, { cause: err });
      }
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
    if (onApplied) for (const event of appliedEvents) onApplied(event);
    return { applied: appliedEvents.length, stale: events.length - appliedEvents.length };
  }

  /**
   * The batch's changes, as one event at a time would make them (ADR-0033): an event id seen before
   * changes nothing; an event applies only above its aggregate's last applied version (an older event
   * replayed, or a duplicate with a new id, changes nothing); events carry the whole row, so only the
   * newest applied row of each aggregate is written.
   */
  private async applyBatch(client: pg.PoolClient, events: CatalogEvent[]): Promise<CatalogEvent[]> {
    const claimed = await client.query<{ event_id: string }>(
      named('reverse-sync.claim-events', CLAIM_EVENTS, [events.map((e) => e.eventId), events.map((e) => e.aggregateType), events.map((e) => e.aggregateId), events.map((e) => String(e.version))]),
    );
    const fresh = new Set(claimed.rows.map((r) => r.event_id.toLowerCase()));
    const firstSeen = events.filter((e) => fresh.delete(e.eventId.toLowerCase()));
    if (firstSeen.length === 0) return [];
    const keyOf = (type: string, id: string) => `${type}\u0000${id}`;
    const aggregates = new Map(firstSeen.map((e) => [keyOf(e.aggregateType, e.aggregateId), { type: e.aggregateType, id: e.aggregateId }]));
    const locked = await client.query<{ aggregate_type: string; aggregate_id: string; version: string }>(
      named('reverse-sync.lock-versions', LOCK_VERSIONS, [[...aggregates.values()].map((a) => a.type), [...aggregates.values()].map((a) => a.id)]),
    );
    const versions = new Map(locked.rows.map((r) => [keyOf(r.aggregate_type, r.aggregate_id), BigInt(r.version)]));
    const newest = new Map<string, CatalogEvent>();
    const applied: CatalogEvent[] = [];
    for (const event of firstSeen) {
      const key = keyOf(event.aggregateType, event.aggregateId);
      const current = versions.get(key);
      const version = BigInt(event.version);
      if (current !== undefined && current >= version) continue;
      versions.set(key, version);
      newest.set(key, event);
      applied.push(event);
    }
    if (applied.length > 0) {
      const rows = [...newest.values()];
      await client.query(named('reverse-sync.claim-versions', CLAIM_VERSIONS, [rows.map((e) => e.aggregateType), rows.map((e) => e.aggregateId), rows.map((e) => String(e.version)), rows.map((e) => e.eventId)]));
      // Every product event carries the whole row after the change; a delete is soft (`active: false`),
      // as the monolith's own delete: order history keeps its copy. The monolith has no category writes.
      const data = rows.map((e) => e.data);
      await client.query(named('reverse-sync.upsert-products', UPSERT_PRODUCTS, [
        data.map((r) => r.id),
        data.map((r) => r.sku),
        data.map((r) => r.name),
        data.map((r) => r.description),
        data.map((r) => r.price_cents),
        data.map((r) => r.currency),
        data.map((r) => r.category_id),
        data.map((r) => r.active),
        data.map((r) => r.created_at),
        data.map((r) => r.updated_at),
      ]));
      await client.query(named('reverse-sync.mark-applied', MARK_APPLIED, [applied.map((e) => e.eventId)]));
    }
    await client.query(named('reverse-sync.count-outcomes', COUNT_OUTCOMES, [['applied', 'stale'], [String(applied.length), String(firstSeen.length - applied.length)]]));
    return applied;
  }

  /** Records events sent to the dead-letter topic (those whose id could be read), so that the cutover counts them as handled. */
  async recordDeadLetters(letters: { eventId: string; aggregateType: string; aggregateId: string; version: bigint; reason: string }[]): Promise<void> {
    for (const l of letters) {
      await this.pool.query(
        `WITH recorded AS (
           INSERT INTO ${REVERSE_SYNC_SCHEMA}.processed_events (event_id, aggregate_type, aggregate_id, version, outcome, reason) VALUES ($1, $2, $3, $4, 'dead_lettered', $5)
           ON CONFLICT (event_id) DO NOTHING RETURNING 1)
         UPDATE ${REVERSE_SYNC_SCHEMA}.outcome_counts SET n = n + (SELECT count(*) FROM recorded) WHERE outcome = 'dead_lettered'`,
        [l.eventId, l.aggregateType, l.aggregateId, String(l.version), l.reason.slice(0, 1000)],
      );
    }
  }

  async positions(): Promise<PartitionPosition[]> {
    const { rows } = await this.pool.query<{ topic: string; partition: number; offset: string; committed_at: Date | null }>(
      `SELECT topic, partition, "offset"::text AS "offset", committed_at FROM ${REVERSE_SYNC_SCHEMA}.positions ORDER BY topic, partition`,
    );
    return rows.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset, lsn: null, committedAt: r.committed_at }));
  }

  async counts(): Promise<ReverseSyncCounts> {
    const { rows } = await this.pool.query<{ outcome: string; n: string }>(`SELECT outcome, n::text AS n FROM ${REVERSE_SYNC_SCHEMA}.outcome_counts`);
    const of = (o: string) => Number(rows.find((r) => r.outcome === o)?.n ?? 0);
    return { applied: of('applied'), stale: of('stale'), deadLettered: of('dead_lettered') };
  }

  /**
   * Sets who may write the domain's tables in the monolith's database. The UPDATE waits (at most
   * `drainMs`) until every monolith transaction that already wrote those tables has ended; once it
   * commits with owner `service`, every later monolith write of them fails with SQLSTATE SF409. So the
   * position returned is final: the forward projection that reaches it has every write of the monolith.
   */
  async setWriteOwner(domain: string, owner: WriteOwner, drainMs: number): Promise<WriteOwnerRecord | undefined> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(drainMs))}`);
      const { rows } = await client.query<{ domain: string; owner: WriteOwner; changed_at: Date }>(
        `UPDATE ${REVERSE_SYNC_SCHEMA}.write_owners SET owner = $2, changed_at = now() WHERE domain = $1 RETURNING domain, owner, changed_at`,
        [domain, owner],
      );
      await client.query('COMMIT');
      const row = rows[0];
      if (!row) return undefined;
      return { domain: row.domain, owner: row.owner, changedAt: row.changed_at.toISOString(), monolithLsn: await this.currentLsn() };
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => (broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr))));
      if ((err as { code?: string }).code === '55P03') throw new Error(`the monolith's writes of ${domain} in flight did not finish within ${drainMs} ms`, { cause: err });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async writeOwner(domain: string): Promise<WriteOwnerRecord | undefined> {
    const { rows } = await this.pool.query<{ domain: string; owner: WriteOwner; changed_at: Date; lsn: string }>(
      `SELECT domain, owner, changed_at, pg_current_wal_insert_lsn()::text AS lsn FROM ${REVERSE_SYNC_SCHEMA}.write_owners WHERE domain = $1`,
      [domain],
    );
    const row = rows[0];
    return row && { domain: row.domain, owner: row.owner, changedAt: row.changed_at.toISOString(), monolithLsn: row.lsn };
  }

  /** The monolith's current WAL position (what the forward projection must reach before a cutover). */
  async currentLsn(): Promise<string> {
    return (await this.pool.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn;
  }
}

/**
 * Who may write the domain's tables in the monolith's database at `databaseUrl`: `monolith` when the
 * reverse sync has never prepared its schema there (no guard, the monolith owns everything).
 */
export async function monolithWriteOwner(databaseUrl: string, domain: string): Promise<WriteOwner> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const present = await client.query<{ present: boolean }>(`SELECT to_regclass('${REVERSE_SYNC_SCHEMA}.write_owners') IS NOT NULL AS present`);
    if (!present.rows[0]!.present) return 'monolith';
    const { rows } = await client.query<{ owner: WriteOwner }>(`SELECT owner FROM ${REVERSE_SYNC_SCHEMA}.write_owners WHERE domain = $1`, [domain]);
    return rows[0]?.owner ?? 'monolith';
  } finally {
    await client.end();
  }
}
