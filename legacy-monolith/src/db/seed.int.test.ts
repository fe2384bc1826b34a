import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMonolith, type TestMonolith } from '../../../test-support/monolith.js';
import { DEMO_USERS, seedDatabase } from './seed.js';
import { seedUuid } from './seed-data.js';

/** Every seeded table's rows, as one comparable snapshot. */
async function snapshot(t: TestMonolith): Promise<unknown[]> {
  return t.monolith.prisma.$queryRaw<unknown[]>`
    SELECT (SELECT count(*)::int FROM categories) AS categories, (SELECT count(*)::int FROM products) AS products,
           (SELECT count(*)::int FROM stock_levels) AS stock, (SELECT count(*)::int FROM stock_movements) AS movements,
           (SELECT md5(string_agg(p::text, ',' ORDER BY p.id)) FROM products p) AS products_hash,
           (SELECT md5(string_agg(c::text, ',' ORDER BY c.id)) FROM categories c) AS categories_hash,
           (SELECT md5(string_agg(s::text, ',' ORDER BY s.product_id, s.warehouse_id)) FROM stock_levels s) AS stock_hash,
           (SELECT md5(string_agg(u::text, ',' ORDER BY u.id)) FROM users u) AS users_hash`;
}

describe('the seed', () => {
  let t: TestMonolith;
  beforeAll(async () => {
    t = await startTestMonolith();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is already in every test database: 20 categories, 2,000 products, stock in two warehouses', async () => {
    const [counts] = (await snapshot(t)) as [{ categories: number; products: number; stock: number; movements: number }];
    expect(counts).toMatchObject({ categories: 20, products: 2000, stock: 4000, movements: 4000 });
    const page = await request(t.app).get('/api/products').query({ limit: 1 }).expect(200);
    expect(page.body.total).toBe(2000);
  });

  it('gives products ids derived from their sku', async () => {
    const res = await request(t.app).get(`/api/products/${seedUuid('product:LAP-0001')}`).expect(200);
    expect(res.body).toMatchObject({ sku: 'LAP-0001', category: { slug: 'laptops' } });
  });

  it('changes nothing when run again', async () => {
    const before = await snapshot(t);
    const report = await seedDatabase(t.db.url);
    expect(report).toEqual({
      categories: { inserted: 0, updated: 0 },
      products: { inserted: 0, updated: 0 },
      warehouses: { inserted: 0, updated: 0 },
      stockLevels: { inserted: 0 },
      users: { inserted: 0 },
    });
    expect(await snapshot(t)).toEqual(before);
  });

  it('leaves live stock alone on a re-run but restores a changed seed price', async () => {
    const id = seedUuid('product:COF-0001');
    await t.monolith.prisma.stockLevel.update({ where: { productId_warehouseId: { productId: id, warehouseId: 'ams' } }, data: { quantity: 0 } });
    const seeded = await t.monolith.prisma.product.findUniqueOrThrow({ where: { id } });
    await t.monolith.prisma.product.update({ where: { id }, data: { priceCents: seeded.priceCents + 1 } });
    const report = await seedDatabase(t.db.url);
    expect(report.products).toEqual({ inserted: 0, updated: 1 });
    expect((await t.monolith.prisma.product.findUniqueOrThrow({ where: { id } })).priceCents).toBe(seeded.priceCents);
    expect((await t.monolith.prisma.stockLevel.findUniqueOrThrow({ where: { productId_warehouseId: { productId: id, warehouseId: 'ams' } } })).quantity).toBe(0);
  });

  it('leaves the catalog as it is when asked, even where its tables refuse every write', async () => {
    const id = seedUuid('product:COF-0001');
    const seeded = await t.monolith.prisma.product.findUniqueOrThrow({ where: { id } });
    await t.monolith.prisma.product.update({ where: { id }, data: { priceCents: seeded.priceCents + 7 } });
    // What a catalog owned by another system looks like from here: its tables refuse writes.
    await t.monolith.prisma.$executeRawUnsafe(`CREATE FUNCTION refuse_all() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'owned elsewhere'; END $$`);
    await t.monolith.prisma.$executeRawUnsafe('CREATE TRIGGER refuse_products BEFORE INSERT OR UPDATE OR DELETE ON products FOR EACH STATEMENT EXECUTE FUNCTION refuse_all()');
    await t.monolith.prisma.$executeRawUnsafe('CREATE TRIGGER refuse_categories BEFORE INSERT OR UPDATE OR DELETE ON categories FOR EACH STATEMENT EXECUTE FUNCTION refuse_all()');
    try {
      await expect(seedDatabase(t.db.url)).rejects.toThrow(/owned elsewhere/);
      const report = await seedDatabase(t.db.url, { leaveCatalog: true });
      expect(report).toMatchObject({ categories: { inserted: 0, updated: 0 }, products: { inserted: 0, updated: 0 } });
      expect((await t.monolith.prisma.product.findUniqueOrThrow({ where: { id } })).priceCents).toBe(seeded.priceCents + 7);
    } finally {
      await t.monolith.prisma.$executeRawUnsafe('DROP FUNCTION refuse_all() CASCADE');
    }
    await seedDatabase(t.db.url);
  });

  it('fills an empty database completely', async () => {
    await t.monolith.prisma.$executeRawUnsafe('TRUNCATE stock_movements, stock_levels, products, categories, warehouses, users CASCADE');
    const report = await seedDatabase(t.db.url);
    expect(report).toEqual({
      categories: { inserted: 20, updated: 0 },
      products: { inserted: 2000, updated: 0 },
      warehouses: { inserted: 2, updated: 0 },
      stockLevels: { inserted: 4000 },
      users: { inserted: 3 },
    });
  });

  it.each(DEMO_USERS.map((u) => [u.email, u.password, u.role] as const))('lets demo user %s log in with the documented password', async (email, password, role) => {
    const res = await request(t.app).post('/api/auth/login').send({ email, password }).expect(200);
    expect(res.body.user.role).toBe(role);
  });
});
