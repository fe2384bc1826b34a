// The public contract of the catalog's read routes, taken over from the monolith unchanged (same
// query rules, same bodies, same errors): users must not notice which side serves them. The
// contract test (catalog-contract.int.test.ts) compares both OpenAPI documents and both answers.
import { pageQueryFields, pageSchema } from '@strangler/platform';
import { z } from 'zod';
import { PRODUCT_SORTS } from './catalog-store-type.js';

export const MAX_PAGE_SIZE = 100;

export const ProductQuerySchema = z.object({
  q: z.string().trim().max(200).optional().meta({ description: 'Case-insensitive text found in the name, description or sku' }),
  category: z.string().min(1).max(100).optional().meta({ description: 'Category slug' }),
  sort: z.enum(PRODUCT_SORTS).default('name'),
  ...pageQueryFields({ defaultLimit: 20, maxLimit: MAX_PAGE_SIZE, maxPage: 1_000_000 }),
});

export const ProductIdParams = z.object({ id: z.guid() });

export const CategorySchema = z
  .object({ id: z.uuid(), slug: z.string(), name: z.string(), description: z.string() })
  .meta({ id: 'Category' });

export const ProductSchema = z
  .object({
    id: z.guid(),
    sku: z.string(),
    name: z.string(),
    description: z.string(),
    priceCents: z.number().int().meta({ description: 'Price in cents of `currency`' }),
    currency: z.string().length(3),
    active: z.boolean(),
    category: z.object({ id: z.guid(), slug: z.string(), name: z.string() }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Product' });

export const ProductPageSchema = pageSchema(ProductSchema, 'ProductPage');
