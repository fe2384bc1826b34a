import { z } from 'zod';
import { pageQueryFields, pageSchema } from '@strangler/platform';
import { PRODUCT_SORTS } from './catalog-store-type.js';

export const MAX_PAGE_SIZE = 100;

/** The same schema validates GET /api/products and documents it in the OpenAPI document. */
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

const sku = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$/, 'must be 2-40 letters, digits, dots, dashes or underscores');
const fields = {
  sku,
  name: z.string().trim().min(1).max(200),
  description: z.string().max(5000),
  priceCents: z.number().int().min(1, 'must be at least 1 cent').max(100_000_000).meta({ description: 'Price in cents (integer, at least 1: a checkout charges a card)' }),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO 4217 code in upper case'),
  categorySlug: z.string().min(1).max(100),
};

export const CreateProductBody = z
  .object({ ...fields, description: fields.description.default(''), currency: fields.currency.default('EUR') })
  .strict()
  .meta({ id: 'CreateProductRequest' });

export const UpdateProductBody = z
  .object({ ...fields, active: z.boolean() })
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'must change at least one field' })
  .meta({ id: 'UpdateProductRequest' });
