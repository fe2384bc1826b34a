import { PoisonMessageError, type ApplyOutcome, type PartitionPosition } from '@strangler/cdc/projection';
import type pg from 'pg';
import { lockCategories } from '../catalog/read-model.js';
import { ownerForShare } from '../ownership/ownership-store.js';
import type { ProjectionStore, RowChange } from './projection-store-type.js';

// One statement per table per batch: the rows travel as one JSON array. The WHERE of the upsert is
// the LSN guard of ADR-0008: a row changes only when the event is newer than what it holds.
const UPSERT_CATEGORIES = `
  INSERT INTO categories AS t (id, slug, name, description, created_at, updated_at, deleted, source_lsn)
  SELECT id, slug, name, description, created_at, updated_at, deleted, source_lsn
  FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, slug text, name text, description text,
    created_at timestamptz, updated_at timestamptz, deleted boolean, source_lsn bigint)
  ON CONFLICT (id) DO UPDATE SET slug = EXCLUDED.slug, name = EXCLUDED.name, description = EXCLUDED.description,
    created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, deleted = EXCLUDED.deleted, source_lsn = EXCLUDED.source_lsn
  WHERE t.source_lsn < EXCLUDED.source_lsn`;

const UPSERT_PRODUCTS = `
  INSERT INTO products AS t (id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at, deleted, source_lsn)
  SELECT id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at, deleted, source_lsn
  FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, sku text, name text, description text, price_cents int, currency varchar,
    category_id uuid, active boolean, created_at timestamptz, updated_at timestamptz, deleted boolean, source_lsn bigint)
  ON CONFLICT (id) DO UPDATE SET sku = EXCLUDED.sku, name = EXCLUDED.name, description = EXCLUDED.description,
    price_cents = EXCLUDED.price_cents, currency = EXCLUDED.currency, category_id = EXCLUDED.category_id, active = EXCLUDED.active,
    created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, deleted = EXCLUDED.deleted, source_lsn = EXCLUDED.source_lsn
  WHERE t.source_lsn < EXCLUDED.source_lsn`;

const UPSERT_POSITION = `
  INSERT INTO cdc_positions AS p (topic, partition, "offset", lsn, committed_at, applied_at)
  VALUES ($1, $2, $3, $4, $5, now())
  ON CONFLICT (topic, partition) DO UPDATE SET "offset" = EXCLUDED."offset", lsn = GREATEST(p.lsn, EXCLUDED.lsn),
    committed_at = GREATEST(p.committed_at, EXCLUDED.committed_at), applied_at = EXCLUDED.applied_at`;

/** The newest change per row: one upsert statement may touch a row only once, and the newest wins anyway. */
function newestPerRow<T extends RowChange>(changes: T[]): T[] {
  const newest = new Map<string, T>();
  for (const c of changes) {
    const held = newest.get(c.row.id);
    if (!held || c.lsn > held.lsn) newest.set(c.row.id, c);
  }
  return [...newest.values()];
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): the data is refused, a retry cannot help. */
function isRefusedData(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

interface PositionRow {
  topic: string;
  partition: number;
  offset: string;
  lsn: string | null;
  committed_at: Date | null;
}

export class PgProjectionStore implements ProjectionStore {
  /**
   * `domain`: the ownership record (`sync_ownership`) that pauses the apply. While the service owns the
   * domain's writes, the projection keeps consuming and moving its positions (and so the watermark) but
   * writes no row: the monolith's changes then are the reverse sync's copies of the service's own
   * writes, and applying them would loop (ADR-0025).
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly domain = 'catalog',
  ) {}

  async apply(changes: RowChange[], position: PartitionPosition): Promise<ApplyOutcome> {
    const categories = newestPerRow(changes.filter((c) => c.table === 'categories'));
    const products = newestPerRow(changes.filter((c) => c.table === 'products'));
    const client = await this.pool.connect();
    let applied = 0;
    let broken: Error | undefined;
    // The batch's position, stored with its rows (or alone while the projection is paused).
    const savePosition = {
      name: 'projection.upsert-position',
      text: UPSERT_POSITION,
      values: [position.topic, position.partition, position.offset, position.lsn === null ? null : String(position.lsn), position.committedAt],
    };
    try {
      await client.query('BEGIN');
      // FOR SHARE: a change of owner waits for this batch, and the batches after it see the new owner.
      const owner = await ownerForShare(client, this.domain);
      const paused = owner === 'service';
      if (paused) {
        await client.query(savePosition);
        await client.query('COMMIT');
        return { applied: 0, stale: changes.length };
      }
      // The read model's locks (ADR-0027), all at once in one order: the triggers take them one row at a time.
      await lockCategories(client, { changed: categories.map((c) => c.row.id), joined: products.map((p) => p.row.categoryId) });
      if (categories.length > 0) {
        const rows = categories.map(({ row, deleted, lsn }) => ({
          id: row.id,
          slug: row.slug,
          name: row.name,
          description: row.description,
          created_at: row.createdAt,
          updated_at: row.updatedAt,
          deleted,
          source_lsn: String(lsn),
        }));
        applied += (await client.query({ name: 'projection.upsert-categories', text: UPSERT_CATEGORIES, values: [JSON.stringify(rows)] })).rowCount ?? 0;
      }
      if (products.length > 0) {
        const rows = products.map(({ row, deleted, lsn }) => ({
          id: row.id,
          sku: row.sku,
          name: row.name,
          description: row.description,
          price_cents: row.priceCents,
          currency: row.currency,
          category_id: row.categoryId,
          active: row.active,
          created_at: row.createdAt,
          updated_at: row.updatedAt,
          deleted,
          source_lsn: String(lsn),
        }));
        applied += (await client.query({ name: 'projection.upsert-products', text: UPSERT_PRODUCTS, values: [JSON.stringify(rows)] })).rowCount ?? 0;
      }
      await client.query(savePosition);
      await client.query('COMMIT');
    } catch (err) {
      if (isRefusedData(err)) {
        // A failing ROLLBACK drops the connection but must not hide that the data was refused.
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw new PoisonMessageError(`the catalog database refused the change: ${err.message} (SQLSTATE ${err.code})`, { cause: err });
      }
      // Anything else may have broken the connection: it leaves the pool rather than go back to it.
      broken = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
    return { applied, stale: changes.length - applied };
  }

  async positions(): Promise<PartitionPosition[]> {
    const { rows } = await this.pool.query<PositionRow>('SELECT topic, partition, "offset"::text AS "offset", lsn::text AS lsn, committed_at FROM cdc_positions ORDER BY topic, partition');
    return rows.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset, lsn: r.lsn === null ? null : BigInt(r.lsn), committedAt: r.committed_at }));
  }
}
