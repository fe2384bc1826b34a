// Paged lists look the same on every route: `?page=&limit=` in, `{ items, page, limit, total, totalPages }` out.
import { z } from 'zod';

/** One page of a list, 1-based; a page past the end has no items. */
export interface Page<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
  totalPages: number;
}

export interface PageRequest {
  /** 1-based. */
  page: number;
  limit: number;
}

/** Rows to skip for the requested page. */
export function offsetOf(request: PageRequest): number {
  return (request.page - 1) * request.limit;
}

/** The page of `items` (already sliced) out of `total`. */
export function pageOf<T>(items: T[], total: number, request: PageRequest): Page<T> {
  return { items, page: request.page, limit: request.limit, total, totalPages: Math.ceil(total / request.limit) };
}

/** The `page` and `limit` query parameters, to spread into a route's query schema. */
export function pageQueryFields(options: { defaultLimit: number; maxLimit: number; maxPage: number }) {
  return {
    page: z.coerce.number().int().min(1).max(options.maxPage).default(1),
    limit: z.coerce.number().int().min(1).max(options.maxLimit).default(options.defaultLimit),
  };
}

/** The response schema of a page of `item`, named `id` in the OpenAPI document. */
export function pageSchema(item: z.ZodType, id: string) {
  return z
    .object({ items: z.array(item), page: z.number().int(), limit: z.number().int(), total: z.number().int(), totalPages: z.number().int() })
    .meta({ id });
}
