// The write guard of the monolith's database (ADR-0032), with a real PostgreSQL holding the monolith's
// schema: while catalog-service owns the catalog, the monolith's own writes of its tables are refused
// in the database itself (a write the proxy gave up on, a path around the proxy), the reverse sync's
// writes pass, and a change of owner waits for every write in flight, so the position it returns is
// the last one the monolith can reach.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, NOT_OWNER_SQLSTATE, parseLsn } from '@strangler/platform';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonolithDatabase, type MonolithDatabase } from '../../test/cdc-test-kit.js';
import { parseCatalogEvent } from './catalog-event.js';
import { composeReverseSync, type ReverseSync } from './reverse-sync.js';
import { monolithWriteOwner } from './reverse-sync-store.js';

const TOKEN = 'write-guard-control-token-0123456789';
let monolith: MonolithDatabase;
let sql: pg.Pool;
let sync: ReverseSync;
let server: Server;
let url: string;
let product: { id: string; sku: string; category_id: string };

const priceOf = async (id: string) => (await sql.query<{ price_cents: number }>('SELECT price_cents FROM products WHERE id = $1', [id])).rows[0]?.price_cents;

/** A ProductChanged event as catalog-service's outbox emits it, read through the reverse sync's own parser. */
function changed(price: number, version: number) {
  const now = new Date().toISOString();
  const envelope = {
    eventId: randomUUID(),
    type: 'ProductChanged',
    aggregateType: 'product',
    aggregateId: product.id,
    version,
    occurredAt: now,
    data: { id: product.id, sku: product.sku, name: 'Guarded lamp', description: '', price_cents: price, currency: 'EUR', category_id: product.category_id, active: true, created_at: now, updated_at: now },
  };
  return parseCatalogEvent('guard.catalog.events', 0, { key: Buffer.from(product.id), value: Buffer.from(JSON.stringify(envelope)), offset: String(version), headers: {} })!;
}

