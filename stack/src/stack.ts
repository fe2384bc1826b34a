import { mkdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { applyMigrations as applyCatalogServiceMigrations } from '@strangler/catalog-service/migrate';
import { applyMigrations } from '@strangler/legacy-monolith/migrate';
import { seedDatabase } from '@strangler/legacy-monolith/seed';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootstrapCdc, CAPTURE_PASSWORD_KEY, CdcRuntimeError, monolithWriteOwner, PortTakenError, prepareCdcRuntime, stopCdcRuntime, type CdcRuntimeParts, type DatabaseSettings } from '@strangler/cdc';
import { loadManifests } from '@strangler/manifests';
import { loadSecrets, REPO_ROOT, type StackConfig } from './config.js';
import { ensureDatabase, startPostgres, type PostgresHandle } from './postgres.js';
import { COMPONENTS, isFatal, logFileName, type ComponentName } from './components.js';
import { httpOk, isAlive, startProcess, tailOf, waitUntil } from './processes.js';
import { backoffDelay, DEFAULT_RESTART_POLICY, PermanentStartError, Supervisor, type Instance } from './supervisor.js';
import { runStartGraph, startOrder, type StartStep, type StepResult } from './start-graph.js';

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
  /** Each start step: ready (and when, from the start of the graph), failed, or waiting on a failed one. */
  steps: StepResult[];
  /** Resolves, naming it and how it ended, when a fatal component (PostgreSQL, the proxy) ends. */
  fatal: Promise<string>;
  supervisor: Supervisor;
  stop(): Promise<void>;
}

/**
 * What each start step needs (ADR-0029). The Kafka broker needs nothing of ours, so it starts beside
 * PostgreSQL; `npm run bench:start` reads this to show the critical path.
 */
export const START_NEEDS = {
  postgres: [],
  kafka: [],
  migrations: ['postgres'],
  'legacy-monolith': ['migrations'],
  unleash: ['postgres'],
  'strangler-proxy': ['legacy-monolith', 'unleash'],
  'kafka-connect': ['kafka'],
  'cdc-connectors': ['kafka-connect', 'migrations'],
  'catalog-reverse-sync': ['cdc-connectors'],
  'catalog-service': ['cdc-connectors'],
} as const satisfies Record<string, readonly string[]>;

/** The file the running stack keeps its components' state in, for `npm run stack -- status`. */
export function stackStateFile(stateDir: string): string {
  return join(stateDir, 'stack-state.json');
}

/**
 * Starts the whole system on embedded defaults as a dependency graph (ADR-0029): PostgreSQL and the
 * Kafka broker at once; the migrations once PostgreSQL runs; the monolith, Unleash and Connect as soon
 * as what each needs is ready; the proxy once the monolith and Unleash are; the connectors once
 * Connect and the migrations are; the catalog service and its reverse sync last. Each step is waited
 * for until it is really ready, and reported with its time since the start.
 * A fatal step that fails (PostgreSQL, the migrations, the proxy), or `signal` aborting (Ctrl-C),
 * stops everything started so far before the error is thrown. Any other component that fails is
 * reported and handed to the supervisor, which starts it again with backoff; what needs it waits.
 */
