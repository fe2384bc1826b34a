import type { Api, Claims } from '@strangler/platform';
import { Router } from 'express';
import { z } from 'zod';
import { CategorySchema, CreateProductBody, ProductIdParams, ProductPageSchema, ProductQuerySchema, ProductSchema, UpdateProductBody } from './catalog-schemas.js';
import type { CatalogService } from './catalog-service.js';

/**
 * The catalog's routes, declared once for both sides: the same paths, summaries, schemas, auth and
 * answers in the monolith and in catalog-service (the contract test compares them).
 */
export function catalogRouter<C extends Claims>(api: Api<C>, catalog: CatalogService): Router {
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
  api.route(
    router,
    {
      method: 'post',
      path: '/api/products',
      summary: 'Create a product',
      tags,
      auth: 'admin',
      body: CreateProductBody,
      responses: { 201: { description: 'Created', schema: ProductSchema }, 409: { description: 'sku_taken' } },
    },
    async ({ body }) => {
      const product = await catalog.createProduct(body);
      return { status: 201, body: product, headers: { location: `/api/products/${product.id}` } };
    },
  );
  api.route(
    router,
    {
      method: 'patch',
      path: '/api/products/:id',
      summary: 'Change a product (also an inactive one)',
      tags,
      auth: 'admin',
      params: ProductIdParams,
      body: UpdateProductBody,
      responses: { 200: { description: 'Updated', schema: ProductSchema }, 404: { description: 'Unknown product' }, 409: { description: 'sku_taken' } },
    },
    async ({ params, body }) => ({ status: 200, body: await catalog.updateProduct(params.id, body) }),
  );
  api.route(
    router,
    {
      method: 'delete',
      path: '/api/products/:id',
      summary: 'Remove a product from the catalog (soft delete: order history keeps its copy)',
      tags,
      auth: 'admin',
      params: ProductIdParams,
      responses: { 204: { description: 'Deactivated' }, 404: { description: 'Unknown product' } },
    },
    async ({ params }) => {
      await catalog.deleteProduct(params.id);
      return { status: 204 };
    },
  );
  return router;
}