async function put(owner: unknown, token = TOKEN, domain = 'catalog') {
  const res = await fetch(`${url}/internal/write-owner/${domain}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ owner }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

beforeAll(async () => {
  monolith = await createMonolithDatabase('guard');
  sql = new pg.Pool({ connectionString: monolith.db.url, max: 4 });
  product = (await sql.query<{ id: string; sku: string; category_id: string }>('SELECT id, sku, category_id FROM products ORDER BY sku LIMIT 1')).rows[0]!;
  // No broker is needed for the guard: the consumer is never started, only the schema and the HTTP API.
  sync = composeReverseSync({ databaseUrl: monolith.db.url, brokers: ['127.0.0.1:1'], topic: 'guard.catalog.events', groupId: 'guard', deadLetterTopic: 'guard.dlq', controlToken: TOKEN, ownerDrainMs: 5_000, logger: createLogger('catalog-reverse-sync', 'silent') });
  await sync.store.prepare();
  server = await new Promise((done) => {
    const s = sync.app.listen(0, '127.0.0.1', () => done(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  await sync?.close();
  await sql?.end();
  await monolith?.db.drop();
});

describe("the monolith's write guard", () => {
  it('reads the owner as the monolith in a database the reverse sync never prepared', async () => {
    const fresh = await createMonolithDatabase('guardfresh');
    try {
      expect(await monolithWriteOwner(fresh.db.url, 'catalog')).toBe('monolith');
    } finally {
      await fresh.db.drop();
    }
  });

  it('lets the monolith write its catalog while it owns it, and the schema can be prepared again', async () => {
    await sync.store.prepare();
    await sql.query('UPDATE products SET price_cents = 101 WHERE id = $1', [product.id]);
    expect(await priceOf(product.id)).toBe(101);
    expect(await sync.store.writeOwner('catalog')).toMatchObject({ domain: 'catalog', owner: 'monolith' });
  });

  it('refuses every write of the monolith once the service owns the catalog, naming the domain, and lets the reverse sync write', async () => {
    const sealed = await put('service');
    expect(sealed).toMatchObject({ status: 200, body: { domain: 'catalog', owner: 'service', monolithLsn: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/) } });
    for (const statement of [
      ['UPDATE products SET price_cents = 202 WHERE id = $1', [product.id]],
      ['DELETE FROM products WHERE id = $1', [product.id]],
      ["INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at) VALUES (gen_random_uuid(), 'GUARD-1', 'x', '', 1, 'EUR', $1, true, now(), now())", [product.category_id]],
      ["UPDATE categories SET name = 'renamed' WHERE id = $1", [product.category_id]],
    ] as const) {
      await expect(sql.query(statement[0], [...statement[1]])).rejects.toMatchObject({ code: NOT_OWNER_SQLSTATE, message: expect.stringMatching(/catalog domain is owned by its service/) });
    }
    await expect(sql.query('TRUNCATE products CASCADE')).rejects.toMatchObject({ code: NOT_OWNER_SQLSTATE });
    expect(await priceOf(product.id)).toBe(101);

    const outcome = await sync.store.apply([changed(303, 1)], { topic: 'guard.catalog.events', partition: 0, offset: '1', lsn: null, committedAt: new Date() });
    expect(outcome).toEqual({ applied: 1, stale: 0 });
    expect(await priceOf(product.id)).toBe(303);
    expect(await sync.store.writeOwner('catalog')).toMatchObject({ owner: 'service' });
    expect(await monolithWriteOwner(monolith.db.url, 'catalog')).toBe('service');

    expect(await put('monolith')).toMatchObject({ status: 200, body: { owner: 'monolith' } });
    await sql.query('UPDATE products SET price_cents = 404 WHERE id = $1', [product.id]);
    expect(await priceOf(product.id)).toBe(404);
  });

  it('changes the owner only once the monolith’s write in flight has committed, and returns a position after that commit', async () => {
    const writer = await sql.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('UPDATE products SET price_cents = 505 WHERE id = $1', [product.id]);
      let settled = false;
      const sealing = sync.store.setWriteOwner('catalog', 'service', 10_000).finally(() => (settled = true));
      // The seal waits on the writer's lock: it cannot have settled while the writer's transaction is open.
      await new Promise((r) => setTimeout(r, 300));
      expect(settled).toBe(false);
      // Where the writer's commit record goes: at or after this (other tests share the cluster's WAL,
      // so a position read after the commit could be past the seal's own).
      const beforeWriterCommit = parseLsn((await writer.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn)!;
      await writer.query('COMMIT');
      const sealed = await sealing;
      expect(sealed).toMatchObject({ owner: 'service' });
      expect(parseLsn(sealed!.monolithLsn)!).toBeGreaterThan(beforeWriterCommit);
      expect(await priceOf(product.id)).toBe(505);
      await expect(sql.query('UPDATE products SET price_cents = 606 WHERE id = $1', [product.id])).rejects.toMatchObject({ code: NOT_OWNER_SQLSTATE });
    } finally {
      writer.release();
      await sync.store.setWriteOwner('catalog', 'monolith', 10_000);
    }
  });

  it('gives up, and keeps the owner, when a write in flight does not finish within the drain time', async () => {
    const writer = await sql.connect();
    try {
      await writer.query('BEGIN');
      await writer.query('UPDATE products SET price_cents = 707 WHERE id = $1', [product.id]);
      await expect(sync.store.setWriteOwner('catalog', 'service', 200)).rejects.toThrow(/writes of catalog in flight did not finish within 200 ms/);
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }
    expect(await sync.store.writeOwner('catalog')).toMatchObject({ owner: 'monolith' });
    expect(await priceOf(product.id)).toBe(707);
  });

  it('refuses a change without the control token, with a bad body, or for an unknown domain', async () => {
    expect(await put('service', '')).toMatchObject({ status: 401, body: { error: { code: 'token_missing' } } });
    expect(await put('service', 'not-the-token-at-all-0123456789')).toMatchObject({ status: 401, body: { error: { code: 'token_invalid' } } });
    expect(await put('everyone')).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/owner/) } } });
    expect(await put('service', TOKEN, 'orders')).toMatchObject({ status: 404, body: { error: { message: expect.stringMatching(/No write guard for domain orders/) } } });
    expect(await sync.store.writeOwner('catalog')).toMatchObject({ owner: 'monolith' });
  });
});
