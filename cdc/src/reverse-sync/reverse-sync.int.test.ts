// The catalog's reverse sync with the real components: a Kafka broker, the monolith's database, and
// the reverse sync itself (in process, and as its own process killed with SIGKILL). The events are
// produced to the topic here, in the envelope catalog-service's outbox emits (ADR-0022).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createLogger } from '@strangler/platform';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ROOT } from '../../../test-support/global-setup.js';
import { createMonolithDatabase, startTestCdcRuntime, uniquePrefix, type MonolithDatabase, type TestCdcRuntime } from '../../test/cdc-test-kit.js';
import { loadManifests } from '@strangler/manifests';
import { eventsTopic } from '../bootstrap/event-streams.js';
import { composeReverseSync, type ReverseSync } from './reverse-sync.js';
import { eventually } from '../../../test-support/eventually.js';

let runtime: TestCdcRuntime;
let monolith: MonolithDatabase;
let sql: pg.Pool;
let producer: kafkajs.Producer;
let kafka: kafkajs.Kafka;
let prefix: string;
let topic: string;
let deadLetterTopic: string;
const categoryId = randomUUID();

interface ProductState {
  id: string;
  sku: string;
  name: string;
  price_cents: number;
  active: boolean;
}

const versions = new Map<string, number>();

/** The event catalog-service's outbox would emit for this product state (the next version of its aggregate). */
function productEvent(p: ProductState, type: 'ProductCreated' | 'ProductChanged' | 'ProductDeleted' = 'ProductChanged') {
  const version = (versions.get(p.id) ?? 0) + 1;
  versions.set(p.id, version);
  const now = new Date().toISOString();
  const data = { id: p.id, sku: p.sku, name: p.name, description: '', price_cents: p.price_cents, currency: 'EUR', category_id: categoryId, active: type === 'ProductDeleted' ? false : p.active, created_at: now, updated_at: now };
  return { eventId: randomUUID(), type, aggregateType: 'product', aggregateId: p.id, version, occurredAt: now, data };
}

/** Sends envelopes keyed by aggregate id; half of them as a JSON string holding the object (both shapes occur). */
async function send(events: object[], asString = false) {
  await producer.send({
    topic,
    messages: events.map((e) => ({ key: (e as { aggregateId: string }).aggregateId, value: asString ? JSON.stringify(JSON.stringify(e)) : JSON.stringify(e) })),
  });
}

async function monolithProduct(id: string) {
  const { rows } = await sql.query<{ sku: string; name: string; price_cents: number; active: boolean; updated_at: Date }>('SELECT sku, name, price_cents, active, updated_at FROM products WHERE id = $1', [id]);
  return rows[0];
}

async function startInProcess(): Promise<{ sync: ReverseSync; url: string; stop(): Promise<void> }> {
  const sync = composeReverseSync({
    databaseUrl: monolith.db.url,
    brokers: runtime.brokers,
    topic,
    groupId: `${prefix}-reverse-sync`,
    deadLetterTopic,
    logger: createLogger('catalog-reverse-sync', 'silent'),
  });
  const server: Server = await new Promise((done) => {
    const s = sync.app.listen(0, '127.0.0.1', () => done(s));
  });
  await sync.start();
  return {
    sync,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      await sync.close();
    },
  };
}

