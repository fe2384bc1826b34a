import { Router } from 'express';
import { z } from 'zod';
import { ErrorSchema, pageQueryFields, pageSchema } from '@strangler/platform';
import { CardSchema } from '../payments/payments-module.js';
import type { OrdersService } from './orders-service.js';
import type { MonolithApi } from '../../http/access-tokens.js';

export const OrderSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(['pending', 'paid', 'cancelled']),
    totalCents: z.number().int(),
    currency: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    items: z.array(
      z
        .object({
          productId: z.uuid(),
          sku: z.string(),
          name: z.string(),
          unitPriceCents: z.number().int().meta({ description: 'The price when the order was placed' }),
          quantity: z.number().int(),
          lineTotalCents: z.number().int(),
        })
        .meta({ id: 'OrderItem' }),
    ),
  })
  .meta({ id: 'Order' });

const OrderPageSchema = pageSchema(OrderSchema, 'OrderPage');

const CheckoutBody = z.object({ card: CardSchema }).strict().meta({ id: 'CheckoutRequest' });

/** Visible ASCII (0x21-0x7E), 1 to 255 characters. */
export const IdempotencyHeaders = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7E]{1,255}$/, 'must be 1 to 255 visible ASCII characters')
    .optional()
    .meta({
      description:
        'Makes the checkout safe to retry: a request with a key already used by a successful checkout of the same user returns that first response ' +
        '(with `Idempotent-Replayed: true`) without reserving or charging again; the same key with a different request is a 422 `idempotency_key_reused`. ' +
        'A failed checkout does not consume its key.',
      example: '3f1c9b2e-checkout-1',
    }),
});

const OrderParams = z.object({ id: z.uuid() });
const PageQuery = z.object(pageQueryFields({ defaultLimit: 10, maxLimit: 50, maxPage: 10_000 }));
const problem = (description: string) => ({ description, schema: ErrorSchema });

export function ordersRouter(api: MonolithApi, service: OrdersService): Router {
  const router = Router();
  api.route(
    router,
    {
      method: 'post',
      path: '/api/orders/checkout',
      summary: 'Turns the cart into a paid order: reserves stock, charges the card, empties the cart (all or nothing)',
      tags: ['orders'],
      auth: 'user',
      headers: IdempotencyHeaders,
      body: CheckoutBody,
      responses: {
        201: { description: 'The paid order, with header `Location: /api/orders/{id}`; a replay of a repeated Idempotency-Key returns the first response with header `Idempotent-Replayed: true`', schema: OrderSchema },
        402: problem('payment_declined, insufficient_funds or card_expired: nothing was reserved or charged'),
        409: problem('insufficient_stock, products_unavailable or mixed_currencies (details name the products); nothing changed'),
        422: problem('cart_empty, order_total_too_large, or idempotency_key_reused'),
      },
    },
    async ({ user, body, headers }) => {
      const result = await service.checkout(user.sub, body, headers['Idempotency-Key']);
      const responseHeaders: Record<string, string> = { location: `/api/orders/${result.order.id}` };
      if (result.replayed) responseHeaders['idempotent-replayed'] = 'true';
      return { status: result.status, body: result.order, headers: responseHeaders };
    },
  );
  api.route(
    router,
    {
      method: 'get',
      path: '/api/orders',
      summary: "The caller's orders, newest first",
      tags: ['orders'],
      auth: 'user',
      query: PageQuery,
      responses: { 200: { description: 'One page of orders', schema: OrderPageSchema } },
    },
    async ({ user, query }) => ({ status: 200, body: await service.list(user.sub, query.page, query.limit) }),
  );
  api.route(
    router,
    {
      method: 'get',
      path: '/api/orders/:id',
      summary: "One of the caller's orders (admins may read any)",
      tags: ['orders'],
      auth: 'user',
      params: OrderParams,
      responses: { 200: { description: 'The order', schema: OrderSchema }, 404: problem("order_not_found (also for another user's order)") },
    },
    async ({ user, params }) => ({ status: 200, body: await service.get(params.id, { userId: user.sub, role: user.role }) }),
  );
  api.route(
    router,
    {
      method: 'post',
      path: '/api/orders/:id/cancel',
      summary: 'Cancels a paid order: releases its reserved stock and refunds the payment',
      tags: ['orders'],
      auth: 'user',
      params: OrderParams,
      responses: {
        200: { description: 'The cancelled order', schema: OrderSchema },
        404: problem("order_not_found (also for another user's order)"),
        409: problem('order_not_cancellable: the order is not paid (e.g. already cancelled)'),
      },
    },
    async ({ user, params }) => ({ status: 200, body: await service.cancel(params.id, { userId: user.sub, role: user.role }) }),
  );
  return router;
}
