import { randomUUID } from 'node:crypto';
import { parseLsn } from '@strangler/platform';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expiredBearer, forgedBearer, startTestMonolith, type TestMonolith } from '../../../../test-support/monolith.js';

interface ProductBody {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  createdAt: string;
}

describe('catalog over HTTP', () => {
  let t: TestMonolith;
  let admin: string;
  let customer: string;
  const fixtures: { id: string; sku: string }[] = [];

  beforeAll(async () => {
    t = await startTestMonolith();
    admin = t.bearer('admin');
    customer = t.bearer('customer');
    const category = await t.monolith.prisma.category.create({ data: { id: randomUUID(), slug: 'fixture-kitchen', name: 'Fixture Kitchen' } });
    const rows = [
      { sku: 'FIX-KETTLE', name: 'Kettle Steel', description: 'Boils water fast', priceCents: 3999 },
      { sku: 'FIX-GRINDER', name: 'Burr Grinder', description: 'Grinds beans for a fine ESPRESSO', priceCents: 12900 },
      { sku: 'FIX-ESPRESSO', name: 'Moka Pot', description: 'Stovetop coffee', priceCents: 2450 },
      { sku: 'FIX-SCALE', name: 'Drip Scale', description: 'Weighs to 0.1 g, 100% accurate', priceCents: 1999 },
      { sku: 'FIX-CUP', name: 'Cup Set', description: 'Four porcelain cups', priceCents: 2450 },
    ];
    for (const [i, row] of rows.entries()) {
      const created = await t.monolith.prisma.product.create({
        data: { ...row, categoryId: category.id, createdAt: new Date(Date.UTC(2030, 0, 1 + i)) },
      });
      fixtures.push({ id: created.id, sku: created.sku });
    }
    await t.monolith.prisma.product.create({
      data: { sku: 'FIX-RETIRED', name: 'Retired Espresso Kettle', priceCents: 100, categoryId: category.id, active: false },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const list = (query: Record<string, string | number>) => request(t.app).get('/api/products').query(query);

  describe('search, filter, sort and pages', () => {
    it('lists categories with slug and name', async () => {
      const res = await request(t.app).get('/api/categories').expect(200);
      expect(res.body).toContainEqual(expect.objectContaining({ slug: 'fixture-kitchen', name: 'Fixture Kitchen' }));
    });

    it('finds q in name, description or sku, ignoring case, among active products only', async () => {
      const res = await list({ q: 'EsPrEsSo', category: 'fixture-kitchen' }).expect(200);
      expect(res.body.items.map((p: ProductBody) => p.sku).sort()).toEqual(['FIX-ESPRESSO', 'FIX-GRINDER']);
      expect(res.body.total).toBe(2);
    });

    it('treats % in q as a literal character', async () => {
      const res = await list({ q: '100%', category: 'fixture-kitchen' }).expect(200);
      expect(res.body.items.map((p: ProductBody) => p.sku)).toEqual(['FIX-SCALE']);
    });

    it('rejects an unknown category with 400 naming query.category', async () => {
      const res = await list({ category: 'no-such-category' }).expect(400);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', message: 'query.category: unknown category "no-such-category"' });
    });

    it.each([0, 101])('rejects limit=%i with 400 naming query.limit', async (limit) => {
      const res = await list({ limit }).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toMatch(/^query\.limit: /);
    });

    it('rejects an unknown sort with 400 naming query.sort', async () => {
      const res = await list({ sort: 'popularity' }).expect(400);
      expect(res.body.error.message).toMatch(/^query\.sort: /);
    });

    it('pages through the results without overlap', async () => {
      const first = await list({ category: 'fixture-kitchen', limit: 2, page: 1 }).expect(200);
      const third = await list({ category: 'fixture-kitchen', limit: 2, page: 3 }).expect(200);
      expect(first.body).toMatchObject({ page: 1, limit: 2, total: 5, totalPages: 3 });
      expect(first.body.items.map((p: ProductBody) => p.name)).toEqual(['Burr Grinder', 'Cup Set']);
      expect(third.body.items.map((p: ProductBody) => p.name)).toEqual(['Moka Pot']);
    });

    it('answers a page past the end with no items and the right total', async () => {
      const res = await list({ category: 'fixture-kitchen', limit: 2, page: 4 }).expect(200);
      expect(res.body).toEqual({ items: [], page: 4, limit: 2, total: 5, totalPages: 3 });
    });

    it.each([
      ['name', ['Burr Grinder', 'Cup Set', 'Drip Scale', 'Kettle Steel', 'Moka Pot']],
      ['-name', ['Moka Pot', 'Kettle Steel', 'Drip Scale', 'Cup Set', 'Burr Grinder']],
      ['newest', ['Cup Set', 'Drip Scale', 'Moka Pot', 'Burr Grinder', 'Kettle Steel']],
    ])('sorts by %s', async (sort, names) => {
      const res = await list({ category: 'fixture-kitchen', sort }).expect(200);
      expect(res.body.items.map((p: ProductBody) => p.name)).toEqual(names);
    });

    it.each([
      ['price', [1999, 2450, 2450, 3999, 12900]],
      ['-price', [12900, 3999, 2450, 2450, 1999]],
    ])('sorts by %s, ties in a stable order', async (sort, prices) => {
      const once = await list({ category: 'fixture-kitchen', sort }).expect(200);
      const again = await list({ category: 'fixture-kitchen', sort }).expect(200);
      expect(once.body.items.map((p: ProductBody) => p.priceCents)).toEqual(prices);
      expect(again.body.items).toEqual(once.body.items);
    });

    it('sorts the whole catalog by price across pages', async () => {
      const a = await list({ sort: 'price', limit: 100, page: 1 }).expect(200);
      const b = await list({ sort: 'price', limit: 100, page: 2 }).expect(200);
      const prices = [...a.body.items, ...b.body.items].map((p: ProductBody) => p.priceCents);
      expect(prices).toEqual([...prices].sort((x, y) => x - y));
    });
  });

  describe('one product', () => {
    it('returns an active product by id', async () => {
      const res = await request(t.app).get(`/api/products/${fixtures[0]!.id}`).expect(200);
      expect(res.body).toMatchObject({ sku: 'FIX-KETTLE', priceCents: 3999, currency: 'EUR', active: true, category: { slug: 'fixture-kitchen' } });
    });

    it('answers an unknown id with 404 not_found', async () => {
      const res = await request(t.app).get(`/api/products/${randomUUID()}`).expect(404);
      expect(res.body.error.code).toBe('not_found');
    });

    it('answers a malformed id with 400 naming params.id', async () => {
      const res = await request(t.app).get('/api/products/12345').expect(400);
      expect(res.body.error.message).toMatch(/^params\.id: /);
    });
  });

  describe('administration', () => {
    const newProduct = { sku: 'ADM-1', name: 'Pour-over Stand', description: 'Walnut', priceCents: 4500, currency: 'EUR', categorySlug: 'fixture-kitchen' };

    it('creates a product: 201 with a location, then listed publicly', async () => {
      const res = await request(t.app).post('/api/products').set('authorization', admin).send(newProduct).expect(201);
      expect(res.headers.location).toBe(`/api/products/${res.body.id}`);
      expect(res.body).toMatchObject({ sku: 'ADM-1', priceCents: 4500, active: true, category: { slug: 'fixture-kitchen' } });
      await request(t.app).get(`/api/products/${res.body.id}`).expect(200);
    });

    it('refuses a taken sku with 409 sku_taken', async () => {
      const res = await request(t.app).post('/api/products').set('authorization', admin).send({ ...newProduct, sku: 'FIX-KETTLE' }).expect(409);
      expect(res.body.error.code).toBe('sku_taken');
    });

    it('refuses an unknown category with 400 naming body.categorySlug', async () => {
      const res = await request(t.app).post('/api/products').set('authorization', admin).send({ ...newProduct, sku: 'ADM-2', categorySlug: 'ghost' }).expect(400);
      expect(res.body.error.message).toBe('body.categorySlug: unknown category "ghost"');
    });

    it('rejects invalid fields with 400 naming each of them', async () => {
      const res = await request(t.app)
        .post('/api/products')
        .set('authorization', admin)
        .send({ ...newProduct, sku: 'ADM-3', priceCents: 12.5, currency: 'eur' })
        .expect(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['body.currency', 'body.priceCents']);
    });

    it('refuses a price of zero with 400 naming body.priceCents (a checkout cannot charge a card nothing)', async () => {
      const created = await request(t.app).post('/api/products').set('authorization', admin).send({ ...newProduct, sku: 'ADM-4', priceCents: 0 }).expect(400);
      expect(created.body.error.details).toEqual([{ field: 'body.priceCents', reason: 'must be at least 1 cent' }]);
      const patched = await request(t.app).patch(`/api/products/${fixtures[0]!.id}`).set('authorization', admin).send({ priceCents: 0 }).expect(400);
      expect(patched.body.error.details).toEqual([{ field: 'body.priceCents', reason: 'must be at least 1 cent' }]);
    });

    it('updates a product with PATCH', async () => {
      const res = await request(t.app).patch(`/api/products/${fixtures[1]!.id}`).set('authorization', admin).send({ priceCents: 11900, name: 'Burr Grinder Pro' }).expect(200);
      expect(res.body).toMatchObject({ priceCents: 11900, name: 'Burr Grinder Pro', sku: 'FIX-GRINDER' });
      const publicView = await request(t.app).get(`/api/products/${fixtures[1]!.id}`).expect(200);
      expect(publicView.body.priceCents).toBe(11900);
    });

    it('reports where a write landed in the WAL (for the proxy’s consistency tokens), and only for a write that succeeded', async () => {
      const before = (await t.monolith.prisma.$queryRaw<{ lsn: string }[]>`SELECT pg_current_wal_insert_lsn()::text AS lsn`)[0]!.lsn;
      const res = await request(t.app).patch(`/api/products/${fixtures[2]!.id}`).set('authorization', admin).send({ description: 'Stovetop coffee, 6 cups' }).expect(200);
      const refused = await request(t.app).patch(`/api/products/${fixtures[2]!.id}`).set('authorization', admin).send({ sku: 'FIX-CUP' }).expect(409);
      const read = await request(t.app).get(`/api/products/${fixtures[2]!.id}`).expect(200);

      const reported = parseLsn(res.headers['strangler-commit-lsn']);
      expect(reported).toBeDefined();
      expect(reported! > parseLsn(before)!).toBe(true);
      expect(refused.headers['strangler-commit-lsn']).toBeUndefined();
      expect(read.headers['strangler-commit-lsn']).toBeUndefined();
    });

    it('refuses a PATCH that takes another product’s sku with 409 sku_taken', async () => {
      const res = await request(t.app).patch(`/api/products/${fixtures[1]!.id}`).set('authorization', admin).send({ sku: 'FIX-CUP' }).expect(409);
      expect(res.body.error.code).toBe('sku_taken');
    });

    it('answers a PATCH of an unknown product with 404', async () => {
      await request(t.app).patch(`/api/products/${randomUUID()}`).set('authorization', admin).send({ name: 'x' }).expect(404);
    });

    it('deletes softly: 204, then 404 and unlisted, while the row keeps its name and price', async () => {
      const id = fixtures[4]!.id;
      await request(t.app).delete(`/api/products/${id}`).set('authorization', admin).expect(204);
      await request(t.app).get(`/api/products/${id}`).expect(404);
      const listed = await list({ category: 'fixture-kitchen', limit: 100 }).expect(200);
      expect(listed.body.items.map((p: ProductBody) => p.id)).not.toContain(id);
      const row = await t.monolith.prisma.product.findUniqueOrThrow({ where: { id } });
      expect(row).toMatchObject({ active: false, name: 'Cup Set', priceCents: 2450 });
    });
  });

  describe('who may administer', () => {
    const body = { sku: 'AUTH-1', name: 'Nope', priceCents: 1, categorySlug: 'fixture-kitchen' };

    it('answers a missing token with 401 token_missing', async () => {
      const res = await request(t.app).post('/api/products').send(body).expect(401);
      expect(res.body.error.code).toBe('token_missing');
    });

    it('answers a malformed token with 401 token_malformed', async () => {
      const res = await request(t.app).post('/api/products').set('authorization', 'Bearer not-a-jwt').send(body).expect(401);
      expect(res.body.error.code).toBe('token_malformed');
    });

    it('answers an expired token with 401 token_expired', async () => {
      const res = await request(t.app).delete(`/api/products/${fixtures[0]!.id}`).set('authorization', expiredBearer('admin')).expect(401);
      expect(res.body.error.code).toBe('token_expired');
    });

    it('answers a token signed with another secret with 401 token_invalid', async () => {
      const res = await request(t.app).patch(`/api/products/${fixtures[0]!.id}`).set('authorization', forgedBearer('admin')).send({ name: 'Hacked' }).expect(401);
      expect(res.body.error.code).toBe('token_invalid');
    });

    it('answers a customer with 403 and changes nothing', async () => {
      const res = await request(t.app).delete(`/api/products/${fixtures[0]!.id}`).set('authorization', customer).expect(403);
      expect(res.body.error.code).toBe('forbidden');
      await request(t.app).get(`/api/products/${fixtures[0]!.id}`).expect(200);
    });
  });
});
