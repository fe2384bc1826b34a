// Where `npm run cdc` finds the credentials it needs: the environment first (docker-compose.yml, an
// external stack), else the secrets `npm start` generated in the stack's state folder (.stack/secrets.json).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectApi } from './bootstrap/connect-client.js';

/** The fields of `.stack/secrets.json` this CLI reads (the stack owns the file). */
export interface LocalStackSecrets {
  postgresPassword?: string;
  debeziumPassword?: string;
  connectUser?: string;
  connectPassword?: string;
}

export function readStackSecrets(stateDir: string): LocalStackSecrets {
  const file = join(stateDir, 'secrets.json');
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalStackSecrets;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Connect's REST API with CONNECT_USER / CONNECT_PASSWORD, else the stack's generated ones. */
export function resolveConnectApi(url: string, env: NodeJS.ProcessEnv, secrets: LocalStackSecrets): ConnectApi {
  const username = env.CONNECT_USER ?? secrets.connectUser;
  const password = env.CONNECT_PASSWORD ?? secrets.connectPassword;
  if (!username || !password) {
    throw new Error(
      `Kafka Connect at ${url} requires a user and password: set CONNECT_USER and CONNECT_PASSWORD (after npm start they are connectUser and connectPassword in .stack/secrets.json)`,
    );
  }
  return { url, username, password };
}

/**
 * The monolith's database: CDC_DATABASE_URL (or --database-url) as given; else the embedded server of
 * `npm start` (127.0.0.1:PG_PORT, user postgres) with its generated password.
 */
export function resolveDatabaseUrl(explicit: string | undefined, env: NodeJS.ProcessEnv, secrets: LocalStackSecrets): string {
  if (explicit) return explicit;
  if (!secrets.postgresPassword) {
    throw new Error("no database to reach: set CDC_DATABASE_URL (or --database-url), or run npm start once so that .stack/secrets.json holds the embedded server's password");
  }
  return `postgresql://postgres:${encodeURIComponent(secrets.postgresPassword)}@127.0.0.1:${env.PG_PORT ?? '5433'}/monolith`;
}

/** The password the bootstrap gives the capture role: DEBEZIUM_PASSWORD, else the stack's generated one. */
export function resolveCapturePassword(env: NodeJS.ProcessEnv, secrets: LocalStackSecrets): string {
  const password = env.DEBEZIUM_PASSWORD ?? secrets.debeziumPassword;
  if (!password) throw new Error('set DEBEZIUM_PASSWORD: the password of the database role Debezium logs in as (after npm start it is debeziumPassword in .stack/secrets.json)');
  return password;
}
