import { Router } from 'express';
import { z } from 'zod';
import type { InventoryService } from './inventory-service.js';
import type { MonolithApi } from '../../http/access-tokens.js';

const ProductParams = z.object({ productId: z.guid() });

export const InventorySchema = z
  .object({
    productId: z.guid(),
    total: z.number().int(),
    warehouses: z.array(z.object({ warehouseId: z.string(), name: z.string(), quantity: z.number().int() })),
  })
  .meta({ id: 'Inventory' });

const AdjustmentBody = z
  .object({
    warehouseId: z.string().min(1).max(50),
    delta: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000)
      .refine((d) => d !== 0, 'must not be zero')
      .meta({ description: 'Units received (positive) or written off (negative)' }),
    reason: z.string().trim().min(1).max(200),
  })
  .strict()
  .meta({ id: 'StockAdjustment' });

export function inventoryRouter(api: MonolithApi, inventory: InventoryService): Router {
  const router = Router();
  api.route(
    router,
    {
      method: 'get',
      path: '/api/inventory/:productId',
      summary: 'Stock of a product per warehouse',
      tags: ['inventory'],
      params: ProductParams,
      responses: { 200: { description: 'Stock levels', schema: InventorySchema }, 404: { description: 'Unknown product' } },
    },
    async ({ params }) => ({ status: 200, body: await inventory.inventory(params.productId) }),
  );
  api.route(
    router,
    {
      method: 'post',
      path: '/api/inventory/:productId/adjustments',
      summary: 'Correct the stock of a product in one warehouse (never below zero)',
      tags: ['inventory'],
      auth: 'admin',
      params: ProductParams,
      body: AdjustmentBody,
      responses: {
        201: { description: 'Adjusted; the new stock levels', schema: InventorySchema },
        404: { description: 'Unknown product' },
        409: { description: 'insufficient_stock: the delta would make stock negative; stock_limit_exceeded: it would exceed 2,147,483,647 units' },
      },
    },
    async ({ params, body, user }) => ({ status: 201, body: await inventory.adjust(params.productId, body, `user:${user.sub}`) }),
  );
  return router;
}
