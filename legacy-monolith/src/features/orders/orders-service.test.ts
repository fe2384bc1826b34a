import { describe, expect, it } from 'vitest';
import { fakeTransactions } from '../../testing/fake-transactions.js';
import { FakeCatalogModule } from '../../testing/fake-catalog-module.js';
import { FakeInventoryModule } from '../../testing/fake-inventory-module.js';
import { CartService } from '../cart/cart-service.js';
import { FakeCartStore } from '../cart/fake-cart-store.js';
import type { ProductForOrder } from '../catalog/catalog-module.js';
import { FakeNotificationsStore } from '../notifications/fake-notifications-store.js';
import { NotificationsService } from '../notifications/notifications-service.js';
import { FakePaymentsStore } from '../payments/fake-payments-store.js';
import type { PaymentProvider, ProviderChargeRequest } from '../payments/payment-provider.js';
import { PaymentsService } from '../payments/payments-service.js';
import { DECLINED_CARD, SimulatedPaymentProvider } from '../payments/simulated-payment-provider.js';
import { FakeIdempotencyStore } from './fake-idempotency-store.js';
import { FakeOrdersStore } from './fake-orders-store.js';
import { canonicalJson, OrdersService } from './orders-service.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const GOOD_CARD = { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' };
const DECLINED = { ...GOOD_CARD, number: DECLINED_CARD };
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const product = (id: string, priceCents: number, overrides: Partial<ProductForOrder> = {}): ProductForOrder => ({ id, sku: `SKU-${id.slice(-1)}`, name: `Product ${id.slice(-1)}`, priceCents, currency: 'EUR', active: true, ...overrides });

class RecordingProvider implements PaymentProvider {
  private readonly inner = new SimulatedPaymentProvider({ now: () => NOW });
  charges: ProviderChargeRequest[] = [];
  refunds: string[] = [];
  async charge(request: ProviderChargeRequest) {
    this.charges.push(request);
    return this.inner.charge(request);
  }
  async refund(providerRef: string, amountCents: number) {
    this.refunds.push(providerRef);
    return this.inner.refund(providerRef, amountCents);
  }
}

function setup() {
  const catalog = new FakeCatalogModule([product(A, 1250), product(B, 399)]);
  const inventory = new FakeInventoryModule().set(A, 'wh-1', 1).set(A, 'wh-2', 5).set(B, 'wh-1', 10);
  const cartStore = new FakeCartStore();
  const cart = new CartService({ store: cartStore, catalog });
  const paymentsStore = new FakePaymentsStore();
  const provider = new RecordingProvider();
  const payments = new PaymentsService({ store: paymentsStore, provider, now: () => NOW });
  const notificationsStore = new FakeNotificationsStore();
  const notifications = new NotificationsService({ store: notificationsStore });
  const orders = new FakeOrdersStore();
  const idempotency = new FakeIdempotencyStore();
  const transactions = fakeTransactions(inventory, cartStore, paymentsStore, notificationsStore, orders, idempotency);
  const service = new OrdersService({ transactions, orders, idempotency, cart, catalog, inventory, payments, notifications, requestHashKey: 'test-key' });
  return { catalog, inventory, cart, cartStore, paymentsStore, provider, notificationsStore, orders, idempotency, transactions, service };
}

async function withCart(s: ReturnType<typeof setup>, userId = 'u1') {
  await s.cart.setItem(userId, A, 2);
  await s.cart.setItem(userId, B, 3);
}

