// Change data capture end to end with the real components: the monolith's PostgreSQL (migrated
// schema), a Kafka broker, a Connect worker with the Debezium PostgreSQL connector, and a kafkajs
// consumer.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests } from '@strangler/manifests';
import {
  captureProducts,
  collectEvents,
  createMonolithDatabase,
  startTestCdcRuntime,
  tearDownCapture,
  type DebeziumEvent,
  type EventCollector,
  type MonolithDatabase,
  type TestCdcRuntime,
} from '../test/cdc-test-kit.js';
import { bootstrapCdc, type BootstrapResult } from './bootstrap/bootstrap.js';
import {
  connectAuthHeader,
  deleteConnector,
  getConnectorConfig,
  getConnectorStatus,
  listConnectorStatuses,
  putConnectorConfig,
  waitForConnectorRunning,
} from './bootstrap/connect-client.js';
import { buildConnectorConfig, cdcNames } from './bootstrap/connector-config.js';
import { dropSlotAndPublication, preparePostgres } from './bootstrap/postgres-setup.js';
import { collectCdcStatus, formatCdcStatus, isHealthy } from './status/status.js';

let runtime: TestCdcRuntime;
let monolith: MonolithDatabase;
let sql: pg.Client;
let boot: BootstrapResult;
let products: EventCollector;
const categoryId = randomUUID();
const existingProductId = randomUUID();

async function currentLsn(): Promise<bigint> {
  const { rows } = await sql.query<{ lsn: string }>("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::text AS lsn");
  return BigInt(rows[0]!.lsn);
}

const forId = (id: string) => (e: DebeziumEvent) => e.key?.id === id;

beforeAll(async () => {
  runtime = await startTestCdcRuntime('capture');
  monolith = await createMonolithDatabase('cdc_capture');
  sql = new pg.Client({ connectionString: monolith.db.url });
  await sql.connect();
  // Rows that exist before the connector starts: they must arrive as snapshot events.
  await sql.query("INSERT INTO categories (id, slug, name, updated_at) VALUES ($1, 'tools', 'Tools', now())", [categoryId]);
  await sql.query(
    "INSERT INTO products (id, sku, name, price_cents, category_id, updated_at) VALUES ($1, 'SKU-OLD', 'Old hammer', 1250, $2, now())",
    [existingProductId, categoryId],
  );
  ({ boot, products } = await captureProducts(runtime, monolith, 'capture'));
}, 600_000); // the first run on a fresh clone fetches the runtime from Maven Central

afterAll(async () => {
  await sql?.end();
  await tearDownCapture({ runtime, monolith, capture: { boot, products } });
}, 120_000);

