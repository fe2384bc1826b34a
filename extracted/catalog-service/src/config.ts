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
  /** The catalog's reverse sync (catalog-reverse-sync): `GET /cdc` shows its lag and the cutover waits for it (ADR-0025). */
  REVERSE_SYNC_URL: z.url({ protocol: /^https?$/ }).optional(),
  LOG_LEVEL: configFields.logLevel(),
  /** TEST ONLY (ADR-0023): a deliberate defect. Every priceCents in an answer is off by this many cents. */
  CATALOG_FAULT_PRICE_DELTA: z.coerce.number().int().default(0),
  /** TEST ONLY (ADR-0023): a deliberate defect. This share (0-1) of /api requests answers 500. */
  CATALOG_FAULT_ERROR_RATE: z.coerce.number().min(0, 'must be a share from 0 to 1').max(1, 'must be a share from 0 to 1').default(0),
  /** Alerts (a dead letter in the projection) are POSTed here as JSON; log and counter only when unset. */
  ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
});

export type Config = z.output<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env, 'catalog-service environment');
}