describe('checkout', () => {
  it('creates a paid order at the current prices, charges the total, reserves stock, empties the cart and notifies', async () => {
    const s = setup();
    await withCart(s);
    s.catalog.products.get(B)!.priceCents = 450;

    const result = await s.service.checkout('u1', { card: GOOD_CARD });

    expect(result.status).toBe(201);
    expect(result.replayed).toBe(false);
    expect(result.order).toMatchObject({ status: 'paid', totalCents: 2 * 1250 + 3 * 450, currency: 'EUR' });
    expect(result.order.items).toEqual([
      { productId: A, sku: 'SKU-a', name: 'Product a', unitPriceCents: 1250, quantity: 2, lineTotalCents: 2500 },
      { productId: B, sku: 'SKU-b', name: 'Product b', unitPriceCents: 450, quantity: 3, lineTotalCents: 1350 },
    ]);
    expect(s.paymentsStore.payments).toMatchObject([{ orderId: result.order.id, amountCents: 3850, status: 'captured', cardLast4: '4242' }]);
    expect([s.inventory.units(A), s.inventory.units(B)]).toEqual([4, 7]);
    expect((await s.cart.view('u1')).items).toEqual([]);
    expect(s.notificationsStore.notifications).toMatchObject([{ userId: 'u1', orderId: result.order.id, type: 'order_placed' }]);
  });

  it('keeps, per order item, the warehouses its units came from', async () => {
    const s = setup();
    await withCart(s);
    const { order } = await s.service.checkout('u1', { card: GOOD_CARD });
    expect(s.orders.orders.find((o) => o.id === order.id)!.items[0]!.allocations).toEqual([
      { productId: A, warehouseId: 'wh-1', quantity: 1 },
      { productId: A, warehouseId: 'wh-2', quantity: 1 },
    ]);
  });

  it('refuses an empty cart with 422 cart_empty and reserves nothing', async () => {
    const s = setup();
    await expect(s.service.checkout('u1', { card: GOOD_CARD })).rejects.toMatchObject({ status: 422, code: 'cart_empty' });
    expect(s.inventory.reserveCalls).toBe(0);
  });

  it('refuses a cart holding a product that was deactivated or deleted with 409 naming the products', async () => {
    const s = setup();
    await withCart(s);
    s.catalog.products.get(A)!.active = false;
    s.catalog.products.delete(B);
    await expect(s.service.checkout('u1', { card: GOOD_CARD })).rejects.toMatchObject({ status: 409, code: 'products_unavailable', options: { details: { productIds: [A, B] } } });
    expect(s.inventory.reserveCalls).toBe(0);
    expect(s.provider.charges).toEqual([]);
  });

  it('changes nothing and charges nobody when the inventory lacks stock', async () => {
    const s = setup();
    await s.cart.setItem('u1', A, 7);
    await expect(s.service.checkout('u1', { card: GOOD_CARD })).rejects.toMatchObject({ status: 409, code: 'insufficient_stock' });
    expect(s.provider.charges).toEqual([]);
    expect(s.orders.orders).toEqual([]);
    expect(s.inventory.units(A)).toBe(6);
    expect((await s.cart.view('u1')).items).toHaveLength(1);
    expect(s.notificationsStore.notifications).toEqual([]);
  });

  it('rolls everything back when the card is declined: no order, stock back, cart intact, no payment', async () => {
    const s = setup();
    await withCart(s);
    await expect(s.service.checkout('u1', { card: DECLINED })).rejects.toMatchObject({ status: 402, code: 'payment_declined' });
    expect(s.transactions.rollbacks).toBe(1);
    expect(s.orders.orders).toEqual([]);
    expect(s.paymentsStore.payments).toEqual([]);
    expect([s.inventory.units(A), s.inventory.units(B)]).toEqual([6, 10]);
    expect((await s.cart.view('u1')).items).toHaveLength(2);
    expect(s.notificationsStore.notifications).toEqual([]);
  });

  it('rolls back the charge too when a step after it fails', async () => {
    const s = setup();
    await withCart(s);
    s.notificationsStore.create = async () => {
      throw new Error('notifications down');
    };
    await expect(s.service.checkout('u1', { card: GOOD_CARD })).rejects.toThrow('notifications down');
    expect(s.paymentsStore.payments).toEqual([]);
    expect(s.orders.orders).toEqual([]);
    expect(s.inventory.units(A)).toBe(6);
  });

  it('locks the cart inside the transaction before reading it', async () => {
    const s = setup();
    await withCart(s);
    await s.service.checkout('u1', { card: GOOD_CARD });
    expect(s.cartStore.locks).toBe(1);
  });
});

