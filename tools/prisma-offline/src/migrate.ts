import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { loadSchemaEngine } from './schema-engine.js';

/** A migration that could not be applied: names the migration and the database's reason. */
export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/**
 * Applies the standard Prisma migration folders in `<prismaDir>/migrations` (beside
 * `<prismaDir>/schema.prisma`) to the database, as
 * `prisma migrate deploy` does (same `_prisma_migrations` bookkeeping), through Prisma's own schema
 * engine. Already-applied migrations are skipped, so running it again is a no-op.
 * Returns the names of the migrations it applied.
 */
export async function applyMigrations(databaseUrl: string, prismaDir: string): Promise<string[]> {
  const migrationsDir = join(prismaDir, 'migrations');
  const schemaPath = join(prismaDir, 'schema.prisma');
  const lockPath = join(migrationsDir, 'migration_lock.toml');
  const directories = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

  const { SchemaEngine } = await loadSchemaEngine();
  // Our own pool, so that closing it ends the engine's session and its advisory lock with it.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool));
  const logs: string[] = [];
  let engine: Awaited<ReturnType<typeof SchemaEngine.new>> | undefined;
  try {
    engine = await SchemaEngine.new({ datamodels: [[schemaPath, readFileSync(schemaPath, 'utf8')]] }, (line: string) => logs.push(line), adapter);
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: {
        baseDir: migrationsDir,
        lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
        shadowDbInitScript: '',
        migrationDirectories: directories.map((name) => {
          const file = join(migrationsDir, name, 'migration.sql');
          return {
            path: name,
            migrationFile: {
              path: 'migration.sql',
              content: existsSync(file) ? { tag: 'ok' as const, value: readFileSync(file, 'utf8') } : { tag: 'error' as const, value: `${file} is missing` },
            },
          };
        }),
      },
      filters: { externalTables: [], externalEnums: [] },
    });
    return appliedMigrationNames;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new MigrationError(`Database migration failed (${migrationsDir}): ${reason.trim()}`, { cause: err });
  } finally {
    engine?.free();
    await pool.end();
  }
}
