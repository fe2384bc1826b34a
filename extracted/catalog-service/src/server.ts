// The catalog service's process: configuration, its own migrations, HTTP, the CDC consumer, graceful shutdown.
import { loadManifests } from '@strangler/manifests';
import { createLogger, EXIT_CODES, gracefulShutdown, serve } from '@strangler/platform';
import { composeCatalogService, SERVICE_NAME } from './compose.js';
import { readConfig } from './config.js';
import { applyMigrations } from './db/migrate.js';

const logger = createLogger(SERVICE_NAME);
let config;
try {
  config = readConfig();
} catch (err) {
  logger.error(err instanceof Error ? err.message : String(err));
  process.exit(EXIT_CODES.config);
}
const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));
// The tables it projects are the catalog manifest's capture.tables (migrations/catalog.yaml), not a copy of them.
let manifest;
try {
  manifest = loadManifests().find((m) => m.service?.name === SERVICE_NAME);
  if (!manifest) throw new Error(`no manifest in migrations/ names service ${SERVICE_NAME}`);
} catch (err) {
  logger.error(`cannot read the domain manifests, not starting: ${reason(err)}`);
  process.exit(EXIT_CODES.config);
}
if (config.MIGRATE_ON_START) {
  try {
    const applied = await applyMigrations(config.DATABASE_URL);
    if (applied.length) logger.info('database migrated', { applied });
  } catch (err) {
    logger.error(`cannot migrate the catalog service's database, not starting: ${reason(err)}`);
    process.exit(1);
  }
}
const service = composeCatalogService(config, logger, manifest);
let listening;
try {
  listening = await serve(service.app, { port: config.PORT, host: config.HOST });
} catch (err) {
  // Never consume the CDC topics without an HTTP server: nobody could see or use what is applied.
  logger.error(`cannot listen, not starting: ${reason(err)}`);
  await service.close();
  process.exit(EXIT_CODES.config);
}
logger.info('catalog-service listening', { url: listening.url });
const stop = gracefulShutdown({ server: listening.server, logger, cleanups: [service.close] });
try {
  await service.start();
} catch (err) {
  // Without its CDC feed the service would serve an ever older catalog: stop, and let the supervisor retry.
  logger.error(`cannot start consuming the CDC topics from ${config.KAFKA_BROKERS.join(',')}, stopping: ${reason(err)}`);
  await stop();
  process.exit(1);
}
