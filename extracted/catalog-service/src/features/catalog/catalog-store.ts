import { productEvent, productRow, type CatalogStore, type CategoryRecord, type NewProduct, type ProductPatch, type ProductRecord, type ProductSearch, type ProductSort } from '@strangler/catalog-contract';
import { currentContext } from '@strangler/platform';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { requireOwnership } from '../ownership/ownership-store.js';
import { lockCategories } from './read-model.js';

/** A product a public read may show: not a tombstone, with its category projected and live (the joined slug). */
const LIVE = 'NOT deleted AND category_slug IS NOT NULL';
const PRODUCT_COLUMNS = 'id, sku, name, description, price_cents, currency, active, created_at, updated_at, category_id, category_slug, category_name';

// The monolith's orders, so that a page is the same page on both sides (each has its partial index).
const ORDER_BY: Record<ProductSort, string> = {
  name: 'name ASC, id ASC',
  '-name': 'name DESC, id ASC',
  price: 'price_cents ASC, id ASC',
  '-price': 'price_cents DESC, id ASC',
  newest: 'created_at DESC, id DESC',
};

/** LIKE wildcards typed by a user are literal characters, not patterns. */
function literal(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The list's statement for one shape of search (text or not, category or not, sort): a named
 * prepared statement per shape, so each connection plans it once. Parameters: $1 limit, $2 offset,
 * then the category id, then the text.
 */
function searchStatements(search: ProductSearch): { page: pg.QueryConfig; count: pg.QueryConfig } {
  const values: unknown[] = [];
  const where = ['active', LIVE];
  if (search.categoryId) {
    values.push(search.categoryId);
    where.push(`category_id = $${values.length + 2}`);
  }
  if (search.q) {
    values.push(`%${literal(search.q)}%`);
    const n = values.length + 2;
    where.push(`(name ILIKE $${n} OR description ILIKE $${n} OR sku ILIKE $${n})`);
  }
  const shape = `${search.categoryId ? 'c' : '-'}${search.q ? 'q' : '-'}${search.sort}`;
  const conditions = where.join(' AND ');
  return {
    page: {
      name: `catalog.page.${shape}`,
      text: `SELECT ${PRODUCT_COLUMNS} FROM products WHERE ${conditions} ORDER BY ${ORDER_BY[search.sort]} LIMIT $1 OFFSET $2`,
      values: [search.limit, search.offset, ...values],
    },
    count: {
      name: `catalog.count.${shape.slice(0, 2)}`,
      // $1 and $2 are not used by the count; renumber the filters from $1.
      text: `SELECT count(*)::int AS total FROM products WHERE ${conditions.replace(/\$(\d+)/g, (_m, n: string) => `$${Number(n) - 2}`)}`,
      values,
    },
  };
}

/** The monolith's column of each field a write may set. */
const COLUMNS: Record<keyof ProductPatch, string> = {
  sku: 'sku',
  name: 'name',
  description: 'description',
  priceCents: 'price_cents',
  currency: 'currency',
  categoryId: 'category_id',
  active: 'active',
};

interface ProductJoinRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  active: boolean;
  created_at: Date;
  updated_at: Date;
  category_id: string;
  category_slug: string;
  category_name: string;
}

const SELECT_PRODUCT = `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1 AND ${LIVE}`;

function record(row: ProductJoinRow): ProductRecord {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    priceCents: row.price_cents,
    currency: row.currency.trim(),
    active: row.active,
    category: { id: row.category_id, slug: row.category_slug, name: row.category_name },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The catalog in the service's own database, read and written with plain SQL on the pg pool (no ORM
 * on the hot routes). Reads are one table, the read model (ADR-0027): live rows (projected from the
 * monolith, or written here) with their category joined in, through named prepared statements.
 * Writes (docs/adr/0022) run in one transaction each: the ownership row FOR SHARE (409 not_owner
 * unless the service owns the catalog), the change, and its domain event in the outbox.
 * The projected tables have no unique constraint (ADR-0015), so a sku is locked and checked here.
 * A row written here keeps its `source_lsn` (0 for a new row): it is not a change from the monolith.
 */
export class PgCatalogStore implements CatalogStore {
  constructor(private readonly pool: pg.Pool) {}

  async listCategories(): Promise<CategoryRecord[]> {
    const { rows } = await this.pool.query<CategoryRecord>({ name: 'catalog.categories', text: 'SELECT id, slug, name, description FROM categories WHERE NOT deleted ORDER BY name ASC' });
    return rows;
  }

  async findCategoryBySlug(slug: string): Promise<CategoryRecord | undefined> {
    const { rows } = await this.pool.query<CategoryRecord>({ name: 'catalog.category-by-slug', text: 'SELECT id, slug, name, description FROM categories WHERE slug = $1 AND NOT deleted LIMIT 1', values: [slug] });
    return rows[0];
  }

  async searchActiveProducts(search: ProductSearch): Promise<{ items: ProductRecord[]; total: number }> {
    const { page, count } = searchStatements(search);
    const [items, total] = await Promise.all([this.pool.query<ProductJoinRow>(page), this.pool.query<{ total: number }>(count)]);
    return { items: items.rows.map(record), total: total.rows[0]!.total };
  }

  async findProduct(id: string): Promise<ProductRecord | undefined> {
    const { rows } = await this.pool.query<ProductJoinRow>({ name: 'catalog.product', text: SELECT_PRODUCT, values: [id] });
    return rows[0] && record(rows[0]);
  }

