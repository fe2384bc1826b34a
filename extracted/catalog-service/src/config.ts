import { configFields, loadConfig, tokenConfigFields } from '@strangler/platform';
import { z } from 'zod';

export const configSchema = z.object({
  PORT: configFields.port(4101),
  HOST: configFields.host(),
  /** The service's own database; never the monolith's (ADR-0007). */
  DATABASE_URL: configFields.postgresUrl(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /**
   * The in-process cache of the catalog's reads (ADR-0027), invalidated by the projection and the
   * service's writes before their changes can be seen: never older than the watermark.
   */
  CATALOG_CACHE: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on').transform((v) => v === 'on'),
  /** Apply the service's pending migrations at start-up (several instances may start at once: the engine locks). */
  MIGRATE_ON_START: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port')).min(1, 'needs at least one broker')),
  /** Prefix of the Debezium topics (`monolith.public.products`, ...), as the CDC bootstrap names them. */
  CDC_TOPIC_PREFIX: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be lower-case letters, digits, _ or -').default('monolith'),
  /** Consumer group: every instance of the service shares one. */
  CDC_GROUP_ID: z.string().min(1).default('catalog-service'),
  CDC_DEAD_LETTER_TOPIC: z.string().min(1).default('catalog-service.dead-letters'),
  /** How long a Kafka fetch waits for new changes; low keeps the lag low at low traffic. */
  CDC_MAX_WAIT_MS: z.coerce.number().int().min(10).max(10_000).default(100),
  /**
   * The monolith's access-token public key (PEM): routes that declare `auth` verify the caller's token
   * themselves, whatever the proxy checked. Without it such routes answer 401.
   */
  JWT_PUBLIC_KEY: tokenConfigFields.publicKey().optional(),
  JWT_ISSUER: tokenConfigFields.issuer(),
  JWT_AUDIENCE: tokenConfigFields.audience(),
  /**
   * Bearer token of the internal control API (`/internal/...`: who owns the catalog's writes). The
   * cutover (strangler flip) sends it; without it the control API refuses every call.
   */
  SERVICE_CONTROL_TOKEN: z.string().min(24, 'must be at least 24 characters (a generated secret)').optional(),
  LOG_LEVEL: configFields.logLevel(),
});

export type Config = z.output<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env, 'catalog-service environment');
}
