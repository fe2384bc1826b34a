import { createHmac, randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, offsetOf, type Page, pageOf, UnprocessableError } from '@strangler/platform';
import type { TransactionRunner, Tx } from '../../db/transaction.js';
import type { CartModule } from '../cart/cart-module.js';
import type { CatalogModule } from '../catalog/catalog-module.js';
import type { InventoryModule } from '../inventory/inventory-module.js';
import type { NotificationsModule } from '../notifications/notifications-module.js';
import type { CardDetails, PaymentsModule } from '../payments/payments-module.js';
import type { IdempotencyStore } from './idempotency-store-type.js';
import type { OrderRecord, OrderStatus, OrdersStore } from './orders-store-type.js';

/** Order and payment amounts are 32-bit integer columns. */
export const MAX_ORDER_TOTAL_CENTS = 2_147_483_647;

export interface OrderItemView {
  productId: string;
  sku: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
}

export interface OrderView {
  id: string;
  status: OrderStatus;
  totalCents: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
  items: OrderItemView[];
}

export interface CheckoutResult {
  status: number;
  order: OrderView;
  /** True when the response is the stored outcome of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

export interface Caller {
  userId: string;
  role: 'customer' | 'admin';
}

export interface OrdersDependencies {
  transactions: TransactionRunner;
  orders: OrdersStore;
  idempotency: IdempotencyStore;
  cart: CartModule;
  catalog: CatalogModule;
  inventory: InventoryModule;
  payments: PaymentsModule;
  notifications: NotificationsModule;
  /** Secret for the keyed hash of checkout requests (a plain hash of card details could be brute-forced). */
  requestHashKey: string | Buffer;
  newId?: () => string;
}

/**
 * Checkout, order history and cancellation. Checkout is one database transaction across the
 * cart, inventory, payments and notifications modules: it commits whole or not at all.
 */
export class OrdersService {
  private readonly newId: () => string;

  constructor(private readonly deps: OrdersDependencies) {
    this.newId = deps.newId ?? randomUUID;
  }

  async checkout(userId: string, request: { card: CardDetails }, idempotencyKey?: string): Promise<CheckoutResult> {
    const requestHash = this.requestHash(request);
    return this.deps.transactions.run(async (tx) => {
      if (idempotencyKey !== undefined) {
        // First statement of the transaction: a concurrent request with the same key waits here.
        const claim = await this.deps.idempotency.claim(userId, idempotencyKey, requestHash, tx);
        if (!claim.claimed) {
          if (claim.stored.requestHash !== requestHash) {
            throw new UnprocessableError('This Idempotency-Key was already used with a different request', 'idempotency_key_reused');
          }
          return { status: claim.stored.status, order: normalize(claim.stored.body as OrderView), replayed: true };
        }
      }

      const lines = await this.deps.cart.lockLines(userId, tx);
      if (lines.length === 0) throw new UnprocessableError('The cart is empty', 'cart_empty');
      const products = new Map((await this.deps.catalog.productsForOrder(lines.map((l) => l.productId))).map((p) => [p.id, p]));
      const unavailable = lines.filter((l) => !products.get(l.productId)?.active).map((l) => l.productId);
      if (unavailable.length > 0) {
        throw new ConflictError('Some products in the cart are no longer for sale; remove them and retry', 'products_unavailable', { productIds: unavailable });
      }
      const currencies = new Set(lines.map((l) => products.get(l.productId)!.currency));
      if (currencies.size > 1) throw new ConflictError('The cart mixes currencies', 'mixed_currencies', { currencies: [...currencies] });

      const totalCents = lines.reduce((sum, l) => sum + products.get(l.productId)!.priceCents * l.quantity, 0);
      if (totalCents > MAX_ORDER_TOTAL_CENTS) {
        throw new UnprocessableError(`An order totals at most ${money(MAX_ORDER_TOTAL_CENTS, [...currencies][0]!)}; split the cart`, 'order_total_too_large', { maxTotalCents: MAX_ORDER_TOTAL_CENTS });
      }

      const orderId = this.newId();
      // Product id order, so that concurrent checkouts lock stock rows in the same order.
      const requests = [...lines].sort((a, b) => a.productId.localeCompare(b.productId)).map((l) => ({ productId: l.productId, quantity: l.quantity }));
      const allocations = await this.deps.inventory.reserve(requests, orderId, tx);

      const items = requests.map((r) => {
        const p = products.get(r.productId)!;
        return { productId: p.id, sku: p.sku, name: p.name, unitPriceCents: p.priceCents, quantity: r.quantity, allocations: allocations.filter((a) => a.productId === p.id) };
      });
      const currency = [...currencies][0]!;
      await this.deps.orders.create({ id: orderId, userId, totalCents, currency, items }, tx);

      await this.deps.payments.charge({ orderId, amountCents: totalCents, currency, card: request.card }, tx);
      if (!(await this.deps.orders.transition(orderId, 'pending', 'paid', tx))) throw new Error(`order ${orderId} left pending before it was paid`);
      await this.deps.cart.clear(userId, tx);
      await this.deps.notifications.record({ userId, orderId, type: 'order_placed', message: `Order ${orderId} placed: ${money(totalCents, currency)}` }, tx);

      const order = toView(await this.mustFind(orderId, tx));
      if (idempotencyKey !== undefined) await this.deps.idempotency.complete(userId, idempotencyKey, { status: 201, body: order }, tx);
      return { status: 201, order, replayed: false };
    });
  }

