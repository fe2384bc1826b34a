import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_JWT_KEYS } from '../../../test-support/monolith.js';
import type { StandIn } from '../../test-support/stand-in.js';
import { startProxyWorld, type ProxyWorld, type UnleashFixture } from '../../test-support/proxy-fixture.js';
import { bootstrapFlags, type UnleashAdmin } from '../flags/unleash-admin.js';
import { rolloutFor } from '../flags/stage-strategy.js';
import type { UnleashFlagReader } from '../flags/unleash-flag-reader.js';
import type { RunningProxy } from '../runtime.js';
import type { Stage } from '@strangler/manifests';

let catalog: StandIn;
let unleash: UnleashFixture;
let proxy: RunningProxy;
let admin: UnleashAdmin;

async function flip(flag: string, stage: Stage, percentage = 0): Promise<void> {
  await admin.setStage(flag, stage, percentage);
  await (proxy.flags as UnleashFlagReader).refreshUntil(flag, stage, rolloutFor(stage, percentage));
}

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${proxy.url}${path}`, { headers });
  const body = await res.text();
  return { status: res.status, servedBy: res.headers.get('x-served-by'), headers: res.headers, body };
}

/** A valid access token of user `sub` (stickiness trusts only verified subjects). */
function jwtFor(sub: string): string {
  return `Bearer ${jwt.sign({ role: 'customer' }, TEST_JWT_KEYS.privateKey, { algorithm: 'ES256', subject: sub, issuer: 'legacy-monolith', audience: 'shop-api', expiresIn: 600 })}`;
}

let world: ProxyWorld;
beforeAll(async () => {
  // A generous upstream timeout: on two busy cores a slow answer must not turn into a fallback and skew the split.
  world = await startProxyWorld({ JWT_PUBLIC_KEY: TEST_JWT_KEYS.publicKey, UPSTREAM_TIMEOUT_MS: '10000' });
  ({ catalog, unleash, proxy, admin } = world);
});

afterAll(async () => {
  await world?.close();
});

describe('routing through the proxy with real Unleash flags', () => {
  it('sends an unmatched route to the monolith, with x-served-by and x-request-id', async () => {
    const res = await get('/api/categories');
    expect(res.status).toBe(200);
    expect(res.servedBy).toBe('legacy-monolith');
    expect(res.headers.get('x-request-id')).toMatch(/.+/);
  });

  it('creates one flag per domain and one per overridden route from the manifests', async () => {
    expect(await admin.environmentOf('strangler.catalog')).toMatchObject({ enabled: true });
    expect(await admin.environmentOf('strangler.orders')).toMatchObject({ enabled: true });
    expect(await admin.environmentOf('strangler.catalog.get-api-products-featured')).toMatchObject({ enabled: true });
  });

  it('creating the flags again changes nothing: a stage set in Unleash survives a restart of the bootstrap', async () => {
    await flip('strangler.orders', 'canary', 20);
    const again = await bootstrapFlags(admin, proxy.routes.routes);
    expect(again.created).toEqual([]);
    expect(again.existing).toEqual(expect.arrayContaining(['strangler.catalog', 'strangler.orders', 'strangler.catalog.get-api-products-featured']));
    const held = (await admin.environmentOf('strangler.orders'))!.strategies[0] as unknown as { parameters: { rollout: string }; variants: { name: string }[] };
    expect(held.parameters.rollout).toBe('20');
    expect(held.variants[0]!.name).toBe('canary');
  });

  it('Unleash refuses its client and admin APIs without a token', async () => {
    expect((await fetch(`${unleash.unleash.url}/api/client/features`)).status).toBe(401);
    expect((await fetch(`${unleash.unleash.url}/api/admin/projects/default/features`)).status).toBe(401);
  });

  it('at legacy, the monolith serves the domain routes', async () => {
    await flip('strangler.catalog', 'legacy');
    expect((await get('/api/products')).servedBy).toBe('legacy-monolith');
  });

  it('at new, the new service serves reads and the monolith keeps writes', async () => {
    await flip('strangler.catalog', 'new');
    expect((await get('/api/products/7')).servedBy).toBe('catalog-service');
    const post = await fetch(`${proxy.url}/api/products`, { method: 'POST', body: '{"name":"x"}', headers: { 'content-type': 'application/json' } });
    expect(post.headers.get('x-served-by')).toBe('legacy-monolith');
  });

  it('at owned, the new service also takes writes', async () => {
    await flip('strangler.catalog', 'owned');
    const post = await fetch(`${proxy.url}/api/products`, { method: 'POST', body: '{"name":"x"}', headers: { 'content-type': 'application/json' } });
    expect(post.headers.get('x-served-by')).toBe('catalog-service');
    expect(JSON.parse(await post.text())).toMatchObject({ bodyLength: 12 });
  });

  it('at shadow, the monolith serves and the new service receives a copy of the read', async () => {
    await flip('strangler.catalog', 'shadow');
    const before = catalog.received.length;
    const res = await get('/api/products/shadowed-1');
    expect(res.servedBy).toBe('legacy-monolith');
    await expect.poll(() => catalog.received.slice(before).some((r) => r.url === '/api/products/shadowed-1')).toBe(true);
  });

  it('a route override keeps its own stage while the domain moves', async () => {
    await flip('strangler.catalog', 'new');
    expect((await get('/api/products/featured')).servedBy).toBe('legacy-monolith');
    expect((await get('/api/products/featured-not')).servedBy).toBe('catalog-service');
  });

  // 2,050 requests through the proxy: on two cores shared with other test files this can take over 30 s.
  it('at canary 30 %, each user always gets the same side and about 30 % of users get the new service', { timeout: 90_000 }, async () => {
    await flip('strangler.catalog', 'canary', 30);
    for (const user of Array.from({ length: 5 }, () => randomUUID())) {
      const sides = new Set<string | null>();
      for (let i = 0; i < 10; i++) sides.add((await get('/api/products', { authorization: jwtFor(user) })).servedBy);
      expect(sides.size).toBe(1);
    }
    let onNew = 0;
    // Random ids: sequential ones share long prefixes, and their hashes cluster.
    const users = Array.from({ length: 2000 }, () => randomUUID());
    for (let i = 0; i < users.length; i += 50) {
      const batch = await Promise.all(users.slice(i, i + 50).map((u) => get('/api/products', { authorization: jwtFor(u) })));
      onNew += batch.filter((r) => r.servedBy === 'catalog-service').length;
    }
    expect(Math.abs((onNew / users.length) * 100 - 30)).toBeLessThanOrEqual(5);
  });

  it('without a JWT, the session cookie the proxy sets keeps the user on one side', async () => {
    await flip('strangler.catalog', 'canary', 50);
    const first = await get('/api/products');
    const cookie = first.headers.get('set-cookie')?.split(';')[0];
    expect(cookie).toMatch(/^strangler_sid=/);
    const sides = new Set([first.servedBy]);
    for (let i = 0; i < 10; i++) sides.add((await get('/api/products', { cookie: cookie! })).servedBy);
    expect(sides.size).toBe(1);
  });

  it('a stage changed in Unleash moves the routes within the refresh interval, without a manual refresh', async () => {
    await flip('strangler.orders', 'legacy');
    expect((await get('/api/orders/1')).servedBy).toBe('legacy-monolith');
    await admin.setStage('strangler.orders', 'new', 100);
    await expect.poll(async () => (await get('/api/orders/1')).servedBy, { timeout: 5000, interval: 100 }).toBe('orders-service');
  });
});
