// Answer comparison at shadow (ADR-0023) with a real Unleash and the proxy's real PostgreSQL: noise
// found by asking the legacy side twice, bodies that are not JSON compared as bytes, and bodies over
// the limit counted as too_large. The two upstreams are small servers whose answers the test shapes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { startTestProxy, startTestUnleash, type UnleashFixture } from '../../test-support/proxy-fixture.js';
import { AdminClient } from '../admin/admin-client.js';
import type { RunningProxy } from '../runtime.js';

const ADMIN_TOKEN = 'compare-test-admin-token-0123456789';

/** An upstream whose product answers carry the time they were made, as many real APIs do. */
async function upstream(name: string, note: string): Promise<{ url: string; server: Server }> {
  let made = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') return res.end('ok');
    if (req.url?.startsWith('/api/products/')) {
      made++;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      return res.end(JSON.stringify({ id: req.url.split('/').pop(), name: 'Tea', priceCents: 450, generatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, made + (name === 'new' ? 500 : 0))).toISOString() }));
    }
    if (req.url === '/api/categories') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `category ${i}` })) }));
    }
    res.setHeader('content-type', 'text/plain');
    res.setHeader('x-upstream', name);
    res.end(`catalog ${note}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let legacy: { url: string; server: Server };
let next: { url: string; server: Server };
let unleash: UnleashFixture;
let database: TestDatabase;
let proxy: RunningProxy;

beforeAll(async () => {
  [legacy, next, unleash, database] = await Promise.all([upstream('legacy', 'v1'), upstream('new', 'v2'), startTestUnleash(), createTestDatabase('proxy')]);
  const dir = mkdtempSync(join(tmpdir(), 'compare-manifests-'));
  writeFileSync(
    join(dir, 'catalog.yaml'),
    `domain: catalog
adr: 9
service: { name: catalog-service, urls: [${next.url}] }
routes:
  - { method: GET, path: /api/products/:id }
  - { method: GET, path: /api/categories }
  - { method: GET, path: /api/catalog.txt }
compare: { noiseRate: 1, maxBodyBytes: 2048 }
`,
  );
  proxy = await startTestProxy({
    MONOLITH_URLS: legacy.url,
    MANIFEST_DIR: dir,
    UNLEASH_URL: unleash.unleash.url,
    UNLEASH_CLIENT_TOKEN: unleash.clientToken,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    PROXY_DATABASE_URL: database.url,
    ADMIN_TOKEN,
    COMPARE_FLUSH_MS: '200',
  });
  await proxy.flips!.flip('catalog', { stage: 'shadow' }, 'test');
}, 120_000);

afterAll(async () => {
  await proxy?.close();
  for (const s of [legacy, next]) await new Promise<void>((resolve) => s?.server.close(() => resolve()));
  await unleash?.stop();
  await database?.drop();
}, 60_000);

async function send(path: string, times: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < times; i++) bodies.push(await (await fetch(`${proxy.url}${path}`)).text());
  return bodies;
}

async function reportWhen(done: (r: Awaited<ReturnType<AdminClient['diffs']>>) => boolean) {
  const client = new AdminClient(proxy.adminUrl, ADMIN_TOKEN);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const report = await client.diffs('catalog', 5);
    if (done(report) || Date.now() > deadline) return report;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('comparing answers at shadow', () => {
  it('finds a timestamp that differs between two legacy answers as noise, shows it as such, and leaves it out of the diff rate', async () => {
    const bodies = await send('/api/products/42', 10);
    // The users get the legacy answers, untouched.
    expect(bodies.every((b) => (JSON.parse(b) as { name: string }).name === 'Tea')).toBe(true);

    const report = await reportWhen((r) => (r.routes.find((x) => x.route === 'GET /api/products/:id')?.equal ?? 0) >= 10);
    const route = report.routes.find((r) => r.route === 'GET /api/products/:id')!;
    expect(route).toMatchObject({ equal: 10, different: 0, diffRate: 0, topPaths: [] });
    expect(route.noise).toEqual([expect.objectContaining({ path: '$.generatedAt', example: expect.objectContaining({ path: '$.generatedAt' }) })]);
    expect(await proxy.registry.getSingleMetricAsString('strangler_compare_noise_total')).toMatch(/route="GET \/api\/products\/:id"[^}]*} 10/);
  });

  it('compares an answer that is not JSON as bytes, and names the body as differing', async () => {
    await send('/api/catalog.txt', 3);
    const report = await reportWhen((r) => (r.routes.find((x) => x.route === 'GET /api/catalog.txt')?.different ?? 0) >= 3);
    const route = report.routes.find((r) => r.route === 'GET /api/catalog.txt')!;
    expect(route).toMatchObject({ different: 3, diffRate: 1 });
    expect(route.topPaths[0]).toMatchObject({ path: '$', count: 3, example: { legacy: '10 bytes: catalog v1', new: '10 bytes: catalog v2' } });
  });

  it('counts an answer over the limit as too_large without keeping it', async () => {
    await send('/api/categories', 3);
    const report = await reportWhen((r) => (r.routes.find((x) => x.route === 'GET /api/categories')?.tooLarge ?? 0) >= 3);
    expect(report.routes.find((r) => r.route === 'GET /api/categories')).toMatchObject({ tooLarge: 3, equal: 0, different: 0, diffRate: null });
    expect(await proxy.registry.getSingleMetricAsString('strangler_compare_total')).toMatch(/route="GET \/api\/categories",outcome="too_large"[^}]*} 3/);
  });

  it('answers 404 naming the domain for diffs of a domain no manifest declares', async () => {
    const err = await new AdminClient(proxy.adminUrl, ADMIN_TOKEN).diffs('nope').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404, code: 'unknown_domain' });
  });
});
