// Exhaustion and exposure at the edge: slow clients, connection caps, the upstream admission
// deadline, capped shadow copies, and the upstreams' operational endpoints, through a real proxy
// (real Unleash) over recording stand-ins. Clients use several loopback addresses (127.0.0.x) so
// that "another user" is another client address, as on the internet.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UnleashFlagReader } from '../flags/unleash-flag-reader.js';
import { requestRaw } from '../../test-support/http-request.js';
import { startProxyWorld, type ProxyWorld } from '../../test-support/proxy-fixture.js';

let world: ProxyWorld;
let port: number;

beforeAll(async () => {
  world = await startProxyWorld({
    UPSTREAM_MAX_SOCKETS: '2',
    UPSTREAM_QUEUE_TIMEOUT_MS: '300',
    UPSTREAM_TIMEOUT_MS: '5000',
    BODY_TIMEOUT_MS: '2500',
    MAX_CONNECTIONS_PER_CLIENT: '40',
    SHADOW_MAX_IN_FLIGHT: '2',
  });
  port = Number(new URL(world.proxy.url).port);
});

afterAll(async () => {
  await world?.close();
});

/** A request from another client address (127.0.0.2 unless told), with a JSON body when given one. */
function request(path: string, options: { from?: string; method?: string; body?: string } = {}) {
  return requestRaw(port, path, { ...options, from: options.from ?? '127.0.0.2', headers: options.body ? { 'content-type': 'application/json' } : {} });
}

function open(from: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from }, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Everything a socket receives until it closes (or `ms` passes). */
function answerOf(socket: Socket, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    const done = () => resolve(text);
    socket.on('close', done);
    setTimeout(done, ms);
  });
}

const requestsTo = (path: string) => world.monolith.received.filter((r) => r.url.startsWith(path)).length;
/** Requests the upstreams received, the proxy's health checks left out. */
const forwarded = () => [...world.monolith.received, ...world.catalog.received].filter((r) => r.url !== '/healthz').length;