export async function startStack(config: StackConfig, report: (line: string) => void, signal?: AbortSignal): Promise<RunningStack> {
  const logDir = join(config.STACK_STATE_DIR, 'logs');
  mkdirSync(logDir, { recursive: true });
  const secrets = loadSecrets(config);
  const secretsFile = join(config.STACK_STATE_DIR, 'secrets.json');
  const stops: (() => Promise<void>)[] = [];
  const supervisor = new Supervisor({ report, stateFile: stackStateFile(config.STACK_STATE_DIR), tail: (file) => tailOf(file) });
  let stopOrder: string[] = [];
  const stop = async () => {
    await supervisor.stop(stopOrder);
    for (const s of stops.reverse()) {
      await s().catch((err: unknown) => report(`a stop step failed: ${err instanceof Error ? err.message : String(err)}`));
    }
    stops.length = 0;
  };
  const componentOf = (name: ComponentName, start: (signal: AbortSignal) => Promise<Instance>) => ({ name, logFile: join(logDir, logFileName(name)), fatal: isFatal(name), start });

  /**
   * The start step of a supervised component: `launch` starts its process and resolves once it is
   * ready (and serves again for every restart). A first start that fails is handed to the
   * supervisor like a crash, unless the component is fatal.
   */
  const componentStep = (name: ComponentName & keyof typeof START_NEEDS, launch: (signal: AbortSignal) => Promise<Instance>): StartStep => ({
    name,
    needs: START_NEEDS[name],
    fatal: isFatal(name),
    start: async (abort) => supervisor.adopt(componentOf(name, launch), await launch(abort)),
    recover: async (error, abort) => {
      supervisor.adoptFailed(componentOf(name, launch), error);
      await untilAborted(supervisor.whenRunning(name), abort);
    },
  });

  /** Starts one of our Node processes and waits until `readyUrl` answers 2xx; on failure or abort nothing of it is left running. */
  const nodeService = (service: { name: ComponentName; entry: string; env: () => NodeJS.ProcessEnv; readyUrl: string; timeoutMs: number; before?: () => Promise<void> }) => {
    const logFile = join(logDir, logFileName(service.name));
    return async (abort: AbortSignal): Promise<Instance> => {
      await service.before?.();
      abort.throwIfAborted();
      const child = startProcess({ name: service.name, command: process.execPath, args: [join(REPO_ROOT, service.entry)], env: service.env(), logFile });
      try {
        await waitUntil(service.name, () => httpOk(service.readyUrl), { timeoutMs: service.timeoutMs, process: child, logFile, signal: abort });
      } catch (err) {
        await child.stop();
        throw err;
      }
      return { pid: child.pid, exited: child.exited, stop: () => child.stop() };
    };
  };

  const monolithUrl = `http://127.0.0.1:${config.MONOLITH_PORT}`;
  const unleashUrl = `http://127.0.0.1:${config.UNLEASH_PORT}`;
  const catalogUrl = `http://127.0.0.1:${config.CATALOG_SERVICE_PORT}`;
  const reverseSyncUrl = `http://127.0.0.1:${config.REVERSE_SYNC_PORT}`;
  const adminUrl = `http://127.0.0.1:${config.ADMIN_PORT}`;
  // Set by the postgres step, which every step that reads them needs.
  let databaseUrl = config.DATABASE_URL ?? '';
  const serverDatabase = (name: string) => withDatabase(databaseUrl, name);
  let cdcParts: Promise<CdcRuntimeParts> | undefined;
  const cdc = () =>
    (cdcParts ??= prepareCdcRuntime({
      stateDir: config.STACK_STATE_DIR,
      logDir,
      brokerPort: config.KAFKA_PORT,
      controllerPort: config.KAFKA_CONTROLLER_PORT,
      connectPort: config.CONNECT_PORT,
      restCredentials: { username: secrets.connectUser, password: secrets.connectPassword },
      connectorSecrets: { [CAPTURE_PASSWORD_KEY]: secrets.debeziumPassword },
      onProgress: report,
    }).then(
      (parts) => {
        // A JVM started during a restart that Ctrl-C interrupted is known only by its pid file: stopped from there.
        stops.push(async () => void (await stopCdcRuntime({ stateDir: config.STACK_STATE_DIR, logDir })));
        return parts;
      },
      (err: unknown) => {
        cdcParts = undefined; // the next restart tries again
        throw err;
      },
    ));
  const brokers = [`127.0.0.1:${config.KAFKA_PORT}`];

  try {
    // Manifests first: a bad one stops start-up before anything runs, naming file, field and reason.
    const manifests = loadManifests();
    await Promise.all([
      config.DATABASE_URL ? undefined : assertPortFree(config.PG_PORT, 'PostgreSQL', 'PG_PORT'),
      assertPortFree(config.MONOLITH_PORT, 'the monolith', 'MONOLITH_PORT'),
      assertPortFree(config.UNLEASH_PORT, 'Unleash', 'UNLEASH_PORT'),
      assertPortFree(config.CATALOG_SERVICE_PORT, 'the catalog service', 'CATALOG_SERVICE_PORT'),
      assertPortFree(config.REVERSE_SYNC_PORT, 'the catalog reverse sync', 'REVERSE_SYNC_PORT'),
      assertPortFree(config.PORT, 'the strangler proxy', 'PORT'),
      assertPortFree(config.ADMIN_PORT, 'the proxy admin port', 'ADMIN_PORT'),
    ]);

    const bootstrapConnectors = async (all: typeof manifests) => {
      const parts = await cdc();
      return bootstrapCdc({
        brokers: parts.brokers,
        connect: parts.connectApi,
        database: databaseSettings(databaseUrl),
        capture: { password: secrets.debeziumPassword, passwordRef: { path: parts.connectorSecretsFile, key: CAPTURE_PASSWORD_KEY } },
        manifests: all,
        serviceDatabases: { 'catalog-service': { database: databaseSettings(serverDatabase('catalog_service')) } },
        onProgress: report,
      });
    };

    const steps: StartStep[] = [
      {
        name: 'postgres',
        needs: START_NEEDS.postgres,
        fatal: true,
        start: async () => {
          if (config.DATABASE_URL) return;
          report(`starting PostgreSQL on 127.0.0.1:${config.PG_PORT} (data in ${join(config.STACK_STATE_DIR, 'postgres')})`);
          const pg: PostgresHandle = await startPostgres({
            dataDir: join(config.STACK_STATE_DIR, 'postgres'),
            port: config.PG_PORT,
            logFile: join(logDir, 'postgres.log'),
            password: secrets.postgresPassword,
            // A cluster created by an older stack still has the fixed password it used to set.
            formerPasswords: ['postgres'],
          });
          supervisor.adopt(
            componentOf('postgres', () => Promise.reject(new Error('PostgreSQL is not restarted by the stack'))),
            postgresInstance(pg, join(config.STACK_STATE_DIR, 'postgres')),
          );
          if (pg.passwordRotated) report(`PostgreSQL: the superuser's old fixed password was replaced by postgresPassword from ${secretsFile}`);
          await ensureDatabase(pg.url('postgres'), 'monolith');
          databaseUrl = pg.url('monolith');
        },
      },
      {
        name: 'migrations',
        needs: START_NEEDS.migrations,
        fatal: true,
        start: async () => {
          const monolith = async () => {
            const applied = await applyMigrations(databaseUrl);
            report(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
            // Once catalog-service owns the catalog, the monolith's catalog tables are the reverse sync's
            // copy and refuse any other writer (ADR-0032): the seed leaves them alone.
            const catalogOwned = (await monolithWriteOwner(databaseUrl, 'catalog')) === 'service';
            const seeded = await seedDatabase(databaseUrl, { leaveCatalog: catalogOwned });
            report(`seed data: ${seeded.products.inserted} products and ${seeded.users.inserted} users inserted (0 means already there)${catalogOwned ? "; the catalog's tables left alone: catalog-service owns them" : ''}`);
          };
          // The catalog's events come from catalog-service's outbox: its database and migrations come
          // before the connectors, so that the bootstrap can register the outbox connector.
          const catalogService = async () => {
            await ensureDatabase(serverDatabase('postgres'), 'catalog_service');
            await applyCatalogServiceMigrations(serverDatabase('catalog_service'));
          };
          await Promise.all([monolith(), catalogService()]);
        },
      },
      componentStep(
        'legacy-monolith',
        nodeService({
          name: 'legacy-monolith',
          entry: 'legacy-monolith/dist/server.js',
          env: () => ({ DATABASE_URL: databaseUrl, PORT: String(config.MONOLITH_PORT), JWT_PRIVATE_KEY: secrets.jwtPrivateKey, LOG_LEVEL: config.LOG_LEVEL }),
          readyUrl: `${monolithUrl}/readyz`,
          timeoutMs: 30_000,
        }),
      ),
      componentStep(
        'unleash',
        nodeService({
          name: 'unleash',
          entry: 'strangler-proxy/dist/unleash-server/main.js',
          before: async () => {
            await ensureDatabase(serverDatabase('postgres'), 'unleash');
            report(`starting Unleash on ${unleashUrl}`);
          },
          env: () => ({
            UNLEASH_DATABASE_URL: serverDatabase('unleash'),
            UNLEASH_HOST: '127.0.0.1',
            UNLEASH_PORT: String(config.UNLEASH_PORT),
            UNLEASH_ADMIN_TOKEN: secrets.unleashAdminToken,
            UNLEASH_CLIENT_TOKEN: secrets.unleashClientToken,
            UNLEASH_ADMIN_PASSWORD: secrets.unleashAdminPassword,
          }),
          readyUrl: `${unleashUrl}/health`,
          timeoutMs: 90_000,
        }),
      ),
      componentStep(
        'strangler-proxy',
        nodeService({
          name: 'strangler-proxy',
          entry: 'strangler-proxy/dist/server.js',
          before: async () => void (await ensureDatabase(serverDatabase('postgres'), 'strangler_proxy')),
          // The proxy health-checks the catalog service from its start; the service itself starts once CDC runs.
          env: () => ({
            PORT: String(config.PORT),
            ADMIN_PORT: String(config.ADMIN_PORT),
            MONOLITH_URLS: monolithUrl,
            SERVICE_URLS: `catalog-service=${catalogUrl}`,
            UNLEASH_URL: unleashUrl,
            UNLEASH_CLIENT_TOKEN: secrets.unleashClientToken,
            UNLEASH_ADMIN_TOKEN: secrets.unleashAdminToken,
            UNLEASH_BACKUP_DIR: join(config.STACK_STATE_DIR, 'proxy/unleash-backup'),
            JWT_PUBLIC_KEY: secrets.jwtPublicKey,
            PROXY_DATABASE_URL: serverDatabase('strangler_proxy'),
            // The monolith's routes that need an access token: refused at the edge, authorised again by the monolith.
            EDGE_AUTH_ROUTES: EDGE_AUTH_ROUTES,
            RATE_LIMITS: SIGN_IN_RATE_LIMITS,
            ADMIN_TOKEN: secrets.adminToken,
            CONSISTENCY_TOKEN_SECRET: secrets.consistencyTokenSecret,
            // The cutover (new ⇄ owned) moves the catalog's ownership through catalog-service's control API.
            SERVICE_CONTROL_TOKEN: secrets.serviceControlToken,
            LOG_LEVEL: config.LOG_LEVEL,
          }),
          readyUrl: `${adminUrl}/readyz`,
          timeoutMs: 30_000,
        }),
      ),
      // The broker needs nothing of ours: it starts at once, beside PostgreSQL.
      componentStep('kafka', jvmLaunch(async (abort) => (await cdc()).startBroker(abort))),
      componentStep('kafka-connect', jvmLaunch(async (abort) => (await cdc()).startConnect(abort))),
      {
        name: 'cdc-connectors',
        needs: START_NEEDS['cdc-connectors'],
        fatal: false,
        start: async () => void (await bootstrapConnectors(manifests)),
        // Idempotent: tried again with backoff until it works (the step's failure is on the terminal).
        recover: (_error, abort) => retryWithBackoff(() => bootstrapConnectors(manifests), abort, report, 'the CDC connectors'),
      },
      componentStep(
        'catalog-reverse-sync',
        nodeService({
          name: 'catalog-reverse-sync',
          entry: 'cdc/dist/reverse-sync/main.js',
          before: async () => report(`starting catalog-reverse-sync on ${reverseSyncUrl} (catalog-service's events into the monolith's catalog tables once the catalog is owned)`),
          env: () => ({ PORT: String(config.REVERSE_SYNC_PORT), DATABASE_URL: databaseUrl, KAFKA_BROKERS: brokers.join(','), SERVICE_CONTROL_TOKEN: secrets.serviceControlToken, LOG_LEVEL: config.LOG_LEVEL }),
          readyUrl: `${reverseSyncUrl}/readyz`,
          timeoutMs: 60_000,
        }),
      ),
      componentStep(
        'catalog-service',
        nodeService({
          name: 'catalog-service',
          entry: 'extracted/catalog-service/dist/server.js',
          before: async () => report(`starting catalog-service on ${catalogUrl} (its own database catalog_service, fed by CDC)`),
          env: () => ({
            PORT: String(config.CATALOG_SERVICE_PORT),
            DATABASE_URL: serverDatabase('catalog_service'),
            KAFKA_BROKERS: brokers.join(','),
            JWT_PUBLIC_KEY: secrets.jwtPublicKey,
            SERVICE_CONTROL_TOKEN: secrets.serviceControlToken,
            REVERSE_SYNC_URL: reverseSyncUrl,
            LOG_LEVEL: config.LOG_LEVEL,
          }),
          readyUrl: `${catalogUrl}/readyz`,
          timeoutMs: 60_000,
        }),
      ),
    ];
    // Ctrl-C stops in reverse dependency order: what depends on a component stops before it.
    const order = startOrder(steps);
    stopOrder = [...order].reverse();
    // `stack status` lists every component from the start, `waiting` until it starts.
    for (const name of order) {
      if (isComponent(name) && !(name === 'postgres' && config.DATABASE_URL)) supervisor.expect({ name, logFile: join(logDir, logFileName(name)) });
    }

    const result = await runStartGraph(steps, { signal, report });
    const endpoints: Endpoint[] = [
      { name: 'stable URL (proxy)', url: `http://127.0.0.1:${config.PORT}`, note: 'every route of the monolith, routed per manifest' },
      config.DATABASE_URL
        ? { name: 'PostgreSQL (external)', url: redactUrl(config.DATABASE_URL) }
        : { name: 'PostgreSQL', url: `postgresql://postgres@127.0.0.1:${config.PG_PORT}/monolith`, note: `password: postgresPassword in ${secretsFile}` },
      { name: 'legacy-monolith', url: monolithUrl, note: 'direct; users go through the proxy' },
      { name: 'Unleash', url: unleashUrl, note: `user admin, password in ${secretsFile}` },
      {
        name: 'proxy admin',
        url: adminUrl,
        note: `the migration page at / (sign in with adminToken from ${secretsFile}); /healthz /readyz /metrics; admin API /api/* with the same token (npm run strangler -- status)`,
      },
      { name: 'Kafka', url: brokers.join(',') },
      { name: 'Kafka Connect', url: `http://127.0.0.1:${config.CONNECT_PORT}`, note: `user ${secrets.connectUser}, connectPassword in ${secretsFile}; \`npm run cdc -- status\`` },
      { name: 'catalog-reverse-sync', url: reverseSyncUrl, note: 'direct; /status shows its position, lag and events applied to the monolith' },
      { name: 'catalog-service', url: catalogUrl, note: "direct; /cdc shows how far it has applied the monolith's changes" },
    ];
    return { endpoints, logDir, steps: result.steps, fatal: supervisor.fatal, supervisor, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function isComponent(name: string): name is ComponentName {
  return name in COMPONENTS;
}

/** A JVM start of the CDC runtime as a supervised launch: a port held by another process, or a missing Java, is not retried. */
function jvmLaunch(start: (signal: AbortSignal) => Promise<NonNullable<CdcRuntimeParts['broker']>>): (signal: AbortSignal) => Promise<Instance> {
  return async (signal) => {
    try {
      const jvm = await start(signal);
      return { pid: jvm.pid, exited: jvm.whenExited, stop: () => jvm.stop(30_000) };
    } catch (err) {
      // A port held by another process, or no Java: trying again cannot help.
      throw err instanceof PortTakenError || err instanceof CdcRuntimeError ? new PermanentStartError(err.message) : err;
    }
  };
}

/** Resolves with `promise`, or rejects with the abort reason once `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Tries `attempt` again after 1, 2, 4 ... 30 s until it works or `signal` aborts. */
async function retryWithBackoff(attempt: () => Promise<unknown>, signal: AbortSignal, report: (line: string) => void, what: string): Promise<void> {
  for (let n = 1; ; n++) {
    const delay = backoffDelay(DEFAULT_RESTART_POLICY, n);
    report(`trying ${what} again in ${(delay / 1000).toFixed(0)} s`);
    await sleep(delay, undefined, { signal });
    try {
      await attempt();
      return;
    } catch (err) {
      report(`${what} failed again: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
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
