// Guarded rollouts end to end (ADR-0023) with the real components: the monolith on its own database,
// the real catalog service on its own database (filled with the monolith's catalog, as its CDC
// projection would), a real Unleash, the proxy with its own PostgreSQL, and a webhook that receives
// the alerts. A catalog service with a deliberate defect is rolled back by the guard by itself; a
// healthy one is promoted through the canary steps by itself.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@strangler/platform';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests } from '../../../migrations/src/load-manifests.js';
import { buildProgram } from '../../../strangler-proxy/src/cli.js';
import { AdminClient } from '../../../strangler-proxy/src/admin/admin-client.js';
import type { RunningProxy } from '../../../strangler-proxy/src/runtime.js';
import { startTestProxy, startTestUnleash, type UnleashFixture } from '../../../strangler-proxy/test-support/proxy-fixture.js';
import { CATALOG_SERVICE_TEMPLATE, createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { startTestMonolith, type TestMonolith } from '../../../test-support/monolith.js';
import { composeCatalogService } from './compose.js';
import { readConfig } from './config.js';
import { eventually as waitFor } from '../../../test-support/eventually.js';

const ADMIN_TOKEN = 'guarded-rollout-admin-token-0123456789';

interface RunningService {
  url: string;
  stop(): Promise<void>;
}

let monolith: TestMonolith;
let catalogDb: TestDatabase;
let unleash: UnleashFixture;
let healthy: RunningService;
let defective: RunningService;
let webhook: { url: string; received: { kind: string; details: Record<string, unknown> }[]; close(): Promise<void> };
let productIds: string[];
const proxyDbs: TestDatabase[] = [];

/** The monolith's catalog copied into the service's database, as the CDC snapshot would put it. */
async function copyCatalog(from: string, to: string): Promise<void> {
  const source = new pg.Pool({ connectionString: from, max: 1 });
  const target = new pg.Pool({ connectionString: to, max: 1 });
  try {
    const categories = (await source.query('SELECT id, slug, name, description, created_at, updated_at FROM categories')).rows;
    const products = (await source.query('SELECT id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at FROM products')).rows;
    await target.query(
      `INSERT INTO categories (id, slug, name, description, created_at, updated_at, deleted, source_lsn)
       SELECT id, slug, name, description, created_at, updated_at, false, 1
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, slug text, name text, description text, created_at timestamptz, updated_at timestamptz)`,
      [JSON.stringify(categories)],
    );
    await target.query(
      `INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at, deleted, source_lsn)
       SELECT id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at, false, 1
       FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, sku text, name text, description text, price_cents int, currency text, category_id uuid, active boolean, created_at timestamptz, updated_at timestamptz)`,
      [JSON.stringify(products)],
    );
  } finally {
    await source.end();
    await target.end();
  }
}

/** The real catalog service (its read API; the CDC consumer is not started: the data was copied in). */
async function startCatalogService(env: Record<string, string>): Promise<RunningService> {
  const instance = composeCatalogService(readConfig({ DATABASE_URL: catalogDb.url, DATABASE_POOL_SIZE: '4', LOG_LEVEL: 'silent', ...env }), createLogger('catalog-service', 'silent'), loadManifests().find((m) => m.domain === 'catalog')!);
  const server: Server = await new Promise((resolve) => {
    const s = instance.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await instance.database.close();
    },
  };
}

async function startWebhook(): Promise<typeof webhook> {
  const received: { kind: string; details: Record<string, unknown> }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { kind: string; details: Record<string, unknown> });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function manifestDir(serviceUrl: string, guard: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'guarded-manifests-'));
  writeFileSync(
    join(dir, 'catalog.yaml'),
    `domain: catalog
adr: 9
service: { name: catalog-service, urls: [${serviceUrl}], healthPath: /healthz }
stages: [legacy, shadow, canary, new]
routes:
  - { method: GET, path: /api/products }
  - { method: GET, path: /api/products/:id }
  - { method: GET, path: /api/categories }
compare: { sampleRate: 1, noiseRate: 0 }
guard: ${guard}
`,
  );
  return dir;
}

