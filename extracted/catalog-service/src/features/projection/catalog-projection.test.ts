import { PoisonMessageError, type ChangeEvent, type PartitionPosition } from '@strangler/cdc/projection';
import { describe, expect, it } from 'vitest';
import { CatalogProjection } from './catalog-projection.js';
import type { ProjectionStore, RowChange } from './projection-store-type.js';

class RecordingStore implements ProjectionStore {
  readonly applied: { changes: RowChange[]; position: PartitionPosition }[] = [];
  async apply(changes: RowChange[], position: PartitionPosition) {
    this.applied.push({ changes, position });
    return { applied: changes.length, stale: 0 };
  }
  async positions() {
    return [];
  }
}

const product = {
  id: '3f1c5d0e-7a51-4c1e-9b7a-0c6d1f2e3a4b',
  sku: 'COF-0001',
  name: 'Espresso beans',
  description: '1 kg',
  price_cents: 1899,
  currency: 'EUR',
  category_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  active: true,
  created_at: '2026-11-22T02:52:54.123Z',
  updated_at: '2026-12-01T10:00:00Z',
};

function event(table: string, op: ChangeEvent['op'], fields: Partial<ChangeEvent> = {}): ChangeEvent {
  return { topic: `monolith.${table}`, partition: 0, offset: '7', table, op, key: { id: product.id }, before: null, after: product, lsn: 900n, committedAt: new Date(), txId: null, headers: {}, ...fields };
}

const projection = () => new CatalogProjection(new RecordingStore(), 'strangler_cdc.heartbeat');

describe('decoding the monolith’s changes', () => {
  it('turns a product row into the projection’s product at the event’s LSN', () => {
    expect(projection().decode(event('public.products', 'update'))).toEqual({
      table: 'products',
      lsn: 900n,
      deleted: false,
      row: {
        id: product.id,
        sku: 'COF-0001',
        name: 'Espresso beans',
        description: '1 kg',
        priceCents: 1899,
        currency: 'EUR',
        categoryId: product.category_id,
        active: true,
        createdAt: '2026-11-22T02:52:54.123Z',
        updatedAt: '2026-12-01T10:00:00Z',
      },
    });
  });

  it('keeps Debezium timestamps as they come, microseconds and offset included', () => {
    const decoded = projection().decode(event('public.products', 'create', { after: { ...product, created_at: '2026-11-22T03:52:54.123456+01:00' } }));
    expect(decoded).toMatchObject({ row: { createdAt: '2026-11-22T03:52:54.123456+01:00' } });
  });

  it('refuses a timestamp that is not ISO-8601 with an offset as poison', () => {
    expect(() => projection().decode(event('public.products', 'create', { after: { ...product, updated_at: '2026-12-01 10:00' } }))).toThrow(/updated_at/);
  });

  it('refuses a delete whose old row and key are both unusable as poison', () => {
    expect(() => projection().decode(event('public.products', 'delete', { before: { id: 'x' }, after: null, key: { id: 'not-a-uuid' } }))).toThrow(PoisonMessageError);
  });

  it('turns a delete into a tombstone from the old row', () => {
    expect(projection().decode(event('public.products', 'delete', { before: product, after: null }))).toMatchObject({ table: 'products', deleted: true, row: { id: product.id, sku: 'COF-0001' } });
  });

  it('turns a delete that carries only the key (REPLICA IDENTITY DEFAULT) into a tombstone of that id', () => {
    expect(projection().decode(event('public.categories', 'delete', { before: { id: product.id }, after: null }))).toMatchObject({ table: 'categories', deleted: true, row: { id: product.id } });
  });

  it('decodes categories', () => {
    const category = { id: product.category_id, slug: 'coffee', name: 'Coffee', description: '', created_at: product.created_at, updated_at: product.updated_at };
    expect(projection().decode(event('public.categories', 'snapshot', { after: category }))).toMatchObject({ table: 'categories', deleted: false, row: { slug: 'coffee', name: 'Coffee' } });
  });

  it.each([
    ['a price that is not a whole number', { price_cents: '18.99' }, 'price_cents'],
    ['an id that is not a UUID', { id: '42' }, 'id'],
    ['a missing column', { sku: undefined }, 'sku'],
  ])('refuses %s as poison, naming the column', (_what, fields, column) => {
    expect(() => projection().decode(event('public.products', 'create', { after: { ...product, ...fields } }))).toThrow(new RegExp(`public.products create at offset 7: ${column}`));
  });

  it('refuses a table it does not project as poison', () => {
    expect(() => projection().decode(event('public.orders', 'create'))).toThrow(PoisonMessageError);
  });

  it('lets a heartbeat move the position without writing a row', async () => {
    const store = new RecordingStore();
    const catalog = new CatalogProjection(store, 'strangler_cdc.heartbeat');
    const heartbeat = catalog.decode(event('strangler_cdc.heartbeat', 'update', { after: { connector: 'monolith-postgres' } }));
    const position = { topic: 'monolith.strangler_cdc.heartbeat', partition: 0, offset: '7', lsn: 900n, committedAt: new Date() };

    await catalog.apply([heartbeat], position);

    expect(store.applied).toEqual([{ changes: [], position }]);
  });
});
