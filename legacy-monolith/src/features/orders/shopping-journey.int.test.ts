import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMonolith, type TestMonolith } from '../../../../test-support/monolith.js';

// One customer journey across every module, on the seeded template data, through HTTP only.
describe('a seeded customer shops, pays and cancels', () => {
  let t: TestMonolith;
  beforeAll(async () => {
    t = await startTestMonolith();
  });
  afterAll(async () => {
    await t.close();
  });

  it('logs in, fills the cart from the catalog, checks out, sees the order and notification, cancels and gets the stock back', async () => {
    const session = await request(t.app).post('/api/auth/login').send({ email: 'alice@example.com', password: 'alice-demo-password' }).expect(200);
    const auth = `Bearer ${session.body.accessToken}`;

    const listing = await request(t.app).get('/api/products').query({ limit: 20, sort: 'price' }).expect(200);
    let product: { id: string; priceCents: number } | undefined;
    let stockBefore = 0;
    for (const candidate of listing.body.items as { id: string; priceCents: number }[]) {
      stockBefore = (await request(t.app).get(`/api/inventory/${candidate.id}`).expect(200)).body.total;
      if (stockBefore >= 2) {
        product = candidate;
        break;
      }
    }
    if (!product) throw new Error('the seed has no product with 2 units among the 20 cheapest');

    await request(t.app).put(`/api/cart/items/${product.id}`).set('authorization', auth).send({ quantity: 2 }).expect(200);
    const order = (await request(t.app).post('/api/orders/checkout').set('authorization', auth).set('idempotency-key', 'journey-1').send({ card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' } }).expect(201)).body;

    expect(order).toMatchObject({ status: 'paid', totalCents: 2 * product.priceCents });
    expect((await request(t.app).get(`/api/inventory/${product.id}`).expect(200)).body.total).toBe(stockBefore - 2);
    expect((await request(t.app).get('/api/orders').set('authorization', auth).expect(200)).body.items[0].id).toBe(order.id);
    expect((await request(t.app).get('/api/notifications').set('authorization', auth).expect(200)).body.items[0]).toMatchObject({ type: 'order_placed', orderId: order.id });

    await request(t.app).post(`/api/orders/${order.id}/cancel`).set('authorization', auth).expect(200);
    expect((await request(t.app).get(`/api/inventory/${product.id}`).expect(200)).body.total).toBe(stockBefore);
  });
});