describe('change data capture of the catalog tables', () => {
  it('captures the tables named in the domain manifests, with the connector and its task RUNNING', async () => {
    expect(boot.tables).toEqual(['public.categories', 'public.products']);
    const status = await getConnectorStatus(runtime.connectApi, boot.names.connector);
    expect(status?.connector.state).toBe('RUNNING');
    expect(status?.tasks.map((t) => t.state)).toEqual(['RUNNING']);
  });

  it('delivers rows that existed before the connector started as snapshot events', async () => {
    await products.waitFor((es) => es.some(forId(existingProductId)), 60_000, 'the snapshot event');
    const snapshot = products.events.find(forId(existingProductId))!;
    expect(snapshot.value?.op).toBe('r');
    expect(snapshot.value?.before).toBeNull();
    expect(snapshot.value?.after).toMatchObject({ id: existingProductId, sku: 'SKU-OLD', price_cents: 1250, category_id: categoryId });
    expect(snapshot.value?.source.snapshot).not.toBe('false');

    const categories = await collectEvents(runtime.brokers, `${boot.names.topicPrefix}.public.categories`);
    try {
      await categories.waitFor((es) => es.some((e) => e.key?.id === categoryId && e.value?.op === 'r'), 60_000, 'the category snapshot');
    } finally {
      await categories.stop();
    }
  });

  it('delivers an insert, an update and a delete as create, update and delete events with before, after, key and source LSN, then a tombstone', async () => {
    const id = randomUUID();
    const lsnBeforeInsert = await currentLsn();
    await sql.query(
      "INSERT INTO products (id, sku, name, price_cents, category_id, updated_at) VALUES ($1, 'SKU-NEW', 'Saw', 2000, $2, now())",
      [id, categoryId],
    );
    const lsnAfterInsert = await currentLsn();
    await sql.query("UPDATE products SET price_cents = 2500, name = 'Sharp saw' WHERE id = $1", [id]);
    const lsnAfterUpdate = await currentLsn();
    await sql.query('DELETE FROM products WHERE id = $1', [id]);
    const lsnAfterDelete = await currentLsn();

    const events = (await products.waitFor((es) => es.filter(forId(id)).length >= 4, 60_000, 'create, update, delete and tombstone')).filter(
      forId(id),
    );
    const [created, updated, deleted, tombstone] = events;

    expect(created?.value?.op).toBe('c');
    expect(created?.value?.before).toBeNull();
    expect(created?.value?.after).toMatchObject({ id, sku: 'SKU-NEW', name: 'Saw', price_cents: 2000 });

    expect(updated?.value?.op).toBe('u');
    expect(updated?.value?.before).toMatchObject({ id, name: 'Saw', price_cents: 2000 });
    expect(updated?.value?.after).toMatchObject({ id, name: 'Sharp saw', price_cents: 2500 });

    expect(deleted?.value?.op).toBe('d');
    expect(deleted?.value?.before).toMatchObject({ id, name: 'Sharp saw', price_cents: 2500 });
    expect(deleted?.value?.after).toBeNull();

    expect(tombstone?.key).toEqual({ id });
    expect(tombstone?.value).toBeNull();

    // Each event carries the LSN where its change record starts: inside the WAL range written by that statement.
    const lsn = (e: DebeziumEvent | undefined) => BigInt(e?.value?.source.lsn ?? -1);
    expect(lsn(created) >= lsnBeforeInsert && lsn(created) < lsnAfterInsert).toBe(true);
    expect(lsn(updated) >= lsnAfterInsert && lsn(updated) < lsnAfterUpdate).toBe(true);
    expect(lsn(deleted) >= lsnAfterUpdate && lsn(deleted) < lsnAfterDelete).toBe(true);
    // All on one partition: the key decides it, so the order per row holds.
    expect(new Set(events.map((e) => e.partition)).size).toBe(1);
    for (const e of events) expect(e.key).toEqual({ id });
  });

  it('registers the connector idempotently: bootstrapping again keeps the same connector running without a new snapshot', async () => {
    const before = products.events.filter((e) => e.value?.op === 'r').length;
    const again = await bootstrapCdc({
      brokers: runtime.brokers,
      connect: runtime.connectApi,
      database: monolith.settings,
      capture: runtime.capture,
      manifests: loadManifests(),
      topicPrefix: boot.names.topicPrefix,
    });
    expect(again.status.tasks.map((t) => t.state)).toEqual(['RUNNING']);
    const id = randomUUID();
    await sql.query(
      "INSERT INTO products (id, sku, name, price_cents, category_id, updated_at) VALUES ($1, 'SKU-AGAIN', 'Drill', 9900, $2, now())",
      [id, categoryId],
    );
    await products.waitFor((es) => es.some(forId(id)), 60_000, 'the insert after re-bootstrap');
    expect(products.events.filter((e) => e.value?.op === 'r').length).toBe(before);
  });

  it('reports the connector RUNNING, the slot with its lag, and the end offset of each CDC topic', async () => {
    const status = await collectCdcStatus({ brokers: runtime.brokers, connect: runtime.connectApi, database: monolith.settings });
    expect(isHealthy(status)).toBe(true);
    expect(status.connectors.find((c) => c.name === boot.names.connector)).toMatchObject({
      state: 'RUNNING',
      topicPrefix: boot.names.topicPrefix,
      tasks: [{ id: 0, state: 'RUNNING' }],
    });
    const slot = status.slots.find((s) => s.slot === boot.names.slot);
    expect(slot).toMatchObject({ database: monolith.db.name, active: true });
    expect(slot?.lagBytes).toBeGreaterThanOrEqual(0);
    const productsTopic = status.topics.find((t) => t.topic === `${boot.names.topicPrefix}.public.products`);
    expect(productsTopic?.partitions).toBe(3);
    expect(productsTopic?.endOffset).toBeGreaterThanOrEqual(products.events.length);
    const table = formatCdcStatus(status);
    expect(table).toContain(boot.names.connector);
    expect(table).toContain(boot.names.slot);
  });

  it("reports a failed task with its error trace: a connector registered without the bootstrap's publication", async () => {
    const intruder = cdcNames(`${boot.names.topicPrefix}x`);
    // Logs in as the bootstrap's capture role, which exists; only the publication is missing.
    const config = buildConnectorConfig(intruder, { ...monolith.settings, user: boot.names.captureRole, passwordRef: runtime.capture.passwordRef }, boot.tables);
    try {
      await putConnectorConfig(runtime.connectApi, intruder.connector, config);
      await expect(waitForConnectorRunning(runtime.connectApi, intruder.connector, 60_000)).rejects.toThrow(
        new RegExp(`task 0 of connector ${intruder.connector} FAILED:\\n.*Publication autocreation is disabled`),
      );
    } finally {
      await deleteConnector(runtime.connectApi, intruder.connector);
      await dropSlotAndPublication(monolith.settings, intruder);
    }
    const status = await getConnectorStatus(runtime.connectApi, boot.names.connector);
    expect(status?.tasks.map((t) => t.state)).toEqual(['RUNNING']);
  });
});

