import { configFields, loadConfig, tokenConfigFields } from '@strangler/platform';
import { z } from 'zod';

export const configSchema = z.object({
  PORT: configFields.port(3000),
  HOST: configFields.host(),
  DATABASE_URL: configFields.postgresUrl(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** The access tokens' ES256 private key (PEM); the proxy and the services hold only its public key. */
  JWT_PRIVATE_KEY: tokenConfigFields.privateKey(),
  JWT_ISSUER: tokenConfigFields.issuer(),
  JWT_AUDIENCE: tokenConfigFields.audience(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must be a size such as 100kb').default('100kb'),
  LOG_LEVEL: configFields.logLevel(),
});

export type Config = z.output<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  return loadConfig(configSchema, env, 'legacy-monolith environment');
}