  /** The caller's order; another user's order is reported as not found unless the caller is an admin. */
  async get(orderId: string, caller: Caller): Promise<OrderView> {
    const order = await this.deps.orders.find(orderId);
    if (!order || !canSee(order, caller)) throw notFound(orderId);
    return toView(order);
  }

  async list(userId: string, page: number, limit: number): Promise<Page<OrderView>> {
    const { items, total } = await this.deps.orders.listByUser(userId, { offset: offsetOf({ page, limit }), limit });
    return pageOf(items.map(toView), total, { page, limit });
  }

  /** paid → cancelled: releases exactly the reserved units and refunds the payment, in one transaction. */
  async cancel(orderId: string, caller: Caller): Promise<OrderView> {
    return this.deps.transactions.run(async (tx) => {
      const order = await this.deps.orders.find(orderId, tx);
      if (!order || !canSee(order, caller)) throw notFound(orderId);
      if (!(await this.deps.orders.transition(orderId, 'paid', 'cancelled', tx))) {
        const current = (await this.deps.orders.find(orderId, tx))?.status ?? order.status;
        throw new ConflictError(`Order ${orderId} is ${current} and cannot be cancelled`, 'order_not_cancellable', { status: current });
      }
      await this.deps.inventory.release(
        order.items.flatMap((i) => i.allocations),
        orderId,
        tx,
      );
      await this.deps.payments.refund(orderId, tx);
      await this.deps.notifications.record(
        { userId: order.userId, orderId, type: 'order_cancelled', message: `Order ${orderId} cancelled: ${money(order.totalCents, order.currency)} refunded` },
        tx,
      );
      return toView(await this.mustFind(orderId, tx));
    });
  }

  /** Keyed hash of the canonical request: equal requests hash equal, and card data cannot be recovered from it. */
  requestHash(request: { card: CardDetails }): string {
    return createHmac('sha256', this.deps.requestHashKey).update(canonicalJson(request)).digest('hex');
  }

  private async mustFind(orderId: string, tx: Tx): Promise<OrderRecord> {
    const order = await this.deps.orders.find(orderId, tx);
    if (!order) throw new Error(`order ${orderId} vanished inside its own transaction`);
    return order;
  }
}

function canSee(order: OrderRecord, caller: Caller): boolean {
  return order.userId === caller.userId || caller.role === 'admin';
}

function notFound(orderId: string): NotFoundError {
  return new NotFoundError(`Order ${orderId} does not exist`, 'order_not_found');
}

function money(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency}`;
}

function toView(order: OrderRecord): OrderView {
  return normalize({
    id: order.id,
    status: order.status,
    totalCents: order.totalCents,
    currency: order.currency,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    items: order.items.map((i) => ({ productId: i.productId, sku: i.sku, name: i.name, unitPriceCents: i.unitPriceCents, quantity: i.quantity, lineTotalCents: i.unitPriceCents * i.quantity })),
  });
}

/** A fixed key order, so that a replay (read back from JSONB, which reorders keys) is byte-identical. */
function normalize(v: OrderView): OrderView {
  return {
    id: v.id,
    status: v.status,
    totalCents: v.totalCents,
    currency: v.currency,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    items: v.items.map((i) => ({ productId: i.productId, sku: i.sku, name: i.name, unitPriceCents: i.unitPriceCents, quantity: i.quantity, lineTotalCents: i.lineTotalCents })),
  };
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