describe('the CDC plane is locked down', () => {
  it("refuses every call to Connect's REST API without the right credentials (401), and answers with them", async () => {
    const anonymous = await fetch(`${runtime.connectUrl}/connectors`);
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(`${runtime.connectUrl}/connector-plugins`, {
      headers: { authorization: connectAuthHeader({ username: runtime.connectApi.username, password: 'not-the-password' }) },
    });
    expect(wrong.status).toBe(401);
    await expect(listConnectorStatuses({ ...runtime.connectApi, password: 'not-the-password' })).rejects.toThrow(/refused the credentials .*HTTP 401/);
    expect((await listConnectorStatuses(runtime.connectApi)).map((c) => c.name)).toContain(boot.names.connector);
  });

  it("never shows the database password in the connector's configuration, only the file it is read from", async () => {
    const config = await getConnectorConfig(runtime.connectApi, boot.names.connector);
    expect(config?.['database.user']).toBe(boot.names.captureRole);
    expect(config?.['database.password']).toBe(`\${file:${runtime.connectorSecretsFile}:debezium.password}`);
    const everything = await fetch(`${runtime.connectUrl}/connectors?expand=info&expand=status`, { headers: { authorization: connectAuthHeader(runtime.connectApi) } });
    const text = await everything.text();
    expect(text).toContain(boot.names.connector);
    expect(text).not.toContain(runtime.capture.password);
  });

  it('lets the capture role replicate and read the captured tables, and nothing else', async () => {
    const { rows } = await sql.query<{ rolsuper: boolean; rolreplication: boolean; rolcreaterole: boolean; rolcreatedb: boolean }>(
      'SELECT rolsuper, rolreplication, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1',
      [boot.names.captureRole],
    );
    expect(rows).toEqual([{ rolsuper: false, rolreplication: true, rolcreaterole: false, rolcreatedb: false }]);
    // A grant made by hand is taken back by the next bootstrap: the role reads exactly the captured tables.
    await sql.query(`GRANT SELECT ON users TO ${boot.names.captureRole}`);
    await preparePostgres(monolith.settings, boot.names, boot.tables, runtime.capture.password);

    const debezium = new pg.Client({ ...monolith.settings, database: monolith.settings.dbname, user: boot.names.captureRole, password: runtime.capture.password });
    await debezium.connect();
    try {
      await expect(debezium.query('SELECT count(*) FROM products')).resolves.toBeDefined();
      await expect(debezium.query('SELECT count(*) FROM users')).rejects.toMatchObject({ code: '42501' });
      await expect(debezium.query("UPDATE products SET name = 'x' WHERE false")).rejects.toMatchObject({ code: '42501' });
      await expect(debezium.query('CREATE TABLE public.intruder (id int)')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await debezium.end();
    }
  });
});
