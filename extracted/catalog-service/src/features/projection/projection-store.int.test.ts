// The projection's writes on real PostgreSQL (the service's migrated schema): the LSN guard,
// tombstones, positions in the same transaction, and refused data.
import { randomUUID } from 'node:crypto';
import { PoisonMessageError, type PartitionPosition } from '@strangler/cdc/projection';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_SERVICE_TEMPLATE, createTestDatabase, type TestDatabase } from '../../../../../test-support/database.js';
import { openDatabase, type Database } from '../../db/prisma.js';
import { PgCatalogStore } from '../catalog/catalog-store.js';
import { PgProjectionStore } from './projection-store.js';
import type { CategoryRow, ProductRow, RowChange } from './projection-store-type.js';

let testDb: TestDatabase;
let database: Database;
let store: PgProjectionStore;
let sql: pg.Pool;

beforeAll(async () => {
  testDb = await createTestDatabase('catalog_projection', CATALOG_SERVICE_TEMPLATE);
  database = openDatabase(testDb.url, { maxConnections: 3 });
  store = new PgProjectionStore(database.pool);
  sql = database.pool;
});

afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

const at = new Date('2026-11-22T02:52:54.123Z');
const atText = '2026-11-22T03:52:54.123456+01:00';
function category(fields: Partial<CategoryRow> = {}): CategoryRow {
  return { id: randomUUID(), slug: `slug-${randomUUID().slice(0, 8)}`, name: 'Coffee', description: '', createdAt: atText, updatedAt: atText, ...fields };
}
function product(categoryId: string, fields: Partial<ProductRow> = {}): ProductRow {
  return { id: randomUUID(), sku: `SKU-${randomUUID().slice(0, 8)}`, name: 'Espresso', description: '', priceCents: 1000, currency: 'EUR', categoryId, active: true, createdAt: atText, updatedAt: atText, ...fields };
}
const write = (row: ProductRow, lsn: bigint, deleted = false): RowChange => ({ table: 'products', lsn, deleted, row });
const writeCategory = (row: CategoryRow, lsn: bigint, deleted = false): RowChange => ({ table: 'categories', lsn, deleted, row });
let offset = 0;
const position = (lsn: bigint | null, partition = 0): PartitionPosition => ({ topic: 'monolith.public.products', partition, offset: String(offset++), lsn, committedAt: at });

async function productRow(id: string) {
  const { rows } = await sql.query('SELECT name, price_cents, deleted, source_lsn::text AS lsn FROM products WHERE id = $1', [id]);
  return rows[0] as { name: string; price_cents: number; deleted: boolean; lsn: string } | undefined;
}

