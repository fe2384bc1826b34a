// The catalog's domain events: the public, versioned stream catalog-service publishes through its
// outbox to the events topic (docs/adr/0022, README "Domain events (catalog.events)"). Each type has
// a JSON Schema in contracts/catalog/events/; a change to a type is additive only (a new optional
// field), anything else is a new type.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ProductRecord } from './catalog-store-type.js';

export const PRODUCT_EVENT_TYPES = ['ProductCreated', 'ProductChanged', 'ProductDeleted'] as const;
/** The monolith has no category writes, so the service publishes no category events (yet). */
export const CATALOG_EVENT_TYPES = PRODUCT_EVENT_TYPES;
export type CatalogEventType = (typeof CATALOG_EVENT_TYPES)[number];
export type AggregateType = 'product' | 'category';

/** A product row as the monolith's `public.products` stores it: its column names, ISO-8601 timestamps. */
export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  category_id: string;
  active: boolean;
  created_at: string;
  updated_at: string;
}

/**
 * The event envelope, the value of each message on the events topic (and the outbox row's payload).
 * `version` counts the events of one aggregate from 1, without gaps; `data` is the whole row after
 * the change (a delete is soft: `ProductDeleted` carries the row with `active: false`).
 */
export interface CatalogEvent {
  eventId: string;
  type: CatalogEventType;
  aggregateType: AggregateType;
  aggregateId: string;
  version: number;
  occurredAt: string;
  traceparent?: string;
  data: ProductRow;
}

export function productRow(product: Omit<ProductRecord, 'category'> & { category: { id: string } }): ProductRow {
  return {
    id: product.id,
    sku: product.sku,
    name: product.name,
    description: product.description,
    price_cents: product.priceCents,
    currency: product.currency,
    category_id: product.category.id,
    active: product.active,
    created_at: product.createdAt.toISOString(),
    updated_at: product.updatedAt.toISOString(),
  };
}

export function productEvent(
  type: (typeof PRODUCT_EVENT_TYPES)[number],
  row: ProductRow,
  version: number,
  options: { occurredAt?: Date; traceparent?: string | undefined; eventId?: string } = {},
): CatalogEvent {
  return {
    eventId: options.eventId ?? randomUUID(),
    type,
    aggregateType: 'product',
    aggregateId: row.id,
    version,
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    ...(options.traceparent ? { traceparent: options.traceparent } : {}),
    data: row,
  };
}

const iso = z.iso.datetime({ offset: true });
const productRowSchema = z.object({
  id: z.uuid(),
  sku: z.string(),
  name: z.string(),
  description: z.string(),
  price_cents: z.number().int(),
  currency: z.string().length(3),
  category_id: z.uuid(),
  active: z.boolean(),
  created_at: iso,
  updated_at: iso,
});
const envelopeSchema = z.object({
  eventId: z.uuid(),
  type: z.enum(CATALOG_EVENT_TYPES),
  aggregateType: z.enum(['product', 'category']),
  aggregateId: z.string().min(1),
  version: z.number().int().min(1),
  occurredAt: iso,
  traceparent: z.string().optional(),
  data: productRowSchema,
});

/**
 * Reads a message value of the events topic: the envelope as a JSON object, or as a JSON string
 * holding the object (the outbox router emits either, depending on `table.expand.json.payload`).
 * Throws naming what is wrong, for the consumer's dead-letter reason.
 */
export function parseCatalogEvent(value: Buffer | string | null | undefined): CatalogEvent {
  if (value === null || value === undefined) throw new Error('the value is empty (a tombstone is not an event)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
    if (typeof parsed === 'string') parsed = JSON.parse(parsed);
  } catch {
    throw new Error('the value is not JSON');
  }
  const result = envelopeSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`the value is not a catalog event: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data as CatalogEvent;
}
