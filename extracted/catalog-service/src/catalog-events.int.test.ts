// The catalog's domain events end to end with the real components: catalog-service's write routes
// write the outbox in their transaction, the outbox connector registered by the CDC bootstrap from
// the manifest (Debezium's outbox event router, Kafka Connect) publishes them to the events topic.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { parseCatalogEvent, type CatalogEvent } from '@strangler/catalog-contract';
import { AccessTokenSigner, createLogger } from '@strangler/platform';
import kafkajs from 'kafkajs';
import pg from 'pg';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapCdc, resetCdc, type BootstrapResult } from '../../../cdc/src/bootstrap/bootstrap.js';
import { eventsTopic } from '../../../cdc/src/bootstrap/event-streams.js';
import { createMonolithDatabase, startTestCdcRuntime, uniquePrefix, type MonolithDatabase, type TestCdcRuntime } from '../../../cdc/test/cdc-test-kit.js';
import { loadManifests } from '../../../migrations/src/load-manifests.js';
import { databaseSettings } from '../../../stack/src/stack.js';
import { CATALOG_SERVICE_TEMPLATE, createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { TEST_JWT_KEYS } from '../../../test-support/monolith.js';
import { composeCatalogService, type CatalogServiceInstance } from './compose.js';
import { readConfig } from './config.js';

const CONTROL_TOKEN = 'catalog-events-control-token-0123456789';
const manifests = loadManifests();
const catalogManifest = manifests.find((m) => m.domain === 'catalog')!;

let runtime: TestCdcRuntime;
let monolithDb: MonolithDatabase;
let catalogDb: TestDatabase;
let boot: BootstrapResult;
let service: CatalogServiceInstance;
let sql: pg.Pool;
let topic: string;
let consumer: kafkajs.Consumer;
let categoryId: string;
const received: { key: string | null; value: string | null; headers: Record<string, string> }[] = [];
const admin = `Bearer ${new AccessTokenSigner(createPrivateKey(TEST_JWT_KEYS.privateKey), { issuer: 'legacy-monolith', audience: 'shop-api', ttlSeconds: 3600 }).sign({ sub: randomUUID(), role: 'admin', email: 'admin@example.com' }).token}`;

async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${received.length} messages`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function setOwner(owner: 'monolith' | 'service') {
  const current = await request(service.app).get('/internal/ownership/catalog').set('authorization', `Bearer ${CONTROL_TOKEN}`).expect(200);
  if (current.body.owner === owner) return;
  await request(service.app).put('/internal/ownership/catalog').set('authorization', `Bearer ${CONTROL_TOKEN}`).send({ owner, expectedEpoch: current.body.epoch }).expect(200);
}

const eventsOf = (id: string): CatalogEvent[] => received.filter((m) => m.key === id).map((m) => parseCatalogEvent(m.value));

beforeAll(async () => {
  [runtime, monolithDb, catalogDb] = await Promise.all([
    startTestCdcRuntime('events'),
    createMonolithDatabase('events_monolith'),
    createTestDatabase('catalog_events', CATALOG_SERVICE_TEMPLATE),
  ]);
  boot = await bootstrapCdc({
    brokers: runtime.brokers,
    connect: runtime.connectApi,
    database: monolithDb.settings,
    capture: runtime.capture,
    manifests,
    serviceDatabases: { 'catalog-service': { database: databaseSettings(catalogDb.url) } },
    topicPrefix: uniquePrefix('events'),
  });
  topic = eventsTopic(catalogManifest, boot.names.topicPrefix);
  service = composeCatalogService(
    readConfig({ DATABASE_URL: catalogDb.url, DATABASE_POOL_SIZE: '4', JWT_PUBLIC_KEY: TEST_JWT_KEYS.publicKey, SERVICE_CONTROL_TOKEN: CONTROL_TOKEN, LOG_LEVEL: 'silent' }),
    createLogger('catalog-service', 'silent'),
    catalogManifest,
  );
  sql = new pg.Pool({ connectionString: catalogDb.url, max: 2 });
  categoryId = randomUUID();
  await sql.query("INSERT INTO categories (id, slug, name, description, created_at, updated_at, source_lsn) VALUES ($1, 'events', 'Events', '', now(), now(), 0)", [categoryId]);

  const kafka = new kafkajs.Kafka({ clientId: 'catalog-events-test', brokers: runtime.brokers, logLevel: kafkajs.logLevel.NOTHING });
  consumer = kafka.consumer({ groupId: `${topic}-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      received.push({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      });
    },
  });
}, 600_000);

