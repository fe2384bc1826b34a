// The write fence with real components (ADR-0025): two proxy instances on one proxy database (real
// PostgreSQL) and a real Unleash, stand-ins for the monolith and the services. The fence is raised
// and lifted as a cutover on a third instance would, through the same table.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { startTestProxy, startTestUnleash, writeManifests, type UnleashFixture } from '../../test-support/proxy-fixture.js';
import { startStandIn, type StandIn } from '../../test-support/stand-in.js';
import type { RunningProxy } from '../runtime.js';
import { WriteFence, type WriteSide } from './write-fence.js';

let monolith: StandIn;
let catalog: StandIn;
let orders: StandIn;
let unleash: UnleashFixture;
let database: TestDatabase;
let first: RunningProxy;
let second: RunningProxy;
let pool: pg.Pool;
let fence: WriteFence;

const HOLD_MS = 3000;

async function send(proxy: RunningProxy, method: string, path: string) {
  const res = await fetch(`${proxy.url}${path}`, { method, headers: method === 'GET' ? {} : { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{"sku":"X"}' });
  const text = await res.text();
  return { status: res.status, servedBy: res.headers.get('x-served-by'), retryAfter: res.headers.get('retry-after'), body: text, at: Date.now() };
}

const posts = (s: StandIn) => s.received.filter((r) => r.method === 'POST').length;

beforeAll(async () => {
  [monolith, catalog, orders, unleash, database] = await Promise.all([
    startStandIn('legacy-monolith'),
    startStandIn('catalog-service'),
    startStandIn('orders-service'),
    startTestUnleash(),
    createTestDatabase('proxy_fence'),
  ]);
  const env = {
    MONOLITH_URLS: monolith.url,
    MANIFEST_DIR: writeManifests({ catalog: [catalog.url], orders: [orders.url] }),
    UNLEASH_URL: unleash.unleash.url,
    UNLEASH_CLIENT_TOKEN: unleash.clientToken,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    PROXY_DATABASE_URL: database.url,
    FENCE_HOLD_MS: String(HOLD_MS),
    UPSTREAM_TIMEOUT_MS: '10000',
  };
  first = await startTestProxy(env);
  second = await startTestProxy(env);
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  fence = new WriteFence(pool, new Set(['catalog']), { holdMs: HOLD_MS, retryAfterSeconds: 1 });
}, 120_000);

afterAll(async () => {
  await first?.close();
  await second?.close();
  await fence?.close();
  await pool?.end();
  await Promise.all([monolith?.close(), catalog?.close(), orders?.close()]);
  await unleash?.stop();
  await database?.drop();
});

describe('the write fence shared by every proxy instance', () => {
  it('holds the writes on every instance while reads go on, then sends them all where the lifted fence says', async () => {
    const before = { monolith: posts(monolith), catalog: posts(catalog) };
    await fence.raise('catalog', 5000);
    const held = [send(first, 'POST', '/api/products'), send(second, 'POST', '/api/products')];
    const read = await send(second, 'GET', '/api/products');
    expect(read).toMatchObject({ status: 200, servedBy: 'legacy-monolith' });
    // The reads went through while the writes wait: no write reached any upstream yet.
    expect({ monolith: posts(monolith), catalog: posts(catalog) }).toEqual(before);

    // The flag still says legacy on both instances: the fence row alone sends the writes to the service.
    await fence.lift('catalog', 'new');
    const answers = await Promise.all(held);
    expect(answers.map((a) => [a.status, a.servedBy])).toEqual([
      [200, 'catalog-service'],
      [200, 'catalog-service'],
    ]);
    expect(posts(catalog)).toBe(before.catalog + 2);
    expect(posts(monolith)).toBe(before.monolith);

    await fence.raise('catalog', 5000);
    await fence.lift('catalog', 'legacy');
    expect(await send(first, 'POST', '/api/products')).toMatchObject({ status: 200, servedBy: 'legacy-monolith' });
  });

  it('answers a write held longer than FENCE_HOLD_MS with 503 write_fenced and Retry-After, having sent it nowhere', async () => {
    const before = posts(monolith) + posts(catalog);
    await fence.raise('catalog', 5000);
    try {
      const refused = await send(first, 'POST', '/api/products');
      expect(refused).toMatchObject({ status: 503, retryAfter: '1', servedBy: 'strangler-proxy' });
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'write_fenced' } });
      expect(posts(monolith) + posts(catalog)).toBe(before);
    } finally {
      await fence.lift('catalog', 'legacy');
    }
  });

  it('goes up only once the writes in flight on every instance have their answer, and refuses when they take too long', async () => {
    monolith.delayMs = 1500;
    try {
      const inFlight = send(second, 'POST', '/api/products');
      await new Promise((r) => setTimeout(r, 300));
      await expect(fence.raise('catalog', 100)).rejects.toThrow(/in flight did not finish within 100 ms/);
      const slow = send(first, 'POST', '/api/products');
      await new Promise((r) => setTimeout(r, 300));
      await fence.raise('catalog', 10_000);
      // Both writes in flight got through to the monolith and were answered: none was cut off or refused.
      const answers = await Promise.all([inFlight, slow]);
      expect(answers.map((a) => [a.status, a.servedBy])).toEqual([
        [200, 'legacy-monolith'],
        [200, 'legacy-monolith'],
      ]);
    } finally {
      monolith.delayMs = 0;
      await fence.lift('catalog', 'legacy');
    }
  });

  it('holds only the writes of its own domain', async () => {
    await fence.raise('catalog', 5000);
    try {
      expect(await send(first, 'POST', '/api/orders/checkout')).toMatchObject({ status: 200, servedBy: 'legacy-monolith' });
    } finally {
      await fence.lift('catalog', 'legacy');
    }
  });

  it('holds one connection per instance for all the writes it has in flight, and is raised on its own connections', async () => {
    // One lease connection for the writes (ADR-0033): five writes in flight, one connection taken.
    const writes = new pg.Pool({ connectionString: database.url, max: 1, connectionTimeoutMillis: 1000 });
    const control = new pg.Pool({ connectionString: database.url, max: 1, connectionTimeoutMillis: 1000 });
    const busy = new WriteFence(writes, new Set(['catalog']), { holdMs: HOLD_MS, retryAfterSeconds: 1 }, control);
    const admitted = await Promise.all([1, 2, 3, 4, 5].map(() => busy.admit('catalog')));
    try {
      expect(admitted.map((a) => a.side)).toEqual(['legacy', 'legacy', 'legacy', 'legacy', 'legacy']);
      expect({ total: writes.totalCount, idle: writes.idleCount }).toEqual({ total: 1, idle: 0 });
      let raised = false;
      const raising = busy.raise('catalog', 5000).then((r) => ((raised = true), r));
      // The raise waits for every write in flight, not for a connection: it goes up when the last ends.
      for (const admission of admitted.slice(0, 4)) await admission.release();
      await new Promise((r) => setTimeout(r, 200));
      expect(raised).toBe(false);
      await admitted[4]!.release();
      expect((await raising).writesTo).toBe('legacy');
      expect(await busy.state('catalog')).toMatchObject({ fencedSince: expect.any(Date) });
      // The lease was given back: the lock is free for the fence, and the connection idle in its pool.
      expect(writes.idleCount).toBe(writes.totalCount);
    } finally {
      await Promise.all(admitted.map((a) => a.release()));
      await busy.lift('catalog', 'legacy');
      await busy.close();
      await writes.end();
      await control.end();
    }
    expect(await fence.state('catalog')).toMatchObject({ writesTo: 'legacy', fencedSince: null });
  });

  it('takes a new lease when the connection of the one it held was cut', async () => {
    const writes = new pg.Pool({ connectionString: database.url, max: 2, application_name: 'fence-lease-cut' });
    const cut = new WriteFence(writes, new Set(['catalog']), { holdMs: HOLD_MS, retryAfterSeconds: 1 }, pool);
    try {
      await (await cut.admit('catalog')).release();
      // The lease lingers (idle) with the lock.
      const { rows } = await pool.query<{ pid: number }>(
        "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.mode = 'ShareLock' AND a.application_name = 'fence-lease-cut'",
      );
      expect(rows).toHaveLength(1);
      await pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((r) => setTimeout(r, 200));
      const again = await cut.admit('catalog');
      expect(again.side).toBe('legacy');
      // Admitted under a new lease that holds the lock, not under the cut one.
      const { rows: now } = await pool.query<{ pid: number }>(
        "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE l.locktype = 'advisory' AND l.mode = 'ShareLock' AND a.application_name = 'fence-lease-cut'",
      );
      expect(now.map((r) => r.pid)).toEqual([expect.any(Number)]);
      expect(now[0]!.pid).not.toBe(rows[0]!.pid);
      await again.release();
      // The fence still goes up: the cut lease's lock went with its connection.
      await cut.raise('catalog', 5000);
      await cut.lift('catalog', 'legacy');
    } finally {
      await cut.close();
      await writes.end();
    }
  });

  it('answers 503 write_side_unknown, sending the write nowhere, when the fence database cannot be reached', async () => {
    const unreachable = new pg.Pool({ connectionString: database.url.replace(/:\d+\//, ':1/'), max: 1, connectionTimeoutMillis: 500 });
    const blind = new WriteFence(unreachable, new Set(['catalog']), { holdMs: HOLD_MS, retryAfterSeconds: 1 });
    try {
      await expect(blind.admit('catalog')).rejects.toMatchObject({ code: 'write_side_unknown', status: 503 });
    } finally {
      await unreachable.end();
    }
  });

  it('is not overtaken by writes that arrive while it waits for the one in flight', async () => {
    const writes = new pg.Pool({ connectionString: database.url, max: 4 });
    const steady = new WriteFence(writes, new Set(['catalog']), { holdMs: HOLD_MS, retryAfterSeconds: 1 }, pool);
    const inFlight = await steady.admit('catalog');
    let raised = false;
    const raising = steady.raise('catalog', 10_000).then((r) => ((raised = true), r));
    await new Promise((r) => setTimeout(r, 200));
    // A write arriving now queues behind the fence instead of joining the one in flight.
    let admitted: WriteSide | undefined;
    const later = steady.admit('catalog').then(async (a) => {
      admitted = a.side;
      await a.release();
    });
    await new Promise((r) => setTimeout(r, 300));
    expect({ raised, admitted }).toEqual({ raised: false, admitted: undefined });
    // ... and waits without a connection: only the write in flight holds one.
    expect(writes.totalCount - writes.idleCount).toBe(1);
    await inFlight.release();
    await raising;
    expect(admitted).toBeUndefined();
    await steady.lift('catalog', 'legacy');
    await later;
    expect(admitted).toBe('legacy');
    await steady.close();
    await writes.end();
  });

  it('forwards at most FENCE_MAX_WRITES_IN_FLIGHT writes of a domain at once: the next wait their turn unsent, and a raise waits for those in flight only', async () => {
    const writes = new pg.Pool({ connectionString: database.url, max: 2 });
    const limited = new WriteFence(writes, new Set(['catalog']), { holdMs: HOLD_MS, maxInFlight: 2, retryAfterSeconds: 1 }, pool);
    try {
      const [a, b] = await Promise.all([limited.admit('catalog'), limited.admit('catalog')]);
      let third: WriteSide | undefined;
      const waiting = limited.admit('catalog').then((c) => ((third = c.side), c));
      await new Promise((r) => setTimeout(r, 200));
      expect(third).toBeUndefined();

      // The raise waits for the two in flight, not for the one waiting its turn, which the fence then holds.
      let raised = false;
      const raising = limited.raise('catalog', 5000).then(() => (raised = true));
      await new Promise((r) => setTimeout(r, 200)); // the lease has heard of the raise
      await a!.release();
      await new Promise((r) => setTimeout(r, 200));
      expect({ raised, third }).toEqual({ raised: false, third: undefined });
      await b!.release();
      await raising;
      expect(third).toBeUndefined();
      await limited.lift('catalog', 'new');
      const c = await waiting;
      expect(c.side).toBe('new');
      await c.release();
    } finally {
      await limited.lift('catalog', 'legacy');
      await limited.close();
      await writes.end();
    }
  });

  it('answers 503 writes_at_limit, sending nothing, to a write that waited FENCE_HOLD_MS for its turn', async () => {
    const writes = new pg.Pool({ connectionString: database.url, max: 2 });
    const limited = new WriteFence(writes, new Set(['catalog']), { holdMs: 300, maxInFlight: 1, retryAfterSeconds: 1 }, pool);
    try {
      const first = await limited.admit('catalog');
      await expect(limited.admit('catalog')).rejects.toMatchObject({ status: 503, code: 'writes_at_limit', message: expect.stringMatching(/1 writes of the catalog domain are in flight.*nothing was applied/) });
      await first.release();
      // The turn it did not get is not lost: the next write goes through.
      await (await limited.admit('catalog')).release();
    } finally {
      await limited.close();
      await writes.end();
    }
  });
});

