import { mkdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { applyMigrations as applyCatalogServiceMigrations } from '@strangler/catalog-service/migrate';
import { applyMigrations } from '@strangler/legacy-monolith/migrate';
import { seedDatabase } from '@strangler/legacy-monolith/seed';
import { bootstrapCdc, CAPTURE_PASSWORD_KEY, monolithWriteOwner, PortTakenError, startCdcRuntime, stopCdcRuntime, type CdcRuntime, type DatabaseSettings } from '@strangler/cdc';
import { loadManifests } from '@strangler/manifests';
import { loadSecrets, REPO_ROOT, type StackConfig } from './config.js';
import { ensureDatabase, startPostgres, type PostgresHandle } from './postgres.js';
import { isFatal, logFileName, type ComponentName } from './components.js';
import { httpOk, isAlive, startProcess, tailOf, waitUntil } from './processes.js';
import { PermanentStartError, Supervisor, type Instance } from './supervisor.js';

/** The monolith's routes that need an access token at the edge (docker-compose.yml says the same). */
export const EDGE_AUTH_ROUTES = '/api/cart,/api/orders,/api/users/me,/api/notifications,POST /api/products,PATCH /api/products,DELETE /api/products,POST /api/inventory';

/**
 * Sign-in and registration are throttled by default, per client address and, for sign-in, per
 * account too (password guessing from many addresses); docker-compose.yml ships the same.
 */
export const SIGN_IN_RATE_LIMITS = 'POST /api/auth/login=20/60 per ip,POST /api/auth/login=10/300 per account,POST /api/auth/register=5/60 per ip';

export interface Endpoint {
  name: string;
  url: string;
  note?: string;
}

export interface RunningStack {
  endpoints: Endpoint[];
  logDir: string;
  /** Resolves, naming it and how it ended, when a fatal component (PostgreSQL, the proxy) ends. */
  fatal: Promise<string>;
  supervisor: Supervisor;
  stop(): Promise<void>;
}

/** The file the running stack keeps its components' state in, for `npm run stack -- status`. */
export function stackStateFile(stateDir: string): string {
  return join(stateDir, 'stack-state.json');
}

/**
 * Starts the whole system on embedded defaults: PostgreSQL (unless DATABASE_URL points elsewhere),
 * the monolith's migrations, then each process, each waited for until it is really ready.
 * If a step fails, or `signal` aborts (Ctrl-C), everything started so far is stopped before the error is thrown.
 */
export async function startStack(config: StackConfig, report: (line: string) => void, signal?: AbortSignal): Promise<RunningStack> {
  const logDir = join(config.STACK_STATE_DIR, 'logs');
  mkdirSync(logDir, { recursive: true });
  const secrets = loadSecrets(config);
  const secretsFile = join(config.STACK_STATE_DIR, 'secrets.json');
  const stops: (() => Promise<void>)[] = [];
  const endpoints: Endpoint[] = [];
  const supervisor = new Supervisor({ report, stateFile: stackStateFile(config.STACK_STATE_DIR), tail: (file) => tailOf(file) });
  const stop = async () => {
    await supervisor.stop();
    for (const s of stops.reverse()) {
      await s().catch((err: unknown) => report(`a stop step failed: ${err instanceof Error ? err.message : String(err)}`));
    }
    stops.length = 0;
  };
  /** Puts a component under supervision (its first process is already running and ready). */
  const supervise = (name: ComponentName, instance: Instance, start: (signal: AbortSignal) => Promise<Instance>) =>
    supervisor.adopt({ name, logFile: join(logDir, logFileName(name)), fatal: isFatal(name), start }, instance);

  /**
   * Starts one of our Node processes, waits until `readyUrl` answers 2xx, and supervises it: started
   * again the same way when it ends (components.ts says whether its end stops the stack instead).
   */
  const startNodeService = async (service: { name: ComponentName; entry: string; env: NodeJS.ProcessEnv; readyUrl: string; timeoutMs: number }) => {
    const logFile = join(logDir, logFileName(service.name));
    const launch = async (abort: AbortSignal | undefined): Promise<Instance> => {
      const child = startProcess({ name: service.name, command: process.execPath, args: [join(REPO_ROOT, service.entry)], env: service.env, logFile });
      try {
        await waitUntil(service.name, () => httpOk(service.readyUrl), { timeoutMs: service.timeoutMs, process: child, logFile, signal: abort });
      } catch (err) {
        // Not ready, or Ctrl-C while waiting: nothing of this attempt is left running.
        await child.stop();
        throw err;
      }
      return { pid: child.pid, exited: child.exited, stop: () => child.stop() };
    };
    supervise(service.name, await launch(signal), launch);
  };

  try {
    // Manifests first: a bad one stops start-up before anything runs, naming file, field and reason.
    const manifests = loadManifests();
    let databaseUrl = config.DATABASE_URL;
    if (!databaseUrl) {
      await assertPortFree(config.PG_PORT, 'PostgreSQL', 'PG_PORT');
      report(`starting PostgreSQL on 127.0.0.1:${config.PG_PORT} (data in ${join(config.STACK_STATE_DIR, 'postgres')})`);
      const pg: PostgresHandle = await startPostgres({
        dataDir: join(config.STACK_STATE_DIR, 'postgres'),
        port: config.PG_PORT,
        logFile: join(logDir, 'postgres.log'),
        password: secrets.postgresPassword,
        // A cluster created by an older stack still has the fixed password it used to set.
        formerPasswords: ['postgres'],
      });
      supervise('postgres', postgresInstance(pg, join(config.STACK_STATE_DIR, 'postgres')), () => Promise.reject(new Error('PostgreSQL is not restarted by the stack')));
      if (pg.passwordRotated) report(`PostgreSQL: the superuser's old fixed password was replaced by postgresPassword from ${secretsFile}`);
      await ensureDatabase(pg.url('postgres'), 'monolith');
      databaseUrl = pg.url('monolith');
      endpoints.push({ name: 'PostgreSQL', url: `postgresql://postgres@127.0.0.1:${config.PG_PORT}/monolith`, note: `password: postgresPassword in ${secretsFile}` });
    } else {
      endpoints.push({ name: 'PostgreSQL (external)', url: redactUrl(databaseUrl) });
    }

    signal?.throwIfAborted();
    const applied = await applyMigrations(databaseUrl);
    report(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
    // Once catalog-service owns the catalog, the monolith's catalog tables are the reverse sync's copy
    // and refuse any other writer (ADR-0032): the seed leaves them alone.
    const catalogOwned = (await monolithWriteOwner(databaseUrl, 'catalog')) === 'service';
    const seeded = await seedDatabase(databaseUrl, { leaveCatalog: catalogOwned });
    report(`seed data: ${seeded.products.inserted} products and ${seeded.users.inserted} users inserted (0 means already there)${catalogOwned ? "; the catalog's tables left alone: catalog-service owns them" : ''}`);

    signal?.throwIfAborted();
    await assertPortFree(config.MONOLITH_PORT, 'the monolith', 'MONOLITH_PORT');
    const monolithUrl = `http://127.0.0.1:${config.MONOLITH_PORT}`;
    await startNodeService({
      name: 'legacy-monolith',
      entry: 'legacy-monolith/dist/server.js',
      env: { DATABASE_URL: databaseUrl, PORT: String(config.MONOLITH_PORT), JWT_PRIVATE_KEY: secrets.jwtPrivateKey, LOG_LEVEL: config.LOG_LEVEL },
      readyUrl: `${monolithUrl}/readyz`,
      timeoutMs: 30_000,
    });
    endpoints.push({ name: 'legacy-monolith', url: monolithUrl, note: 'direct; users go through the proxy' });

    signal?.throwIfAborted();
    const unleashUrl = `http://127.0.0.1:${config.UNLEASH_PORT}`;
    await assertPortFree(config.UNLEASH_PORT, 'Unleash', 'UNLEASH_PORT');
    await ensureDatabase(withDatabase(databaseUrl, 'postgres'), 'unleash');
    report(`starting Unleash on ${unleashUrl}`);
    await startNodeService({
      name: 'unleash',
      entry: 'strangler-proxy/dist/unleash-server/main.js',
      env: {
        UNLEASH_DATABASE_URL: withDatabase(databaseUrl, 'unleash'),
        UNLEASH_HOST: '127.0.0.1',
        UNLEASH_PORT: String(config.UNLEASH_PORT),
        UNLEASH_ADMIN_TOKEN: secrets.unleashAdminToken,
        UNLEASH_CLIENT_TOKEN: secrets.unleashClientToken,
        UNLEASH_ADMIN_PASSWORD: secrets.unleashAdminPassword,
      },
      readyUrl: `${unleashUrl}/health`,
      timeoutMs: 90_000,
    });
    endpoints.push({ name: 'Unleash', url: unleashUrl, note: `user admin, password in ${join(config.STACK_STATE_DIR, 'secrets.json')}` });

    signal?.throwIfAborted();
    // The proxy health-checks the catalog service from its start; the service itself starts once CDC runs.
    const catalogUrl = `http://127.0.0.1:${config.CATALOG_SERVICE_PORT}`;
    await assertPortFree(config.CATALOG_SERVICE_PORT, 'the catalog service', 'CATALOG_SERVICE_PORT');
    const reverseSyncUrl = `http://127.0.0.1:${config.REVERSE_SYNC_PORT}`;
    await assertPortFree(config.REVERSE_SYNC_PORT, 'the catalog reverse sync', 'REVERSE_SYNC_PORT');
    await assertPortFree(config.PORT, 'the strangler proxy', 'PORT');
    await assertPortFree(config.ADMIN_PORT, 'the proxy admin port', 'ADMIN_PORT');
    await ensureDatabase(withDatabase(databaseUrl, 'postgres'), 'strangler_proxy');
    const adminUrl = `http://127.0.0.1:${config.ADMIN_PORT}`;
    await startNodeService({
      name: 'strangler-proxy',
      entry: 'strangler-proxy/dist/server.js',
      env: {
        PORT: String(config.PORT),
        ADMIN_PORT: String(config.ADMIN_PORT),
        MONOLITH_URLS: monolithUrl,
        SERVICE_URLS: `catalog-service=${catalogUrl}`,
        UNLEASH_URL: unleashUrl,
        UNLEASH_CLIENT_TOKEN: secrets.unleashClientToken,
        UNLEASH_ADMIN_TOKEN: secrets.unleashAdminToken,
        UNLEASH_BACKUP_DIR: join(config.STACK_STATE_DIR, 'proxy/unleash-backup'),
        JWT_PUBLIC_KEY: secrets.jwtPublicKey,
        PROXY_DATABASE_URL: withDatabase(databaseUrl, 'strangler_proxy'),
        // The monolith's routes that need an access token: refused at the edge, authorised again by the monolith.
        EDGE_AUTH_ROUTES: EDGE_AUTH_ROUTES,
        RATE_LIMITS: SIGN_IN_RATE_LIMITS,
        ADMIN_TOKEN: secrets.adminToken,
        CONSISTENCY_TOKEN_SECRET: secrets.consistencyTokenSecret,
        // The cutover (new ⇄ owned) moves the catalog's ownership through catalog-service's control API.
        SERVICE_CONTROL_TOKEN: secrets.serviceControlToken,
        LOG_LEVEL: config.LOG_LEVEL,
      },
      readyUrl: `${adminUrl}/readyz`,
      timeoutMs: 30_000,
    });
    endpoints.unshift({ name: 'stable URL (proxy)', url: `http://127.0.0.1:${config.PORT}`, note: 'every route of the monolith, routed per manifest' });
    endpoints.push({ name: 'proxy admin', url: adminUrl, note: `the migration page at / (sign in with adminToken from ${join(config.STACK_STATE_DIR, 'secrets.json')}); /healthz /readyz /metrics; admin API /api/* with the same token (npm run strangler -- status)` });

    signal?.throwIfAborted();
    const cdc = await startCdcRuntime({
      stateDir: config.STACK_STATE_DIR,
      logDir,
      brokerPort: config.KAFKA_PORT,
      controllerPort: config.KAFKA_CONTROLLER_PORT,
      connectPort: config.CONNECT_PORT,
      restCredentials: { username: secrets.connectUser, password: secrets.connectPassword },
      connectorSecrets: { [CAPTURE_PASSWORD_KEY]: secrets.debeziumPassword },
      onProgress: report,
    });
    // A JVM started during a restart that Ctrl-C interrupted is known only by its pid file: stopped from there.
    stops.push(async () => void (await stopCdcRuntime({ stateDir: config.STACK_STATE_DIR, logDir })));
    superviseCdc(cdc, (name, instance, start) => supervise(name, instance, start), () => stopCdcRuntime({ stateDir: config.STACK_STATE_DIR, logDir }));
    signal?.throwIfAborted();
    // The catalog's events come from catalog-service's outbox: its database and migrations come first,
    // so that the bootstrap can register the outbox connector (migrations/catalog.yaml `events`).
    await ensureDatabase(withDatabase(databaseUrl, 'postgres'), 'catalog_service');
    const catalogServiceDatabaseUrl = withDatabase(databaseUrl, 'catalog_service');
    await applyCatalogServiceMigrations(catalogServiceDatabaseUrl);
    await bootstrapCdc({
      brokers: cdc.brokers,
      connect: cdc.connectApi,
      database: databaseSettings(databaseUrl),
      capture: { password: secrets.debeziumPassword, passwordRef: { path: cdc.connectorSecretsFile, key: CAPTURE_PASSWORD_KEY } },
      manifests,
      serviceDatabases: { 'catalog-service': { database: databaseSettings(catalogServiceDatabaseUrl) } },
      onProgress: report,
    });
    endpoints.push({ name: 'Kafka', url: cdc.brokers.join(',') }, {
      name: 'Kafka Connect',
      url: cdc.connectUrl,
      note: `user ${secrets.connectUser}, connectPassword in ${secretsFile}; \`npm run cdc -- status\``,
    });

    signal?.throwIfAborted();
    report(`starting catalog-reverse-sync on ${reverseSyncUrl} (catalog-service's events into the monolith's catalog tables once the catalog is owned)`);
    await startNodeService({
      name: 'catalog-reverse-sync',
      entry: 'cdc/dist/reverse-sync/main.js',
      env: {
        PORT: String(config.REVERSE_SYNC_PORT),
        DATABASE_URL: databaseUrl,
        KAFKA_BROKERS: cdc.brokers.join(','),
        SERVICE_CONTROL_TOKEN: secrets.serviceControlToken,
        LOG_LEVEL: config.LOG_LEVEL,
      },
      readyUrl: `${reverseSyncUrl}/readyz`,
      timeoutMs: 60_000,
    });
    endpoints.push({ name: 'catalog-reverse-sync', url: reverseSyncUrl, note: 'direct; /status shows its position, lag and events applied to the monolith' });

    signal?.throwIfAborted();
    report(`starting catalog-service on ${catalogUrl} (its own database catalog_service, fed by CDC)`);
    await startNodeService({
      name: 'catalog-service',
      entry: 'extracted/catalog-service/dist/server.js',
      env: {
        PORT: String(config.CATALOG_SERVICE_PORT),
        DATABASE_URL: catalogServiceDatabaseUrl,
        KAFKA_BROKERS: cdc.brokers.join(','),
        JWT_PUBLIC_KEY: secrets.jwtPublicKey,
        SERVICE_CONTROL_TOKEN: secrets.serviceControlToken,
        REVERSE_SYNC_URL: reverseSyncUrl,
        LOG_LEVEL: config.LOG_LEVEL,
      },
      readyUrl: `${catalogUrl}/readyz`,
      timeoutMs: 60_000,
    });
    endpoints.push({ name: 'catalog-service', url: catalogUrl, note: 'direct; /cdc shows how far it has applied the monolith\'s changes' });
  } catch (err) {
    await stop();
    throw err;
  }

  return { endpoints, logDir, fatal: supervisor.fatal, supervisor, stop };
}

/** PostgreSQL as the supervisor sees it: its server process, watched through its pid file. */
function postgresInstance(pg: PostgresHandle, dataDir: string): Instance {
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const exited = new Promise<{ code: null; signal: null }>((resolve) => {
    const timer = setInterval(() => {
      if (isAlive(pid)) return;
      clearInterval(timer);
      resolve({ code: null, signal: null });
    }, 1000);
    timer.unref();
  });
  return { pid, exited, stop: () => pg.stop() };
}

/**
 * The broker and the Connect worker, each supervised on its own: a restart starts the same JVM on
 * the same data and port. Ctrl-C during a restart stops the JVMs by their pid files.
 */
function superviseCdc(
  cdc: CdcRuntime,
  supervise: (name: ComponentName, instance: Instance, start: (signal: AbortSignal) => Promise<Instance>) => void,
  stopByPidFiles: () => Promise<unknown>,
): void {
  const instanceOf = (jvm: CdcRuntime['broker']): Instance => ({ pid: jvm.pid, exited: jvm.whenExited, stop: () => jvm.stop(30_000) });
  const restart = (restartJvm: () => Promise<void>, current: () => CdcRuntime['broker']) => async (signal: AbortSignal) => {
    const onAbort = () => void stopByPidFiles();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await restartJvm();
    } catch (err) {
      throw err instanceof PortTakenError ? new PermanentStartError(err.message) : err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return instanceOf(current());
  };
  supervise('kafka', instanceOf(cdc.broker), restart(() => cdc.restartBroker(), () => cdc.broker));
  supervise('kafka-connect', instanceOf(cdc.connect), restart(() => cdc.restartConnect(), () => cdc.connect));
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

/** The connection settings Debezium needs, from a postgresql:// URL. */
export function databaseSettings(url: string): DatabaseSettings {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    dbname: u.pathname.slice(1),
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
