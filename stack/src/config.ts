import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFields, loadConfig } from '@strangler/platform';
import { z } from 'zod';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const stackConfigSchema = z.object({
  /** Folder for all local state (databases, broker data, logs); git-ignored. */
  STACK_STATE_DIR: z.string().default(join(REPO_ROOT, '.stack')),
  PG_PORT: configFields.port(5433),
  MONOLITH_PORT: configFields.port(3000),
  /** An external PostgreSQL for the monolith instead of the embedded one (needs wal_level=logical for CDC). */
  DATABASE_URL: configFields.postgresUrl().optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  LOG_LEVEL: configFields.logLevel(),
});

export type StackConfig = z.output<typeof stackConfigSchema>;

export function readStackConfig(env: Record<string, string | undefined> = process.env): StackConfig {
  return loadConfig(stackConfigSchema, env, 'stack environment');
}

export interface StackSecrets {
  jwtSecret: string;
}

/**
 * Secrets generated on first start and kept in the state folder, so that tokens stay valid across
 * restarts without a secret in the repository. JWT_SECRET overrides.
 */
export function loadSecrets(config: StackConfig): StackSecrets {
  mkdirSync(config.STACK_STATE_DIR, { recursive: true });
  const file = join(config.STACK_STATE_DIR, 'secrets.json');
  let secrets: StackSecrets;
  if (existsSync(file)) {
    secrets = JSON.parse(readFileSync(file, 'utf8')) as StackSecrets;
  } else {
    secrets = { jwtSecret: randomBytes(32).toString('base64url') };
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  return { ...secrets, jwtSecret: config.JWT_SECRET ?? secrets.jwtSecret };
}
