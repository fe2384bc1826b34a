import pg from 'pg';
import { CDC_SCHEMA, type CdcNames, type DatabaseSettings } from './connector-config.js';

export function connectionConfig(database: DatabaseSettings): pg.ClientConfig {
  return { host: database.host, port: database.port, user: database.user, password: database.password, database: database.dbname };
}

async function withClient<T>(database: DatabaseSettings, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(connectionConfig(database));
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function quoteTable(client: pg.Client, table: string): string {
  const [schema, name] = table.split('.');
  return `${client.escapeIdentifier(schema ?? 'public')}.${client.escapeIdentifier(name ?? '')}`;
}

/**
 * Prepares the monolith's database for capture, idempotently:
 * - checks `wal_level=logical`;
 * - creates the project's heartbeat table (the target of `heartbeat.action.query`);
 * - sets REPLICA IDENTITY FULL on each captured table (only when not already FULL: the ALTER takes a
 *   short exclusive lock), so updates and deletes carry the whole old row in `before`;
 * - creates the filtered publication, or sets its table list to exactly the captured tables.
 */
export async function preparePostgres(database: DatabaseSettings, names: CdcNames, tables: string[]): Promise<void> {
  await withClient(database, async (client) => {
    const { rows } = await client.query<{ wal_level: string }>('SHOW wal_level');
    if (rows[0]?.wal_level !== 'logical') {
      throw new Error(
        `PostgreSQL at ${database.host}:${database.port} runs with wal_level=${rows[0]?.wal_level}; change data capture needs wal_level=logical (set it and restart PostgreSQL).`,
      );
    }
    const missing = await client.query<{ table: string }>(
      `SELECT t AS table FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL`,
      [tables],
    );
    if (missing.rows.length > 0) {
      throw new Error(
        `captured tables missing in database ${database.dbname}: ${missing.rows.map((r) => r.table).join(', ')} (are the monolith's migrations applied?)`,
      );
    }

    await client.query(`CREATE SCHEMA IF NOT EXISTS ${CDC_SCHEMA}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${names.heartbeatTable} (connector text PRIMARY KEY, beat_at timestamptz NOT NULL DEFAULT now())`,
    );

    const all = [...tables, names.heartbeatTable];
    for (const table of all) {
      const { rows: identity } = await client.query<{ relreplident: string }>(
        'SELECT relreplident FROM pg_class WHERE oid = to_regclass($1)',
        [table],
      );
      if (identity[0]?.relreplident !== 'f') await client.query(`ALTER TABLE ${quoteTable(client, table)} REPLICA IDENTITY FULL`);
    }

    const publication = client.escapeIdentifier(names.publication);
    const tableList = all.map((t) => quoteTable(client, t)).join(', ');
    const { rowCount } = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.publication]);
    await client.query(
      rowCount ? `ALTER PUBLICATION ${publication} SET TABLE ${tableList}` : `CREATE PUBLICATION ${publication} FOR TABLE ${tableList}`,
    );
  });
}

/**
 * Drops the replication slot and publication of a pipeline, so no forgotten slot holds WAL. A slot
 * still in use (its connector running) is released first by ending the walsender that holds it.
 */
export async function dropSlotAndPublication(database: DatabaseSettings, names: Pick<CdcNames, 'slot' | 'publication'>): Promise<{ slot: boolean; publication: boolean }> {
  return withClient(database, async (client) => {
    let slotDropped = false;
    for (let attempt = 0; attempt < 20; attempt++) {
      const { rows } = await client.query<{ active_pid: number | null }>(
        'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1',
        [names.slot],
      );
      const slot = rows[0];
      if (!slot) break;
      if (slot.active_pid) {
        await client.query('SELECT pg_terminate_backend($1)', [slot.active_pid]);
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      try {
        await client.query('SELECT pg_drop_replication_slot($1)', [names.slot]);
        slotDropped = true;
        break;
      } catch (err) {
        // Became active again between the check and the drop (a connector retrying): try again.
        if ((err as { code?: string }).code !== '55006') throw err;
      }
    }
    const { rowCount } = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.publication]);
    if (rowCount) await client.query(`DROP PUBLICATION ${client.escapeIdentifier(names.publication)}`);
    return { slot: slotDropped, publication: Boolean(rowCount) };
  });
}