beforeAll(async () => {
  [runtime, monolith] = await Promise.all([startTestCdcRuntime('reverse'), createMonolithDatabase('reverse')]);
  prefix = uniquePrefix('reverse');
  topic = eventsTopic(loadManifests().find((m) => m.domain === 'catalog')!, prefix);
  deadLetterTopic = `${prefix}.catalog-reverse-sync.dead-letters`;
  sql = new pg.Pool({ connectionString: monolith.db.url, max: 2 });
  await sql.query("INSERT INTO categories (id, slug, name, updated_at) VALUES ($1, $2, 'Reverse', now())", [categoryId, `reverse-${categoryId.slice(0, 8)}`]);
  kafka = new kafkajs.Kafka({ clientId: 'reverse-sync-test', brokers: runtime.brokers, logLevel: kafkajs.logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await sql?.end();
  await runtime?.destroy();
  await monolith?.db.drop();
});

describe('the catalog reverse sync', () => {
  it('applies a created and a changed product to the monolith once, however often the events are delivered', async () => {
    const running = await startInProcess();
    try {
      const product = { id: randomUUID(), sku: `REV-${randomUUID().slice(0, 8)}`, name: 'Lamp', price_cents: 1999, active: true };
      const created = productEvent(product, 'ProductCreated');
      const changed = productEvent({ ...product, price_cents: 2499, name: 'Lamp II' });
      await send([created]);
      await send([changed], true);
      const applied = await eventually('the change in the monolith', async () => ((await monolithProduct(product.id))?.price_cents === 2499 ? monolithProduct(product.id) : undefined));
      expect(applied).toMatchObject({ sku: product.sku, name: 'Lamp II', price_cents: 2499, active: true });

      // Redelivery (the same ids) and an older version under a new id change nothing.
      await send([created, changed, { ...created, eventId: randomUUID() }]);
      const status = await eventually('the replays handled', async () => {
        const s = (await (await fetch(`${running.url}/status`)).json()) as { pendingEvents: number; events: { applied: number; stale: number } };
        return s.pendingEvents === 0 && s.events.stale >= 1 ? s : undefined;
      });
      expect(status.events).toMatchObject({ applied: 2, stale: 1 });
      expect(await monolithProduct(product.id)).toEqual(applied);
      const metrics = await (await fetch(`${running.url}/metrics`)).text();
      expect(metrics).toMatch(/reverse_sync_lag_seconds_count\{[^}]*topic="[^"]+"[^}]*\} [1-9]/);
    } finally {
      await running.stop();
    }
  });

  it('sends an event it cannot apply to the dead-letter topic with the reason, and goes on with the next', async () => {
    const running = await startInProcess();
    const collected: { reason: string; value: string }[] = [];
    const consumer = kafka.consumer({ groupId: `${prefix}-dlq-${randomUUID()}`, maxWaitTimeInMs: 100 });
    try {
      const orphan = { id: randomUUID(), sku: `ORPHAN-${randomUUID().slice(0, 8)}`, name: 'Orphan', price_cents: 100, active: true };
      const orphanEvent = productEvent(orphan, 'ProductCreated');
      // A category the monolith does not have: its foreign key refuses the row.
      (orphanEvent.data as { category_id: string }).category_id = randomUUID();
      const after = { id: randomUUID(), sku: `AFTER-${randomUUID().slice(0, 8)}`, name: 'After', price_cents: 300, active: true };
      await producer.send({ topic, messages: [{ key: orphan.id, value: '{not json' }] });
      await send([orphanEvent, productEvent(after, 'ProductCreated')]);
      await eventually('the next event applied', async () => (await monolithProduct(after.id)) ?? undefined);
      expect(await monolithProduct(orphan.id)).toBeUndefined();

      await consumer.connect();
      await consumer.subscribe({ topic: deadLetterTopic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void collected.push({ reason: message.headers?.['dlq.reason']?.toString() ?? '', value: message.value?.toString() ?? '' }) });
      await eventually('two dead letters', async () => (collected.length >= 2 ? collected : undefined));
      expect(collected.map((c) => c.reason)).toEqual([expect.stringContaining('not JSON'), expect.stringMatching(/foreign key|violates/)]);
      const status = (await (await fetch(`${running.url}/status`)).json()) as { events: { deadLettered: number } };
      expect(status.events.deadLettered).toBe(1);
    } finally {
      await consumer.disconnect();
      await running.stop();
    }
  });

  it('converges after being killed with SIGKILL while events arrive: the same rows and checksum as the events say', async () => {
    const port = await freePort();
    const start = (): ChildProcess =>
      spawn(process.execPath, [resolve(ROOT, 'cdc/dist/reverse-sync/main.js')], {
        env: {
          ...process.env,
          PORT: String(port),
          DATABASE_URL: monolith.db.url,
          KAFKA_BROKERS: runtime.brokers.join(','),
          CDC_TOPIC_PREFIX: prefix,
          REVERSE_SYNC_GROUP_ID: `${prefix}-reverse-sync`,
          REVERSE_SYNC_DEAD_LETTER_TOPIC: deadLetterTopic,
          LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      });
    const products = Array.from({ length: 40 }, (_, i) => ({ id: randomUUID(), sku: `KILL-${i}-${randomUUID().slice(0, 6)}`, name: `Kill ${i}`, price_cents: 100 + i, active: true }));
    await send(products.map((p) => productEvent(p, 'ProductCreated')));
    let child = start();
    const ready = () => eventually('the reverse sync ready', async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok ? true : undefined), 90_000);
    await ready();
    // Change every product 10 times while the process is killed and started again half-way.
    for (let round = 1; round <= 10; round++) {
      for (const p of products) p.price_cents += round;
      await send(products.map((p) => productEvent(p)), round % 2 === 0);
      if (round === 5) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        child = start();
      }
    }
    try {
      await ready();
      const expected = products.map((p) => `${p.id}:${p.price_cents}`).sort().join(',');
      const ids = products.map((p) => p.id);
      const checksum = async () =>
        (await sql.query<{ n: string; sum: string }>("SELECT count(*)::text AS n, string_agg(id || ':' || price_cents, ',' ORDER BY id || ':' || price_cents) AS sum FROM products WHERE id = ANY($1::uuid[])", [ids])).rows[0]!;
      const converged = await eventually('the monolith converged', async () => {
        const c = await checksum();
        return c.sum === expected ? c : undefined;
      }, 90_000);
      expect(converged.n).toBe(String(products.length));
      const { rows } = await sql.query<{ n: string }>("SELECT count(*)::text AS n FROM strangler_reverse_sync.aggregate_versions WHERE aggregate_id = ANY($1::text[]) AND version = 11", [ids]);
      expect(rows[0]!.n).toBe(String(products.length));
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 240_000);
});
