import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFields, ensurePrivateDir, generateTokenKeyPair, loadConfig, writePrivateFile } from '@strangler/platform';
import { z } from 'zod';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const stackConfigSchema = z.object({
  /** Folder for all local state (databases, broker data, logs); git-ignored. */
  STACK_STATE_DIR: z.string().default(join(REPO_ROOT, '.stack')),
  PG_PORT: configFields.port(5433),
  MONOLITH_PORT: configFields.port(3000),
  /** The stable URL: the strangler proxy. */
  PORT: configFields.port(8080),
  ADMIN_PORT: configFields.port(8081),
  UNLEASH_PORT: configFields.port(4242),
  KAFKA_PORT: configFields.port(9092),
  KAFKA_CONTROLLER_PORT: configFields.port(9093),
  CONNECT_PORT: configFields.port(8083),
  /** The extracted catalog service (its manifest's URL; the proxy is told when this changes). */
  CATALOG_SERVICE_PORT: configFields.port(4101),
  /** The catalog's reverse sync (its status and metrics; ADR-0025). */
  REVERSE_SYNC_PORT: configFields.port(4102),
  /** An external PostgreSQL for the monolith instead of the embedded one (needs wal_level=logical for CDC). */
  DATABASE_URL: configFields.postgresUrl().optional(),
  LOG_LEVEL: configFields.logLevel(),
});

export type StackConfig = z.output<typeof stackConfigSchema>;

export function readStackConfig(env: Record<string, string | undefined> = process.env): StackConfig {
  return loadConfig(stackConfigSchema, env, 'stack environment');
}

export interface StackSecrets {
  /** The access tokens' ES256 key pair (PEM): the monolith signs with the private key; the proxy and services get only the public one. */
  jwtPrivateKey: string;
  jwtPublicKey: string;
  /** Unleash API tokens: created by Unleash on its first start, so they must stay the same afterwards. */
  unleashAdminToken: string;
  unleashClientToken: string;
  /** Password of Unleash's `admin` user (its web UI). */
  unleashAdminPassword: string;
  /** Token of the proxy's admin API (named `admin` in the audit log); `npm run strangler` reads it from here. */
  adminToken: string;
  /** Password of the embedded PostgreSQL's superuser `postgres` (a cluster of an older stack, still on `postgres`, is moved to it). */
  postgresPassword: string;
  /** Password of the role Debezium logs in as (`debezium_monolith`: LOGIN REPLICATION, SELECT on the captured tables). */
  debeziumPassword: string;
  /** User and password of Kafka Connect's REST API (basic auth); `npm run cdc` reads them from here. */
  connectUser: string;
  connectPassword: string;
  /** HMAC key of the proxy's consistency tokens: kept so tokens issued before a proxy restart still hold. */
  consistencyTokenSecret: string;
  /** Bearer token of catalog-service's internal control API (who owns the catalog's writes, ADR-0022). */
  serviceControlToken: string;
}

function generateSecrets(): StackSecrets {
  const secret = () => randomBytes(24).toString('hex');
  const tokenKeys = generateTokenKeyPair();
  return {
    jwtPrivateKey: tokenKeys.privateKey,
    jwtPublicKey: tokenKeys.publicKey,
    unleashAdminToken: `*:*.${secret()}`,
    unleashClientToken: `default:development.${secret()}`,
    unleashAdminPassword: secret(),
    adminToken: secret(),
    postgresPassword: secret(),
    debeziumPassword: secret(),
    connectUser: 'strangler',
    connectPassword: secret(),
    consistencyTokenSecret: secret(),
    serviceControlToken: secret(),
  };
}

/**
 * The state folder holds secrets: only its owner may list or read it (0700), re-applied at every start.
 * As root, PostgreSQL runs as the `postgres` user and must pass through to its data folder, so others
 * may traverse but not list (0711); every secret file inside is 0600 either way.
 */
export function ensureStateDir(stateDir: string): void {
  ensurePrivateDir(stateDir);
  if (userInfo().uid === 0) chmodSync(stateDir, 0o711);
}

/**
 * Secrets generated on first start and kept in the state folder, so that tokens stay valid across
 * restarts without a secret in the repository.
 */
export function loadSecrets(config: StackConfig): StackSecrets {
  ensureStateDir(config.STACK_STATE_DIR);
  const file = join(config.STACK_STATE_DIR, 'secrets.json');
  const { jwtSecret: _retired, ...stored } = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<StackSecrets> & { jwtSecret?: string }) : {};
  // Keep what exists; add what a newer version of the stack needs (and drop the retired HS256 secret).
  const secrets: StackSecrets = { ...generateSecrets(), ...stored };
  if (_retired !== undefined || Object.keys(stored).length !== Object.keys(secrets).length) writePrivateFile(file, JSON.stringify(secrets, null, 2));
  else chmodSync(file, 0o600);
  return secrets;
}
