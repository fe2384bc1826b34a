// At-least-once delivery across crashes: while the monolith's database takes writes continuously, the
// Connect worker and then the broker are killed with SIGKILL and started again. Every committed change
// must still reach the consumer (no gap); duplicates are allowed and counted.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureProducts,
  createMonolithDatabase,
  startTestCdcRuntime,
  tearDownCapture,
  type EventCollector,
  type MonolithDatabase,
  type TestCdcRuntime,
} from '../test/cdc-test-kit.js';
import type { BootstrapResult } from './bootstrap/bootstrap.js';
import { connectAuthHeader, waitForConnectorRunning, type ConnectApi } from './bootstrap/connect-client.js';

let runtime: TestCdcRuntime;
let monolith: MonolithDatabase;
let boot: BootstrapResult;
let products: EventCollector;
const categoryId = randomUUID();

/** Inserts one product after another until stopped; remembers the sku of every committed insert. */
function startWriter(client: pg.Client) {
  const committed: string[] = [];
  let running = true;
  let failure: unknown;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const sku = `SKU-${i}`;
      try {
        await client.query('INSERT INTO products (id, sku, name, price_cents, category_id, updated_at) VALUES ($1, $2, $3, 100, $4, now())', [
          randomUUID(),
          sku,
          `Product ${i}`,
          categoryId,
        ]);
        committed.push(sku);
      } catch (err) {
        failure = err;
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    committed,
    stop: async () => {
      running = false;
      await done;
      if (failure) throw failure;
    },
  };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countByOp(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of products.events) {
    const op = e.value?.op ?? 'tombstone';
    counts[op] = (counts[op] ?? 0) + 1;
  }
  return counts;
}

/** Waits until Connect has committed a streaming offset (`lsn_proc`) for the connector: `GET /connectors/<name>/offsets`. */
async function waitForStreamingOffset(connect: ConnectApi, connector: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${connect.url}/connectors/${connector}/offsets`, { headers: { authorization: connectAuthHeader(connect) } });
    const body = (await response.json()) as { offsets?: Array<{ offset: Record<string, unknown> }> };
    if (body.offsets?.some((o) => 'lsn_proc' in o.offset)) return;
    await wait(200);
  }
  throw new Error(`connector ${connector} committed no streaming offset within 60 s`);
}

beforeAll(async () => {
  runtime = await startTestCdcRuntime('crash');
  monolith = await createMonolithDatabase('cdc_crash');
  const client = new pg.Client({ connectionString: monolith.db.url });
  await client.connect();
  await client.query("INSERT INTO categories (id, slug, name, updated_at) VALUES ($1, 'crash', 'Crash', now())", [categoryId]);
  await client.end();
  ({ boot, products } = await captureProducts(runtime, monolith, 'crash'));
}, 600_000); // the first run on a fresh clone fetches the runtime from Maven Central

afterAll(async () => {
  await tearDownCapture({ runtime, monolith, capture: { boot, products } });
}, 120_000);

describe('when the Connect worker and then the broker are killed during continuous writes', () => {
  it('delivers every committed insert at least once, with no gap', async () => {
    const client = new pg.Client({ connectionString: monolith.db.url });
    await client.connect();
    // The crashes must hit streaming, not the initial snapshot (a crash before the snapshot's end is
    // committed makes Debezium snapshot again, by design): one streamed change, its offset committed.
    await client.query("INSERT INTO products (id, sku, name, price_cents, category_id, updated_at) VALUES ($1, 'WARM-UP', 'Warm-up', 1, $2, now())", [
      randomUUID(),
      categoryId,
    ]);
    await products.waitFor((es) => es.some((e) => e.value?.op === 'c' && e.value.after?.sku === 'WARM-UP'), 60_000, 'the warm-up insert');
    await waitForStreamingOffset(runtime.connectApi, boot.names.connector);

    const writer = startWriter(client);
    try {
      await wait(2_000);

      runtime.connect.kill('SIGKILL');
      await wait(2_000);
      await runtime.restartConnect();
      await waitForConnectorRunning(runtime.connectApi, boot.names.connector, 120_000);
      await wait(2_000);

      runtime.broker.kill('SIGKILL');
      await wait(2_000);
      await runtime.restartBroker();
      await waitForConnectorRunning(runtime.connectApi, boot.names.connector, 120_000);
      await wait(2_000);
    } finally {
      await writer.stop();
      await client.end();
    }

    const committed = writer.committed;
    expect(committed.length).toBeGreaterThan(100);
    const delivered = () => products.events.filter((e) => e.value?.op === 'c');
    const skusSeen = () => new Set(delivered().map((e) => String(e.value?.after?.sku)));
    await products.waitFor(
      () => {
        const seen = skusSeen();
        return committed.every((sku) => seen.has(sku));
      },
      180_000,
      `all ${committed.length} committed inserts`,
    ).catch((err: Error) => {
      const missing = committed.filter((sku) => !skusSeen().has(sku));
      throw new Error(`${err.message}; by op: ${JSON.stringify(countByOp())}; ${missing.length} missing, e.g. ${missing.slice(0, 5).join(', ')}`);
    });

    const missing = committed.filter((sku) => !skusSeen().has(sku));
    const duplicates = delivered().length - skusSeen().size;
    console.log(
      `crash recovery: ${committed.length} committed inserts, ${delivered().length} events received (by op ${JSON.stringify(countByOp())}), ${duplicates} duplicates`,
    );
    expect(missing).toEqual([]);
  }, 420_000);
});
