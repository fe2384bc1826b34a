import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { algorithmConfusionBearer, expiredBearer, forgedBearer, neverExpiringBearer, otherAudienceBearer, startTestMonolith, type TestMonolith } from '../../../../test-support/monolith.js';

const GOOD_CARD = { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' };
const WAREHOUSES = ['it-wh-a', 'it-wh-b'];

describe('cart, checkout and orders over HTTP', () => {
  let t: TestMonolith;
  let categoryId: string;

  beforeAll(async () => {
    t = await startTestMonolith();
    const category = await t.monolith.prisma.category.create({ data: { id: randomUUID(), slug: `orders-it-${randomUUID().slice(0, 8)}`, name: 'Orders fixtures' } });
    categoryId = category.id;
    for (const id of WAREHOUSES) await t.monolith.prisma.warehouse.upsert({ where: { id }, create: { id, name: id }, update: {} });
  });
  afterAll(async () => {
    await t.close();
  });

  /** A customer of its own, so that every test starts from an empty cart and history. */
  function customer(role: 'customer' | 'admin' = 'customer') {
    const id = randomUUID();
    return { id, auth: t.bearer(role, id) };
  }

  /** Fresh products, each with `stock[i]` units in the warehouses (a, b). */
  async function products(...specs: { priceCents: number; stock: [number, number]; active?: boolean }[]) {
    const ids: string[] = [];
    for (const spec of specs) {
      const sku = `IT-${randomUUID().slice(0, 8)}`;
      const p = await t.monolith.prisma.product.create({ data: { sku, name: `Item ${sku}`, priceCents: spec.priceCents, categoryId, active: spec.active ?? true } });
      for (const [i, quantity] of spec.stock.entries()) {
        if (quantity > 0) await t.monolith.prisma.stockLevel.create({ data: { productId: p.id, warehouseId: WAREHOUSES[i]!, quantity } });
      }
      ids.push(p.id);
    }
    return ids;
  }

  async function stockOf(productId: string): Promise<Record<string, number>> {
    const rows = await t.monolith.prisma.stockLevel.findMany({ where: { productId } });
    return Object.fromEntries(rows.map((r) => [r.warehouseId, r.quantity]));
  }

  async function counts(userId: string) {
    return {
      orders: await t.monolith.prisma.order.count({ where: { userId } }),
      payments: await t.monolith.prisma.payment.count({ where: { orderId: { in: (await t.monolith.prisma.order.findMany({ where: { userId } })).map((o) => o.id) } } }),
      notifications: await t.monolith.prisma.notification.count({ where: { userId } }),
      idempotencyKeys: await t.monolith.prisma.idempotencyKey.count({ where: { userId } }),
    };
  }

  const put = (auth: string, productId: string, quantity: number) => request(t.app).put(`/api/cart/items/${productId}`).set('authorization', auth).send({ quantity });
  const checkout = (auth: string, card: object = GOOD_CARD, key?: string) => {
    const req = request(t.app).post('/api/orders/checkout').set('authorization', auth);
    if (key !== undefined) req.set('idempotency-key', key);
    return req.send({ card });
  };

  describe('the cart', () => {
    it('shows current names and prices and the total, replaces quantities, removes lines and empties', async () => {
      const u = customer();
      const [a, b] = await products({ priceCents: 1250, stock: [5, 0] }, { priceCents: 399, stock: [5, 0] });
      await put(u.auth, a!, 1).expect(200);
      await put(u.auth, a!, 2).expect(200);
      const res = await put(u.auth, b!, 3).expect(200);
      expect(res.body).toMatchObject({ itemCount: 5, totalCents: 2 * 1250 + 3 * 399, currency: 'EUR' });
      expect(res.body.items).toHaveLength(2);
      expect(res.body.items).toContainEqual(expect.objectContaining({ productId: a, quantity: 2, unitPriceCents: 1250, lineTotalCents: 2500, available: true }));

      const afterRemove = await request(t.app).delete(`/api/cart/items/${a}`).set('authorization', u.auth).expect(200);
      expect(afterRemove.body.items.map((i: { productId: string }) => i.productId)).toEqual([b]);
      await request(t.app).delete('/api/cart').set('authorization', u.auth).expect(204);
      const empty = await request(t.app).get('/api/cart').set('authorization', u.auth).expect(200);
      expect(empty.body).toEqual({ items: [], itemCount: 0, totalCents: 0, currency: null });
    });

    it('answers 404 product_not_found for an unknown product and 422 product_inactive for an inactive one', async () => {
      const u = customer();
      const [inactive] = await products({ priceCents: 100, stock: [1, 0], active: false });
      expect((await put(u.auth, randomUUID(), 1).expect(404)).body.error.code).toBe('product_not_found');
      expect((await put(u.auth, inactive!, 1).expect(422)).body.error.code).toBe('product_inactive');
    });

    it('takes a product id in the same form as the catalog: an unknown non-RFC id is a 404 on both, not a 400 on one', async () => {
      const u = customer();
      const id = '00000000-0000-0000-0000-000000000001';
      await request(t.app).get(`/api/products/${id}`).expect(404);
      expect((await put(u.auth, id, 1).expect(404)).body.error.code).toBe('product_not_found');
    });

    it('accepts several first items of a new cart at once', async () => {
      const u = customer();
      const ids = await products(...[1, 2, 3, 4].map(() => ({ priceCents: 100, stock: [1, 0] as [number, number] })));

      const results = await Promise.all(ids.map((id) => put(u.auth, id, 1)));

      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect((await request(t.app).get('/api/cart').set('authorization', u.auth).expect(200)).body.itemCount).toBe(4);
    });

    it('never lets products added at once take a cart past 50 different products', async () => {
      const u = customer();
      const ids = await products(...Array.from({ length: 55 }, () => ({ priceCents: 100, stock: [0, 0] as [number, number] })));
      for (const id of ids.slice(0, 49)) await put(u.auth, id, 1).expect(200);

      const results = await Promise.all(ids.slice(49).map((id) => put(u.auth, id, 1)));

      expect(results.map((r) => r.status).sort()).toEqual([200, 422, 422, 422, 422, 422]);
      expect(results.filter((r) => r.status === 422).map((r) => r.body.error.code)).toEqual(['cart_full', 'cart_full', 'cart_full', 'cart_full', 'cart_full']);
      expect((await request(t.app).get('/api/cart').set('authorization', u.auth).expect(200)).body.items).toHaveLength(50);
    });

    it('answers 400 naming the field for a quantity outside 1..100 or a product id that is not a uuid', async () => {
      const u = customer();
      const [a] = await products({ priceCents: 100, stock: [1, 0] });
      expect((await put(u.auth, a!, 0).expect(400)).body.error.message).toContain('body.quantity');
      expect((await put(u.auth, a!, 101).expect(400)).body.error.message).toContain('body.quantity');
      expect((await put(u.auth, 'not-a-uuid', 1).expect(400)).body.error.message).toContain('params.productId');
    });
  });

  describe('checkout', () => {
    it('creates a paid order: stock decremented, payment captured, notification recorded, cart emptied', async () => {
      const u = customer();
      const [a, b] = await products({ priceCents: 1250, stock: [1, 5] }, { priceCents: 399, stock: [10, 0] });
      await put(u.auth, a!, 2).expect(200);
      await put(u.auth, b!, 3).expect(200);

      const res = await checkout(u.auth).expect(201);

      const order = res.body;
      expect(res.headers.location).toBe(`/api/orders/${order.id}`);
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      expect(order).toMatchObject({ status: 'paid', totalCents: 2 * 1250 + 3 * 399, currency: 'EUR' });
      expect(order.items).toContainEqual(expect.objectContaining({ productId: a, quantity: 2, unitPriceCents: 1250, lineTotalCents: 2500 }));
      // Product a had 1 + 5 units: the 2 units come from the fuller warehouse or both, but 4 remain in all.
      const stockA = await stockOf(a!);
      expect((stockA['it-wh-a'] ?? 0) + (stockA['it-wh-b'] ?? 0)).toBe(4);
      expect(await stockOf(b!)).toEqual({ 'it-wh-a': 7 });
      const payment = await t.monolith.prisma.payment.findUnique({ where: { orderId: order.id } });
      expect(payment).toMatchObject({ amountCents: 3697, currency: 'EUR', status: 'captured', cardLast4: '4242', refundedAt: null });
      expect(JSON.stringify(payment)).not.toContain('4242424242424242');
      const items = await t.monolith.prisma.orderItem.findMany({ where: { orderId: order.id } });
      expect(items.find((i) => i.productId === a)!.allocations).toEqual(expect.arrayContaining([expect.objectContaining({ productId: a })]));

      const cart = await request(t.app).get('/api/cart').set('authorization', u.auth).expect(200);
      expect(cart.body.items).toEqual([]);
      const notes = await request(t.app).get('/api/notifications').set('authorization', u.auth).expect(200);
      expect(notes.body.items).toEqual([expect.objectContaining({ type: 'order_placed', orderId: order.id })]);
      const fetched = await request(t.app).get(`/api/orders/${order.id}`).set('authorization', u.auth).expect(200);
      expect(fetched.body).toEqual(order);
    });

    it('answers 409 insufficient_stock and changes nothing: stock, orders, payments, cart', async () => {
      const u = customer();
      const [plenty, scarce] = await products({ priceCents: 500, stock: [10, 0] }, { priceCents: 500, stock: [1, 1] });
      await put(u.auth, plenty!, 2).expect(200);
      await put(u.auth, scarce!, 3).expect(200);
      const movementsBefore = await t.monolith.prisma.stockMovement.count({ where: { productId: { in: [plenty!, scarce!] } } });

      const res = await checkout(u.auth).expect(409);

      expect(res.body.error.code).toBe('insufficient_stock');
      expect(res.body.error.details.productIds).toEqual([scarce]);
      expect(await stockOf(plenty!)).toEqual({ 'it-wh-a': 10 });
      expect(await stockOf(scarce!)).toEqual({ 'it-wh-a': 1, 'it-wh-b': 1 });
      expect(await t.monolith.prisma.stockMovement.count({ where: { productId: { in: [plenty!, scarce!] } } })).toBe(movementsBefore);
      expect(await counts(u.id)).toEqual({ orders: 0, payments: 0, notifications: 0, idempotencyKeys: 0 });
      expect((await request(t.app).get('/api/cart').set('authorization', u.auth).expect(200)).body.items).toHaveLength(2);
    });

    it('answers 402 payment_declined for the declined test card and changes no stock', async () => {
      const u = customer();
      const [a] = await products({ priceCents: 500, stock: [3, 0] });
      await put(u.auth, a!, 2).expect(200);

      const res = await checkout(u.auth, { ...GOOD_CARD, number: '4000000000000002' }, 'declined-once').expect(402);

      expect(res.body.error.code).toBe('payment_declined');
      expect(await stockOf(a!)).toEqual({ 'it-wh-a': 3 });
      expect(await counts(u.id)).toEqual({ orders: 0, payments: 0, notifications: 0, idempotencyKeys: 0 });
      expect((await request(t.app).get('/api/cart').set('authorization', u.auth).expect(200)).body.items).toHaveLength(1);
    });

    it('answers 402 insufficient_funds and 402 card_expired for those cards', async () => {
      const u = customer();
      const [a] = await products({ priceCents: 500, stock: [3, 0] });
      await put(u.auth, a!, 1).expect(200);
      expect((await checkout(u.auth, { ...GOOD_CARD, number: '4000000000009995' }).expect(402)).body.error.code).toBe('insufficient_funds');
      expect((await checkout(u.auth, { ...GOOD_CARD, expYear: 2020 }).expect(402)).body.error.code).toBe('card_expired');
      expect(await stockOf(a!)).toEqual({ 'it-wh-a': 3 });
    });

    it('answers 400 naming body.card.number for a number that fails the Luhn check', async () => {
      const u = customer();
      const res = await checkout(u.auth, { ...GOOD_CARD, number: '4242424242424241' }).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toContain('body.card.number');
      expect(JSON.stringify(res.body)).not.toContain('4242424242424241');
    });

    it('answers 409 products_unavailable naming a product deactivated after it was put in the cart', async () => {
      const u = customer();
      const [a, b] = await products({ priceCents: 100, stock: [3, 0] }, { priceCents: 100, stock: [3, 0] });
      await put(u.auth, a!, 1).expect(200);
      await put(u.auth, b!, 1).expect(200);
      await t.monolith.prisma.product.update({ where: { id: b! }, data: { active: false } });

      const res = await checkout(u.auth).expect(409);

      expect(res.body.error).toMatchObject({ code: 'products_unavailable', details: { productIds: [b] } });
      expect(await stockOf(a!)).toEqual({ 'it-wh-a': 3 });
      const cart = (await request(t.app).get('/api/cart').set('authorization', u.auth).expect(200)).body;
      expect(cart.items.find((i: { productId: string }) => i.productId === b).available).toBe(false);
    });

    it('answers 422 order_total_too_large for a total beyond what an order can hold, and changes nothing', async () => {
      const u = customer();
      const [pricey] = await products({ priceCents: 100_000_000, stock: [30, 0] });
      await put(u.auth, pricey!, 22).expect(200);

      const res = await checkout(u.auth).expect(422);

      expect(res.body.error.code).toBe('order_total_too_large');
      expect(await stockOf(pricey!)).toEqual({ 'it-wh-a': 30 });
      expect(await counts(u.id)).toEqual({ orders: 0, payments: 0, notifications: 0, idempotencyKeys: 0 });
    });

    it('answers 422 cart_empty for an empty cart', async () => {
      const u = customer();
      expect((await checkout(u.auth).expect(422)).body.error.code).toBe('cart_empty');
    });

    it('never sells the last unit twice when two customers check out at once', async () => {
      const [last] = await products({ priceCents: 900, stock: [1, 0] });
      const buyers = [customer(), customer()];
      for (const b of buyers) await put(b.auth, last!, 1).expect(200);

      const results = await Promise.all(buyers.map((b) => checkout(b.auth)));

      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(await stockOf(last!)).toEqual({ 'it-wh-a': 0 });
    });

    it('places one order when the same customer checks out twice at once without a key (the second finds the cart empty)', async () => {
      const u = customer();
      const [a] = await products({ priceCents: 300, stock: [5, 0] });
      await put(u.auth, a!, 2).expect(200);

      const results = await Promise.all([checkout(u.auth), checkout(u.auth)]);

      expect(results.map((r) => r.status).sort()).toEqual([201, 422]);
      expect(results.find((r) => r.status === 422)!.body.error.code).toBe('cart_empty');
      expect(await counts(u.id)).toMatchObject({ orders: 1, payments: 1 });
      expect(await stockOf(a!)).toEqual({ 'it-wh-a': 3 });
    });
  });

  describe('checkout with an Idempotency-Key', () => {
    it('returns the first response for a repeated key and charges and reserves once', async () => {
      const u = customer();
      const [a] = await products({ priceCents: 700, stock: [5, 0] });
      await put(u.auth, a!, 2).expect(200);
      const first = await checkout(u.auth, GOOD_CARD, 'retry-me').expect(201);
      await put(u.auth, a!, 2).expect(200);

      const again = await checkout(u.auth, GOOD_CARD, 'retry-me');

      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.text).toBe(first.text);
      expect(await counts(u.id)).toMatchObject({ orders: 1, payments: 1, idempotencyKeys: 1 });
      expect(await stockOf(a!)).toEqual({ 'it-wh-a': 3 });
    });

    it('answers 422 idempotency_key_reused for the same key with a different request', async () => {
      const u = customer();
      const [a] = await products({ priceCents: 700, stock: [5, 0] });
      await put(u.auth, a!, 1).expect(200);
      await checkout(u.auth, GOOD_CARD, 'one-key').expect(201);
      await put(u.auth, a!, 1).expect(200);

      const res = await checkout(u.auth, { ...GOOD_CARD, number: '5555555555554444' }, 'one-key').expect(422);

      expect(res.body.error.code).toBe('idempotency_key_reused');
      expect(await counts(u.id)).toMatchObject({ orders: 1, payments: 1 });
    });

    it('charges once when the same key arrives several times at once', async () => {
      const u = customer();
      const [a] = await products({ priceCents: 700, stock: [9, 0] });
      await put(u.auth, a!, 3).expect(200);

      const results = await Promise.all([1, 2, 3].map(() => checkout(u.auth, GOOD_CARD, 'racing-key')));

      expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(results.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(2);
      expect(await counts(u.id)).toMatchObject({ orders: 1, payments: 1, idempotencyKeys: 1 });
      expect(await stockOf(a!)).toEqual({ 'it-wh-a': 6 });
    });

    it('answers 400 naming the header for a key that is empty, too long or not visible ASCII', async () => {
      const u = customer();
      for (const key of ['x'.repeat(256), 'has space', 'ünïcode']) {
        const res = await checkout(u.auth, GOOD_CARD, key).expect(400);
        expect(res.body.error.message).toContain('headers.Idempotency-Key');
      }
    });

    it('is documented in the OpenAPI document of the checkout route', async () => {
      const doc = (await request(t.app).get('/openapi.json').expect(200)).body;
      const op = doc.paths['/api/orders/checkout'].post;
      expect(op.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'Idempotency-Key', required: false }));
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '402', '409', '422']));
    });
  });

  describe('orders', () => {
    async function placeOrder(u: { auth: string }, units = 2) {
      const [a] = await products({ priceCents: 1000, stock: [units, 3] });
      await put(u.auth, a!, units + 1).expect(200);
      const order = (await checkout(u.auth).expect(201)).body;
      return { order, productId: a! };
    }

    it('cancel releases exactly the reserved units and refunds the payment', async () => {
      const u = customer();
      const { order, productId } = await placeOrder(u);
      expect(await stockOf(productId)).not.toEqual({ 'it-wh-a': 2, 'it-wh-b': 3 });

      const res = await request(t.app).post(`/api/orders/${order.id}/cancel`).set('authorization', u.auth).expect(200);

      expect(res.body.status).toBe('cancelled');
      expect(await stockOf(productId)).toEqual({ 'it-wh-a': 2, 'it-wh-b': 3 });
      const payment = await t.monolith.prisma.payment.findUnique({ where: { orderId: order.id } });
      expect(payment?.status).toBe('refunded');
      expect(payment?.refundedAt).toBeInstanceOf(Date);
      const notes = await request(t.app).get('/api/notifications').set('authorization', u.auth).expect(200);
      expect(notes.body.items.map((n: { type: string }) => n.type)).toEqual(['order_cancelled', 'order_placed']);
      const movements = await t.monolith.prisma.stockMovement.findMany({ where: { productId, reference: order.id } });
      expect(movements.reduce((sum, m) => sum + m.delta, 0)).toBe(0);
    });

    it('answers 409 order_not_cancellable when cancelling twice', async () => {
      const u = customer();
      const { order, productId } = await placeOrder(u);
      await request(t.app).post(`/api/orders/${order.id}/cancel`).set('authorization', u.auth).expect(200);

      const res = await request(t.app).post(`/api/orders/${order.id}/cancel`).set('authorization', u.auth).expect(409);

      expect(res.body.error.code).toBe('order_not_cancellable');
      expect(await stockOf(productId)).toEqual({ 'it-wh-a': 2, 'it-wh-b': 3 });
    });

    it("answers 404 for another user's order, which an admin may still read", async () => {
      const owner = customer();
      const { order } = await placeOrder(owner);
      const stranger = customer();
      expect((await request(t.app).get(`/api/orders/${order.id}`).set('authorization', stranger.auth).expect(404)).body.error.code).toBe('order_not_found');
      await request(t.app).post(`/api/orders/${order.id}/cancel`).set('authorization', stranger.auth).expect(404);
      await request(t.app).get(`/api/orders/${order.id}`).set('authorization', customer('admin').auth).expect(200);
      expect((await request(t.app).get(`/api/orders/${order.id}`).set('authorization', owner.auth).expect(200)).body.status).toBe('paid');
    });

    it("lists the user's own orders newest first, one page at a time", async () => {
      const u = customer();
      const first = (await placeOrder(u)).order;
      const second = (await placeOrder(u)).order;
      await placeOrder(customer());
      const page1 = await request(t.app).get('/api/orders').query({ limit: 1 }).set('authorization', u.auth).expect(200);
      expect(page1.body).toMatchObject({ page: 1, limit: 1, total: 2, totalPages: 2 });
      expect(page1.body.items.map((o: { id: string }) => o.id)).toEqual([second.id]);
      const page2 = await request(t.app).get('/api/orders').query({ limit: 1, page: 2 }).set('authorization', u.auth).expect(200);
      expect(page2.body.items.map((o: { id: string }) => o.id)).toEqual([first.id]);
    });
  });

  describe('authentication', () => {
    const routes: [string, string][] = [
      ['get', '/api/cart'],
      ['post', '/api/orders/checkout'],
      ['get', '/api/orders'],
      ['get', '/api/notifications'],
    ];

    it.each(routes)('%s %s answers 401 token_missing without a token', async (method, path) => {
      const res = await (request(t.app) as unknown as Record<string, (p: string) => request.Test>)[method]!(path).expect(401);
      expect(res.body.error.code).toBe('token_missing');
    });

    it('answers 401 token_invalid for a token signed with another key and 401 token_expired for an expired one', async () => {
      expect((await request(t.app).get('/api/cart').set('authorization', forgedBearer('customer')).expect(401)).body.error.code).toBe('token_invalid');
      expect((await request(t.app).get('/api/orders').set('authorization', expiredBearer('customer')).expect(401)).body.error.code).toBe('token_expired');
    });

    it.each([
      ['meant for another audience', otherAudienceBearer],
      ['without an expiry', neverExpiringBearer],
      ['signed HS256 with the public key as the secret', algorithmConfusionBearer],
    ])('answers 401 token_invalid for a token %s', async (_case, bearer) => {
      const res = await request(t.app).get('/api/cart').set('authorization', bearer('customer')).expect(401);
      expect(res.body.error.code).toBe('token_invalid');
    });
  });
});
