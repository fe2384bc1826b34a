import { Router } from 'express';
import { z } from 'zod';
import { ErrorSchema } from '@strangler/platform';
import { MAX_LINE_QUANTITY, type CartService } from './cart-service.js';
import type { MonolithApi } from '../../http/access-tokens.js';

export const CartSchema = z
  .object({
    items: z.array(
      z
        .object({
          productId: z.guid(),
          quantity: z.number().int(),
          sku: z.string().nullable(),
          name: z.string().nullable(),
          unitPriceCents: z.number().int().nullable(),
          currency: z.string().nullable(),
          lineTotalCents: z.number().int().nullable(),
          available: z.boolean().meta({ description: 'False when the product was deleted or deactivated; such lines are left out of the total and block checkout.' }),
        })
        .meta({ id: 'CartItem' }),
    ),
    itemCount: z.number().int(),
    totalCents: z.number().int(),
    currency: z.string().nullable(),
  })
  .meta({ id: 'Cart' });

const ProductParams = z.object({ productId: z.guid() });
const SetQuantityBody = z.object({ quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY) }).strict().meta({ id: 'CartItemQuantity' });
const problem = (description: string) => ({ description, schema: ErrorSchema });

export function cartRouter(api: MonolithApi, service: CartService): Router {
  const router = Router();
  api.route(
    router,
    {
      method: 'get',
      path: '/api/cart',
      summary: "The caller's cart with current names and prices, and its total",
      tags: ['cart'],
      auth: 'user',
      responses: { 200: { description: 'The cart (empty when nothing was added yet)', schema: CartSchema } },
    },
    async ({ user }) => ({ status: 200, body: await service.view(user.sub) }),
  );
  api.route(
    router,
    {
      method: 'put',
      path: '/api/cart/items/:productId',
      summary: 'Sets the quantity of a product in the cart',
      tags: ['cart'],
      auth: 'user',
      params: ProductParams,
      body: SetQuantityBody,
      responses: {
        200: { description: 'The updated cart', schema: CartSchema },
        404: problem('product_not_found: no such product'),
        422: problem('product_inactive, cart_full or currency_mismatch'),
      },
    },
    async ({ user, params, body }) => ({ status: 200, body: await service.setItem(user.sub, params.productId, body.quantity) }),
  );
  api.route(
    router,
    {
      method: 'delete',
      path: '/api/cart/items/:productId',
      summary: 'Removes a product from the cart',
      tags: ['cart'],
      auth: 'user',
      params: ProductParams,
      responses: { 200: { description: 'The updated cart', schema: CartSchema }, 404: problem('cart_item_not_found: the product is not in the cart') },
    },
    async ({ user, params }) => ({ status: 200, body: await service.removeItem(user.sub, params.productId) }),
  );
  api.route(
    router,
    {
      method: 'delete',
      path: '/api/cart',
      summary: 'Empties the cart',
      tags: ['cart'],
      auth: 'user',
      responses: { 204: { description: 'The cart is empty' } },
    },
    async ({ user }) => {
      await service.empty(user.sub);
      return { status: 204 };
    },
  );
  return router;
}
