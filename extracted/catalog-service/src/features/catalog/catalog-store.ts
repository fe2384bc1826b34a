import { productEvent, productRow, type CatalogStore, type CategoryRecord, type NewProduct, type ProductPatch, type ProductRecord, type ProductSearch, type ProductSort } from '@strangler/catalog-contract';
import { currentContext } from '@strangler/platform';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Database } from '../../db/prisma.js';
import { requireOwnership } from '../ownership/ownership-store.js';

const categoryFields = { id: true, slug: true, name: true, description: true } as const;
const withCategory = { category: { select: { id: true, slug: true, name: true } } } as const;
/** Live rows only: tombstones and products whose category has not been projected yet are left out. */
const liveProduct: Prisma.ProductWhereInput = { deleted: false, category: { is: { deleted: false } } };

// The monolith's orders, so that a page is the same page on both sides.
const ORDER_BY: Record<ProductSort, Prisma.ProductOrderByWithRelationInput[]> = {
  name: [{ name: 'asc' }, { id: 'asc' }],
  '-name': [{ name: 'desc' }, { id: 'asc' }],
  price: [{ priceCents: 'asc' }, { id: 'asc' }],
  '-price': [{ priceCents: 'desc' }, { id: 'asc' }],
  newest: [{ createdAt: 'desc' }, { id: 'desc' }],
};

/** LIKE wildcards typed by a user are literal characters, not patterns. */
function literal(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
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

const SELECT_PRODUCT = `SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency, p.active, p.created_at, p.updated_at,
       c.id AS category_id, c.slug AS category_slug, c.name AS category_name
  FROM products p JOIN categories c ON c.id = p.category_id AND NOT c.deleted
 WHERE p.id = $1 AND NOT p.deleted`;

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
 * The catalog in the service's own database. Reads see live rows (projected from the monolith, or
 * written here). Writes (docs/adr/0022) run in one transaction each: the ownership row FOR SHARE
 * (409 not_owner unless the service owns the catalog), the change, and its domain event in the outbox.
 * The projected tables have no unique constraint (ADR-0015), so a sku is locked and checked here.
 * A row written here keeps its `source_lsn` (0 for a new row): it is not a change from the monolith.
 */
export class PrismaCatalogStore implements CatalogStore {
  private readonly prisma: Database['prisma'];
  private readonly pool: pg.Pool;

  constructor(database: Pick<Database, 'prisma' | 'pool'>) {
    this.prisma = database.prisma;
    this.pool = database.pool;
  }

  async listCategories(): Promise<CategoryRecord[]> {
    return this.prisma.category.findMany({ where: { deleted: false }, orderBy: { name: 'asc' }, select: categoryFields });
  }

  async findCategoryBySlug(slug: string): Promise<CategoryRecord | undefined> {
    return (await this.prisma.category.findFirst({ where: { slug, deleted: false }, select: categoryFields })) ?? undefined;
  }

  async searchActiveProducts(search: ProductSearch): Promise<{ items: ProductRecord[]; total: number }> {
    const where: Prisma.ProductWhereInput = { ...liveProduct, active: true };
    if (search.categoryId) where.categoryId = search.categoryId;
    if (search.q) {
      const contains = literal(search.q);
      where.OR = [
        { name: { contains, mode: 'insensitive' } },
        { description: { contains, mode: 'insensitive' } },
        { sku: { contains, mode: 'insensitive' } },
      ];
    }
    const [items, total] = await Promise.all([
      this.prisma.product.findMany({ where, include: withCategory, orderBy: ORDER_BY[search.sort], skip: search.offset, take: search.limit }),
      this.prisma.product.count({ where }),
    ]);
    return { items, total };
  }

  async findProduct(id: string): Promise<ProductRecord | undefined> {
    return (await this.prisma.product.findFirst({ where: { ...liveProduct, id }, include: withCategory })) ?? undefined;
  }

  async findProducts(ids: string[]): Promise<ProductRecord[]> {
    if (ids.length === 0) return [];
    return this.prisma.product.findMany({ where: { ...liveProduct, id: { in: ids } }, include: withCategory });
  }

  async createProduct(product: NewProduct): Promise<ProductRecord | 'sku_taken'> {
    return this.write(async (client) => {
      if (await this.skuTaken(client, product.sku, undefined)) return 'sku_taken';
      const id = randomUUID();
      await client.query(
        `INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at, deleted, source_lsn)
         VALUES ($1, $2, $3, $4, $5, $6, $7, true, now(), now(), false, 0)`,
        [id, product.sku, product.name, product.description, product.priceCents, product.currency, product.categoryId],
      );
      const created = await this.locked(client, id);
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
      if (!(await this.locked(client, id))) return undefined;
      if (patch.sku !== undefined && (await this.skuTaken(client, patch.sku, id))) return 'sku_taken';
      const fields = (Object.keys(COLUMNS) as (keyof ProductPatch)[]).filter((field) => patch[field] !== undefined);
      const sets = fields.map((field, i) => `${COLUMNS[field]} = $${i + 2}`);
      await client.query(`UPDATE products SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1`, [id, ...fields.map((f) => patch[f])]);
      const updated = await this.locked(client, id);
      if (!updated) throw new Error(`category ${patch.categoryId} of product ${id} is gone`);
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
    const { rows } = await client.query<ProductJoinRow>(`${SELECT_PRODUCT} FOR UPDATE OF p`, [id]);
    return rows[0] ? record(rows[0]) : undefined;
  }

  /** Locks the sku for the transaction (two writers of one sku take turns), then looks for another live product with it. */
  private async skuTaken(client: pg.PoolClient, sku: string, exceptId: string | undefined): Promise<boolean> {
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('catalog.products.sku:' || $1, 0))", [sku]);
    const { rowCount } = await client.query('SELECT 1 FROM products WHERE sku = $1 AND NOT deleted AND id IS DISTINCT FROM $2::uuid', [sku, exceptId ?? null]);
    return Boolean(rowCount);
  }

  /** The change's domain event, in the same transaction; versions count per product from 1. */
  private async appendEvent(client: pg.PoolClient, type: 'ProductCreated' | 'ProductChanged' | 'ProductDeleted', product: ProductRecord): Promise<void> {
    const { rows } = await client.query<{ version: string }>(
      "SELECT coalesce(max(version), 0) + 1 AS version FROM outbox_events WHERE aggregate_type = 'product' AND aggregate_id = $1",
      [product.id],
    );
    const event = productEvent(type, productRow(product), Number(rows[0]!.version), { traceparent: currentContext()?.traceparent });
    await client.query(
      `INSERT INTO outbox_events (id, aggregate_type, aggregate_id, type, version, occurred_at, traceparent, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [event.eventId, event.aggregateType, event.aggregateId, event.type, event.version, event.occurredAt, event.traceparent ?? null, JSON.stringify(event)],
    );
  }
}
