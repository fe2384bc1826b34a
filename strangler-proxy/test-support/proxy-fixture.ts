import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '@strangler/platform';
import { freePort, ROOT } from '../../test-support/global-setup.js';
import { createTestDatabase, type TestDatabase } from '../../test-support/database.js';
import { proxyConfigSchema, type ProxyConfig } from '../src/config.js';
import type { FlagReader } from '../src/flags/flag-reader.js';
import { startProxy, type RunningProxy } from '../src/runtime.js';
import { startUnleashProcess, type UnleashProcess } from '../src/unleash-server/unleash-process.js';
import { UnleashAdmin } from '../src/flags/unleash-admin.js';
import { startStandIn, type StandIn } from './stand-in.js';

/**
 * Writes a manifest folder: a registry and a catalog + orders domain targeting `serviceUrls`, at
 * `stages`, each domain taking every stage unless `allowed` lists its `stages:`.
 */
export function writeManifests(
  serviceUrls: { catalog: string[]; orders: string[] },
  stages: { catalog?: string; orders?: string } = {},
  allowed: { catalog?: string[] } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'manifests-'));
  writeFileSync(join(dir, 'services.yaml'), 'services: [legacy-monolith, catalog-service, orders-service]\n');
  writeFileSync(
    join(dir, 'catalog.yaml'),
    `domain: catalog
adr: 9
service: { name: catalog-service, urls: [${serviceUrls.catalog.join(', ')}] }
${allowed.catalog ? `stages: [${allowed.catalog.join(', ')}]\n` : ''}stage: ${stages.catalog ?? 'legacy'}
percentage: 0
routes:
  - { method: GET, path: /api/products }
  - { method: GET, path: /api/products/:id }
  - { method: GET, path: /api/products/featured, stage: legacy }
  - { method: GET, path: /api/slow }
  - { method: POST, path: /api/products }
`,
  );
  writeFileSync(
    join(dir, 'orders.yaml'),
    `domain: orders
adr: 10
service: { name: orders-service, urls: [${serviceUrls.orders.join(', ')}] }
stage: ${stages.orders ?? 'legacy'}
percentage: 0
routes:
  - { method: GET, path: /api/orders/:id }
  - { method: POST, path: /api/orders/checkout }
`,
  );
  return dir;
}

/** A debug-level logger that prints nothing and keeps every line it would have written. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const logger = createLogger('strangler-proxy', 'debug');
  for (const transport of logger.transports) transport.silent = true;
  const lines: string[] = [];
  logger.on('data', (info: Record<string | symbol, unknown>) => lines.push(String(info[Symbol.for('message')])));
  return { logger, lines };
}

export interface UnleashFixture {
  unleash: UnleashProcess;
  database: TestDatabase;
  adminToken: string;
  clientToken: string;
  port: number;
  stop(): Promise<void>;
}

/** A real Unleash on its own fresh database and a free port, with fresh tokens. */
export async function startTestUnleash(): Promise<UnleashFixture> {
  const database = await createTestDatabase('unleash');
  const port = await freePort();
  const adminToken = `*:*.${randomBytes(16).toString('hex')}`;
  const clientToken = `default:development.${randomBytes(16).toString('hex')}`;
  const logDir = resolve(ROOT, '.stack/test/logs');
  mkdirSync(logDir, { recursive: true });
  const unleash = await startUnleashProcess({ databaseUrl: database.url, port, adminToken, clientToken, logFile: join(logDir, `unleash-${port}.log`) });
  return {
    unleash,
    database,
    adminToken,
    clientToken,
    port,
    stop: async () => {
      await unleash.stop();
      await database.drop();
    },
  };
}

export async function startTestProxy(overrides: Partial<Record<keyof ProxyConfig, string>>, options: { flags?: FlagReader; logger?: Logger } = {}): Promise<RunningProxy> {
  const config = proxyConfigSchema.parse({
    PORT: '0',
    ADMIN_PORT: '0',
    UNLEASH_CLIENT_TOKEN: 'unused:development.unused',
    UNLEASH_REFRESH_MS: '200',
    UNLEASH_BACKUP_DIR: mkdtempSync(join(tmpdir(), 'unleash-backup-')),
    HEALTH_INTERVAL_MS: '500',
    BREAKER_RESET_MS: '1000',
    UPSTREAM_TIMEOUT_MS: '1000',
    MAX_BODY_BYTES: String(64 * 1024),
    MAX_HEADER_BYTES: String(8 * 1024),
    ...overrides,
  });
  return startProxy(config, { ...options, logger: options.logger ?? createLogger('strangler-proxy', 'silent') });
}

/** Stand-ins for the monolith and two extracted services, a real Unleash, and a proxy over them. */
export interface ProxyWorld {
  monolith: StandIn;
  catalog: StandIn;
  orders: StandIn;
  unleash: UnleashFixture;
  proxy: RunningProxy;
  admin: UnleashAdmin;
  manifestDir: string;
  close(): Promise<void>;
}

export async function startProxyWorld(overrides: Partial<Record<keyof ProxyConfig, string>> = {}): Promise<ProxyWorld> {
  const [monolith, catalog, orders, unleash] = await Promise.all([startStandIn('legacy-monolith'), startStandIn('catalog-service'), startStandIn('orders-service'), startTestUnleash()]);
  const manifestDir = writeManifests({ catalog: [catalog.url], orders: [orders.url] });
  const proxy = await startTestProxy({
    MONOLITH_URLS: monolith.url,
    MANIFEST_DIR: manifestDir,
    UNLEASH_URL: unleash.unleash.url,
    UNLEASH_CLIENT_TOKEN: unleash.clientToken,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    ...overrides,
  });
  return {
    monolith,
    catalog,
    orders,
    unleash,
    proxy,
    admin: new UnleashAdmin(unleash.unleash.url, unleash.adminToken),
    manifestDir,
    close: async () => {
      await proxy.close();
      await Promise.all([monolith.close(), catalog.close(), orders.close()]);
      await unleash.stop();
    },
  };
}
