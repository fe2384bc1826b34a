import type { Api } from '@strangler/platform';
import { Router } from 'express';
import { z } from 'zod';
import { CategorySchema, ProductIdParams, ProductPageSchema, ProductQuerySchema, ProductSchema } from './catalog-schemas.js';
import type { CatalogService } from './catalog-service.js';

/** The catalog's read routes, declared as the monolith declares them (same summaries, schemas and answers). */
export function catalogRouter(api: Api, catalog: CatalogService): Router {
  const router = Router();
  const tags = ['catalog'];
  api.route(
    router,
    { method: 'get', path: '/api/categories', summary: 'All categories, by name', tags, responses: { 200: { description: 'Categories', schema: z.array(CategorySchema) } } },
    async () => ({ status: 200, body: await catalog.categories() }),
  );
  api.route(
    router,
    {
      method: 'get',
      path: '/api/products',
      summary: 'Search active products: text, category, sort and pages',
      tags,
      query: ProductQuerySchema,
      responses: { 200: { description: 'One page of products; a page past the end has no items', schema: ProductPageSchema } },
    },
    async ({ query }) => ({ status: 200, body: await catalog.searchProducts(query) }),
  );
  api.route(
    router,
    {
      method: 'get',
      path: '/api/products/:id',
      summary: 'One active product',
      tags,
      params: ProductIdParams,
      responses: { 200: { description: 'The product', schema: ProductSchema }, 404: { description: 'Unknown or deleted product' } },
    },
    async ({ params }) => ({ status: 200, body: await catalog.product(params.id) }),
  );
  return router;
}
