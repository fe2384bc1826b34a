// Demo data for the monolith: about 20 categories, 2,000 products, stock in two warehouses and the
// demo users. Idempotent: rows are upserted on their natural keys (slug, sku, email, warehouse id)
// and rewritten only when the seed's values differ, so a second run writes nothing (and Debezium
// sees no change events). A few set-based statements, not one round trip per product.
import pg from 'pg';
import { argon2idHasher, type PasswordHasher } from '../features/users/password-hasher.js';
import { DEMO_USERS, SEED_WAREHOUSES, seedCategories, seedProducts, seedUuid } from './seed-data.js';

export { DEMO_USERS } from './seed-data.js';

export interface SeedReport {
  /** Rows inserted / rows updated because the seed's values differed. */
  categories: { inserted: number; updated: number };
  products: { inserted: number; updated: number };
  warehouses: { inserted: number; updated: number };
  /** Stock is seeded once per product and warehouse; later runs leave live stock alone. */
  stockLevels: { inserted: number };
  users: { inserted: number };
}

interface Counted {
  inserted: boolean;
}

function count(rows: Counted[]): { inserted: number; updated: number } {
  const inserted = rows.filter((r) => r.inserted).length;
  return { inserted, updated: rows.length - inserted };
}

export interface SeedOptions {
  hasher?: PasswordHasher;
  /**
   * Leave `categories` and `products` as they are (seed only what is missing around them): for a
   * catalog whose writes another system owns, where the monolith's rows are a copy it must not touch.
   */
  leaveCatalog?: boolean;
}

/** Seeds the database at `databaseUrl` (already migrated) in one transaction. */
export async function seedDatabase(databaseUrl: string, options: SeedOptions = {}): Promise<SeedReport> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const report = await seed(client, options.hasher ?? argon2idHasher, options.leaveCatalog ?? false);
    await client.query('COMMIT');
    return report;
  } catch (err) {
    // A failing ROLLBACK (the connection is gone) must not replace why the seed failed.
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)} (ROLLBACK failed too: ${rollbackError.message})`, { cause: err });
    });
    throw err;
  } finally {
    await client.end();
  }
}

async function seed(client: pg.Client, hasher: PasswordHasher, leaveCatalog: boolean): Promise<SeedReport> {
  const warehouses = await client.query<Counted>(
    `INSERT INTO warehouses (id, name) SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name WHERE warehouses.name IS DISTINCT FROM EXCLUDED.name
     RETURNING (xmax = 0) AS inserted`,
    [SEED_WAREHOUSES.map((w) => w.id), SEED_WAREHOUSES.map((w) => w.name)],
  );

  const categories = seedCategories();
  const categoryRows = leaveCatalog ? { rows: [] } : await client.query<Counted>(
    `INSERT INTO categories (id, slug, name, description, created_at, updated_at)
     SELECT id, slug, name, description, $5, $5 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS c(id, slug, name, description)
     ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, updated_at = now()
       WHERE (categories.name, categories.description) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description)
     RETURNING (xmax = 0) AS inserted`,
    [categories.map((c) => c.id), categories.map((c) => c.slug), categories.map((c) => c.name), categories.map((c) => c.description), new Date(Date.UTC(2026, 0, 1))],
  );
  // A category that existed before the seed keeps its id: map slugs to the ids really stored.
  const categoryIds = new Map(
    (await client.query<{ id: string; slug: string }>('SELECT id::text, slug FROM categories WHERE slug = ANY($1::text[])', [categories.map((c) => c.slug)])).rows.map((r) => [r.slug, r.id]),
  );

  const products = seedProducts();
  const productRows = leaveCatalog ? { rows: [] } : await client.query<Counted>(
    `INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at)
     SELECT id, sku, name, description, price_cents, currency, category_id, true, created_at, created_at
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::uuid[], $8::timestamptz[])
       AS p(id, sku, name, description, price_cents, currency, category_id, created_at)
     ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, price_cents = EXCLUDED.price_cents,
       currency = EXCLUDED.currency, category_id = EXCLUDED.category_id, updated_at = now()
       WHERE (products.name, products.description, products.price_cents, products.currency, products.category_id)
         IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description, EXCLUDED.price_cents, EXCLUDED.currency, EXCLUDED.category_id)
     RETURNING (xmax = 0) AS inserted`,
    [
      products.map((p) => p.id),
      products.map((p) => p.sku),
      products.map((p) => p.name),
      products.map((p) => p.description),
      products.map((p) => p.priceCents),
      products.map((p) => p.currency),
      products.map((p) => categoryIds.get(p.categorySlug)!),
      products.map((p) => p.createdAt),
    ],
  );
  const productIds = new Map(
    (await client.query<{ id: string; sku: string }>('SELECT id::text, sku FROM products WHERE sku = ANY($1::text[])', [products.map((p) => p.sku)])).rows.map((r) => [r.sku, r.id]),
  );

  // Initial stock, with its movement in the ledger, only where the product has no stock row yet.
  // (With the catalog left alone, a seed product missing from it gets no stock.)
  const stock = products.filter((p) => productIds.has(p.sku)).flatMap((p) => p.stock.map((s) => ({ productId: productIds.get(p.sku)!, sku: p.sku, ...s })));
  const stockRows = await client.query(
    `WITH levels AS (
       INSERT INTO stock_levels (product_id, warehouse_id, quantity, updated_at)
       SELECT product_id, warehouse_id, quantity, $5 FROM unnest($1::uuid[], $2::text[], $3::int[]) AS s(product_id, warehouse_id, quantity)
       ON CONFLICT (product_id, warehouse_id) DO NOTHING
       RETURNING product_id, warehouse_id, quantity
     )
     INSERT INTO stock_movements (id, product_id, warehouse_id, delta, reason, reference, created_at)
     SELECT m.id, l.product_id, l.warehouse_id, l.quantity, 'seed', 'initial stock', $5
     FROM levels l JOIN unnest($1::uuid[], $2::text[], $4::uuid[]) AS m(product_id, warehouse_id, id)
       ON m.product_id = l.product_id AND m.warehouse_id = l.warehouse_id
     ON CONFLICT (id) DO NOTHING`,
    [stock.map((s) => s.productId), stock.map((s) => s.warehouseId), stock.map((s) => s.quantity), stock.map((s) => seedUuid(`stock:${s.sku}:${s.warehouseId}`)), new Date(Date.UTC(2026, 0, 1))],
  );

  // Only missing users are hashed and inserted: an existing account (and its password) is left alone.
  const existing = new Set((await client.query<{ email: string }>('SELECT email FROM users WHERE email = ANY($1::text[])', [DEMO_USERS.map((u) => u.email)])).rows.map((r) => r.email));
  let usersInserted = 0;
  for (const user of DEMO_USERS.filter((u) => !existing.has(u.email))) {
    const passwordHash = await hasher.hash(user.password);
    const inserted = await client.query(
      `INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at) VALUES ($1, $2, $3, $4, $5::"Role", $6, $6)
       ON CONFLICT (email) DO NOTHING`,
      [seedUuid(`user:${user.email}`), user.email, user.name, passwordHash, user.role, new Date(Date.UTC(2026, 0, 1))],
    );
    usersInserted += inserted.rowCount ?? 0;
  }

  return {
    categories: count(categoryRows.rows),
    products: count(productRows.rows),
    warehouses: count(warehouses.rows),
    stockLevels: { inserted: stockRows.rowCount ?? 0 },
    users: { inserted: usersInserted },
  };
}
