import { PoisonMessageError, type ApplyOutcome, type ChangeEvent, type PartitionPosition, type Projection } from '@strangler/cdc/projection';
import { z } from 'zod';
import type { ProjectionStore, RowChange } from './projection-store-type.js';

/** The change a CDC event makes to the catalog, or a heartbeat that only moves the position. */
export type CatalogChange = RowChange | { table: 'heartbeat' };

// Debezium's JSON of the monolith's rows (decimal.handling.mode=string; timestamptz as ISO-8601 text).
// A timestamp stays the checked text, which PostgreSQL reads itself: no Date and back per column (ADR-0030).
const timestamp = z.iso.datetime({ offset: true });
const categoryRow = z.object({
  id: z.uuid(),
  slug: z.string(),
  name: z.string(),
  description: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
});
const productRow = z.object({
  id: z.uuid(),
  sku: z.string(),
  name: z.string(),
  description: z.string(),
  price_cents: z.number().int(),
  currency: z.string(),
  category_id: z.uuid(),
  active: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
});
const keyOnly = z.object({ id: z.uuid() });

const EPOCH = '1970-01-01T00:00:00Z';
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

function refused(error: z.ZodError, event: ChangeEvent): PoisonMessageError {
  const issue = error.issues[0]!;
  return new PoisonMessageError(`${event.table} ${event.op} at offset ${event.offset}: ${issue.path.join('.') || '(row)'}: ${issue.message}`);
}

function parse<T>(schema: z.ZodType<T>, value: unknown, event: ChangeEvent): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw refused(result.error, event);
}

/**
 * The row image of a change, checked once. A delete whose old row is incomplete (REPLICA IDENTITY
 * DEFAULT: the key only) gives undefined, and becomes a tombstone of the key's id.
 */
function image<T>(schema: z.ZodType<T>, event: ChangeEvent): T | undefined {
  const deleted = event.op === 'delete';
  const result = schema.safeParse(deleted ? event.before : event.after);
  if (result.success) return result.data;
  if (deleted) return undefined;
  throw refused(result.error, event);
}

/**
 * The catalog's projection of the monolith's `public.categories` and `public.products`: each
 * event becomes the row's new state at the event's LSN. A delete becomes a tombstone; when
 * Debezium sends only the key of a deleted row (REPLICA IDENTITY DEFAULT), the tombstone's other
 * columns are placeholders, never shown.
 */
export class CatalogProjection implements Projection<CatalogChange> {
  constructor(
    private readonly store: ProjectionStore,
    /** The CDC heartbeat table (`strangler_cdc.heartbeat`): its events only move the position. */
    private readonly heartbeatTable: string,
  ) {}

  decode(event: ChangeEvent): CatalogChange {
    const deleted = event.op === 'delete';
    switch (event.table) {
      case 'public.categories': {
        const r = image(categoryRow, event);
        if (!r) {
          const { id } = parse(keyOnly, event.key, event);
          return { table: 'categories', lsn: event.lsn, deleted, row: { id, slug: '', name: '', description: '', createdAt: EPOCH, updatedAt: EPOCH } };
        }
        return { table: 'categories', lsn: event.lsn, deleted, row: { id: r.id, slug: r.slug, name: r.name, description: r.description, createdAt: r.created_at, updatedAt: r.updated_at } };
      }
      case 'public.products': {
        const r = image(productRow, event);
        if (!r) {
          const { id } = parse(keyOnly, event.key, event);
          const row = { id, sku: '', name: '', description: '', priceCents: 0, currency: 'XXX', categoryId: NIL_UUID, active: false, createdAt: EPOCH, updatedAt: EPOCH };
          return { table: 'products', lsn: event.lsn, deleted, row };
        }
        return {
          table: 'products',
          lsn: event.lsn,
          deleted,
          row: {
            id: r.id,
            sku: r.sku,
            name: r.name,
            description: r.description,
            priceCents: r.price_cents,
            currency: r.currency,
            categoryId: r.category_id,
            active: r.active,
            createdAt: r.created_at,
            updatedAt: r.updated_at,
          },
        };
      }
      default:
        if (event.table === this.heartbeatTable) return { table: 'heartbeat' };
        throw new PoisonMessageError(`${event.table} is not a table the catalog projects (offset ${event.offset} of ${event.topic})`);
    }
  }

  apply(changes: CatalogChange[], position: PartitionPosition): Promise<ApplyOutcome> {
    return this.store.apply(
      changes.filter((c): c is RowChange => c.table !== 'heartbeat'),
      position,
    );
  }

  positions(): Promise<PartitionPosition[]> {
    return this.store.positions();
  }
}
