import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

/** Folder of the proxy's SQL migrations: `NNNN_name.sql`, applied in name order. */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** An arbitrary constant: serialises start-ups of several proxies on one database. */
const MIGRATION_LOCK = 4_711_204;

/**
 * Applies the SQL files not applied yet, each in its own transaction, and records them in
 * `proxy_schema_migrations`. Several proxy instances may start at once: an advisory lock makes
 * the second wait and then find nothing to do. Returns the names applied now.
 */
export async function migrate(pool: pg.Pool, dir = SQL_DIR): Promise<string[]> {
  const files = readdirSync(dir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS proxy_schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM proxy_schema_migrations')).rows.map((r) => r.name));
    for (const file of files) {
      if (done.has(file)) continue;
      await client.query('BEGIN');
      try {
        await client.query(readFileSync(`${dir}/${file}`, 'utf8'));
        await client.query('INSERT INTO proxy_schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
        applied.push(file);
      } catch (err) {
        // A failing ROLLBACK (the connection is gone) must not replace why the migration failed.
        const rollback = await client.query('ROLLBACK').then(
          () => '',
          (rollbackError: Error) => ` (ROLLBACK failed too: ${rollbackError.message})`,
        );
        throw new Error(`migration ${file} failed: ${err instanceof Error ? err.message : String(err)}${rollback}`, { cause: err });
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
  return applied;
}
