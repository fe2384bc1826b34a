import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { applyMigrations } from '@strangler/legacy-monolith/migrate';
import { seedDatabase } from '@strangler/legacy-monolith/seed';
import { loadSecrets, REPO_ROOT, type StackConfig } from './config.js';
import { ensureDatabase, startPostgres, type PostgresHandle } from './postgres.js';
import { httpOk, startProcess, waitUntil, type ManagedProcess } from './processes.js';

export interface Endpoint {
  name: string;
  url: string;
  note?: string;
}

export interface RunningStack {
  endpoints: Endpoint[];
  logDir: string;
  /** Resolves with the name of the first process that exits on its own. */
  firstExit: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the whole system on embedded defaults: PostgreSQL (unless DATABASE_URL points elsewhere),
 * the monolith's migrations, then each process, each waited for until it is really ready.
 * If a step fails, everything started so far is stopped before the error is thrown.
 */
export async function startStack(config: StackConfig, report: (line: string) => void): Promise<RunningStack> {
  const logDir = join(config.STACK_STATE_DIR, 'logs');
  mkdirSync(logDir, { recursive: true });
  const secrets = loadSecrets(config);
  const stops: (() => Promise<void>)[] = [];
  const processes: ManagedProcess[] = [];
  const endpoints: Endpoint[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    stops.length = 0;
  };

  try {
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      await assertPortFree(config.PG_PORT, 'PostgreSQL', 'PG_PORT');
      report(`starting PostgreSQL on 127.0.0.1:${config.PG_PORT} (data in ${join(config.STACK_STATE_DIR, 'postgres')})`);
      const pg: PostgresHandle = await startPostgres({
        dataDir: join(config.STACK_STATE_DIR, 'postgres'),
        port: config.PG_PORT,
        logFile: join(logDir, 'postgres.log'),
      });
      stops.push(() => pg.stop());
      await ensureDatabase(pg.url('postgres'), 'monolith');
      databaseUrl = pg.url('monolith');
      endpoints.push({ name: 'PostgreSQL', url: `postgresql://postgres@127.0.0.1:${config.PG_PORT}/monolith`, note: 'password: postgres' });
    } else {
      endpoints.push({ name: 'PostgreSQL (external)', url: redactUrl(databaseUrl) });
    }

    const applied = await applyMigrations(databaseUrl);
    report(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
    const seeded = await seedDatabase(databaseUrl);
    report(`seed data: ${seeded.products.inserted} products and ${seeded.users.inserted} users inserted (0 means already there)`);

    await assertPortFree(config.MONOLITH_PORT, 'the monolith', 'MONOLITH_PORT');
    const monolithLog = join(logDir, 'legacy-monolith.log');
    const monolith = startProcess({
      name: 'legacy-monolith',
      command: process.execPath,
      args: [join(REPO_ROOT, 'legacy-monolith/dist/server.js')],
      env: { DATABASE_URL: databaseUrl, PORT: String(config.MONOLITH_PORT), JWT_SECRET: secrets.jwtSecret, LOG_LEVEL: config.LOG_LEVEL },
      logFile: monolithLog,
    });
    processes.push(monolith);
    stops.push(() => monolith.stop());
    const monolithUrl = `http://127.0.0.1:${config.MONOLITH_PORT}`;
    await waitUntil('legacy-monolith', () => httpOk(`${monolithUrl}/readyz`), { timeoutMs: 30_000, process: monolith, logFile: monolithLog });
    endpoints.push({ name: 'legacy-monolith', url: monolithUrl, note: 'API under /api, OpenAPI at /openapi.json' });
  } catch (err) {
    await stop();
    throw err;
  }

  const firstExit = Promise.race(processes.map((p) => p.exited.then(() => p.name)));
  return { endpoints, logDir, firstExit, stop };
}

/** Fails fast, naming the setting to change, when something else already listens on a port. */
async function assertPortFree(port: number, what: string, setting: string): Promise<void> {
  const inUse = await new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (inUse) throw new Error(`port ${port} for ${what} is already in use: stop what listens there, or set ${setting} to another port`);
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