afterAll(async () => {
  await consumer?.disconnect();
  await service?.close();
  await sql?.end();
  if (runtime && monolithDb) {
    await resetCdc({
      stateDir: runtime.stateDir,
      database: monolithDb.settings,
      topicPrefix: boot?.names.topicPrefix,
      connect: runtime.connectApi,
      eventStreams: { manifests, serviceDatabases: { 'catalog-service': { database: databaseSettings(catalogDb.url) } } },
    });
  }
  await runtime?.destroy();
  await monolithDb?.db.drop();
  await catalogDb?.drop();
}, 120_000);

describe('the catalog events topic', () => {
  it('is registered by the CDC bootstrap from the manifest: an outbox connector RUNNING, the topic <prefix>.catalog.events', () => {
    expect(topic).toBe(`${boot.names.topicPrefix}.catalog.events`);
    expect(boot.eventStreams).toEqual([expect.objectContaining({ domain: 'catalog', topic, status: expect.objectContaining({ connector: expect.objectContaining({ state: 'RUNNING' }) }) })]);
  });

  it('gets exactly one event per write through the service’s HTTP API, keyed by the product id, with its type, version and data', async () => {
    await setOwner('service');
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const created = await request(service.app)
      .post('/api/products')
      .set('authorization', admin)
      .set('traceparent', traceparent)
      .send({ sku: 'EV-1', name: 'Evented', priceCents: 990, categorySlug: 'events' })
      .expect(201);
    const id = created.body.id as string;
    const changed = await request(service.app).patch(`/api/products/${id}`).set('authorization', admin).send({ priceCents: 1090 }).expect(200);

    const [first, second] = await eventually('the two events of the product', () => (eventsOf(id).length >= 2 ? eventsOf(id) : undefined));
    expect(first).toMatchObject({
      type: 'ProductCreated',
      aggregateType: 'product',
      aggregateId: id,
      version: 1,
      traceparent: expect.stringMatching(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/),
      data: { id, sku: 'EV-1', name: 'Evented', price_cents: 990, currency: 'EUR', category_id: categoryId, active: true, created_at: created.body.createdAt, updated_at: created.body.updatedAt },
    });
    expect(second).toMatchObject({ type: 'ProductChanged', version: 2, data: { id, price_cents: 1090, updated_at: changed.body.updatedAt } });
    const message = received.find((m) => m.key === id)!;
    expect(message.headers).toMatchObject({ eventType: 'ProductCreated', aggregateType: 'product' });
    // The router expands the payload: the value is the envelope as a JSON object, not a string holding it.
    expect(JSON.parse(message.value!)).toMatchObject({ eventId: first!.eventId, type: 'ProductCreated' });

    // Exactly one each: a later write of another product arrives, and these two are still the only ones.
    const marker = await request(service.app).post('/api/products').set('authorization', admin).send({ sku: 'EV-MARK-1', name: 'Marker', priceCents: 1, categorySlug: 'events' }).expect(201);
    await eventually('the marker event', () => (eventsOf(marker.body.id as string).length > 0 ? true : undefined));
    expect(eventsOf(id).map((e) => [e.type, e.version])).toEqual([
      ['ProductCreated', 1],
      ['ProductChanged', 2],
    ]);
  });

  it('gets no event, and the service no row change, for a write refused with 409 not_owner while the monolith owns the catalog', async () => {
    await setOwner('service');
    const product = await request(service.app).post('/api/products').set('authorization', admin).send({ sku: 'EV-2', name: 'Owned', priceCents: 500, categorySlug: 'events' }).expect(201);
    const id = product.body.id as string;
    await eventually('the create event', () => (eventsOf(id).length === 1 ? true : undefined));
    const rowsBefore = (await sql.query("SELECT md5(string_agg(p::text, ',' ORDER BY p.id)) AS h FROM products p")).rows;

    await setOwner('monolith');
    const refused = await request(service.app).patch(`/api/products/${id}`).set('authorization', admin).send({ priceCents: 1 }).expect(409);
    const refusedCreate = await request(service.app).post('/api/products').set('authorization', admin).send({ sku: 'EV-3', name: 'Refused', priceCents: 1, categorySlug: 'events' }).expect(409);
    expect(refused.body.error.code).toBe('not_owner');
    expect(refusedCreate.body.error.code).toBe('not_owner');
    expect((await sql.query("SELECT md5(string_agg(p::text, ',' ORDER BY p.id)) AS h FROM products p")).rows).toEqual(rowsBefore);

    // A later accepted write's event arrives, and nothing came for the refused ones.
    await setOwner('service');
    const marker = await request(service.app).post('/api/products').set('authorization', admin).send({ sku: 'EV-MARK-2', name: 'Marker', priceCents: 1, categorySlug: 'events' }).expect(201);
    await eventually('the marker event', () => (eventsOf(marker.body.id as string).length > 0 ? true : undefined));
    expect(eventsOf(id).map((e) => e.type)).toEqual(['ProductCreated']);
    expect(received.map((m) => parseCatalogEvent(m.value).data.sku)).not.toContain('EV-3');
  });
});
