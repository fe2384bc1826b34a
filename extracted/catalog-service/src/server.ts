// The catalog service's process: configuration, its own migrations, the CDC consumer, HTTP, graceful shutdown.
import { createLogger, gracefulShutdown } from '@strangler/platform';
import { composeCatalogService, SERVICE_NAME } from './compose.js';
import { readConfig } from './config.js';
import { applyMigrations } from './db/migrate.js';

const logger = createLogger(SERVICE_NAME);
let config;
try {
  config = readConfig();
} catch (err) {
  logger.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}
if (config.MIGRATE_ON_START) {
  const applied = await applyMigrations(config.DATABASE_URL);
  if (applied.length) logger.info('database migrated', { applied });
}
const service = composeCatalogService(config, logger);
const server = service.app.listen(config.PORT, config.HOST, () => {
  logger.info('catalog-service listening', { url: `http://${config.HOST}:${config.PORT}` });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
gracefulShutdown({ server, logger, cleanups: [service.close] });
await service.start();
