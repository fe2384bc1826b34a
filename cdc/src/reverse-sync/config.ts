import { configFields, loadConfig } from '@strangler/platform';
import { z } from 'zod';

export const reverseSyncConfigSchema = z.object({
  PORT: configFields.port(4102),
  HOST: configFields.host(),
  /** The monolith's database: the reverse sync writes its `categories` and `products` (and keeps its positions there). */
  DATABASE_URL: configFields.postgresUrl(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(4),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port')).min(1, 'needs at least one broker')),
  /** The domain manifests (default: the repository's migrations/): the catalog's `events.topic` names the topic. */
  MANIFEST_DIR: z.string().min(1).optional(),
  /** Topic prefix of the CDC bootstrap: the events topic is `<prefix>.<events.topic>` (`monolith.catalog.events`). */
  CDC_TOPIC_PREFIX: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be lower-case letters, digits, _ or -').default('monolith'),
  REVERSE_SYNC_GROUP_ID: z.string().min(1).default('catalog-reverse-sync'),
  REVERSE_SYNC_DEAD_LETTER_TOPIC: z.string().min(1).default('catalog-reverse-sync.dead-letters'),
  REVERSE_SYNC_MAX_WAIT_MS: z.coerce.number().int().min(10).max(10_000).default(100),
  /** Bearer token of the write-guard control API (`PUT /internal/write-owner/catalog`), shared with catalog-service and the proxy. */
  SERVICE_CONTROL_TOKEN: z.string().min(24, 'must be at least 24 characters (a generated secret)').optional(),
  /** The longest a change of write owner waits for the monolith's catalog writes in flight. */
  WRITE_OWNER_DRAIN_MS: z.coerce.number().int().min(10).max(60_000).default(5_000),
  LOG_LEVEL: configFields.logLevel(),
});

export type ReverseSyncConfig = z.output<typeof reverseSyncConfigSchema>;

export function readReverseSyncConfig(env: Record<string, string | undefined> = process.env): ReverseSyncConfig {
  return loadConfig(reverseSyncConfigSchema, env, 'catalog-reverse-sync environment');
}
