// The reverse sync's batch apply (ADR-0033) on a real PostgreSQL holding the monolith's schema: a batch
// of several events of one aggregate, with a duplicate and an older replay among them, leaves the row
// and the counts one event at a time would have left; a later batch repeating them changes nothing.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonolithDatabase, type MonolithDatabase } from '../../test/cdc-test-kit.js';
import { parseCatalogEvent, type CatalogEvent } from './catalog-event.js';
import { PgReverseSyncStore } from './reverse-sync-store.js';

let monolith: MonolithDatabase;
let sql: pg.Pool;
let store: PgReverseSyncStore;
let products: { id: string; sku: string; category_id: string }[];
let offset = 0;

/** A ProductChanged event as catalog-service's outbox emits it, read through the reverse sync's own parser. */
function changed(product: { id: string; sku: string; category_id: string }, price: number, version: number, eventId: string = randomUUID()): CatalogEvent {
  const now = new Date().toISOString();
  const envelope = {
    eventId,
    type: 'ProductChanged',
    aggregateType: 'product',
    aggregateId: product.id,
    version,
    occurredAt: now,
    data: { id: product.id, sku: product.sku, name: `Batch lamp ${version}`, description: '', price_cents: price, currency: 'EUR', category_id: product.category_id, active: true, created_at: now, updated_at: now },
  };
  offset += 1;
  return parseCatalogEvent('batch.catalog.events', 0, { key: Buffer.from(product.id), value: Buffer.from(JSON.stringify(envelope)), offset: String(offset), headers: {} })!;
}

const position = () => ({ topic: 'batch.catalog.events', partition: 0, offset: String(offset), lsn: null, committedAt: new Date() });
const row = async (id: string) => (await sql.query<{ price_cents: number; name: string }>('SELECT price_cents, name FROM products WHERE id = $1', [id])).rows[0];

beforeAll(async () => {
  monolith = await createMonolithDatabase('reverse_batch');
  sql = new pg.Pool({ connectionString: monolith.db.url, max: 2 });
  products = (await sql.query<{ id: string; sku: string; category_id: string }>('SELECT id, sku, category_id FROM products ORDER BY sku LIMIT 2')).rows;
  store = new PgReverseSyncStore(sql);
  await store.prepare();
}, 120_000);

afterAll(async () => {
  await sql?.end();
  await monolith?.db.drop();
});

describe('the reverse sync applying a batch', () => {
  it('applies, per aggregate, every version above the last one applied, writes the newest row, and skips duplicates and older replays', async () => {
    const [a, b] = [products[0]!, products[1]!];
    const twice = randomUUID();
    const batch = [changed(a, 101, 1), changed(a, 102, 2, twice), changed(b, 201, 1), changed(a, 102, 2, twice), changed(a, 100, 1), changed(a, 103, 3)];
    const heard: string[] = [];
    const outcome = await store.apply(batch, position(), (e) => heard.push(`${e.aggregateId === a.id ? 'a' : 'b'}${e.version}`));
    // a1, a2, b1, a3 applied; the duplicate id is not counted at all; the replay of a1 under a new id is stale.
    expect(heard).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(outcome).toEqual({ applied: 4, stale: 2 });
    expect(await row(a.id)).toEqual({ price_cents: 103, name: 'Batch lamp 3' });
    expect(await row(b.id)).toEqual({ price_cents: 201, name: 'Batch lamp 1' });
    expect(await store.counts()).toEqual({ applied: 4, stale: 1, deadLettered: 0 });

    // Delivered again (at least once), and an older version under a new id: nothing changes.
    const again = await store.apply([batch[1]!, changed(a, 99, 2), batch[5]!], position());
    expect(again).toEqual({ applied: 0, stale: 3 });
    expect(await row(a.id)).toEqual({ price_cents: 103, name: 'Batch lamp 3' });
    expect(await store.counts()).toEqual({ applied: 4, stale: 2, deadLettered: 0 });
    const stored = await store.positions();
    expect(stored).toEqual([expect.objectContaining({ topic: 'batch.catalog.events', partition: 0, offset: String(offset) })]);
  });

  it('counts a dead letter once, however often it is recorded', async () => {
    const letter = { eventId: randomUUID(), aggregateType: 'product', aggregateId: products[0]!.id, version: 9n, reason: 'refused' };
    const before = await store.counts();
    await store.recordDeadLetters([letter]);
    await store.recordDeadLetters([letter]);
    expect(await store.counts()).toEqual({ ...before, deadLettered: before.deadLettered + 1 });
  });
});