  async findProducts(ids: string[]): Promise<ProductRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<ProductJoinRow>({ name: 'catalog.products', text: `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = ANY($1::uuid[]) AND ${LIVE}`, values: [ids] });
    return rows.map(record);
  }

  async createProduct(product: NewProduct): Promise<ProductRecord | 'sku_taken'> {
    return this.write(async (client) => {
      if (await this.skuTaken(client, product.sku, undefined)) return 'sku_taken';
      const id = randomUUID();
      await lockCategories(client, { changed: [], joined: [product.categoryId] });
      const { rows } = await client.query<ProductJoinRow>({
        name: 'catalog.create',
        text: `INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at, deleted, source_lsn)
         VALUES ($1, $2, $3, $4, $5, $6, $7, true, now(), now(), false, 0) RETURNING ${PRODUCT_COLUMNS}`,
        values: [id, product.sku, product.name, product.description, product.priceCents, product.currency, product.categoryId],
      });
      // The row as stored: the read model's trigger joined its category in (NULL when the category is gone).
      const created = rows[0]?.category_slug ? record(rows[0]) : undefined;
      if (!created) throw new Error(`category ${product.categoryId} of the new product ${id} is gone`);
      await this.appendEvent(client, 'ProductCreated', created);
      return created;
    });
  }

  async updateProduct(id: string, patch: ProductPatch): Promise<ProductRecord | 'sku_taken' | undefined> {
    return this.change(id, patch, 'ProductChanged');
  }

  /** The soft delete, as in the monolith: the row stays with `active` false; its event is ProductDeleted. */
  async deleteProduct(id: string): Promise<boolean> {
    const deleted = await this.change(id, { active: false }, 'ProductDeleted');
    return deleted !== undefined && deleted !== 'sku_taken';
  }

  private async change(id: string, patch: ProductPatch, type: 'ProductChanged' | 'ProductDeleted'): Promise<ProductRecord | 'sku_taken' | undefined> {
    return this.write(async (client) => {
      // A new sku or category: the row first (a product that is not there is a 404 before anything
      // else), then the sku's and the category's locks. Any other change is one UPDATE.
      if (patch.sku !== undefined || patch.categoryId !== undefined) {
        if (!(await this.locked(client, id))) return undefined;
        if (patch.sku !== undefined && (await this.skuTaken(client, patch.sku, id))) return 'sku_taken';
        if (patch.categoryId !== undefined) await lockCategories(client, { changed: [], joined: [patch.categoryId] });
      }
      const fields = (Object.keys(COLUMNS) as (keyof ProductPatch)[]).filter((field) => patch[field] !== undefined);
      const sets = fields.map((field, i) => `${COLUMNS[field]} = $${i + 2}`);
      // A named statement per set of fields (at most 2^7 shapes): each connection plans it once.
      const { rows } = await client.query<ProductJoinRow>({
        name: `catalog.change.${fields.join(',')}`,
        text: `UPDATE products SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 AND ${LIVE} RETURNING ${PRODUCT_COLUMNS}`,
        values: [id, ...fields.map((f) => patch[f])],
      });
      if (!rows[0]) return undefined;
      if (!rows[0].category_slug) throw new Error(`category ${patch.categoryId} of product ${id} is gone`);
      const updated = record(rows[0]);
      await this.appendEvent(client, type, updated);
      return updated;
    });
  }

  /** One write: ownership checked FOR SHARE, committed only when `work` returns a record. */
  private async write<R>(work: (client: pg.PoolClient) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await requireOwnership(client, 'catalog');
      const result = await work(client);
      // Nothing found or a sku taken: nothing to keep (and nothing was written).
      await client.query(result === undefined || result === 'sku_taken' ? 'ROLLBACK' : 'COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** The live product, its row locked for the rest of the transaction (writes of one product take turns). */
  private async locked(client: pg.PoolClient, id: string): Promise<ProductRecord | undefined> {
    const { rows } = await client.query<ProductJoinRow>({ name: 'catalog.product-for-update', text: `${SELECT_PRODUCT} FOR UPDATE`, values: [id] });
    return rows[0] ? record(rows[0]) : undefined;
  }

  /** Locks the sku for the transaction (two writers of one sku take turns), then looks for another live product with it. */
  private async skuTaken(client: pg.PoolClient, sku: string, exceptId: string | undefined): Promise<boolean> {
    await client.query({ name: 'catalog.lock-sku', text: "SELECT pg_advisory_xact_lock(hashtextextended('catalog.products.sku:' || $1, 0))", values: [sku] });
    const { rowCount } = await client.query({ name: 'catalog.sku-taken', text: 'SELECT 1 FROM products WHERE sku = $1 AND NOT deleted AND id IS DISTINCT FROM $2::uuid', values: [sku, exceptId ?? null] });
    return Boolean(rowCount);
  }

  /** The change's domain event, in the same transaction; versions count per product from 1. */
  private async appendEvent(client: pg.PoolClient, type: 'ProductCreated' | 'ProductChanged' | 'ProductDeleted', product: ProductRecord): Promise<void> {
    // The version is the product's next, counted in the same statement (the product's row lock, held
    // since the change, orders its writers); the payload carries it too.
    const event = productEvent(type, productRow(product), 1, { traceparent: currentContext()?.traceparent });
    await client.query({
      name: 'catalog.append-event',
      text: `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, type, version, occurred_at, traceparent, payload)
       SELECT $1, $2, $3, $4, v.version, $5, $6, jsonb_set($7::jsonb, '{version}', to_jsonb(v.version))
       FROM (SELECT coalesce(max(version), 0) + 1 AS version FROM outbox_events WHERE aggregate_type = $2 AND aggregate_id = $3) AS v`,
      values: [event.eventId, event.aggregateType, event.aggregateId, event.type, event.occurredAt, event.traceparent ?? null, JSON.stringify(event)],
    });
  }

}
