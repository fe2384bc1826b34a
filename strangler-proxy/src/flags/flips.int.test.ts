import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stage } from '@strangler/manifests';
import type { StandIn } from '../../test-support/stand-in.js';
import { startProxyWorld, startTestProxy, type ProxyWorld, type UnleashFixture } from '../../test-support/proxy-fixture.js';
import type { RunningProxy } from '../runtime.js';
import type { UnleashAdmin } from './unleash-admin.js';
import { rolloutFor } from './stage-strategy.js';
import type { UnleashFlagReader } from './unleash-flag-reader.js';

let monolith: StandIn;
let unleash: UnleashFixture;
let proxy: RunningProxy;
let admin: UnleashAdmin;
let manifestDir: string;
const backupDir = mkdtempSync(join(tmpdir(), 'unleash-backup-'));

interface Outcome {
  statuses: Map<number, number>;
  servedBy: Map<string, number>;
  errors: string[];
}

/** Keeps `workers` loops sending reads and writes until `stop` resolves. */
async function traffic(baseUrl: string, workers: number, stop: Promise<void>): Promise<Outcome> {
  const outcome: Outcome = { statuses: new Map(), servedBy: new Map(), errors: [] };
  let running = true;
  void stop.then(() => (running = false));
  const count = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      let i = 0;
      while (running) {
        i++;
        const write = i % 4 === 0;
        try {
          const res = await fetch(`${baseUrl}${write ? '/api/products' : `/api/products/${i}`}`, {
            method: write ? 'POST' : 'GET',
            body: write ? JSON.stringify({ worker: w, i }) : undefined,
            headers: { 'content-type': 'application/json', cookie: `strangler_sid=worker-session-${w}-${i % 7}-abcdefgh` },
          });
          await res.arrayBuffer();
          count(outcome.statuses, res.status);
          count(outcome.servedBy, res.headers.get('x-served-by') ?? 'none');
        } catch (err) {
          outcome.errors.push(err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err));
        }
      }
    }),
  );
  return outcome;
}

const serverErrors = (o: Outcome) => [...o.statuses].filter(([status]) => status >= 500);

let world: ProxyWorld;
beforeAll(async () => {
  world = await startProxyWorld({ UNLEASH_BACKUP_DIR: backupDir, UNLEASH_REFRESH_MS: '200' });
  ({ monolith, unleash, proxy, admin, manifestDir } = world);
});

afterAll(async () => {
  await world?.close();
});

describe('flips under traffic', () => {
  // 20 flips of about a second each: on two busy cores the default 30 s is not enough.
  it('20 flips of the catalog domain cause no 5xx and no connection error', async () => {
    const stages: [Stage, number][] = [['canary', 50], ['new', 100], ['owned', 100], ['shadow', 100], ['legacy', 0]];
    let release!: () => void;
    const stop = new Promise<void>((r) => (release = r));
    const load = traffic(proxy.url, 4, stop);
    for (let flipNo = 0; flipNo < 20; flipNo++) {
      const [stage, percentage] = stages[flipNo % stages.length]!;
      await admin.setStage('strangler.catalog', stage, percentage);
      await (proxy.flags as UnleashFlagReader).refreshUntil('strangler.catalog', stage, rolloutFor(stage, percentage));
      await new Promise((r) => setTimeout(r, 100));
    }
    release();
    const outcome = await load;
    expect(outcome.errors).toEqual([]);
    expect(serverErrors(outcome)).toEqual([]);
    expect(outcome.servedBy.get('catalog-service')).toBeGreaterThan(0);
    expect(outcome.servedBy.get('legacy-monolith')).toBeGreaterThan(0);
  }, 60_000);
});

describe('fetches asked for after a flip', () => {
  // The client schedules its next poll at the end of every fetch; refresh() used to start one more
  // polling loop each time (ADR-0039): a proxy that had flipped 30 times polled Unleash 186 times a second.
  it('do not add polling loops: the client still polls once per refresh interval (200 ms here)', async () => {
    const reader = proxy.flags as UnleashFlagReader;
    for (let i = 0; i < 20; i++) await reader.refresh();
    let fetches = 0;
    const count = () => fetches++;
    reader.client.on('changed', count);
    reader.client.on('unchanged', count);
    await new Promise((r) => setTimeout(r, 2_000));
    reader.client.off('changed', count);
    reader.client.off('unchanged', count);
    // 10 polls in 2 s, and a little room for a busy machine; 21 loops would make about 210.
    expect(fetches).toBeGreaterThanOrEqual(5);
    expect(fetches).toBeLessThanOrEqual(13);
  });
});

describe('when Unleash is down', () => {
  it('traffic keeps the routing of the last known flags', async () => {
    await admin.setStage('strangler.catalog', 'new', 100);
    await (proxy.flags as UnleashFlagReader).refreshUntil('strangler.catalog', 'new', 100);
    await unleash.unleash.stop();

    let release!: () => void;
    const stop = new Promise<void>((r) => (release = r));
    const load = traffic(proxy.url, 2, stop);
    // Ten refresh intervals against a dead server.
    await new Promise((r) => setTimeout(r, 2000));
    release();
    const outcome = await load;
    expect(outcome.errors).toEqual([]);
    expect(serverErrors(outcome)).toEqual([]);
    const res = await fetch(`${proxy.url}/api/products/1`);
    expect(res.headers.get('x-served-by')).toBe('catalog-service');
    const write = await fetch(`${proxy.url}/api/products`, { method: 'POST', body: '{}' });
    expect(write.headers.get('x-served-by')).toBe('legacy-monolith');
  });

  it('a proxy started while Unleash is down routes from its backup of the last flags', async () => {
    const second = await startTestProxy({
      MONOLITH_URLS: monolith.url,
      MANIFEST_DIR: manifestDir,
      UNLEASH_URL: unleash.unleash.url,
      UNLEASH_CLIENT_TOKEN: unleash.clientToken,
      UNLEASH_ADMIN_TOKEN: unleash.adminToken,
      UNLEASH_BACKUP_DIR: backupDir,
    });
    try {
      const res = await fetch(`${second.url}/api/products/1`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-served-by')).toBe('catalog-service');
    } finally {
      await second.close();
    }
  });
});