describe('slow clients', () => {
  it('thirty connections trickling their bodies hold no upstream connection: other users are served meanwhile, and the trickles get 408 at the body deadline', async () => {
    const trickles = await Promise.all(Array.from({ length: 30 }, () => open('127.0.0.1')));
    const answers = trickles.map((s) => answerOf(s, 6000));
    for (const s of trickles) s.write('POST /api/trickle HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n');
    const timer = setInterval(() => {
      for (const s of trickles) if (!s.destroyed) s.write('a');
    }, 200);
    try {
      // Two upstream connections only: had the trickles taken them, these would wait or fail.
      const reads = [];
      for (let i = 0; i < 5; i++) reads.push(await request('/api/categories'));
      const write = await request('/api/orders/checkout', { from: '127.0.0.3', method: 'POST', body: '{"x":1}' });

      expect(reads.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(write.status).toBe(200);
      expect(write.headers['x-served-by']).toBe('legacy-monolith');
    } finally {
      clearInterval(timer);
    }
    const texts = await Promise.all(answers);

    expect(texts.every((t) => t.startsWith('HTTP/1.1 408 '))).toBe(true);
    expect(texts[0]).toContain('"code":"body_timeout"');
    expect(requestsTo('/api/trickle')).toBe(0);
  });

  it('connections from one address beyond the cap are answered 503 and closed; another address is served', async () => {
    const held = await Promise.all(Array.from({ length: 40 }, () => open('127.0.0.4')));
    try {
      const extra = await open('127.0.0.4');
      const refused = await answerOf(extra, 3000);
      const other = await request('/api/categories', { from: '127.0.0.5' });

      expect(refused).toMatch(/^HTTP\/1\.1 503 /);
      expect(refused).toContain('"code":"too_many_connections"');
      expect(refused).toMatch(/\r\nretry-after: \d+\r\n/);
      expect(other.status).toBe(200);
    } finally {
      for (const s of held) s.destroy();
    }
    // The count follows closed connections: the same address gets its full allowance back.
    await new Promise((r) => setTimeout(r, 200));
    const again = await Promise.all(Array.from({ length: 40 }, () => open('127.0.0.4')));
    const answers = again.map((s) => answerOf(s, 5000));
    // A path the proxy answers itself (404): the upstream pool of this test is two connections small.
    for (const s of again) s.write('GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect((await Promise.all(answers)).map((t) => t.slice(0, 12))).toEqual(Array(40).fill('HTTP/1.1 404'));
  });
});

describe('waiting for an upstream connection', () => {
  it('has a deadline: with every connection busy, a request fails fast with 503 and Retry-After instead of queueing', async () => {
    const slow = [request('/api/slow?ms=2000', { from: '127.0.0.6' }), request('/api/slow?ms=2000', { from: '127.0.0.7' })];
    await new Promise((r) => setTimeout(r, 200));
    const waiting = await request('/api/categories', { from: '127.0.0.8' });
    const done = await Promise.all(slow);

    expect(waiting.status).toBe(503);
    expect(JSON.parse(waiting.body)).toMatchObject({ error: { code: 'upstream_busy' } });
    expect(Number(waiting.headers['retry-after'])).toBeGreaterThan(0);
    expect(done.map((r) => r.status)).toEqual([200, 200]);
    expect((await request('/api/categories', { from: '127.0.0.8' })).status).toBe(200);
  });
});

describe('shadow copies', () => {
  it('never queue: past the in-flight cap a copy is dropped and counted, and every user is still served by the monolith', async () => {
    await world.admin.setStage('strangler.catalog', 'shadow', 100);
    await (world.proxy.flags as UnleashFlagReader).refreshUntil('strangler.catalog', 'shadow', 100);
    world.catalog.delayMs = 1500;
    try {
      const copies = () => world.catalog.received.filter((r) => r.url.startsWith('/api/products')).length;
      const before = copies();
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => request(`/api/products/${i + 1}`, { from: `127.0.1.${i + 1}` })));
      await new Promise((r) => setTimeout(r, 2500));
      const metrics = await world.proxy.registry.getSingleMetricAsString('proxy_shadow_requests_total');

      expect(answers.map((a) => a.headers['x-served-by'])).toEqual(Array(8).fill('legacy-monolith'));
      expect(copies() - before).toBe(2);
      expect(metrics).toMatch(/proxy_shadow_requests_total\{service="catalog-service",outcome="dropped"[^}]*\} 6\n/);
    } finally {
      world.catalog.delayMs = 0;
      await world.admin.setStage('strangler.catalog', 'legacy', 0);
      await (world.proxy.flags as UnleashFlagReader).refreshUntil('strangler.catalog', 'legacy', 0);
    }
  });
});

describe("the upstreams' operational endpoints", () => {
  it.each(['/metrics', '/readyz', '/healthz', '/cdc', '/internal/ownership/catalog', '/Internal/ownership/catalog', '/METRICS', '/metrics/', '/%6detrics', '//readyz', '/api/../metrics', '/metrics?format=openmetrics'])(
    'GET %s is answered 404 by the proxy and reaches no upstream',
    async (path) => {
      const before = forwarded();
      const res = await request(path);

      expect(res.status).toBe(404);
      expect(res.headers['x-served-by']).toBe('strangler-proxy');
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'not_found' } });
      expect(forwarded()).toBe(before);
    },
  );

  it('HEAD /readyz is refused too', async () => {
    const res = await request('/readyz', { method: 'HEAD' });
    expect(res.status).toBe(404);
  });

  it('stay on the admin port: the proxy reports its own readiness and metrics there', async () => {
    const ready = await fetch(`${world.proxy.adminUrl}/readyz`);
    const metrics = await fetch(`${world.proxy.adminUrl}/metrics`);
    expect(ready.status).toBe(200);
    expect(await metrics.text()).toMatch(/\nproxy_refused_requests_total\{reason="not_found"[^}]*\} [1-9]\d*\n/);
  });
});
