import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { algorithmConfusionBearer, expiredBearer, forgedBearer, neverExpiringBearer, otherAudienceBearer, startTestMonolith, TEST_JWT_KEYS, type TestMonolith } from '../../../test-support/monolith.js';
import { startTestProxy, startTestUnleash, type UnleashFixture } from '../../test-support/proxy-fixture.js';
import type { RunningProxy } from '../runtime.js';

let monolith: TestMonolith;
let unleash: UnleashFixture;
let first: RunningProxy;
let second: RunningProxy;

async function get(proxy: RunningProxy, path: string, authorization?: string, method = 'GET', body: object = { name: 'x', priceCents: 100, categoryId: 1 }) {
  const res = await fetch(`${proxy.url}${path}`, {
    method,
    headers: { ...(authorization ? { authorization } : {}), ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    body: method === 'POST' ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const answer = (text ? JSON.parse(text) : {}) as { error?: { code: string } };
  return { status: res.status, servedBy: res.headers.get('x-served-by'), headers: res.headers, code: answer.error?.code };
}

beforeAll(async () => {
  [monolith, unleash] = await Promise.all([startTestMonolith({ listen: true }), startTestUnleash()]);
  const env = {
    MONOLITH_URLS: monolith.url!,
    UNLEASH_URL: unleash.unleash.url,
    UNLEASH_CLIENT_TOKEN: unleash.clientToken,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    JWT_PUBLIC_KEY: TEST_JWT_KEYS.publicKey,
    EDGE_AUTH_ROUTES: '/api/cart,GET /api/orders,/api/users/me,POST /api/products',
    RATE_LIMITS: '/api/categories=3/2,POST /api/auth/login=50/60,POST /api/auth/login=3/60 per account',
    // Redis on this machine, shared by both instances; a prefix of its own keeps runs apart.
    REDIS_URL: 'redis://127.0.0.1:6379',
    RATE_LIMIT_PREFIX: `test-rl-${randomBytes(6).toString('hex')}`,
    UPSTREAM_TIMEOUT_MS: '15000',
  };
  [first, second] = await Promise.all([startTestProxy(env), startTestProxy(env)]);
});

afterAll(async () => {
  await Promise.all([first?.close(), second?.close()]);
  await monolith?.close();
  await unleash?.stop();
});

describe('authentication at the edge', () => {
  it.each([
    ['missing', undefined, 'token_missing'],
    ['malformed', 'Bearer not-a-jwt', 'token_malformed'],
    ['expired', expiredBearer('customer'), 'token_expired'],
    ['wrongly signed', forgedBearer('customer'), 'token_invalid'],
    ['other-audience', otherAudienceBearer('customer'), 'token_invalid'],
    ['never-expiring', neverExpiringBearer('customer'), 'token_invalid'],
    ['HS256-with-the-public-key', algorithmConfusionBearer('customer'), 'token_invalid'],
  ])('answers 401 at the proxy for a %s token on a route that needs one', async (_case, authorization, code) => {
    const res = await get(first, '/api/cart', authorization);

    expect(res).toMatchObject({ status: 401, servedBy: 'strangler-proxy', code });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('forwards a valid token unchanged: the monolith authenticates it again and serves the cart', async () => {
    const res = await get(first, '/api/cart', monolith.bearer('customer'));

    expect(res).toMatchObject({ status: 200, servedBy: 'legacy-monolith' });
  });

  it('lets the service authorise: a customer token passes the edge but the monolith refuses it an admin operation', async () => {
    const res = await get(first, '/api/products', monolith.bearer('customer'), 'POST');

    expect(res).toMatchObject({ status: 403, servedBy: 'legacy-monolith', code: 'forbidden' });
  });

  it('applies a GET rule to HEAD too: HEAD cannot read around the edge authentication', async () => {
    const res = await fetch(`${first.url}/api/orders`, { method: 'HEAD' });

    expect(res.status).toBe(401);
    expect(res.headers.get('x-served-by')).toBe('strangler-proxy');
  });

  it('leaves public routes open', async () => {
    expect(await get(first, '/api/products')).toMatchObject({ status: 200, servedBy: 'legacy-monolith' });
  });
});

describe('rate limiting per client, shared by two proxy instances through Redis', () => {
  it('answers 429 with rate-limit headers once the limit is reached on either instance, then lets the client in again after the window', async () => {
    const answers = [];
    for (const proxy of [first, second, first]) answers.push(await get(proxy, '/api/categories'));
    const limited = await get(second, '/api/categories');

    expect(answers.map((a) => [a.status, a.headers.get('ratelimit-remaining')])).toEqual([
      [200, '2'],
      [200, '1'],
      [200, '0'],
    ]);
    expect(limited).toMatchObject({ status: 429, servedBy: 'strangler-proxy', code: 'rate_limited' });
    expect(limited.headers.get('ratelimit-limit')).toBe('3');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    // Counted per address: a token (even a valid one) buys no fresh allowance.
    expect(await get(second, '/api/categories', monolith.bearer('customer'))).toMatchObject({ status: 429 });

    await new Promise((r) => setTimeout(r, Number(limited.headers.get('retry-after')) * 1000 + 100));
    expect(await get(first, '/api/categories')).toMatchObject({ status: 200, servedBy: 'legacy-monolith' });
  });

  it('does not limit routes without a rule', async () => {
    for (let i = 0; i < 5; i++) expect((await get(second, '/api/products')).status).toBe(200);
  });
});

describe('throttled sign-in', () => {
  it('limits attempts on one account across client addresses, whatever the case of its e-mail, while other accounts still sign in', async () => {
    const attempt = (email: string) => get(first, '/api/auth/login', undefined, 'POST', { email, password: 'wrong-password-1' });
    const statuses = [];
    for (const email of ['victim@example.com', 'VICTIM@example.com', ' victim@example.com', 'Victim@Example.com']) statuses.push((await attempt(email)).status);
    const other = await attempt('someone-else@example.com');

    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(other.status).toBe(401);
    expect(other.servedBy).toBe('legacy-monolith');
  });
});

describe('rate limiting while Redis is unreachable', () => {
  it('keeps limiting each instance in memory instead of letting every request through', async () => {
    const alone = await startTestProxy({
      MONOLITH_URLS: monolith.url!,
      UNLEASH_URL: unleash.unleash.url,
      UNLEASH_CLIENT_TOKEN: unleash.clientToken,
      RATE_LIMITS: '/api/categories=2/60',
      REDIS_URL: 'redis://127.0.0.1:9',
    });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await get(alone, '/api/categories')).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await alone.close();
    }
  });
});