describe('applying changes to the projection', () => {
  it('changes nothing when the same changes arrive again', async () => {
    const c = category();
    const p = product(c.id);
    const first = await store.apply([writeCategory(c, 100n), write(p, 101n), write({ ...p, priceCents: 1200 }, 102n)], position(102n));
    const before = await productRow(p.id);

    const again = await store.apply([writeCategory(c, 100n), write(p, 101n), write({ ...p, priceCents: 1200 }, 102n)], position(102n));

    expect(first.applied).toBe(2); // the category and the newest state of the product
    expect(again).toEqual({ applied: 0, stale: 3 });
    expect(await productRow(p.id)).toEqual(before);
    expect(before).toMatchObject({ price_cents: 1200, lsn: '102' });
  });

  it('reads the monolith\'s timestamps as Debezium sends them, offset and fraction included', async () => {
    const p = product(randomUUID(), { updatedAt: '2026-12-01T10:00:00.654321-05:00' });

    await store.apply([write(p, 250n)], position(250n));

    const { rows } = await sql.query("SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS created, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS updated FROM products WHERE id = $1", [p.id]);
    // The columns hold milliseconds (timestamptz(3)): PostgreSQL rounds the fraction it reads.
    expect(rows[0]).toEqual({ created: '2026-11-22 02:52:54.123000', updated: '2026-12-01 15:00:00.654000' });
  });

  it('skips a change older than the one the row holds', async () => {
    const p = product(randomUUID());
    await store.apply([write({ ...p, name: 'new name' }, 200n)], position(200n));

    const outcome = await store.apply([write({ ...p, name: 'old name' }, 150n)], position(150n));

    expect(outcome).toEqual({ applied: 0, stale: 1 });
    expect(await productRow(p.id)).toMatchObject({ name: 'new name', lsn: '200' });
  });

  it('keeps a deleted row as a tombstone, so that a replayed older insert cannot bring it back', async () => {
    const c = category();
    const p = product(c.id);
    await store.apply([writeCategory(c, 299n), write(p, 300n), write(p, 301n, true)], position(301n));

    await store.apply([write(p, 300n)], position(300n));

    expect(await productRow(p.id)).toMatchObject({ deleted: true, lsn: '301' });
    await expect(new PgCatalogStore(database.pool).findProduct(p.id)).resolves.toBeUndefined();
  });

  it('records the position with the data, keeping the highest LSN when an older batch is replayed', async () => {
    const p = product(randomUUID());
    await store.apply([write(p, 400n)], { topic: 'positions-test', partition: 1, offset: '10', lsn: 400n, committedAt: at });
    await store.apply([write(p, 390n)], { topic: 'positions-test', partition: 1, offset: '4', lsn: 390n, committedAt: at });

    const positions = (await store.positions()).filter((x) => x.topic === 'positions-test');

    expect(positions).toEqual([{ topic: 'positions-test', partition: 1, offset: '4', lsn: 400n, committedAt: at }]);
  });

  it('refuses data the database cannot hold as poison, and writes nothing of the batch', async () => {
    const good = product(randomUUID());
    const bad = product(randomUUID(), { currency: 'EURO' });
    const before = await store.positions();

    await expect(store.apply([write(good, 500n), write(bad, 501n)], position(501n))).rejects.toThrow(PoisonMessageError);

    expect(await productRow(good.id)).toBeUndefined();
    expect(await store.positions()).toEqual(before);
  });

  it('does not show a product whose category has not arrived yet', async () => {
    const c = category();
    const p = product(c.id);
    await store.apply([write(p, 600n)], position(600n));
    const reads = new PgCatalogStore(database.pool);
    await expect(reads.findProduct(p.id)).resolves.toBeUndefined();

    await store.apply([writeCategory(c, 601n)], position(601n));

    await expect(reads.findProduct(p.id)).resolves.toMatchObject({ id: p.id, category: { id: c.id, slug: c.slug } });
  });
});

describe('the read model the projection maintains (ADR-0027)', () => {
  const reads = () => new PgCatalogStore(database.pool);

  it('gives a product its category’s slug and name, and rewrites them on the category’s products when the category changes', async () => {
    const c = category({ slug: 'tea', name: 'Tea' });
    const p = product(c.id);
    await store.apply([writeCategory(c, 700n)], position(700n));
    await store.apply([write(p, 701n)], position(701n));
    await expect(reads().findProduct(p.id)).resolves.toMatchObject({ category: { id: c.id, slug: 'tea', name: 'Tea' } });

    await store.apply([writeCategory({ ...c, slug: 'green-tea', name: 'Green tea' }, 702n)], position(702n));

    await expect(reads().findProduct(p.id)).resolves.toMatchObject({ category: { id: c.id, slug: 'green-tea', name: 'Green tea' } });
    const page = await reads().searchActiveProducts({ categoryId: c.id, sort: 'name', offset: 0, limit: 10 });
    expect(page).toMatchObject({ total: 1, items: [{ id: p.id, category: { slug: 'green-tea', name: 'Green tea' } }] });
  });

  it('hides the products of a deleted category from every read, and shows them again when it comes back', async () => {
    const c = category();
    const p = product(c.id);
    await store.apply([writeCategory(c, 800n), write(p, 801n)], position(801n));
    await store.apply([writeCategory(c, 802n, true)], position(802n));
    await expect(reads().findProduct(p.id)).resolves.toBeUndefined();
    await expect(reads().searchActiveProducts({ categoryId: c.id, sort: 'name', offset: 0, limit: 10 })).resolves.toEqual({ items: [], total: 0 });

    await store.apply([writeCategory(c, 803n)], position(803n));
    await expect(reads().findProduct(p.id)).resolves.toMatchObject({ id: p.id, category: { slug: c.slug } });
  });

  it('joins the right category when a product and its category’s rename are applied at the same time on two partitions', async () => {
    const c = category({ name: 'Before' });
    await store.apply([writeCategory(c, 900n)], position(900n));
    const products = Array.from({ length: 20 }, () => product(c.id));
    await Promise.all([
      ...products.map((p, i) => store.apply([write(p, 910n + BigInt(i))], position(910n + BigInt(i), 1))),
      store.apply([writeCategory({ ...c, name: 'After' }, 905n)], position(905n, 2)),
    ]);
    const { rows } = await sql.query<{ name: string }>('SELECT DISTINCT category_name AS name FROM products WHERE category_id = $1', [c.id]);
    expect(rows).toEqual([{ name: 'After' }]);
  });
});
