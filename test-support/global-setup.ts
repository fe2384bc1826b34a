// Integration tests share one real PostgreSQL 17 (embedded, wal_level=logical) per run, on a free
// port, so that several checkouts can run their tests at once. Each test file gets its own
// database cloned from a migrated template (see database.ts).
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { applyMigrations as applyCatalogServiceMigrations } from '../extracted/catalog-service/src/db/migrate.js';
import { applyMigrations } from '../legacy-monolith/src/db/migrate.js';
import { seedDatabase } from '../legacy-monolith/src/db/seed.js';
import { freePort } from '../platform/src/free-port.js';
import { dropDatabase, ensureDatabase, startPostgres, type PostgresHandle } from '../stack/src/postgres.js';
import { CATALOG_SERVICE_TEMPLATE, MONOLITH_TEMPLATE } from './database.js';

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
    // The test cluster (loopback only, thrown-away data) keeps the password it has always had.
    password: 'postgres',
    ephemeral: true,
  });
  project.provide('pgAdminUrl', postgres.url('postgres'));
  // One after the other: both go through the one WebAssembly instance of Prisma's schema engine.
  await buildMonolithTemplate(postgres);
  await buildTemplate(postgres, CATALOG_SERVICE_TEMPLATE, applyCatalogServiceMigrations);
}

/** A migrated database, built once per run; test files clone it (CREATE DATABASE ... TEMPLATE). */
async function buildTemplate(pg: PostgresHandle, name: string, migrate: (url: string) => Promise<unknown>): Promise<void> {
  const admin = pg.url('postgres');
  await dropDatabase(admin, name);
  await ensureDatabase(admin, name);
  await migrate(pg.url(name));
}

/** The monolith's schema and seed data. */
async function buildMonolithTemplate(pg: PostgresHandle): Promise<void> {
  await buildTemplate(pg, MONOLITH_TEMPLATE, applyMigrations);
  await seedDatabase(pg.url(MONOLITH_TEMPLATE));
}

export async function teardown(): Promise<void> {
  await postgres?.stop();
}

export { freePort };
