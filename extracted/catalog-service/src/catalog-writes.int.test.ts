// The catalog's write routes in catalog-service against the monolith's, with real PostgreSQL: both
// sides start from the same catalog (the monolith's seeded rows copied into the service's database
// with the same ids), get the same writes, and must give the same answers. Also the ownership guard
// (409 not_owner, nothing applied), the outbox written with each write, and the internal control API.
import { randomUUID } from 'node:crypto';
import { createLogger } from '@strangler/platform';
import { parseCatalogEvent } from '@strangler/catalog-contract';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests } from '../../../migrations/src/load-manifests.js';
import { CATALOG_SERVICE_TEMPLATE, createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { expiredBearer, forgedBearer, startTestMonolith, TEST_JWT_KEYS, type TestMonolith } from '../../../test-support/monolith.js';
import { composeCatalogService, type CatalogServiceInstance } from './compose.js';
import { readConfig } from './config.js';

const CONTROL_TOKEN = 'catalog-control-token-0123456789abcdef';
const control = `Bearer ${CONTROL_TOKEN}`;

let monolith: TestMonolith;
let catalogDb: TestDatabase;
let service: CatalogServiceInstance;
let sql: pg.Pool;
let admin: string;

/** Copies the monolith's catalog into the service's database, ids and timestamps included (as the CDC snapshot would). */
async function copyCatalog(): Promise<void> {
  const categories = await monolith.monolith.prisma.$queryRaw<{ rows: unknown }[]>`SELECT json_agg(c) AS rows FROM categories c`;
  const products = await monolith.monolith.prisma.$queryRaw<{ rows: unknown }[]>`SELECT json_agg(p) AS rows FROM products p`;
  await sql.query(
    `INSERT INTO categories (id, slug, name, description, created_at, updated_at, deleted, source_lsn)
     SELECT id, slug, name, description, created_at, updated_at, false, 0
       FROM json_to_recordset($1) AS x(id uuid, slug text, name text, description text, created_at timestamptz, updated_at timestamptz)`,
    [JSON.stringify(categories[0]!.rows)],
  );
  await sql.query(
    `INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at, deleted, source_lsn)
     SELECT id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at, false, 0
       FROM json_to_recordset($1) AS x(id uuid, sku text, name text, description text, price_cents int, currency text, category_id uuid, active boolean, created_at timestamptz, updated_at timestamptz)`,
    [JSON.stringify(products[0]!.rows)],
  );
}

async function setOwner(owner: 'monolith' | 'service') {
  const current = await request(service.app).get('/internal/ownership/catalog').set('authorization', control).expect(200);
  if (current.body.owner === owner) return;
  await request(service.app).put('/internal/ownership/catalog').set('authorization', control).send({ owner, expectedEpoch: current.body.epoch }).expect(200);
}

type Write = { method: 'post' | 'patch' | 'delete'; path: string; body?: unknown; authorization?: string | undefined };

function send(app: Parameters<typeof request>[0], write: Write) {
  let req = request(app)[write.method](write.path);
  if (write.authorization !== undefined) req = req.set('authorization', write.authorization);
  return write.body === undefined ? req : req.send(write.body as object);
}

/** What must be equal on both sides: status, body and location, without what differs by design (new ids, clocks, correlation ids). */
function comparable(res: request.Response) {
  const text = JSON.stringify(res.body ?? null)
    .replace(/"correlationId":"[^"]*"/g, '"correlationId":"-"')
    .replace(/"(createdAt|updatedAt)":"[^"]*"/g, '"$1":"-"');
  const created = res.status === 201 ? (res.body as { id: string }).id : undefined;
  return {
    status: res.status,
    body: JSON.parse(created ? text.replaceAll(created, '<new id>') : text) as unknown,
    location: created ? res.headers.location?.replace(created, '<new id>') : res.headers.location,
    contentType: res.headers['content-type'],
  };
}

async function both(write: Write) {
  const fromMonolith = await send(monolith.app, write);
  const fromService = await send(service.app, write);
  return { fromMonolith, fromService };
}

async function outbox(aggregateId: string) {
  const { rows } = await sql.query<{ type: string; version: string; payload: unknown; traceparent: string | null }>(
    'SELECT type, version, payload, traceparent FROM outbox_events WHERE aggregate_id = $1 ORDER BY version',
    [aggregateId],
  );
  return rows;
}

beforeAll(async () => {
  [monolith, catalogDb] = await Promise.all([startTestMonolith(), createTestDatabase('catalog_writes', CATALOG_SERVICE_TEMPLATE)]);
  const config = readConfig({
    DATABASE_URL: catalogDb.url,
    DATABASE_POOL_SIZE: '4',
    JWT_PUBLIC_KEY: TEST_JWT_KEYS.publicKey,
    SERVICE_CONTROL_TOKEN: CONTROL_TOKEN,
    LOG_LEVEL: 'silent',
  });
  // Not started: these tests need the HTTP API and the database, not the CDC consumer.
  service = composeCatalogService(config, createLogger('catalog-service', 'silent'), loadManifests().find((m) => m.domain === 'catalog')!);
  sql = new pg.Pool({ connectionString: catalogDb.url, max: 2 });
  await copyCatalog();
  admin = monolith.bearer('admin');
});

afterAll(async () => {
  await service?.close();
  await sql?.end();
  await monolith?.close();
  await catalogDb?.drop();
});

describe('the internal control API of catalog-service', () => {
  it('starts with the catalog owned by the monolith, at epoch 0', async () => {
    const res = await request(service.app).get('/internal/ownership/catalog').set('authorization', control).expect(200);
    expect(res.body).toEqual({ domain: 'catalog', owner: 'monolith', epoch: 0, changedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
  });

  it('answers 401 without the control token or with another one', async () => {
    const missing = await request(service.app).get('/internal/ownership/catalog').expect(401);
    const wrong = await request(service.app).put('/internal/ownership/catalog').set('authorization', 'Bearer not-the-control-token-0123456789').send({ owner: 'service', expectedEpoch: 0 }).expect(401);
    expect(missing.body.error.code).toBe('token_missing');
    expect(wrong.body.error.code).toBe('token_invalid');
  });

  it('refuses a change from a stale epoch with 409 epoch_mismatch and changes nothing', async () => {
    const before = await request(service.app).get('/internal/ownership/catalog').set('authorization', control).expect(200);
    const res = await request(service.app).put('/internal/ownership/catalog').set('authorization', control).send({ owner: 'service', expectedEpoch: before.body.epoch + 7 }).expect(409);
    expect(res.body.error).toMatchObject({ code: 'epoch_mismatch', details: { current: { epoch: before.body.epoch } } });
    expect((await request(service.app).get('/internal/ownership/catalog').set('authorization', control)).body).toEqual(before.body);
  });

  it('refuses an unknown owner with 400 naming body.owner, and an unknown domain with 404', async () => {
    const bad = await request(service.app).put('/internal/ownership/catalog').set('authorization', control).send({ owner: 'both', expectedEpoch: 0 }).expect(400);
    expect(bad.body.error.message).toMatch(/^body\.owner: /);
    await request(service.app).get('/internal/ownership/orders').set('authorization', control).expect(404);
  });
});

describe('a write that reaches catalog-service while the monolith owns the catalog (a stale proxy)', () => {
  it('is refused with 409 not_owner, and neither a row nor an event is written', async () => {
    await setOwner('monolith');
    const { rows: before } = await sql.query("SELECT md5(string_agg(p::text, ',' ORDER BY p.id)) AS h, (SELECT count(*) FROM outbox_events) AS events FROM products p");
    const [, existing] = (await sql.query<{ id: string }>('SELECT id FROM products ORDER BY id LIMIT 2')).rows;

    const created = await request(service.app).post('/api/products').set('authorization', admin).send({ sku: 'STALE-1', name: 'Stale', priceCents: 100, categorySlug: 'laptops' });
    const patched = await request(service.app).patch(`/api/products/${existing!.id}`).set('authorization', admin).send({ priceCents: 1 });
    const deleted = await request(service.app).delete(`/api/products/${existing!.id}`).set('authorization', admin);

    for (const res of [created, patched, deleted]) {
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'not_owner', message: expect.stringContaining('owner: monolith') });
    }
    const { rows: after } = await sql.query("SELECT md5(string_agg(p::text, ',' ORDER BY p.id)) AS h, (SELECT count(*) FROM outbox_events) AS events FROM products p");
    expect(after).toEqual(before);
  });
});

describe('the write routes of catalog-service, once it owns the catalog', () => {
  beforeAll(async () => {
    await setOwner('service');
  });

  const newProduct = { sku: 'CW-1', name: 'Pour-over Stand', description: 'Walnut', priceCents: 4500, currency: 'EUR', categorySlug: 'laptops' };

  it.each<[string, Omit<Write, 'authorization'> & { authorization?: string | 'admin' | 'customer' | 'expired' | 'forged' | 'none' }]>([
    ['a valid create', { method: 'post', path: '/api/products', body: newProduct }],
    ['a create with the defaults (no description, no currency)', { method: 'post', path: '/api/products', body: { sku: 'CW-2', name: 'Plain', priceCents: 1, categorySlug: 'laptops' } }],
    ['a create with a taken sku', { method: 'post', path: '/api/products', body: { ...newProduct } }],
    ['a create in an unknown category', { method: 'post', path: '/api/products', body: { ...newProduct, sku: 'CW-3', categorySlug: 'ghost' } }],
    ['a create with invalid fields', { method: 'post', path: '/api/products', body: { ...newProduct, sku: 'CW-4', priceCents: 12.5, currency: 'eur' } }],
    ['a create with a price of zero', { method: 'post', path: '/api/products', body: { ...newProduct, sku: 'CW-5', priceCents: 0 } }],
    ['a create with an unknown field', { method: 'post', path: '/api/products', body: { ...newProduct, sku: 'CW-6', stock: 3 } }],
    ['a create with a bad sku', { method: 'post', path: '/api/products', body: { ...newProduct, sku: '-' } }],
    ['a create without a body', { method: 'post', path: '/api/products' }],
    ['a patch of an unknown product', { method: 'patch', path: `/api/products/${randomUUID()}`, body: { name: 'x' } }],
    ['a patch with a malformed id', { method: 'patch', path: '/api/products/12345', body: { name: 'x' } }],
    ['an empty patch', { method: 'patch', path: `/api/products/${randomUUID()}`, body: {} }],
    ['a delete of an unknown product', { method: 'delete', path: `/api/products/${randomUUID()}` }],
    ['a create without a token', { method: 'post', path: '/api/products', body: newProduct, authorization: 'none' }],
    ['a create with a malformed token', { method: 'post', path: '/api/products', body: newProduct, authorization: 'Bearer not-a-jwt' }],
    ['a create with an expired token', { method: 'post', path: '/api/products', body: newProduct, authorization: 'expired' }],
    ['a create with a token signed with another key', { method: 'post', path: '/api/products', body: newProduct, authorization: 'forged' }],
    ['a create by a customer', { method: 'post', path: '/api/products', body: { ...newProduct, sku: 'CW-7' }, authorization: 'customer' }],
  ])('answers %s exactly as the monolith does', async (_name, write) => {
    const who = write.authorization ?? 'admin';
    const authorization =
      who === 'admin' ? admin : who === 'customer' ? monolith.bearer('customer') : who === 'expired' ? expiredBearer('admin') : who === 'forged' ? forgedBearer('admin') : who === 'none' ? undefined : who;
    const { fromMonolith, fromService } = await both({ ...write, authorization });
    expect(comparable(fromService)).toEqual(comparable(fromMonolith));
  });

  it('answers a patch, a sku conflict, a delete and a repeated delete of the same product exactly as the monolith does', async () => {
    const [first, second] = (await sql.query<{ id: string; sku: string }>('SELECT id, sku FROM products WHERE active ORDER BY sku LIMIT 2')).rows;
    const writes: Write[] = [
      { method: 'patch', path: `/api/products/${first!.id}`, body: { priceCents: 11900, name: 'Renamed in both' }, authorization: admin },
      { method: 'patch', path: `/api/products/${first!.id}`, body: { sku: second!.sku }, authorization: admin },
      { method: 'patch', path: `/api/products/${first!.id}`, body: { categorySlug: 'ghost' }, authorization: admin },
      { method: 'delete', path: `/api/products/${first!.id}`, authorization: admin },
      { method: 'delete', path: `/api/products/${first!.id}`, authorization: admin },
      { method: 'patch', path: `/api/products/${first!.id}`, body: { active: true, description: 'back again' }, authorization: admin },
    ];
    for (const write of writes) {
      const { fromMonolith, fromService } = await both(write);
      expect(comparable(fromService), `${write.method} ${JSON.stringify(write.body ?? null)}`).toEqual(comparable(fromMonolith));
    }
    const read = await Promise.all([request(monolith.app).get(`/api/products/${first!.id}`), request(service.app).get(`/api/products/${first!.id}`)]);
    expect(comparable(read[1])).toEqual(comparable(read[0]));
  });

  it('writes one outbox event per applied write, in the same transaction, numbered per product, with the row in the monolith’s column names', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const created = await request(service.app).post('/api/products').set('authorization', admin).set('traceparent', traceparent).send({ ...newProduct, sku: 'CW-EVENTS' }).expect(201);
    const id = created.body.id as string;
    await request(service.app).patch(`/api/products/${id}`).set('authorization', admin).send({ priceCents: 4600 }).expect(200);
    await request(service.app).patch(`/api/products/${id}`).set('authorization', admin).send({ sku: 'CW-1' }).expect(409);
    await request(service.app).delete(`/api/products/${id}`).set('authorization', admin).expect(204);

    const events = await outbox(id);
    expect(events.map((e) => [e.type, Number(e.version)])).toEqual([
      ['ProductCreated', 1],
      ['ProductChanged', 2],
      ['ProductDeleted', 3],
    ]);
    const [createdEvent, changedEvent, deletedEvent] = events.map((e) => parseCatalogEvent(JSON.stringify(e.payload)));
    expect(createdEvent).toMatchObject({
      type: 'ProductCreated',
      aggregateType: 'product',
      aggregateId: id,
      version: 1,
      traceparent: expect.stringMatching(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/),
      data: {
        id,
        sku: 'CW-EVENTS',
        name: 'Pour-over Stand',
        description: 'Walnut',
        price_cents: 4500,
        currency: 'EUR',
        category_id: created.body.category.id,
        active: true,
        created_at: created.body.createdAt,
        updated_at: created.body.updatedAt,
      },
    });
    expect(events[0]!.traceparent).toBe(createdEvent!.traceparent);
    expect(changedEvent!.data).toMatchObject({ price_cents: 4600, active: true });
    expect(deletedEvent!.data).toMatchObject({ id, price_cents: 4600, active: false });
    expect(new Set(events.map((e) => (e.payload as { eventId: string }).eventId)).size).toBe(3);
  });

  it('writes no event for a write it refuses', async () => {
    const { rows: before } = await sql.query('SELECT count(*) AS n FROM outbox_events');
    await request(service.app).post('/api/products').set('authorization', admin).send({ ...newProduct }).expect(409);
    await request(service.app).post('/api/products').set('authorization', monolith.bearer('customer')).send({ ...newProduct, sku: 'CW-NOPE' }).expect(403);
    await request(service.app).patch(`/api/products/${randomUUID()}`).set('authorization', admin).send({ name: 'x' }).expect(404);
    const { rows: after } = await sql.query('SELECT count(*) AS n FROM outbox_events');
    expect(after).toEqual(before);
  });

  it('numbers the events of concurrent changes of one product 1, 2, 3 ... with no gap and no repeat, each payload with its own number', async () => {
    const created = await request(service.app).post('/api/products').set('authorization', admin).send({ ...newProduct, sku: 'CW-CONCURRENT' }).expect(201);
    const id = created.body.id as string;
    const answers = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((n) => request(service.app).patch(`/api/products/${id}`).set('authorization', admin).send({ priceCents: 5000 + n })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
    const events = await outbox(id);
    expect(events.map((e) => Number(e.version))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events.map((e) => (e.payload as { version: number }).version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The last event carries the row as the last change left it.
    const { rows } = await sql.query<{ price_cents: number }>('SELECT price_cents FROM products WHERE id = $1', [id]);
    expect((events.at(-1)!.payload as { data: { price_cents: number } }).data.price_cents).toBe(rows[0]!.price_cents);
  });

  it("reports the outbox's size in GET /cdc from the trigger-kept counts, equal to its rows after concurrent writes of many products and refused ones", async () => {
    const created = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => request(service.app).post('/api/products').set('authorization', admin).send({ ...newProduct, sku: `CW-COUNT-${n}` })));
    expect(created.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const changed = await Promise.all(created.map((c, n) => request(service.app).patch(`/api/products/${c.body.id as string}`).set('authorization', admin).send({ priceCents: 7000 + n })));
    expect(changed.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    await request(service.app).post('/api/products').set('authorization', admin).send({ ...newProduct, sku: 'CW-COUNT-1' }).expect(409);
    const { rows } = await sql.query<{ n: number; shards: number }>('SELECT (SELECT count(*)::int FROM outbox_events) AS n, (SELECT count(*)::int FROM outbox_counts WHERE events > 0) AS shards');
    expect(rows[0]!.shards).toBeGreaterThan(1);
    const cdc = await request(service.app).get('/cdc').expect(200);
    expect(cdc.body.sync.outbox).toEqual({ events: rows[0]!.n });
  });

  it('gives two concurrent creates of one sku one product and one 409 sku_taken', async () => {
    const answers = await Promise.all([0, 1].map(() => request(service.app).post('/api/products').set('authorization', admin).send({ ...newProduct, sku: 'CW-RACE' })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const { rows } = await sql.query("SELECT count(*)::int AS n FROM products WHERE sku = 'CW-RACE'");
    expect(rows).toEqual([{ n: 1 }]);
  });
});