async function startProxy(dir: string): Promise<RunningProxy> {
  const db = await createTestDatabase('proxy');
  proxyDbs.push(db);
  return startTestProxy({
    MONOLITH_URLS: monolith.url!,
    MANIFEST_DIR: dir,
    UNLEASH_URL: unleash.unleash.url,
    UNLEASH_CLIENT_TOKEN: unleash.clientToken,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    PROXY_DATABASE_URL: db.url,
    ADMIN_TOKEN,
    ALERT_WEBHOOK_URL: webhook.url,
    COMPARE_FLUSH_MS: '200',
    UPSTREAM_TIMEOUT_MS: '5000',
  });
}

/** Steady reads through the proxy, each from another session (so a canary share really splits), until `stop()`. */
function steadyTraffic(baseUrl: string, workers = 4): { stop(): Promise<number> } {
  let running = true;
  let sent = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const id = productIds[sent % productIds.length]!;
      const path = sent % 5 === 0 ? '/api/products?limit=5' : `/api/products/${id}`;
      sent++;
      try {
        const res = await fetch(`${baseUrl}${path}`, { headers: { cookie: `strangler_sid=session-${randomUUID()}` } });
        await res.arrayBuffer();
      } catch {
        // the proxy being closed at the end of a test
      }
    }
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return sent;
    },
  };
}

/** This file's waits: longer than the shared default. */
const eventually = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 150_000): Promise<T> => waitFor(what, probe, timeoutMs, 200);

beforeAll(async () => {
  [monolith, catalogDb, unleash, webhook] = await Promise.all([
    startTestMonolith({ listen: true }),
    createTestDatabase('catalog_service', CATALOG_SERVICE_TEMPLATE),
    startTestUnleash(),
    startWebhook(),
  ]);
  await copyCatalog(monolith.db.url, catalogDb.url);
  [healthy, defective] = await Promise.all([startCatalogService({}), startCatalogService({ CATALOG_FAULT_PRICE_DELTA: '7' })]);
  const page = (await (await fetch(`${monolith.url}/api/products?limit=20`)).json()) as { items: { id: string }[] };
  productIds = page.items.map((p) => p.id);
}, 180_000);

afterAll(async () => {
  await healthy?.stop();
  await defective?.stop();
  await webhook?.close();
  await unleash?.stop();
  await monolith?.close();
  await catalogDb?.drop();
  for (const db of proxyDbs) await db.drop();
}, 60_000);

