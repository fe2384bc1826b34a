import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMonolith, type TestMonolith } from '../../../test-support/monolith.js';
import { startTestProxy, startTestUnleash, type UnleashFixture } from '../../test-support/proxy-fixture.js';
import type { RunningProxy } from '../runtime.js';

let monolith: TestMonolith;
let unleash: UnleashFixture;
let proxy: RunningProxy;

beforeAll(async () => {
  [monolith, unleash] = await Promise.all([startTestMonolith({ listen: true }), startTestUnleash()]);
  // The repository's own manifests: every domain is at its manifest stage (legacy), so the monolith serves all.
  proxy = await startTestProxy({
    MONOLITH_URLS: monolith.url!,
    UNLEASH_URL: unleash.unleash.url,
    UNLEASH_CLIENT_TOKEN: unleash.clientToken,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    // Password hashing in the monolith can take over a second on a busy machine.
    UPSTREAM_TIMEOUT_MS: '15000',
  });
});

afterAll(async () => {
  await proxy?.close();
  await monolith?.close();
  await unleash?.stop();
});

describe('the real monolith through the proxy', () => {
  it.each(['/healthz', '/readyz', '/metrics'])('keeps the monolith\'s %s off the stable URL (404 from the proxy) while the monolith answers it on its own port', async (path) => {
    const direct = await fetch(`${monolith.url}${path}`);
    const proxied = await fetch(`${proxy.url}${path}`);

    expect(direct.status).toBe(200);
    expect(proxied.status).toBe(404);
    expect(proxied.headers.get('x-served-by')).toBe('strangler-proxy');
    expect(proxied.headers.get('x-request-id')).toMatch(/.+/);
    expect(await proxied.text()).not.toMatch(/# HELP|database/);
  });

  it('carries the request id into the monolith and back in its error body', async () => {
    const res = await fetch(`${proxy.url}/api/nope`, { headers: { 'x-request-id': 'through-proxy-1' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('through-proxy-1');
    expect(await res.json()).toMatchObject({ error: { code: 'route_not_found', correlationId: 'through-proxy-1' } });
  });

  it('registers, logs in and reads the user through the proxy, the bearer token passing through', async () => {
    const email = `proxy-${Date.now()}@example.com`;
    const register = await fetch(`${proxy.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'through-the-proxy-1', name: 'Proxy User' }),
    });
    expect(register.headers.get('x-served-by')).toBe('legacy-monolith');
    expect(register.status).toBe(201);
    const login = await fetch(`${proxy.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'through-the-proxy-1' }),
    });
    expect(login.status).toBe(200);
    const { accessToken } = (await login.json()) as { accessToken: string };
    const me = await fetch(`${proxy.url}/api/users/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    expect(me.headers.get('x-served-by')).toBe('legacy-monolith');
    expect(await me.json()).toMatchObject({ email });
  });

  it('answers every GET operation of the monolith OpenAPI document as the monolith does directly', async () => {
    const doc = (await (await fetch(`${monolith.url}/openapi.json`)).json()) as { paths?: Record<string, Record<string, unknown>> };
    const paths = Object.entries(doc.paths ?? {})
      .filter(([, ops]) => 'get' in ops)
      .map(([path]) => path.replace(/\{[^}]+\}|:[A-Za-z]\w*/g, '1'));
    for (const path of ['/openapi.json', ...paths]) {
      const direct = await fetch(`${monolith.url}${path}`);
      const proxied = await fetch(`${proxy.url}${path}`);
      expect({ path, status: proxied.status, servedBy: proxied.headers.get('x-served-by') }).toEqual({ path, status: direct.status, servedBy: 'legacy-monolith' });
      expect(proxied.headers.get('content-type')).toBe(direct.headers.get('content-type'));
      await Promise.all([direct.arrayBuffer(), proxied.arrayBuffer()]);
    }
  });
});
