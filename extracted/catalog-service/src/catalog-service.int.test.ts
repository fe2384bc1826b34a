// The extracted catalog end to end with the real components: the monolith on its own database, the
// real CDC pipeline (Kafka, Connect, the Debezium PostgreSQL connector), the catalog service on its
// own database, and the strangler proxy with a real Unleash in front of both.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLsn } from '@strangler/platform';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapCdc, resetCdc, type BootstrapResult } from '../../../cdc/src/bootstrap/bootstrap.js';
import { connectAuthHeader } from '../../../cdc/src/bootstrap/connect-client.js';
import { startTestCdcRuntime, uniquePrefix, type TestCdcRuntime } from '../../../cdc/test/cdc-test-kit.js';
import { loadManifests } from '../../../migrations/src/load-manifests.js';
import { databaseSettings } from '../../../stack/src/stack.js';
import { startTestProxy, startTestUnleash, type UnleashFixture } from '../../../strangler-proxy/test-support/proxy-fixture.js';
import type { RunningProxy } from '../../../strangler-proxy/src/runtime.js';
import { CATALOG_SERVICE_TEMPLATE, createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { captureLogs } from '../../../test-support/log-capture.js';
import { startTestMonolith, type TestMonolith } from '../../../test-support/monolith.js';
import { composeCatalogService, type CatalogServiceInstance } from './compose.js';
import { readConfig } from './config.js';
import { eventually } from '../../../test-support/eventually.js';

const ADMIN_TOKEN = 'catalog-e2e-admin-token-0123456789';

let runtime: TestCdcRuntime;
let monolith: TestMonolith;
let boot: BootstrapResult;
let catalogDb: TestDatabase;
let service: RunningService;
let sql: pg.Pool;
let kafka: kafkajs.Kafka;
let settings: ReturnType<typeof readConfig>;
// The three processes' log lines, for the trace of one write through all of them.
const logs = { proxy: captureLogs('strangler-proxy'), monolith: captureLogs('legacy-monolith'), service: captureLogs('catalog-service') };

interface RunningService {
  instance: CatalogServiceInstance;
  url: string;
  stop(): Promise<void>;
}

async function startService(): Promise<RunningService> {
  const instance = composeCatalogService(settings, logs.service.logger, loadManifests().find((m) => m.domain === 'catalog')!);
  const server: Server = await new Promise((resolve) => {
    const s = instance.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  await instance.start();
  return {
    instance,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await instance.close();
    },
  };
}

async function get(base: string, path: string) {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, servedBy: res.headers.get('x-served-by'), body: (await res.json()) as Record<string, unknown> };
}

/** The answer without its correlation id, which differs per request by design. */
function comparable(answer: { status: number; body: Record<string, unknown> }) {
  const body = structuredClone(answer.body) as { error?: { correlationId?: string } };
  if (body.error) delete body.error.correlationId;
  return { status: answer.status, body };
}

async function metric(base: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function appliedCount(base: string): Promise<number> {
  let total = 0;
  for (const table of ['public.products', 'public.categories']) total += await metric(base, 'cdc_projection_events_total', `topic="${boot.names.topicPrefix}.${table}",outcome="applied"`);
  return total;
}

beforeAll(async () => {
  [runtime, monolith, catalogDb] = await Promise.all([
    startTestCdcRuntime('catalog'),
    startTestMonolith({ listen: true, logger: logs.monolith.logger }),
    createTestDatabase('catalog_service', CATALOG_SERVICE_TEMPLATE),
  ]);
  boot = await bootstrapCdc({
    brokers: runtime.brokers,
    connect: runtime.connectApi,
    database: databaseSettings(monolith.db.url),
    capture: runtime.capture,
    manifests: loadManifests(),
    topicPrefix: uniquePrefix('catalog'),
  });
  settings = readConfig({
    DATABASE_URL: catalogDb.url,
    DATABASE_POOL_SIZE: '4',
    KAFKA_BROKERS: runtime.brokers.join(','),
    CDC_TOPIC_PREFIX: boot.names.topicPrefix,
    CDC_GROUP_ID: `catalog-service-${randomUUID()}`,
    CDC_DEAD_LETTER_TOPIC: `${boot.names.topicPrefix}.catalog-service.dead-letters`,
    LOG_LEVEL: 'silent',
  });
  sql = new pg.Pool({ connectionString: catalogDb.url, max: 2 });
  kafka = new kafkajs.Kafka({ clientId: 'catalog-e2e', brokers: runtime.brokers, logLevel: kafkajs.logLevel.NOTHING });
  service = await startService();
}, 600_000); // the first run on a fresh clone fetches the CDC runtime from Maven Central

afterAll(async () => {
  await service?.stop();
  await sql?.end();
  if (runtime && monolith) await resetCdc({ stateDir: runtime.stateDir, database: databaseSettings(monolith.db.url), topicPrefix: boot?.names.topicPrefix, connect: runtime.connectApi });
  await runtime?.destroy();
  await monolith?.close();
  await catalogDb?.drop();
}, 120_000);

describe('the catalog service', () => {
  it('builds its own database from the CDC snapshot of the monolith’s catalog, and is ready once it consumes', async () => {
    const total = await eventually('the 2,000 seeded products in the catalog service', async () => {
      const { body } = await get(service.url, '/api/products?limit=1');
      return body.total === 2000 ? body.total : undefined;
    });
    expect(total).toBe(2000);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    const cdc = (await (await fetch(`${service.url}/cdc`)).json()) as { consuming: boolean; partitions: { topic: string; lsn: string | null }[] };
    expect(cdc.consuming).toBe(true);
    expect(cdc.partitions.some((p) => p.topic === `${boot.names.topicPrefix}.public.products` && /^[0-9A-F]+\/[0-9A-F]+$/.test(p.lsn ?? ''))).toBe(true);
  });

  it('keeps its watermark moving while no captured table changes, and never past what it applied', async () => {
    type Answer = { watermark: { lsn: string; committedAt: string; lagMs: number } | null; partitions: { lsn: string | null }[] };
    const read = async () => (await (await fetch(`${service.url}/cdc`)).json()) as Answer;
    const products = async () => (await sql.query("SELECT md5(string_agg(p::text, ',' ORDER BY p.id)) AS h FROM products p")).rows[0] as unknown;
    const first = await eventually('a first watermark', async () => (await read()).watermark ?? undefined);
    const before = await products();

    const later = await eventually('the watermark to move on heartbeats alone', async () => {
      const w = (await read()).watermark;
      return w && parseLsn(w.lsn)! > parseLsn(first.lsn)! ? w : undefined;
    });

    expect(await products()).toEqual(before);
    expect(new Date(later.committedAt).getTime()).toBeGreaterThan(new Date(first.committedAt).getTime());
    // Never past the highest change applied on any partition.
    const highest = (await read()).partitions.reduce((max, p) => (p.lsn && parseLsn(p.lsn)! > max ? parseLsn(p.lsn)! : max), 0n);
    expect(parseLsn((await read()).watermark!.lsn)! <= highest).toBe(true);
    const longPoll = (await (await fetch(`${service.url}/cdc/watermark?after=${later.lsn}&waitMs=2000`)).json()) as Answer;
    expect(parseLsn(longPoll.watermark!.lsn)! >= parseLsn(later.lsn)!).toBe(true);
    expect((await fetch(`${service.url}/cdc/watermark?after=nonsense`)).status).toBe(400);
  });

  it.each([
    '/api/categories',
    '/api/products',
    '/api/products?sort=-price&limit=50&page=3',
    '/api/products?sort=newest&limit=7',
    '/api/products?q=noise-cancelling&sort=price',
    '/api/products?q=%25',
    '/api/products?category=laptops&sort=-name&page=2',
    '/api/products?page=999',
    '/api/products?category=no-such-category',
    '/api/products?limit=1000',
    '/api/products?sort=cheapest',
    '/api/products?q=a&q=b',
    `/api/products/${randomUUID()}`,
    '/api/products/not-a-uuid',
    '/api/nothing-here',
  ])('answers %s exactly as the monolith does', async (path) => {
    const [fromMonolith, fromService] = await Promise.all([get(monolith.url!, path), get(service.url, path)]);
    expect(comparable(fromService)).toEqual(comparable(fromMonolith));
  });

  it('answers a product by id exactly as the monolith does', async () => {
    const { body } = await get(monolith.url!, '/api/products?limit=1&sort=price');
    const id = (body.items as { id: string }[])[0]!.id;
    const [fromMonolith, fromService] = await Promise.all([get(monolith.url!, `/api/products/${id}`), get(service.url, `/api/products/${id}`)]);
    expect(fromService).toEqual(fromMonolith);
  });

  it('documents the catalog routes exactly as the monolith documents them (OpenAPI)', async () => {
    const [mono, own] = await Promise.all([
      fetch(`${monolith.url}/openapi.json`).then((r) => r.json() as Promise<{ paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>),
      fetch(`${service.url}/openapi.json`).then((r) => r.json() as Promise<{ paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>),
    ]);
    expect(Object.keys(own.paths).sort()).toEqual(['/api/categories', '/api/products', '/api/products/{id}']);
    // Reads and writes alike: both sides declare them from one package (contracts/catalog).
    expect(own.paths['/api/categories']).toEqual(mono.paths['/api/categories']);
    expect(own.paths['/api/products']).toEqual(mono.paths['/api/products']);
    expect(own.paths['/api/products/{id}']).toEqual(mono.paths['/api/products/{id}']);
    expect(Object.keys(own.paths['/api/products/{id}']!).sort()).toEqual(['delete', 'get', 'patch']);
    for (const schema of ['Product', 'ProductPage', 'Category', 'Error', 'CreateProductRequest', 'UpdateProductRequest']) expect(own.components.schemas[schema]).toEqual(mono.components.schemas[schema]);
  });

  it('follows a price change, a soft delete and a hard delete made in the monolith', async () => {
    const admin = monolith.bearer('admin');
    const { body: page } = await get(monolith.url!, '/api/products?limit=3&sort=name');
    const [changed, softDeleted, hardDeleted] = (page.items as { id: string }[]).map((p) => p.id);

    const patch = await fetch(`${monolith.url}/api/products/${changed}`, { method: 'PATCH', headers: { authorization: admin, 'content-type': 'application/json' }, body: JSON.stringify({ priceCents: 4242 }) });
    expect(patch.status).toBe(200);
    expect((await fetch(`${monolith.url}/api/products/${softDeleted}`, { method: 'DELETE', headers: { authorization: admin } })).status).toBe(204);
    await monolith.monolith.prisma.$executeRaw`DELETE FROM stock_levels WHERE product_id = ${hardDeleted}::uuid`;
    await monolith.monolith.prisma.$executeRaw`DELETE FROM products WHERE id = ${hardDeleted}::uuid`;

    await eventually('the new price in the catalog service', async () => ((await get(service.url, `/api/products/${changed}`)).body.priceCents === 4242 ? true : undefined));
    await eventually('the soft delete in the catalog service', async () => ((await get(service.url, `/api/products/${softDeleted}`)).status === 404 ? true : undefined));
    await eventually('the hard delete in the catalog service', async () => ((await get(service.url, `/api/products/${hardDeleted}`)).status === 404 ? true : undefined));
    const { rows } = await sql.query('SELECT deleted FROM products WHERE id = $1', [hardDeleted]);
    expect(rows).toEqual([{ deleted: true }]);
    expect(comparable(await get(service.url, '/api/products?limit=5'))).toEqual(comparable(await get(monolith.url!, '/api/products?limit=5')));
  });

  it('answers a change made in the monolith the moment its watermark reaches it, never an older cached answer (CATALOG_CACHE on)', async () => {
    expect(settings.CATALOG_CACHE).toBe(true);
    const page = '/api/products?limit=20&sort=price';
    const { body } = await get(service.url, page);
    const first = (body.items as { id: string; category: { id: string } }[])[0]!;
    // Read everything twice: the second answers come from the cache.
    for (let i = 0; i < 2; i++) for (const path of [page, `/api/products/${first.id}`, '/api/categories']) await get(service.url, path);

    const monolithSql = new pg.Client({ connectionString: monolith.db.url });
    await monolithSql.connect();
    await monolithSql.query('UPDATE products SET price_cents = price_cents + 1, updated_at = now() WHERE id = $1', [first.id]);
    await monolithSql.query("UPDATE categories SET name = name || ' (renamed)', updated_at = now() WHERE id = $1", [first.category.id]);
    const { rows } = await monolithSql.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    await monolithSql.end();
    const lsn = rows[0]!.lsn;
    await eventually(`the service watermark at ${lsn}`, async () => {
      const { watermark } = (await (await fetch(`${service.url}/cdc/watermark?after=${lsn}&waitMs=5000`)).json()) as { watermark: { lsn: string } | null };
      return watermark && parseLsn(watermark.lsn)! >= parseLsn(lsn)! ? true : undefined;
    });

    for (const path of [`/api/products/${first.id}`, page, '/api/categories']) {
      const [fromService, fromMonolith] = await Promise.all([get(service.url, path), get(monolith.url!, path)]);
      expect(comparable(fromService)).toEqual(comparable(fromMonolith));
    }
    expect((await get(service.url, `/api/products/${first.id}`)).body).toMatchObject({ category: { name: expect.stringMatching(/ \(renamed\)$/) } });
  });

  it('sends a message it can never apply to the dead-letter topic, with where it came from, and keeps projecting', async () => {
    const topic = `${boot.names.topicPrefix}.public.products`;
    const producer = kafka.producer();
    await producer.connect();
    const [sent] = await producer.send({ topic, messages: [{ key: JSON.stringify({ id: randomUUID() }), value: '{"op":"c","after":{"id":"not json' }] });
    await producer.disconnect();

    const letters: kafkajs.KafkaMessage[] = [];
    const consumer = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: settings.CDC_DEAD_LETTER_TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void letters.push(message) });
    try {
      const letter = await eventually('the dead letter', async () => letters.find((m) => m.headers?.['dlq.offset']?.toString() === sent!.baseOffset));
      expect(letter.headers?.['dlq.topic']?.toString()).toBe(topic);
      expect(letter.headers?.['dlq.reason']?.toString()).toBe('the value is not JSON');
      expect(letter.value?.toString()).toBe('{"op":"c","after":{"id":"not json');
    } finally {
      await consumer.disconnect();
    }

    const { body } = await get(monolith.url!, '/api/products?limit=1&sort=-price');
    const id = (body.items as { id: string }[])[0]!.id;
    await monolith.monolith.prisma.$executeRaw`UPDATE products SET name = 'Renamed after the poison', updated_at = now() WHERE id = ${id}::uuid`;
    await eventually('the rename after the poison message', async () => ((await get(service.url, `/api/products/${id}`)).body.name === 'Renamed after the poison' ? true : undefined));
  });

  it('keeps retrying a change its database cannot take now, skipping nothing, and applies it once the database can', async () => {
    const { body } = await get(monolith.url!, '/api/products?limit=1&sort=-name');
    const id = (body.items as { id: string }[])[0]!.id;
    // A real failure of the service's database for this write: the table is not there for a while.
    await sql.query('ALTER TABLE products RENAME TO products_away');
    try {
      await monolith.monolith.prisma.$executeRaw`UPDATE products SET price_cents = 777, updated_at = now() WHERE id = ${id}::uuid`;
      const retrying = await eventually('the consumer to report the retries', async () => {
        const cdc = (await (await fetch(`${service.url}/cdc`)).json()) as { retrying: string | null };
        return cdc.retrying ?? undefined;
      });
      expect(retrying).toMatch(/products/);
    } finally {
      await sql.query('ALTER TABLE products_away RENAME TO products');
    }
    await eventually('the change after the database recovered', async () => ((await get(service.url, `/api/products/${id}`)).body.priceCents === 777 ? true : undefined));
    expect(((await (await fetch(`${service.url}/cdc`)).json()) as { retrying: string | null }).retrying).toBeNull();
  });

  it('resumes after a restart from the positions in its database, applying only what is new', async () => {
    await service.stop();
    const { body } = await get(monolith.url!, '/api/products?limit=1&sort=newest');
    const id = (body.items as { id: string }[])[0]!.id;
    await monolith.monolith.prisma.$executeRaw`UPDATE products SET description = 'written while the service was down', updated_at = now() WHERE id = ${id}::uuid`;

    service = await startService();

    await eventually('the change made while the service was down', async () => ((await get(service.url, `/api/products/${id}`)).body.description === 'written while the service was down' ? true : undefined));
    expect(await appliedCount(service.url)).toBe(1);
  });

  it('changes nothing when every event is delivered again (positions lost, topics replayed from the start)', async () => {
    const snapshot = async () => (await sql.query("SELECT md5(string_agg(p::text, ',' ORDER BY p.id)) AS products, (SELECT md5(string_agg(c::text, ',' ORDER BY c.id)) FROM categories c) AS categories FROM products p")).rows[0] as unknown;
    const before = await snapshot();
    await service.stop();
    await sql.query('DELETE FROM cdc_positions');

    service = await startService();

    const replayed = await eventually('the replay of the products topic', async () => {
      const stale = await metric(service.url, 'cdc_projection_events_total', `topic="${boot.names.topicPrefix}.public.products",outcome="stale"`);
      return stale >= 2000 ? stale : undefined;
    });
    expect(replayed).toBeGreaterThanOrEqual(2000);
    expect(await appliedCount(service.url)).toBe(0);
    expect(await snapshot()).toEqual(before);
  });
});

describe('the catalog behind the strangler proxy', () => {
  let unleash: UnleashFixture;
  let proxyDb: TestDatabase;
  let proxy: RunningProxy;

  beforeAll(async () => {
    [unleash, proxyDb] = await Promise.all([startTestUnleash(), createTestDatabase('proxy_catalog')]);
    const manifestDir = mkdtempSync(join(tmpdir(), 'manifests-'));
    writeFileSync(join(manifestDir, 'services.yaml'), 'services: [legacy-monolith, catalog-service]\n');
    writeFileSync(
      join(manifestDir, 'catalog.yaml'),
      `domain: catalog
adr: 9
service: { name: catalog-service, urls: [${service.url}], healthPath: /readyz }
routes:
  - { method: GET, path: /api/products }
  - { method: GET, path: /api/products/:id }
  - { method: GET, path: /api/categories }
capture: { tables: [public.categories, public.products] }
maxLagMs: 1500
readYourWrites: { waitMs: 2000 }
`,
    );
    proxy = await startTestProxy({
      MONOLITH_URLS: monolith.url!,
      MANIFEST_DIR: manifestDir,
      UNLEASH_URL: unleash.unleash.url,
      UNLEASH_CLIENT_TOKEN: unleash.clientToken,
      UNLEASH_ADMIN_TOKEN: unleash.adminToken,
      PROXY_DATABASE_URL: proxyDb.url,
      ADMIN_TOKEN,
      // A write through the monolith can take over a second while the whole suite runs on two cores.
      UPSTREAM_TIMEOUT_MS: '15000',
    }, { logger: logs.proxy.logger });
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await unleash?.stop();
    await proxyDb?.drop();
  });

  async function flip(body: Record<string, unknown>, action = 'flip') {
    const res = await fetch(`${proxy.adminUrl}/api/domains/catalog/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('serves the catalog from the catalog service after a flip, with the monolith’s writes reaching it, and from the monolith after the rollback', async () => {
    const { body } = await get(monolith.url!, '/api/products?limit=1&sort=price');
    const id = (body.items as { id: string }[])[0]!.id;
    expect((await get(proxy.url, `/api/products/${id}`)).servedBy).toBe('legacy-monolith');
    await eventually('the proxy to see the catalog service ready', async () => {
      const res = await fetch(`${proxy.adminUrl}/api/domains`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const status = (await res.json()) as { domains: { domain: string; targets: { healthy: boolean }[] }[] };
      return status.domains.find((d) => d.domain === 'catalog')?.targets[0]?.healthy ? true : undefined;
    });

    expect((await flip({ stage: 'shadow', adr: 9, reason: 'compare' })).status).toBe(200);
    expect((await flip({ stage: 'canary', percentage: 100, adr: 9, reason: 'everyone' })).status).toBe(200);

    const read = await get(proxy.url, `/api/products/${id}`);
    expect(read.servedBy).toBe('catalog-service');
    expect(read.body).toEqual((await get(monolith.url!, `/api/products/${id}`)).body);

    // A write goes to the monolith (canary moves reads only); CDC carries it to the service that now serves reads.
    const patch = await fetch(`${proxy.url}/api/products/${id}`, {
      method: 'PATCH',
      headers: { authorization: monolith.bearer('admin'), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Written through the proxy' }),
    });
    expect(patch.status).toBe(200);
    expect(patch.headers.get('x-served-by')).toBe('legacy-monolith');
    const followed = await eventually('the write, read back through the proxy from the catalog service', async () => {
      const answer = await get(proxy.url, `/api/products/${id}`);
      return answer.body.name === 'Written through the proxy' ? answer : undefined;
    });
    expect(followed.servedBy).toBe('catalog-service');

    expect((await flip({ reason: 'back' }, 'rollback')).status).toBe(200);
    expect((await get(proxy.url, `/api/products/${id}`)).servedBy).toBe('legacy-monolith');
  });

  async function auditRows() {
    const res = await fetch(`${proxy.adminUrl}/api/audit?domain=catalog`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return ((await res.json()) as { entries: { toStage: string; reason: string | null; override: string | null }[] }).entries;
  }

  async function connector(action: 'pause' | 'resume') {
    const res = await fetch(`${runtime.connectApi.url}/connectors/${boot.names.connector}/${action}`, { method: 'PUT', headers: { authorization: connectAuthHeader(runtime.connectApi) } });
    expect(res.status).toBe(202);
  }

  it('refuses a flip to canary while the catalog service is behind, and takes it when forced, saying so in the audit row', async () => {
    await eventually('the flag to be at legacy', async () => ((await flip({ stage: 'legacy', reason: 'start' })).status === 200 ? true : undefined));
    expect((await flip({ stage: 'shadow', reason: 'compare' })).status).toBe(200);
    // With the connector paused nothing reaches the service, not even heartbeats: its lag grows past maxLagMs.
    await connector('pause');
    try {
      await eventually('the lag to pass maxLagMs', async () => {
        const { watermark } = (await (await fetch(`${service.url}/cdc/watermark`)).json()) as { watermark: { lagMs: number } | null };
        return watermark && watermark.lagMs > 2500 ? true : undefined;
      });

      const refused = await flip({ stage: 'canary', percentage: 50, adr: 9, reason: 'first users' });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: { code: 'lag_too_high', message: expect.stringMatching(/\d+ ms behind.*1500 ms/) } });

      const forced = await flip({ stage: 'canary', percentage: 50, adr: 9, reason: 'known replay, accepted', force: true });
      expect(forced.status).toBe(200);
      expect((await auditRows())[0]).toMatchObject({ toStage: 'canary', reason: 'known replay, accepted', override: expect.stringMatching(/^lag \d+ ms over maxLagMs 1500$/) });
    } finally {
      await connector('resume');
    }
    await eventually('the lag to come back under maxLagMs', async () => {
      const { watermark } = (await (await fetch(`${service.url}/cdc/watermark`)).json()) as { watermark: { lagMs: number } | null };
      return watermark && watermark.lagMs < 1000 ? true : undefined;
    }, 120_000);
    expect((await flip({ reason: 'back' }, 'rollback')).status).toBe(200);
  }, 180_000);

  it('returns the new value to every read right after a write through the stable URL, with catalog at new (200 pairs)', async () => {
    await eventually('the flag to be at legacy', async () => ((await flip({ stage: 'legacy', reason: 'start' })).status === 200 ? true : undefined));
    for (const stage of ['shadow', 'canary', 'new']) expect((await flip({ stage, ...(stage === 'canary' ? { percentage: 100 } : {}), reason: 'read your writes' })).status).toBe(200);
    const { body } = await get(monolith.url!, '/api/products?limit=20&sort=name');
    const ids = (body.items as { id: string }[]).map((p) => p.id);
    const servedBy = new Map<string, number>();
    let cookieJar: string | undefined;

    for (let i = 0; i < 200; i++) {
      const id = ids[i % ids.length]!;
      const name = `Renamed ${i} ${randomUUID().slice(0, 8)}`;
      const write = await fetch(`${proxy.url}/api/products/${id}`, {
        method: 'PATCH',
        headers: { authorization: monolith.bearer('admin'), 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      expect(write.status).toBe(200);
      expect(write.headers.get('strangler-commit-lsn')).toBeNull();
      const token = write.headers.get('strangler-consistency-token');
      expect(token).toMatch(/^v1\.legacy-monolith\./);
      // API clients send the header back; browsers the cookie (every other pair here).
      cookieJar = write.headers.getSetCookie().find((c) => c.startsWith('strangler_ct='))?.split(';')[0];
      const headers: Record<string, string> = i % 2 === 0 ? { 'strangler-consistency-token': token! } : { cookie: cookieJar! };
      const read = await fetch(`${proxy.url}/api/products/${id}`, { headers });
      expect(read.status).toBe(200);
      expect(((await read.json()) as { name: string }).name).toBe(name);
      const by = read.headers.get('x-served-by')!;
      servedBy.set(by, (servedBy.get(by) ?? 0) + 1);
    }

    // The reads were not all sent to the monolith: the new service served those it had caught up on.
    expect(servedBy.get('catalog-service') ?? 0).toBeGreaterThan(0);
    const metrics = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/strangler_ryw_reads_total\{[^}]*outcome="(waited|served_new)"/);
    // A forged token is ignored: the read is served without waiting for a position nobody wrote.
    const forged = await fetch(`${proxy.url}/api/products/${ids[0]}`, { headers: { 'strangler-consistency-token': 'v1.legacy-monolith.ffffffffffff.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    expect(forged.headers.get('x-served-by')).toBe('catalog-service');
    expect((await flip({ reason: 'back' }, 'rollback')).status).toBe(200);
  }, 300_000);

  it('follows one write by its trace id from the proxy through the monolith’s transaction and CDC into the projection that applies it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const { body } = await get(monolith.url!, '/api/products?limit=1&sort=-price');
    const id = (body.items as { id: string }[])[0]!.id;

    const write = await fetch(`${proxy.url}/api/products/${id}`, {
      method: 'PATCH',
      headers: { authorization: monolith.bearer('admin'), 'content-type': 'application/json', traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: JSON.stringify({ priceCents: 4_321 }),
    });
    expect(write.status).toBe(200);

    const applied = await eventually('the catalog service to log the traced change as applied', async () =>
      logs.service.lines().find((line) => line.message === 'cdc change applied' && line.traceId === traceId),
    );
    expect(applied).toMatchObject({ service: 'catalog-service', tables: ['public.products'] });
    expect(applied.lagMs).toEqual(expect.any(Number));
    expect(logs.monolith.lines()).toContainEqual(expect.objectContaining({ service: 'legacy-monolith', message: 'write served', traceId, route: '/api/products/:id', status: 200 }));
    expect(logs.proxy.lines()).toContainEqual(expect.objectContaining({ service: 'strangler-proxy', message: 'write forwarded', traceId, servedBy: 'legacy-monolith', status: 200 }));
    // Only the monolith's trace messages reach the projection's trace log: a write without a request (the test's own SQL) has none.
    expect(logs.service.lines().filter((line) => line.message === 'cdc change applied' && line.traceId === traceId)).toHaveLength(1);
  }, 120_000);
});
