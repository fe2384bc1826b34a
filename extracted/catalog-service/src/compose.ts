import { catalogRouter, CatalogService } from '@strangler/catalog-contract';
import { cdcNames, cdcRouter, ProjectionConsumer, tableTopic } from '@strangler/cdc/projection';
import type { Manifest } from '@strangler/manifests';
import { AccessTokenVerifier, Alerts, Api, buildServiceApp, createMetricsRegistry, type Logger } from '@strangler/platform';
import type { Config } from './config.js';
import { openDatabase } from './db/prisma.js';
import { CatalogCache } from './features/catalog/catalog-cache.js';
import { CachedCatalogStore } from './features/catalog/cached-catalog-store.js';
import { catalogFastLane } from './features/catalog/catalog-fast-lane.js';
import { PgCatalogStore } from './features/catalog/catalog-store.js';
import { controlRouter } from './features/ownership/control-router.js';
import { PgOwnershipStore } from './features/ownership/ownership-store.js';
import { CatalogProjection } from './features/projection/catalog-projection.js';
import { InvalidatingProjectionStore } from './features/projection/invalidating-projection-store.js';
import { PgProjectionStore } from './features/projection/projection-store.js';
import { faultSwitch } from './features/fault/fault-switch.js';
import { syncStatus } from './features/sync/sync-status.js';

export const SERVICE_NAME = 'catalog-service';

/**
 * Wires the catalog service by hand: its database, the catalog API (reads, and writes once it owns
 * the catalog), the internal control API, and the CDC projection that keeps the database in step
 * with the monolith's tables (the `capture.tables` of the catalog manifest, migrations/catalog.yaml).
 * Used by server.ts and the integration tests. Does not listen and does not consume until `start()`.
 */
export function composeCatalogService(config: Config, logger: Logger, manifest: Pick<Manifest, 'domain' | 'capture'>) {
  if (manifest.capture.tables.length === 0) throw new Error(`the ${manifest.domain} manifest captures no table (capture.tables): nothing to project`);
  const database = openDatabase(config.DATABASE_URL, { maxConnections: config.DATABASE_POOL_SIZE });
  const registry = createMetricsRegistry(SERVICE_NAME);
  const api = new Api(config.JWT_PUBLIC_KEY ? new AccessTokenVerifier(config.JWT_PUBLIC_KEY, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }) : undefined);
  // The read model's cache (ADR-0027): the projection and the writes invalidate it before their changes can be seen.
  const cache = config.CATALOG_CACHE ? new CatalogCache() : undefined;
  const catalog = new CatalogService(cache ? new CachedCatalogStore(new PgCatalogStore(database.pool), cache) : new PgCatalogStore(database.pool));
  const ownership = new PgOwnershipStore(database.pool);

  const names = cdcNames(config.CDC_TOPIC_PREFIX);
  const projectionStore = new PgProjectionStore(database.pool, manifest.domain);
  const projection = new CatalogProjection(cache ? new InvalidatingProjectionStore(projectionStore, cache) : projectionStore, names.heartbeatTable);
  const consumer = new ProjectionConsumer({
    brokers: config.KAFKA_BROKERS,
    groupId: config.CDC_GROUP_ID,
    topics: [...manifest.capture.tables, names.heartbeatTable].map((table) => tableTopic(names.topicPrefix, table)),
    traceTopic: names.messageTopic,
    deadLetterTopic: config.CDC_DEAD_LETTER_TOPIC,
    projection,
    logger,
    registry,
    maxWaitTimeMs: config.CDC_MAX_WAIT_MS,
    alerts: new Alerts({ service: SERVICE_NAME, logger, registry, webhookUrl: config.ALERT_WEBHOOK_URL }),
  });
  const faulty = config.CATALOG_FAULT_PRICE_DELTA !== 0 || config.CATALOG_FAULT_ERROR_RATE > 0;
  if (faulty) logger.warn('DELIBERATE DEFECT ON (test only): CATALOG_FAULT_PRICE_DELTA / CATALOG_FAULT_ERROR_RATE', { priceDelta: config.CATALOG_FAULT_PRICE_DELTA, errorRate: config.CATALOG_FAULT_ERROR_RATE });

  const app = buildServiceApp({
    logger,
    registry,
    api,
    openApi: {
      title: 'Catalog service',
      version: '1.0.0',
      description: "The catalog extracted from the monolith: the same routes and answers, from the service's own database.",
    },
    routers: [...(faulty ? [faultSwitch({ priceDelta: config.CATALOG_FAULT_PRICE_DELTA, errorRate: config.CATALOG_FAULT_ERROR_RATE })] : []), catalogRouter(api, catalog), controlRouter({ token: config.SERVICE_CONTROL_TOKEN, ownership, reverseSyncUrl: config.REVERSE_SYNC_URL }), cdcRouter({
        status: () => consumer.status(),
        positions: () => projection.positions(),
        watermark: () => consumer.watermark(),
        waitForWatermark: (lsn, timeoutMs) => consumer.waitForWatermark(lsn, timeoutMs),
        sync: syncStatus({ domain: manifest.domain, ownership, pool: database.pool, reverseSyncUrl: config.REVERSE_SYNC_URL }),
      })],
    // Cache hits of the hot reads answered without Express (ADR-0036); not with the test-only fault
    // switch, which must see every request.
    ...(cache && !faulty ? { fastLane: catalogFastLane(cache) } : {}),
    readiness: {
      database: async () => {
        await database.pool.query('SELECT 1');
      },
      cdc: async () => {
        const status = consumer.status();
        if (!status.consuming) throw new Error('the CDC consumer is not consuming (joining its group, or restarting)');
      },
    },
  });

  return {
    app,
    consumer,
    database,
    registry,
    ownership,
    /** Starts consuming the CDC topics (from the positions stored in the database). */
    start: () => consumer.start(),
    close: async () => {
      await consumer.stop();
      await database.close();
    },
  };
}

export type CatalogServiceInstance = ReturnType<typeof composeCatalogService>;
