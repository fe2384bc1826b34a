import type { KafkaMessage } from 'kafkajs';
import { z } from 'zod';
import { PoisonMessageError } from '../projection/change-event.js';

/** A catalog domain event as the reverse sync applies it (the envelope of catalog-service's outbox, ADR-0022). */
export type CatalogEvent = {
  topic: string;
  partition: number;
  offset: string;
  eventId: string;
  aggregateId: string;
  version: bigint;
  /** When the service committed the change: the reverse sync's lag is measured from it. */
  committedAt: Date;
  /** Domain events carry no position in the monolith's WAL. */
  lsn: null;
  traceparent?: string;
} & (
  | { type: 'ProductCreated' | 'ProductChanged'; aggregateType: 'product'; data: ProductRow }
  | { type: 'ProductDeleted'; aggregateType: 'product'; data: { id: string } }
  | { type: 'CategoryCreated' | 'CategoryChanged'; aggregateType: 'category'; data: CategoryRow }
  | { type: 'CategoryDeleted'; aggregateType: 'category'; data: { id: string } }
);

const timestamp = z.iso.datetime({ offset: true });
const productRow = z.object({
  id: z.uuid(),
  sku: z.string().min(1),
  name: z.string(),
  description: z.string(),
  price_cents: z.number().int(),
  currency: z.string().length(3),
  category_id: z.uuid(),
  active: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
});
const categoryRow = z.object({
  id: z.uuid(),
  slug: z.string().min(1),
  name: z.string(),
  description: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
});
export type ProductRow = z.output<typeof productRow>;
export type CategoryRow = z.output<typeof categoryRow>;
const keyOnly = z.object({ id: z.uuid() });

const envelope = z.object({
  eventId: z.uuid(),
  type: z.enum(['ProductCreated', 'ProductChanged', 'ProductDeleted', 'CategoryCreated', 'CategoryChanged', 'CategoryDeleted']),
  aggregateType: z.enum(['product', 'category']),
  aggregateId: z.string().min(1),
  version: z.union([z.number().int().positive(), z.string().regex(/^[1-9]\d{0,18}$/)]),
  occurredAt: timestamp,
  traceparent: z.string().nullish(),
  data: z.record(z.string(), z.unknown()),
});

const DATA = {
  ProductCreated: productRow,
  ProductChanged: productRow,
  ProductDeleted: keyOnly,
  CategoryCreated: categoryRow,
  CategoryChanged: categoryRow,
  CategoryDeleted: keyOnly,
} as const;

function problem(error: z.ZodError, what: string): PoisonMessageError {
  const issue = error.issues[0]!;
  return new PoisonMessageError(`${what}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}

/**
 * Reads one message of the catalog's events topic. The value is the event envelope, either as a JSON
 * object or as a JSON string that holds it (Debezium's outbox event router with a string payload).
 * Returns undefined for an empty message; throws PoisonMessageError for anything that is not a
 * well-formed catalog event (the reverse sync dead-letters it with this reason).
 */
export function parseCatalogEvent(topic: string, partition: number, message: Pick<KafkaMessage, 'key' | 'value' | 'offset' | 'headers'>): CatalogEvent | undefined {
  if (message.value === null || message.value.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(message.value.toString('utf8'));
    if (typeof value === 'string') value = JSON.parse(value);
  } catch (err) {
    throw new PoisonMessageError('the value is not JSON (nor a JSON string holding a JSON object)', { cause: err });
  }
  const parsed = envelope.safeParse(value);
  if (!parsed.success) throw problem(parsed.error, 'not a catalog event');
  const e = parsed.data;
  const expectedType = e.type.startsWith('Product') ? 'product' : 'category';
  if (e.aggregateType !== expectedType) throw new PoisonMessageError(`a ${e.type} event must have aggregateType ${expectedType}, not ${e.aggregateType}`);
  const data = DATA[e.type].safeParse(e.data);
  if (!data.success) throw problem(data.error, `${e.type} ${e.aggregateId} v${e.version}: data`);
  if (data.data.id !== e.aggregateId) throw new PoisonMessageError(`${e.type} ${e.aggregateId}: data.id ${data.data.id} differs from the aggregate id`);
  return {
    topic,
    partition,
    offset: message.offset,
    eventId: e.eventId,
    type: e.type,
    aggregateType: e.aggregateType,
    aggregateId: e.aggregateId,
    version: BigInt(e.version),
    committedAt: new Date(e.occurredAt),
    lsn: null,
    ...(e.traceparent ? { traceparent: e.traceparent } : {}),
    data: data.data,
  } as CatalogEvent;
}
