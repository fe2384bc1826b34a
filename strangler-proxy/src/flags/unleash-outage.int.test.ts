import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../../test-support/global-setup.js';
import { createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { startStandIn, type StandIn } from '../../test-support/stand-in.js';
import { startTestProxy, startTestUnleash, writeManifests, type UnleashFixture } from '../../test-support/proxy-fixture.js';
import type { RunningProxy } from '../runtime.js';
import { startUnleashProcess, type UnleashProcess } from '../unleash-server/unleash-process.js';
import { UnleashAdmin } from './unleash-admin.js';

// The Unleash server's own failure (issue 15): killed under the proxy, then started again on the same
// port and database. The proxy is never restarted.
const TOKEN = 'outage-admin-token-0123456789';

let monolith: StandIn;
let catalog: StandIn;
let unleash: UnleashFixture;
let database: TestDatabase;
let proxy: RunningProxy;
let restarted: UnleashProcess | undefined;

async function servedBy(path: string): Promise<{ status: number; servedBy: string | null }> {
  const res = await fetch(`${proxy.url}${path}`, { headers: { cookie: 'strangler_sid=outage-session-0123456789' } });
  await res.arrayBuffer();
  return { status: res.status, servedBy: res.headers.get('x-served-by') };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function flip(stage: string) {
  return fetch(`${proxy.adminUrl}/api/domains/catalog/flip`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ stage, adr: 9, reason: 'outage test' }),
    // A hang would fail the test here rather than at the test's own timeout.
    signal: AbortSignal.timeout(30_000),
  });
}

beforeAll(async () => {
  [monolith, catalog, unleash, database] = await Promise.all([startStandIn('legacy-monolith'), startStandIn('catalog-service'), startTestUnleash(), createTestDatabase('proxy_outage')]);
  const manifestDir = writeManifests({ catalog: [catalog.url], orders: ['http://127.0.0.1:9'] });
  proxy = await startTestProxy({
    MONOLITH_URLS: monolith.url,
    MANIFEST_DIR: manifestDir,
    UNLEASH_URL: unleash.unleash.url,
    UNLEASH_CLIENT_TOKEN: unleash.clientToken,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    PROXY_DATABASE_URL: database.url,
    ADMIN_TOKEN: TOKEN,
  });
});

afterAll(async () => {
  await proxy?.close();
  await restarted?.stop();
  await Promise.all([monolith?.close(), catalog?.close(), unleash?.stop(), database?.drop()]);
});

describe('when the Unleash server itself fails', () => {
  it('routing keeps the last flags, a flip is refused with a clear error, and routing follows Unleash again once it is back, without a proxy restart', { timeout: 240_000 }, async () => {
    // Arrange: the catalog at new, as the proxy last fetched it.
    await new UnleashAdmin(unleash.unleash.url, unleash.adminToken).setStage('strangler.catalog', 'new', 100);
    await until(async () => (await servedBy('/api/products/1')).servedBy === 'catalog-service', 'the catalog at new');

    // Act 1: Unleash dies (SIGKILL: no goodbye), and stays down for many refresh intervals.
    unleash.unleash.child.kill('SIGKILL');
    await until(() => fetch(`${unleash.unleash.url}/health`).then((r) => !r.ok, () => true), 'Unleash to be down');
    const during: { status: number; servedBy: string | null }[] = [];
    for (let i = 0; i < 40; i++) {
      during.push(await servedBy('/api/products/1'));
      await new Promise((r) => setTimeout(r, 100));
    }

    // Assert 1: the last flags route every read; a flip is refused with 503 naming Unleash.
    expect(during.filter((r) => r.status !== 200 || r.servedBy !== 'catalog-service')).toEqual([]);
    const refused = await flip('legacy');
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect(body.error).toMatchObject({ code: 'unleash_unavailable', message: expect.stringContaining('Unleash is unreachable') });
    expect((await servedBy('/api/products/1')).servedBy).toBe('catalog-service');

    // Act 2: Unleash comes back on the same port and database; the stage is changed in it.
    const logDir = resolve(ROOT, '.stack/test/logs');
    mkdirSync(logDir, { recursive: true });
    restarted = await startUnleashProcess({
      databaseUrl: unleash.database.url,
      port: unleash.port,
      adminToken: unleash.adminToken,
      clientToken: unleash.clientToken,
      logFile: join(logDir, `unleash-${unleash.port}-restarted.log`),
    });
    await new UnleashAdmin(restarted.url, unleash.adminToken).setStage('strangler.catalog', 'legacy', 0);

    // Assert 2: the same proxy follows Unleash again, and flips work again.
    await until(async () => (await servedBy('/api/products/1')).servedBy === 'legacy-monolith', 'routing to follow Unleash again');
    const after = await flip('shadow');
    expect(after.status).toBe(200);
  });
});
