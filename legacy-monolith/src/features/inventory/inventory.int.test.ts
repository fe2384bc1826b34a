import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMonolith, type TestMonolith } from '../../../../test-support/monolith.js';

describe('inventory against real PostgreSQL', () => {
  let t: TestMonolith;
  let admin: string;
  let categoryId: string;

  beforeAll(async () => {
    t = await startTestMonolith();
    admin = `Bearer ${t.monolith.tokens.sign({ sub: randomUUID(), role: 'admin', email: 'root@example.com' }).token}`;
    for (const [id, name] of [['ams', 'Amsterdam'], ['ber', 'Berlin']] as const) {
      await t.monolith.prisma.warehouse.upsert({ where: { id }, create: { id, name }, update: {} });
    }
    categoryId = (await t.monolith.prisma.category.create({ data: { id: randomUUID(), slug: 'fixture-stock', name: 'Fixture Stock' } })).id;
  });
  afterAll(async () => {
    await t.close();
  });

  /** A fresh product with the given units per warehouse. */
  async function product(stock: { ams?: number; ber?: number } = {}): Promise<string> {
    const { id } = await t.monolith.prisma.product.create({ data: { sku: `STK-${randomUUID().slice(0, 8)}`, name: 'Stock fixture', priceCents: 500, categoryId } });
    for (const [warehouseId, quantity] of Object.entries(stock)) {
      await t.monolith.prisma.stockLevel.create({ data: { productId: id, warehouseId, quantity } });
    }
    return id;
  }

  async function units(productId: string): Promise<Record<string, number>> {
    const rows = await t.monolith.prisma.stockLevel.findMany({ where: { productId } });
    return Object.fromEntries(rows.map((r) => [r.warehouseId, r.quantity]));
  }

  const movements = (productId: string) => t.monolith.prisma.stockMovement.findMany({ where: { productId }, orderBy: { createdAt: 'asc' } });

  describe('GET /api/inventory/:productId', () => {
    it('lists every warehouse with its units and the total', async () => {
      const id = await product({ ams: 4 });
      const res = await request(t.app).get(`/api/inventory/${id}`).expect(200);
      expect(res.body).toEqual({
        productId: id,
        total: 4,
        warehouses: [
          { warehouseId: 'ams', name: 'Amsterdam', quantity: 4 },
          { warehouseId: 'ber', name: 'Berlin', quantity: 0 },
        ],
      });
    });

    it('answers an unknown product with 404 and a malformed id with 400', async () => {
      await request(t.app).get(`/api/inventory/${randomUUID()}`).expect(404);
      const res = await request(t.app).get('/api/inventory/abc').expect(400);
      expect(res.body.error.message).toMatch(/^params\.productId: /);
    });
  });

  describe('admin adjustments', () => {
    const adjust = (id: string, body: object, auth = admin) => request(t.app).post(`/api/inventory/${id}/adjustments`).set('authorization', auth).send(body);

    it('receives units: 201 with the new level and one movement in the ledger', async () => {
      const id = await product({ ams: 1 });
      const res = await adjust(id, { warehouseId: 'ber', delta: 6, reason: 'delivery' }).expect(201);
      expect(res.body).toMatchObject({ productId: id, total: 7, warehouses: [{ warehouseId: 'ams', quantity: 1 }, { warehouseId: 'ber', quantity: 6 }] });
      expect(await movements(id)).toEqual([expect.objectContaining({ warehouseId: 'ber', delta: 6, reason: 'adjustment: delivery' })]);
    });

    it('writes off units down to zero but never below: 409 insufficient_stock and nothing changes', async () => {
      const id = await product({ ams: 3 });
      await adjust(id, { warehouseId: 'ams', delta: -3, reason: 'damaged' }).expect(201);
      const res = await adjust(id, { warehouseId: 'ams', delta: -1, reason: 'damaged' }).expect(409);
      expect(res.body.error).toMatchObject({ code: 'insufficient_stock', details: { productIds: [id] } });
      expect(await units(id)).toEqual({ ams: 0 });
      expect((await movements(id)).map((m) => m.delta)).toEqual([-3]);
    });

    it('refuses to write off stock a warehouse never had', async () => {
      const id = await product();
      await adjust(id, { warehouseId: 'ber', delta: -1, reason: 'typo' }).expect(409);
      expect(await units(id)).toEqual({});
    });

    it('rejects an unknown warehouse with 400 naming body.warehouseId', async () => {
      const id = await product();
      const res = await adjust(id, { warehouseId: 'par', delta: 1, reason: 'x' }).expect(400);
      expect(res.body.error.message).toBe('body.warehouseId: unknown warehouse "par"');
    });

    it('rejects a zero or fractional delta with 400 naming body.delta', async () => {
      const id = await product();
      for (const delta of [0, 1.5]) {
        const res = await adjust(id, { warehouseId: 'ams', delta, reason: 'x' }).expect(400);
        expect(res.body.error.message).toMatch(/^body\.delta: /);
      }
    });

    it('answers an unknown product with 404', async () => {
      await adjust(randomUUID(), { warehouseId: 'ams', delta: 1, reason: 'x' }).expect(404);
    });

    it('needs an admin: 401 without a token, 403 for a customer', async () => {
      const id = await product();
      await request(t.app).post(`/api/inventory/${id}/adjustments`).send({ warehouseId: 'ams', delta: 1, reason: 'x' }).expect(401);
      const customer = `Bearer ${t.monolith.tokens.sign({ sub: randomUUID(), role: 'customer', email: 'c@example.com' }).token}`;
      await adjust(id, { warehouseId: 'ams', delta: 1, reason: 'x' }, customer).expect(403);
      expect(await units(id)).toEqual({});
    });
  });

  describe('reserve and release (the module interface used by checkout)', () => {
    const reserve = (items: { productId: string; quantity: number }[], reference: string) =>
      t.monolith.transactions.run((tx) => t.monolith.modules.inventory.reserve(items, reference, tx));

    it('reserves across warehouses and records each take in the ledger', async () => {
      const id = await product({ ams: 2, ber: 3 });
      const allocations = await reserve([{ productId: id, quantity: 4 }], 'order-a');
      expect(allocations).toEqual([
        { productId: id, warehouseId: 'ber', quantity: 3 },
        { productId: id, warehouseId: 'ams', quantity: 1 },
      ]);
      expect(await units(id)).toEqual({ ams: 1, ber: 0 });
      expect((await movements(id)).map((m) => [m.reason, m.reference, m.delta]).sort()).toEqual([
        ['reservation', 'order-a', -1],
        ['reservation', 'order-a', -3],
      ]);
    });

    it('is all-or-nothing: one short product leaves every product untouched', async () => {
      const plenty = await product({ ams: 10 });
      const scarce = await product({ ber: 1 });
      const error = await reserve([{ productId: plenty, quantity: 5 }, { productId: scarce, quantity: 2 }], 'order-b').catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 409, code: 'insufficient_stock', options: { details: { productIds: [scarce] } } });
      expect(await units(plenty)).toEqual({ ams: 10 });
      expect(await units(scarce)).toEqual({ ber: 1 });
      expect(await movements(plenty)).toEqual([]);
    });

    it('takes nothing when the caller’s transaction rolls back after reserving', async () => {
      const id = await product({ ams: 2 });
      await expect(
        t.monolith.transactions.run(async (tx) => {
          await t.monolith.modules.inventory.reserve([{ productId: id, quantity: 2 }], 'order-c', tx);
          throw new Error('payment declined');
        }),
      ).rejects.toThrow('payment declined');
      expect(await units(id)).toEqual({ ams: 2 });
      expect(await movements(id)).toEqual([]);
    });

    it('lets only one of two concurrent checkouts take the last units', async () => {
      const id = await product({ ams: 1, ber: 1 });
      const results = await Promise.allSettled([reserve([{ productId: id, quantity: 2 }], 'order-d1'), reserve([{ productId: id, quantity: 2 }], 'order-d2')]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'insufficient_stock' } });
      expect(await units(id)).toEqual({ ams: 0, ber: 0 });
    });

    it('never oversells under many concurrent checkouts of single units', async () => {
      const id = await product({ ams: 2, ber: 2 });
      const results = await Promise.allSettled(Array.from({ length: 7 }, (_, i) => reserve([{ productId: id, quantity: 1 }], `order-e${i}`)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
      expect(await units(id)).toEqual({ ams: 0, ber: 0 });
      expect((await movements(id)).reduce((sum, m) => sum + m.delta, 0)).toBe(-4);
    });

    it('release puts the reserved units back where they came from', async () => {
      const id = await product({ ams: 1, ber: 5 });
      const allocations = await reserve([{ productId: id, quantity: 6 }], 'order-f');
      await t.monolith.transactions.run((tx) => t.monolith.modules.inventory.release(allocations, 'order-f', tx));
      expect(await units(id)).toEqual({ ams: 1, ber: 5 });
      expect((await movements(id)).filter((m) => m.reason === 'release').map((m) => m.delta).sort()).toEqual([1, 5]);
    });
  });
});
