import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
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
 * The SCRAM-SHA-256 verifier of a password, as PostgreSQL stores it (RFC 7677, 4096 iterations, the
 * format `psql \password` sends). `ALTER ROLE ... PASSWORD '<verifier>'` sets the password without
 * the password itself ever reaching the server, so no statement log can show it.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** `ALTER ROLE <role> PASSWORD <verifier of password>` (or CREATE ROLE with `attributes`), the password never sent in clear. */
export async function setRolePassword(client: pg.Client, role: string, password: string, create?: { attributes: string }): Promise<void> {
  const verifier = client.escapeLiteral(scramSha256Verifier(password));
  const ident = client.escapeIdentifier(role);
  await client.query(create ? `CREATE ROLE ${ident} WITH ${create.attributes} PASSWORD ${verifier}` : `ALTER ROLE ${ident} WITH PASSWORD ${verifier}`);
}

/** What the capture role may do: log in and replicate; nothing that could widen its rights. */
const CAPTURE_ROLE_ATTRIBUTES = 'LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS';

/**
 * Creates the role Debezium logs in as, or brings an existing one back to exactly what it needs:
 * LOGIN REPLICATION (logical decoding through the slot), USAGE on the schemas and SELECT on the
 * captured tables (the initial snapshot), SELECT/INSERT/UPDATE on the heartbeat table (the
 * `heartbeat.action.query` upsert), and no other table. The publication stays owned by the bootstrap's
 * user (`publication.autocreate.mode=disabled`), so the role needs no CREATE right and owns nothing.
 */
async function ensureCaptureRole(client: pg.Client, database: DatabaseSettings, role: string, password: string, tables: string[], heartbeatTable: string): Promise<void> {
  // One transaction: a running connector never sees its grants revoked and granted again.
  await client.query('BEGIN');
  try {
    await applyCaptureRole(client, database, role, password, tables, heartbeatTable);
    await client.query('COMMIT');
  } catch (err) {
    // A failing ROLLBACK (the connection is gone) must not replace why the grants failed.
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)} (ROLLBACK failed too: ${rollbackError.message})`, { cause: err });
    });
    throw err;
  }
}

async function applyCaptureRole(client: pg.Client, database: DatabaseSettings, role: string, password: string, tables: string[], heartbeatTable: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (rowCount) {
    await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} WITH ${CAPTURE_ROLE_ATTRIBUTES}`);
    await setRolePassword(client, role, password);
  } else {
    await setRolePassword(client, role, password, { attributes: CAPTURE_ROLE_ATTRIBUTES });
  }
  const ident = client.escapeIdentifier(role);
  await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(database.dbname)} TO ${ident}`);
  const schemas = [...new Set([...tables, heartbeatTable].map((t) => t.split('.')[0] ?? 'public'))];
  for (const schema of schemas) await client.query(`GRANT USAGE ON SCHEMA ${client.escapeIdentifier(schema)} TO ${ident}`);

  // Tables granted earlier (a table a manifest no longer captures) lose their grant.
  const wanted = new Set([...tables, heartbeatTable].map((t) => quoteTable(client, t)));
  const { rows: granted } = await client.query<{ table: string }>(
    `SELECT DISTINCT format('%I.%I', n.nspname, c.relname) AS table
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
      WHERE a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1)`,
    [role],
  );
  for (const { table } of granted) {
    if (!wanted.has(table)) await client.query(`REVOKE ALL ON TABLE ${table} FROM ${ident}`);
  }
  for (const table of tables) {
    await client.query(`REVOKE ALL ON TABLE ${quoteTable(client, table)} FROM ${ident}`);
    await client.query(`GRANT SELECT ON TABLE ${quoteTable(client, table)} TO ${ident}`);
  }
  await client.query(`REVOKE ALL ON TABLE ${quoteTable(client, heartbeatTable)} FROM ${ident}`);
  await client.query(`GRANT SELECT, INSERT, UPDATE ON TABLE ${quoteTable(client, heartbeatTable)} TO ${ident}`);
}

/**
 * Drops the capture role: its privileges in this database first (`DROP OWNED BY`). A role that still
 * holds rights in another database is kept (PostgreSQL refuses), and `false` says so.
 */
async function dropCaptureRole(client: pg.Client, role: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (!rowCount) return false;
  const ident = client.escapeIdentifier(role);
  await client.query(`DROP OWNED BY ${ident}`);
  try {
    await client.query(`DROP ROLE ${ident}`);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '2BP01') return false; // dependent objects in another database
    throw err;
  }
}

/**
 * Prepares the monolith's database for capture, idempotently:
 * - checks `wal_level=logical`;
 * - creates the project's heartbeat table (the target of `heartbeat.action.query`);
 * - sets REPLICA IDENTITY FULL on each captured table (only when not already FULL: the ALTER takes a
 *   short exclusive lock), so updates and deletes carry the whole old row in `before`;
 * - creates the filtered publication, or sets its table list to exactly the captured tables;
 * - creates the capture role (`names.captureRole`) with `capturePassword`, or resets its password
 *   and rights to exactly what Debezium needs for these tables.
 * `database` is a user that may do all of that (the database owner or a superuser); Debezium never uses it.
 */
export async function preparePostgres(database: DatabaseSettings, names: CdcNames, tables: string[], capturePassword: string): Promise<void> {
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
        `captured tables missing in database ${database.dbname}: ${missing.rows.map((r) => r.table).join(', ')} (are the migrations of the database's owner applied? The monolith's for its tables, the service's for its outbox)`,
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
    await ensureCaptureRole(client, database, names.captureRole, capturePassword, tables, names.heartbeatTable);
  });
}

/**
 * Drops the replication slot, publication and capture role of a pipeline, so no forgotten slot holds
 * WAL and no unused login remains. A slot still in use (its connector running) is released first by
 * ending the walsender that holds it.
 */
export async function dropSlotAndPublication(
  database: DatabaseSettings,
  names: Pick<CdcNames, 'slot' | 'publication' | 'captureRole'>,
): Promise<{ slot: boolean; publication: boolean; role: boolean }> {
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
    const role = await dropCaptureRole(client, names.captureRole);
    return { slot: slotDropped, publication: Boolean(rowCount), role };
  });
}
