import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { dropDatabase, ensureDatabase } from '../stack/src/postgres.js';

/** Migrated monolith schema (and seed data), built once per test run by global-setup.ts. */
export const MONOLITH_TEMPLATE = 'monolith_template';
/** The catalog service's migrated (empty) database, built once per test run. */
export const CATALOG_SERVICE_TEMPLATE = 'catalog_service_template';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A fresh database for one test file, cloned from `template` (a file copy: fast, and each file
 * sees exactly the template's data). Without a template, an empty database.
 */
export async function createTestDatabase(prefix: string, template?: string): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(adminUrl, name, template);
  return {
    name,
    url: withDatabase(adminUrl, name),
    drop: () => dropDatabase(adminUrl, name),
  };
}
