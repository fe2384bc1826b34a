import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { applyMigrations, MigrationError, PRISMA_DIR } from './migrate.js';

describe('offline migrations', () => {
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.all(databases.splice(0).map((d) => d.drop()));
  });

  it('applies every migration to an empty database, then nothing on a second run', async () => {
    const db = await createTestDatabase('migrate_fresh');
    databases.push(db);
    const first = await applyMigrations(db.url);
    expect(first.length).toBeGreaterThan(0);
    expect(await applyMigrations(db.url)).toEqual([]);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ migration_name: string; finished_at: Date | null }>('SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name');
    await client.end();
    expect(rows.map((r) => r.migration_name)).toEqual(first);
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  it('stops with an error naming the failing migration and the database reason', async () => {
    const db = await createTestDatabase('migrate_broken');
    databases.push(db);
    const dir = mkdtempSync(join(tmpdir(), 'prisma-'));
    cpSync(PRISMA_DIR, dir, { recursive: true });
    mkdirSync(join(dir, 'migrations/29990101000000_broken'));
    writeFileSync(join(dir, 'migrations/29990101000000_broken/migration.sql'), 'ALTER TABLE "no_such_table" ADD COLUMN "x" INT;\n');

    const failure = applyMigrations(db.url, dir);
    await expect(failure).rejects.toBeInstanceOf(MigrationError);
    await expect(failure).rejects.toThrow(/29990101000000_broken/);
    await expect(failure).rejects.toThrow(/no_such_table/);
  });
});