describe('a guarded rollout of the catalog', () => {
  it('puts a catalog service that changes prices back from canary by itself, with the evidence in the audit log, an alert at the webhook, and diffs naming the price', async () => {
    const proxy = await startProxy(manifestDir(defective.url, '{ maxErrorRate: 0.5, maxP99Ratio: 1000, maxDiffRate: 0.05, minRequests: 20, windowSeconds: 30, evaluateEverySeconds: 1 }'));
    try {
      await proxy.flips!.flip('catalog', { stage: 'shadow' }, 'test');
      await proxy.flips!.flip('catalog', { stage: 'canary', percentage: 50 }, 'test');
      const traffic = steadyTraffic(proxy.url);
      const rollback = await eventually('the guard to roll the catalog back', async () =>
        (await proxy.audit!.list({ domain: 'catalog' })).find((r) => r.actor === 'guard' && r.fromStage === 'canary'),
      ).finally(() => traffic.stop());

      expect(rollback).toMatchObject({ mode: 'automatic', fromStage: 'canary', fromPercentage: 50, toStage: 'shadow', toPercentage: 0 });
      expect(rollback.reason).toMatch(/^guard breach: diff rate \d+(\.\d)?% over maxDiffRate 5% \(window 30 s\)$/);
      expect(rollback.evidence).toMatchObject({ windowSeconds: 30, limits: { maxDiffRate: 0.05, minRequests: 20 } });
      expect(rollback.evidence!.compared as number).toBeGreaterThanOrEqual(20);
      expect(rollback.evidence!.diffRate as number).toBeGreaterThan(0.05);

      const alerts = await eventually('the alerts at the webhook', async () => {
        const kinds = webhook.received.map((a) => a.kind);
        return kinds.includes('automatic_rollback') && kinds.includes('guard_breach') ? webhook.received : undefined;
      });
      expect(alerts.find((a) => a.kind === 'automatic_rollback')!.details).toMatchObject({ domain: 'catalog', from: 'canary 50%', to: 'shadow 0%', auditId: rollback.id });

      const report = await new AdminClient(proxy.adminUrl, ADMIN_TOKEN).diffs('catalog', 5);
      const byId = report.routes.find((r) => r.route === 'GET /api/products/:id')!;
      expect(byId.diffRate).toBeGreaterThan(0.5);
      expect(byId.topPaths[0]).toMatchObject({ path: '$.priceCents' });
      const example = byId.topPaths[0]!.example!;
      expect((example.new as number) - (example.legacy as number)).toBe(7);
      const list = report.routes.find((r) => r.route === 'GET /api/products')!;
      expect(list.topPaths.map((p) => p.path)).toContain('$.items[*].priceCents');

      const lines: string[] = [];
      const program = buildProgram((line) => lines.push(line), { STRANGLER_ADMIN_URL: proxy.adminUrl, STRANGLER_ADMIN_TOKEN: ADMIN_TOKEN, NO_COLOR: '1' });
      await program.parseAsync(['diffs', 'catalog', '--window', '5'], { from: 'user' });
      expect(lines.join('\n')).toMatch(/GET \/api\/products\/:id[\s\S]*\$\.priceCents/);
    } finally {
      await proxy.close();
    }
  }, 300_000);

  it('promotes a healthy catalog service through the canary steps by itself while the guard holds', async () => {
    const proxy = await startProxy(
      manifestDir(healthy.url, '{ maxErrorRate: 0.2, maxP99Ratio: 1000, maxDiffRate: 0.05, minRequests: 5, windowSeconds: 30, evaluateEverySeconds: 1, promotion: { steps: [10, 50, 100], intervalSeconds: 3 } }'),
    );
    try {
      await proxy.flips!.flip('catalog', { stage: 'legacy' }, 'test');
      await proxy.flips!.flip('catalog', { stage: 'shadow' }, 'test');
      await proxy.flips!.flip('catalog', { stage: 'canary', percentage: 10 }, 'test');
      const traffic = steadyTraffic(proxy.url);
      const rows = await eventually('the guard to promote the canary to 100%', async () => {
        const mine = (await proxy.audit!.list({ domain: 'catalog' })).filter((r) => r.actor === 'guard');
        return mine.some((r) => r.toStage === 'canary' && r.toPercentage === 100) ? mine : undefined;
      })
        .catch(async (err: unknown) => {
          // Say what the guard saw instead: its rows and the comparisons.
          const seen = { audit: await proxy.audit!.list({ domain: 'catalog' }), diffs: await new AdminClient(proxy.adminUrl, ADMIN_TOKEN).diffs('catalog', 5) };
          throw new Error(`${err instanceof Error ? err.message : String(err)}; saw ${JSON.stringify(seen)}`);
        })
        .finally(() => traffic.stop());

      expect(rows.map((r) => `${r.fromPercentage}→${r.toPercentage}`).reverse()).toEqual(['10→50', '50→100']);
      expect(rows.every((r) => r.mode === 'automatic' && r.toStage === 'canary')).toBe(true);
      expect(rows[0]!.evidence).toMatchObject({ windowSeconds: 30, diffRate: 0 });
      const report = await new AdminClient(proxy.adminUrl, ADMIN_TOKEN).diffs('catalog', 5);
      expect(report.routes.find((r) => r.route === 'GET /api/products/:id')).toMatchObject({ different: 0, diffRate: 0 });
    } finally {
      await proxy.close();
    }
  }, 300_000);
});
