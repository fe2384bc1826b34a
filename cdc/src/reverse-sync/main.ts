// The catalog's reverse sync as a process of its own (stack component `catalog-reverse-sync`, ADR-0025):
// catalog-service's domain events in, the monolith's catalog tables out.
import { loadManifests } from '@strangler/manifests';
import { createLogger, gracefulShutdown, serve } from '@strangler/platform';
import { eventsTopic } from '../bootstrap/event-streams.js';
import { readReverseSyncConfig } from './config.js';
import { composeReverseSync } from './reverse-sync.js';

const logger = createLogger('catalog-reverse-sync');
let config;
try {
  config = readReverseSyncConfig();
} catch (err) {
  logger.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}
const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));
let topic: string;
try {
  const catalog = loadManifests(config.MANIFEST_DIR).find((m) => m.domain === 'catalog');
  if (!catalog) throw new Error('no manifest of the catalog domain');
  topic = eventsTopic(catalog, config.CDC_TOPIC_PREFIX);
} catch (err) {
  logger.error(`cannot find the catalog's events topic, not starting: ${reason(err)}`);
  process.exit(2);
}
const sync = composeReverseSync({
  databaseUrl: config.DATABASE_URL,
  databasePoolSize: config.DATABASE_POOL_SIZE,
  brokers: config.KAFKA_BROKERS,
  topic,
  groupId: config.REVERSE_SYNC_GROUP_ID,
  deadLetterTopic: config.REVERSE_SYNC_DEAD_LETTER_TOPIC,
  maxWaitTimeMs: config.REVERSE_SYNC_MAX_WAIT_MS,
  controlToken: config.SERVICE_CONTROL_TOKEN,
  ownerDrainMs: config.WRITE_OWNER_DRAIN_MS,
  logger,
});
let listening;
try {
  listening = await serve(sync.app, { port: config.PORT, host: config.HOST });
} catch (err) {
  logger.error(`cannot listen, not starting: ${reason(err)}`);
  await sync.close();
  process.exit(1);
}
logger.info('catalog-reverse-sync listening', { url: listening.url });
const stop = gracefulShutdown({ server: listening.server, logger, cleanups: [sync.close] });
try {
  await sync.start();
} catch (err) {
  logger.error(`cannot start the reverse sync (monolith database or Kafka at ${config.KAFKA_BROKERS.join(',')}), stopping: ${reason(err)}`);
  await stop();
  process.exit(1);
}
