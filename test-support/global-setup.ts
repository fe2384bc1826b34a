// Integration tests share one real PostgreSQL 17 (embedded, wal_level=logical) per run, on a free
// port, so that several checkouts can run their tests at once. Each test file gets its own
// database cloned from a migrated template (see database.ts).
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { applyMigrations } from '../legacy-monolith/src/db/migrate.js';
import { seedDatabase } from '../legacy-monolith/src/db/seed.js';
import { ensureDatabase, startPostgres, type PostgresHandle } from '../stack/src/postgres.js';
import { MONOLITH_TEMPLATE } from './database.js';

export const ROOT = resolve(import.meta.dirname, '..');

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the integration-test PostgreSQL cluster (database `postgres`). */
    pgAdminUrl: string;
  }
}

let postgres: PostgresHandle | undefined;

export async function setup(project: TestProject): Promise<void> {
  const stateDir = resolve(ROOT, '.stack/test');
  mkdirSync(resolve(stateDir, 'logs'), { recursive: true });
  postgres = await startPostgres({
    dataDir: resolve(stateDir, 'postgres'),
    port: await freePort(),
    logFile: resolve(stateDir, 'logs/postgres.log'),
    ephemeral: true,
  });
  project.provide('pgAdminUrl', postgres.url('postgres'));
  await buildMonolithTemplate(postgres);
}

/** The monolith's schema and seed data, built once per run; test files clone it (CREATE DATABASE ... TEMPLATE). */
async function buildMonolithTemplate(pg: PostgresHandle): Promise<void> {
  const admin = pg.url('postgres');
  await dropDatabase(admin, MONOLITH_TEMPLATE);
  await ensureDatabase(admin, MONOLITH_TEMPLATE);
  await applyMigrations(pg.url(MONOLITH_TEMPLATE));
  await seedDatabase(pg.url(MONOLITH_TEMPLATE));
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export async function teardown(): Promise<void> {
  await postgres?.stop();
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}
