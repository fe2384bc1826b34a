import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stage } from '@strangler/manifests';
import { startStandIn, type StandIn } from '../../test-support/stand-in.js';
import { startTestProxy, startTestUnleash, writeManifests, type UnleashFixture } from '../../test-support/proxy-fixture.js';
import { UnleashAdmin } from '../flags/unleash-admin.js';
import { rolloutFor } from '../flags/stage-strategy.js';
import type { UnleashFlagReader } from '../flags/unleash-flag-reader.js';
import type { RunningProxy } from '../runtime.js';

let monolith: StandIn;
let catalogA: StandIn;
let catalogB: StandIn;
let catalogC: StandIn;
let orders: StandIn;
let unleash: UnleashFixture;
let proxy: RunningProxy;
let admin: UnleashAdmin;

async function flip(flag: string, stage: Stage, percentage = 0): Promise<void> {
  await admin.setStage(flag, stage, percentage);
  await (proxy.flags as UnleashFlagReader).refreshUntil(flag, stage, rolloutFor(stage, percentage));
}

async function get(path: string) {
  const res = await fetch(`${proxy.url}${path}`);
  return { status: res.status, servedBy: res.headers.get('x-served-by'), body: await res.text() };
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${proxy.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

beforeAll(async () => {
  [monolith, catalogA, catalogB, catalogC, orders, unleash] = await Promise.all([
    startStandIn('legacy-monolith'),
    startStandIn('catalog-service'),
    startStandIn('catalog-service'),
    startStandIn('catalog-service'),
    startStandIn('orders-service'),
    startTestUnleash(),
  ]);
  proxy = await startTestProxy({
    MONOLITH_URLS: monolith.url,
    MANIFEST_DIR: writeManifests({ catalog: [catalogA.url, catalogB.url, catalogC.url], orders: [orders.url] }),
    UNLEASH_URL: unleash.unleash.url,
    UNLEASH_CLIENT_TOKEN: unleash.clientToken,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    UPSTREAM_TIMEOUT_MS: '1000',
    BREAKER_VOLUME: '3',
    BREAKER_RESET_MS: '60000',
  });
  admin = new UnleashAdmin(unleash.unleash.url, unleash.adminToken);
  await flip('strangler.catalog', 'new');
  await flip('strangler.orders', 'owned');
});

afterAll(async () => {
  await proxy?.close();
  await Promise.all([monolith?.close(), catalogA?.close(), catalogB?.close(), catalogC?.close(), orders?.close()]);
  await unleash?.stop();
});

describe('upstream failures', () => {
  it('spreads requests over every instance of a service', async () => {
    const [a, b] = [catalogA.received.length, catalogB.received.length];
    for (let i = 0; i < 10; i++) expect((await get('/api/products')).servedBy).toBe('catalog-service');
    expect(catalogA.received.length - a).toBeGreaterThan(0);
    expect(catalogB.received.length - b).toBeGreaterThan(0);
  });

  it('skips an instance that fails its health check, without falling back to the monolith', async () => {
    await catalogC.kill();
    await expect.poll(() => metric('proxy_upstream_healthy', `instance="127.0.0.1:${catalogC.port}"`), { timeout: 5000 }).toBe(0);
    const fallbacksBefore = await metric('proxy_fallbacks_total', 'service="catalog-service"');
    for (let i = 0; i < 9; i++) expect((await get(`/api/products/${i}`)).servedBy).toBe('catalog-service');
    expect(await metric('proxy_fallbacks_total', 'service="catalog-service"')).toBe(fallbacksBefore);
  });

  it('when the new service answers 500, a read is served by the monolith', async () => {
    catalogA.failing = true;
    catalogB.failing = true;
    try {
      const res = await get('/api/products/5');
      expect(res).toMatchObject({ status: 200, servedBy: 'legacy-monolith' });
    } finally {
      catalogA.failing = false;
      catalogB.failing = false;
    }
  });

  it('when the new service is too slow, a read is served by the monolith after the upstream timeout', async () => {
    catalogA.delayMs = 3000;
    catalogB.delayMs = 3000;
    try {
      const res = await get('/api/products/6');
      expect(res).toMatchObject({ status: 200, servedBy: 'legacy-monolith' });
    } finally {
      catalogA.delayMs = 0;
      catalogB.delayMs = 0;
    }
  });

  it('opens the breaker of instances that keep failing, exports their state, and serves reads from the monolith meanwhile', async () => {
    catalogA.failing = true;
    catalogB.failing = true;
    try {
      const stateOf = (standIn: StandIn) => metric('proxy_breaker_state', `instance="127.0.0.1:${standIn.port}"`);
      // Failures accumulate until each breaker's error share in its window passes 50 %.
      for (let i = 0; i < 60 && ((await stateOf(catalogA)) !== 2 || (await stateOf(catalogB)) !== 2); i++) {
        expect((await get(`/api/products/${i}`)).servedBy).toBe('legacy-monolith');
      }
      expect([await stateOf(catalogA), await stateOf(catalogB)]).toEqual([2, 2]);
      expect(await metric('proxy_breaker_transitions_total', 'state="open"')).toBeGreaterThanOrEqual(1);
      const served = () => [...catalogA.received, ...catalogB.received].filter((r) => r.url !== '/healthz').length;
      const seen = served();
      expect(await get('/api/products/99')).toMatchObject({ status: 200, servedBy: 'legacy-monolith' });
      // Both breakers are open: the read went straight to the monolith.
      expect(served()).toBe(seen);
      expect(await metric('proxy_fallbacks_total', 'reason="no_instance"')).toBeGreaterThanOrEqual(1);
    } finally {
      catalogA.failing = false;
      catalogB.failing = false;
    }
  });

  it('when an unsafe request fails on the new service, it gets a 503 with Retry-After and is not sent to the monolith', async () => {
    await orders.kill();
    const before = monolith.received.filter((r) => r.method === 'POST').length;
    const res = await fetch(`${proxy.url}/api/orders/checkout`, { method: 'POST', body: '{"cart":1}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ error: { code: 'service_unavailable' } });
    expect(monolith.received.filter((r) => r.method === 'POST').length).toBe(before);
  });

  it('when the new service is killed, its reads are served by the monolith and counted', async () => {
    await catalogA.kill();
    await catalogB.kill();
    for (let i = 0; i < 6; i++) expect(await get(`/api/products/${i}`)).toMatchObject({ status: 200, servedBy: 'legacy-monolith' });
    expect(await metric('proxy_fallbacks_total', 'service="catalog-service"')).toBeGreaterThanOrEqual(1);
  });

  it('the admin app serves its own HTTP metrics (one serve() and one metrics middleware for every listener)', async () => {
    await (await fetch(`${proxy.adminUrl}/healthz`)).arrayBuffer();
    expect(await metric('http_server_request_duration_seconds_count', 'route="/healthz"')).toBeGreaterThanOrEqual(1);
  });
});