describe('checkout with an Idempotency-Key', () => {
  it('replays the first response for the same key and request, without reserving or charging again', async () => {
    const s = setup();
    await withCart(s);
    const first = await s.service.checkout('u1', { card: GOOD_CARD }, 'key-1');
    await withCart(s);
    const again = await s.service.checkout('u1', { card: { ...GOOD_CARD } }, 'key-1');

    expect(again).toEqual({ status: 201, order: first.order, replayed: true });
    expect(JSON.stringify(again.order)).toBe(JSON.stringify(first.order));
    expect(s.provider.charges).toHaveLength(1);
    expect(s.inventory.reserveCalls).toBe(1);
    expect((await s.cart.view('u1')).items).toHaveLength(2);
  });

  it('refuses the same key with a different request with 422 idempotency_key_reused', async () => {
    const s = setup();
    await withCart(s);
    await s.service.checkout('u1', { card: GOOD_CARD }, 'key-1');
    await withCart(s);
    await expect(s.service.checkout('u1', { card: { ...GOOD_CARD, number: '5555555555554444' } }, 'key-1')).rejects.toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    expect(s.provider.charges).toHaveLength(1);
  });

  it('scopes keys per user', async () => {
    const s = setup();
    await withCart(s, 'u1');
    await withCart(s, 'u2');
    const one = await s.service.checkout('u1', { card: GOOD_CARD }, 'same');
    const two = await s.service.checkout('u2', { card: GOOD_CARD }, 'same');
    expect(two.replayed).toBe(false);
    expect(two.order.id).not.toBe(one.order.id);
  });

  it('does not consume the key when the checkout fails, so a corrected retry goes through', async () => {
    const s = setup();
    await s.cart.setItem('u1', A, 7);
    await expect(s.service.checkout('u1', { card: GOOD_CARD }, 'key-1')).rejects.toMatchObject({ code: 'insufficient_stock' });
    await s.cart.setItem('u1', A, 6);
    const retry = await s.service.checkout('u1', { card: GOOD_CARD }, 'key-1');
    expect(retry).toMatchObject({ status: 201, replayed: false });
  });

  it('hashes requests canonically and keyed: key order does not matter, card data is not recoverable', () => {
    const s = setup();
    const reordered = { card: { cvc: '123', expYear: 2030, expMonth: 12, number: '4242424242424242' } };
    expect(s.service.requestHash(reordered)).toBe(s.service.requestHash({ card: GOOD_CARD }));
    expect(s.service.requestHash({ card: { ...GOOD_CARD, cvc: '124' } })).not.toBe(s.service.requestHash({ card: GOOD_CARD }));
    expect(s.service.requestHash({ card: GOOD_CARD })).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });
});

describe('order history and cancellation', () => {
  async function placed(s: ReturnType<typeof setup>, userId = 'u1') {
    await withCart(s, userId);
    return (await s.service.checkout(userId, { card: GOOD_CARD })).order;
  }

  it('cancels a paid order: releases exactly the allocated units, refunds, notifies', async () => {
    const s = setup();
    const order = await placed(s);
    const cancelled = await s.service.cancel(order.id, { userId: 'u1', role: 'customer' });
    expect(cancelled.status).toBe('cancelled');
    expect([s.inventory.units(A, 'wh-1'), s.inventory.units(A, 'wh-2'), s.inventory.units(B)]).toEqual([1, 5, 10]);
    expect(s.inventory.releaseCalls).toEqual([
      {
        reference: order.id,
        allocations: [
          { productId: A, warehouseId: 'wh-1', quantity: 1 },
          { productId: A, warehouseId: 'wh-2', quantity: 1 },
          { productId: B, warehouseId: 'wh-1', quantity: 3 },
        ],
      },
    ]);
    expect(s.paymentsStore.payments[0]).toMatchObject({ status: 'refunded', refundedAt: NOW });
    expect(s.notificationsStore.notifications.map((n) => n.type)).toEqual(['order_placed', 'order_cancelled']);
  });

  it('refuses to cancel an order twice with 409 order_not_cancellable and releases nothing more', async () => {
    const s = setup();
    const order = await placed(s);
    await s.service.cancel(order.id, { userId: 'u1', role: 'customer' });
    await expect(s.service.cancel(order.id, { userId: 'u1', role: 'customer' })).rejects.toMatchObject({ status: 409, code: 'order_not_cancellable' });
    expect(s.inventory.releaseCalls).toHaveLength(1);
    expect(s.provider.refunds).toHaveLength(1);
  });

  it("hides another user's order as 404, and lets an admin read and cancel it", async () => {
    const s = setup();
    const order = await placed(s);
    await expect(s.service.get(order.id, { userId: 'u2', role: 'customer' })).rejects.toMatchObject({ status: 404, code: 'order_not_found' });
    await expect(s.service.cancel(order.id, { userId: 'u2', role: 'customer' })).rejects.toMatchObject({ status: 404, code: 'order_not_found' });
    expect((await s.service.get(order.id, { userId: 'admin', role: 'admin' })).id).toBe(order.id);
    expect((await s.service.cancel(order.id, { userId: 'admin', role: 'admin' })).status).toBe('cancelled');
  });

  it("lists the user's own orders newest first, a page at a time", async () => {
    const s = setup();
    const first = await placed(s);
    const second = await placed(s);
    await placed(s, 'u2');
    const page1 = await s.service.list('u1', 1, 1);
    expect(page1).toMatchObject({ page: 1, limit: 1, total: 2, totalPages: 2 });
    expect(page1.items.map((o) => o.id)).toEqual([second.id]);
    expect((await s.service.list('u1', 2, 1)).items.map((o) => o.id)).toEqual([first.id]);
  });
});
