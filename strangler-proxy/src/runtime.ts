import { randomBytes, randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';
import { loadManifests, positionFromFlag, type LoadedManifest } from '@strangler/manifests';
import {
  AccessTokenVerifier,
  Alerts,
  AppError,
  ConfigError,
  createLogger,
  createMetricsRegistry,
  EDGE_TIMEOUTS,
  errorHandler,
  healthRouter,
  httpMetrics,
  notFoundHandler,
  requestContext,
  serve,
  type Logger,
} from '@strangler/platform';
import express from 'express';
import pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import { parseAdminTokens, requireAdminToken } from './admin/admin-auth.js';
import { adminRouter } from './admin/admin-router.js';
import { dashboardRouter } from './dashboard/dashboard-router.js';
import { ExternalChangeWatcher } from './admin/external-changes.js';
import { FlipService } from './admin/flip-service.js';
import { domainStatus, targetsOf } from './admin/status.js';
import { PgAuditLog, type AuditLog } from './audit/audit-log.js';
import { migrate } from './audit/migrate.js';
import { Redis } from 'ioredis';
import { EdgeTokens } from './edge/access-token.js';
import { RateLimits } from './edge/rate-limit.js';
import { createApp } from './app.js';
import { PgCutoverJournal } from './cutover/cutover-journal.js';
import { HttpServiceControl } from './cutover/service-control.js';
import { SyncWatch } from './cutover/sync-watch.js';
import { WriteFence } from './cutover/write-fence.js';
import { ReadYourWrites } from './consistency/read-your-writes.js';
import { TokenSigner } from './consistency/token.js';
import { WatermarkWatch } from './consistency/watermark-watch.js';
import type { ProxyConfig } from './config.js';
import type { FlagReader } from './flags/flag-reader.js';
import { bootstrapFlags, UnleashAdmin } from './flags/unleash-admin.js';
import { UnleashFlagReader } from './flags/unleash-flag-reader.js';
import { Forwarder } from './proxy/forwarder.js';
import { PROXY_NAME } from './proxy/proxy-handler.js';
import { RouteTable } from './routing/route-table.js';
import { createProxyMetrics, type ProxyMetrics } from './upstreams/metrics.js';
import { TrafficSplit } from './upstreams/traffic-split.js';
import { UpstreamPool, type BreakerSettings } from './upstreams/upstream-pool.js';
import { Comparator } from './compare/comparator.js';
import { PgCompareStore } from './compare/compare-store.js';
import { DiffThread } from './compare/diff-thread.js';
import { Guards } from './guard/guard.js';
import { workerLink } from './cluster.js';
import { domainFlagName } from './flags/flag-names.js';
import { watchLag } from './guard/lag-alert.js';

/** Comparisons waiting for the comparison thread at most; more are dropped and counted (ADR-0031). */
const COMPARE_MAX_QUEUED = 256;

export interface RunningProxy {
  url: string;
  /** Empty in a worker other than worker 0 (PROXY_WORKERS > 1): worker 0 alone serves the admin app. */
  adminUrl: string;
  server: Server;
  adminServer: Server | undefined;
  routes: RouteTable;
  flags: FlagReader;
  /** Flips and rollbacks (undefined without PROXY_DATABASE_URL and UNLEASH_ADMIN_TOKEN). */
  flips: FlipService | undefined;
  /** Records domain flags changed in Unleash outside the admin API (with flips and the Unleash client). */
  externalChanges: ExternalChangeWatcher | undefined;
  audit: AuditLog | undefined;
  registry: Registry;
  logger: Logger;
  /** Guarded rollouts (ADR-0023). */
  guards: Guards;
  alerts: Alerts;
  /** Writes the comparisons recorded so far to the proxy's database now. */
  flushComparisons(): Promise<void>;
  close(): Promise<void>;
}

/** Answers what Node's HTTP parser refuses (smuggling attempts, oversized headers) with a JSON error. */
function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const code = status === 431 ? 'headers_too_large' : status === 408 ? 'request_timeout' : 'bad_request';
  const message = status === 431 ? 'The request headers are too large' : status === 408 ? 'The request took too long' : 'The request is malformed';
  const requestId = randomUUID();
  const body = JSON.stringify({ error: { code, message, correlationId: requestId } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-served-by: ${PROXY_NAME}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * At most `max` open connections per client address: one client opening connections without end
 * (each trickling a request) cannot take every file descriptor or every slot from the others. A
 * connection over the cap gets a 503 and is closed before anything of it is read.
 */
function capConnectionsPerClient(server: Server, max: number, metrics: ProxyMetrics, retryAfterSeconds: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      metrics.refused.inc({ reason: 'too_many_connections' });
      const body = JSON.stringify({ error: { code: 'too_many_connections', message: `More than ${max} open connections from one address`, correlationId: 'none' } });
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `retry-after: ${retryAfterSeconds}\r\nx-served-by: ${PROXY_NAME}\r\nconnection: close\r\n\r\n${body}`,
      );
      socket.destroySoon();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/** The manifests with each service's URLs for this environment (SERVICE_URLS); a service no manifest names is a mistake. */
function withServiceUrls(manifests: LoadedManifest[], urls: Map<string, string[]>): LoadedManifest[] {
  const known = new Set(manifests.flatMap((m) => (m.service ? [m.service.name] : [])));
  const unknown = [...urls.keys()].filter((name) => !known.has(name));
  if (unknown.length) {
    throw new ConfigError('environment variables', [{ field: 'SERVICE_URLS', reason: `no domain manifest targets ${unknown.join(', ')} (known: ${[...known].join(', ')})` }]);
  }
  return manifests.map((m) => {
    const override = m.service && urls.get(m.service.name);
    return m.service && override ? { ...m, service: { ...m.service, urls: override } } : m;
  });
}

/**
 * Wires the proxy from its configuration: manifests → route table, Unleash flags (created from the
 * manifests when an admin token is given), upstream pools with health checks and breakers, then
 * listens. `flags` may be injected (benchmarks); by default the Unleash client is used.
 */
export async function startProxy(config: ProxyConfig, options: { flags?: FlagReader; logger?: Logger } = {}): Promise<RunningProxy> {
  const logger = options.logger ?? createLogger(PROXY_NAME, config.LOG_LEVEL);
  const manifests = withServiceUrls(loadManifests(config.MANIFEST_DIR ? resolve(config.MANIFEST_DIR) : undefined), config.SERVICE_URLS);
  const routes = new RouteTable(manifests);

  let flags = options.flags;
  let unleash: UnleashFlagReader | undefined;
  if (!flags) {
    if (config.UNLEASH_ADMIN_TOKEN) {
      try {
        const outcome = await bootstrapFlags(new UnleashAdmin(config.UNLEASH_URL, config.UNLEASH_ADMIN_TOKEN), routes.routes);
        logger.info('flags bootstrapped from the manifests', outcome);
      } catch (err) {
        // Unleash down at start-up: route from the backup or the manifests, create flags next time.
        logger.warn('could not create flags in unleash', { detail: err instanceof Error ? err.message : String(err) });
      }
    }
    unleash = await UnleashFlagReader.start({
      url: config.UNLEASH_URL,
      clientToken: config.UNLEASH_CLIENT_TOKEN,
      appName: PROXY_NAME,
      refreshIntervalMs: config.UNLEASH_REFRESH_MS,
      backupPath: resolve(config.UNLEASH_BACKUP_DIR),
      routes: routes.routes,
      logger,
    });
    flags = unleash;
  }

  const tokens = config.JWT_PUBLIC_KEY ? new EdgeTokens(new AccessTokenVerifier(config.JWT_PUBLIC_KEY, { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE })) : undefined;
  const rateRules = config.RATE_LIMITS;
  const redis = rateRules.length && config.REDIS_URL ? new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 }) : undefined;
  redis?.on('error', (err: Error) => logger.warn('redis unreachable; rate limits count in memory meanwhile', { detail: err.message }));
  if (redis) {
    // Wait briefly for Redis so the first requests already share counters; a memory limiter covers the wait.
    await new Promise<void>((ready) => {
      const timer = setTimeout(ready, 3000);
      redis.once('ready', () => {
        clearTimeout(timer);
        ready();
      });
    });
  }
  const rateLimits = rateRules.length ? new RateLimits(rateRules, { redis, keyPrefix: config.RATE_LIMIT_PREFIX }) : undefined;

  let database: pg.Pool | undefined;
  let audit: AuditLog | undefined;
  if (config.PROXY_DATABASE_URL) {
    database = new pg.Pool({ connectionString: config.PROXY_DATABASE_URL, max: 4, connectionTimeoutMillis: 5000 });
    database.on('error', (err) => logger.warn('proxy database connection lost', { detail: err.message }));
    const applied = await migrate(database);
    if (applied.length) logger.info('proxy database migrated', { applied });
    audit = new PgAuditLog(database);
  }
  // Domains whose service may own their writes: their writes pass the shared write fence (ADR-0025).
  const ownable = manifests.flatMap((m) => (m.service && m.stages.includes('owned') ? [{ domain: m.domain, service: m.service.name, stage: m.stage }] : []));
  let fencePool: pg.Pool | undefined;
  let writeFence: WriteFence | undefined;
  if (database && ownable.length) {
    // One lease connection per ownable domain, however many of its writes are in flight (ADR-0033); two while one is handed over.
    fencePool = new pg.Pool({ connectionString: config.PROXY_DATABASE_URL, max: 2 * ownable.length, connectionTimeoutMillis: 2000 });
    fencePool.on('error', (err) => logger.warn('write fence connection lost', { detail: err.message }));
    // The fence's own operations use the proxy's general pool: writes held at a full fence pool never starve a cutover.
    writeFence = new WriteFence(fencePool, new Set(ownable.map((o) => o.domain)), { holdMs: config.FENCE_HOLD_MS, maxInFlight: config.FENCE_MAX_WRITES_IN_FLIGHT, retryAfterSeconds: 1 }, database);
    await writeFence.prepare(new Map(ownable.map((o) => [o.domain, o.stage === 'owned' ? 'new' : 'legacy'])));
  }

  const registry = createMetricsRegistry(PROXY_NAME);
  const metrics = createProxyMetrics(registry);
  // A worker of PROXY_WORKERS > 1 (ADR-0028); worker 0, like a single proxy, serves the admin app and runs the once-per-proxy jobs.
  const cluster = workerLink(registry);
  const admin0 = cluster?.admin ?? true;
  const breaker: BreakerSettings = {
    errorThresholdPercentage: config.BREAKER_ERROR_PERCENT,
    resetTimeoutMs: config.BREAKER_RESET_MS,
    volumeThreshold: config.BREAKER_VOLUME,
    rollingCountTimeoutMs: 10_000,
  };
  const monolith = new UpstreamPool(config.MONOLITH_NAME, config.MONOLITH_URLS, config.MONOLITH_HEALTH_PATH, breaker, logger, metrics);
  const services = new Map(manifests.flatMap(({ service: s }) => (s ? [[s.name, new UpstreamPool(s.name, s.urls, s.healthPath, breaker, logger, metrics)] as const] : [])));
  for (const pool of [monolith, ...services.values()]) pool.startHealthChecks(config.HEALTH_INTERVAL_MS);
  const forwarder = new Forwarder(metrics, {
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    maxSockets: config.UPSTREAM_MAX_SOCKETS,
    queueTimeoutMs: config.UPSTREAM_QUEUE_TIMEOUT_MS,
    shadowMaxSockets: config.SHADOW_MAX_SOCKETS,
    shadowMaxInFlight: config.SHADOW_MAX_IN_FLIGHT,
  });
  const split = new TrafficSplit(manifests.map((m) => m.domain));
  // Services fed by CDC: the proxy follows their watermarks for read-your-writes and the lag gate (ADR-0021).
  const fed = manifests.flatMap((m) => (m.service && m.capture.tables.length > 0 ? [{ service: m.service.name, waitMs: m.readYourWrites.waitMs }] : []));
  const watches = new Map(fed.map(({ service }) => [service, new WatermarkWatch(service, () => services.get(service)?.pick()?.target, logger)]));
  for (const watch of watches.values()) watch.startPolling(1000);
  const consistency = new ReadYourWrites({
    signer: new TokenSigner(config.CONSISTENCY_TOKEN_SECRET ?? randomBytes(32).toString('base64url')),
    monolith: config.MONOLITH_NAME,
    services: new Map(fed.map(({ service, waitMs }) => [service, { watch: watches.get(service)!, waitMs }])),
    registry,
    logger,
  });

  // Answer comparison, guards and alerts (ADR-0023).
  const alerts = new Alerts({ service: PROXY_NAME, logger, registry, webhookUrl: config.ALERT_WEBHOOK_URL, timeoutMs: config.ALERT_WEBHOOK_TIMEOUT_MS });
  const compareStore = database ? new PgCompareStore(database) : undefined;
  const guards = new Guards(manifests, {
    positionOf: (domain) => {
      const held = unleash?.heldStage(domainFlagName(domain));
      return held ? positionFromFlag(held) : undefined;
    },
    // The flip service is made further down; the guards first use it at their first evaluation.
    get flips() {
      return flips;
    },
    alerts,
    logger,
  });
  const comparator = new Comparator(
    manifests,
    registry,
    {
      record: compareStore ? (...args) => compareStore.record(...args) : undefined,
      recordNoise: compareStore ? (...args) => compareStore.recordNoise(...args) : undefined,
      compared: (domain, outcome) => guards.compared(domain, outcome),
      copyAnswered: (domain, side, ms, failed) => guards.observe(domain, side, ms, failed),
    },
    logger,
    Math.random,
    // Answers that differ in their bytes are parsed and diffed on a worker thread, at most this many waiting (ADR-0031).
    new DiffThread(COMPARE_MAX_QUEUED),
  );
  const compareTimer = compareStore
    ? setInterval(() => {
        compareStore
          .flush()
          .then(() => compareStore.noise())
          .then((noise) => comparator.learnNoise(noise))
          .catch((err: unknown) => logger.warn('comparisons not written to the proxy database; kept for the next try', { detail: err instanceof Error ? err.message : String(err) }));
      }, config.COMPARE_FLUSH_MS)
    : undefined;
  compareTimer?.unref();
  const pruneTimer = compareStore ? setInterval(() => void compareStore.prune().catch(() => {}), 3_600_000) : undefined;
  pruneTimer?.unref();
  const lagAlerts = admin0 ? watchLag(watches, config.ALERT_CDC_LAG_MS, alerts) : undefined;

  const app = createApp({
    routes,
    flags,
    monolith,
    services,
    forwarder,
    metrics,
    logger,
    maxBodyBytes: config.MAX_BODY_BYTES,
    bodyTimeoutMs: config.BODY_TIMEOUT_MS,
    retryAfterSeconds: config.RETRY_AFTER_SECONDS,
    tokens,
    authRules: config.EDGE_AUTH_ROUTES,
    blockedPaths: config.BLOCKED_PATHS,
    rateLimits,
    split,
    consistency,
    compare: comparator,
    observe: manifests.some((m) => m.guard) ? (domain, side, ms, failed) => guards.observe(domain, side, ms, failed) : undefined,
    writeFence,
  });

  const control = new HttpServiceControl((service) => services.get(service)?.pick()?.target, config.SERVICE_CONTROL_TOKEN);
  const journal = database ? new PgCutoverJournal(database) : undefined;
  const cutover =
    writeFence && journal ? { fence: writeFence, control, journal, drainMs: config.CUTOVER_DRAIN_MS, stepTimeoutMs: config.CUTOVER_STEP_TIMEOUT_MS } : undefined;
  const syncWatch = writeFence && journal ? new SyncWatch(ownable, { control, fence: writeFence, journal, logger }) : undefined;
  if (admin0) syncWatch?.start(1000);
  const flips =
    audit && config.UNLEASH_ADMIN_TOKEN
      ? new FlipService(manifests, {
          stages: new UnleashAdmin(config.UNLEASH_URL, config.UNLEASH_ADMIN_TOKEN),
          audit,
          applyNow: async (flag, stage, rollout) => {
            cluster?.flipped(flag, stage, rollout);
            try {
              await unleash?.refreshUntil(flag, stage, rollout, 5000);
            } catch (err) {
              // Unleash has the flip; the next poll brings it. Not a reason to fail the flip.
              logger.warn('flip not applied at once; it applies at the next poll', { flag, detail: err instanceof Error ? err.message : String(err) });
            }
          },
          targetHealthy: (service) => services.get(service)?.pick() !== undefined,
          lagOf: async (service) => (await watches.get(service)?.refresh())?.lagMs,
          logger,
          cutover,
        })
      : undefined;
  const externalChanges =
    flips && unleash && admin0
      ? new ExternalChangeWatcher(
          manifests.map((m) => m.domain),
          (flag) => unleash.heldStage(flag),
          flips,
          logger,
        )
      : undefined;
  if (externalChanges && unleash) {
    unleash.onFetched(() => externalChanges.poll());
    // Also at start: a flag may have changed while this proxy was down.
    externalChanges.poll();
  }
  guards.start();
  cluster?.onFlipped((flag, stage, rollout) => {
    unleash?.refreshUntil(flag, stage, rollout ?? 100, 5000).catch((err: unknown) => {
      logger.warn('flip not applied at once by this worker; it applies at the next poll', { flag, detail: err instanceof Error ? err.message : String(err) });
    });
  });
  const adminTokens = parseAdminTokens(config.ADMIN_TOKEN, config.ADMIN_TOKENS);

  const status = () => ({
    domains: domainStatus(manifests, routes.routes, (flag) => unleash?.heldStage(flag), services, split)
      .map((d) => (d.service && watches.has(d.service) ? { ...d, lagMs: watches.get(d.service)!.lagMs() ?? null } : d))
      .map((d) => {
        const sync = syncWatch?.summary(d.domain);
        return sync ? { ...d, sync } : d;
      }),
    monolith: targetsOf(monolith),
    unclaimed: split.unclaimedRoutes(),
  });
  const admin = express();
  admin.disable('x-powered-by');
  admin.set('etag', false);
  admin.use(httpMetrics(registry));
  admin.use(
    healthRouter({
      registry,
      metrics: cluster ? () => cluster.clusterMetrics() : undefined,
      checks: { monolith: async () => { if (!monolith.pick()) throw new Error('no healthy monolith instance'); } },
    }),
  );
  admin.use(
    '/api',
    requestContext(),
    (_req, _res, next) => next(adminTokens.size ? undefined : new AppError(503, 'admin_api_disabled', 'The admin API is disabled: start the proxy with ADMIN_TOKEN or ADMIN_TOKENS')),
    requireAdminToken(adminTokens),
    express.json({ limit: '16kb' }),
    adminRouter({
      status,
      flips,
      audit,
      diffs: compareStore
        ? async (domain, windowMinutes) => {
            await compareStore.flush();
            return compareStore.report(domain, windowMinutes);
          }
        : undefined,
      domains: manifests.map((m) => m.domain),
    }),
  );
  admin.use(dashboardRouter({ tokens: adminTokens, manifests, status, flips, audit, unleashUnreachable: () => unleash?.unreachable(), logger }));
  admin.use(notFoundHandler());
  admin.use(errorHandler(logger));

  // serve() names the setting to change when a port is taken (a ListenError: exit code 78, never restarted).
  const { server, url } = await serve(app, {
    port: config.PORT,
    host: config.HOST,
    portSetting: 'PORT',
    server: { ...EDGE_TIMEOUTS, maxHeaderSize: config.MAX_HEADER_BYTES },
    setup: (edge) => {
      edge.on('clientError', onClientError);
      capConnectionsPerClient(edge, config.MAX_CONNECTIONS_PER_CLIENT, metrics, config.RETRY_AFTER_SECONDS);
      if (cluster) {
        const served = new Counter({ name: 'proxy_worker_requests_total', help: 'Requests received by each worker of the proxy (PROXY_WORKERS)', labelNames: ['worker'] as const, registers: [registry] }).labels(String(cluster.index));
        edge.on('request', () => served.inc());
      }
    },
  });
  let adminListening: Awaited<ReturnType<typeof serve>> | undefined;
  try {
    if (admin0) adminListening = await serve(admin, { port: config.ADMIN_PORT, host: config.ADMIN_HOST, portSetting: 'ADMIN_PORT', hostSetting: 'ADMIN_HOST' });
  } catch (err) {
    await new Promise<void>((done) => server.close(() => done()));
    throw err;
  }
  const adminServer = adminListening?.server;
  const adminUrl = adminListening?.url ?? '';
  logger.info('proxy listening', { url, adminUrl, routes: routes.routes.length, ...(cluster ? { worker: cluster.index } : {}) });

  return {
    url,
    adminUrl,
    server,
    adminServer,
    routes,
    flags,
    flips,
    externalChanges,
    audit,
    registry,
    logger,
    guards,
    alerts,
    flushComparisons: async () => {
      await compareStore?.flush();
    },
    close: async () => {
      await Promise.all(
        [server, ...(adminServer ? [adminServer] : [])].map(
          (s) =>
            new Promise<void>((done) => {
              s.close(() => done());
              s.closeIdleConnections();
            }),
        ),
      );
      await guards.stop();
      clearInterval(compareTimer);
      clearInterval(pruneTimer);
      clearInterval(lagAlerts);
      await comparator.close();
      await compareStore?.flush().catch(() => {});
      await alerts.settled();
      unleash?.destroy();
      consistency.close();
      syncWatch?.close();
      forwarder.close();
      for (const pool of [monolith, ...services.values()]) pool.stop();
      await externalChanges?.settled();
      await database?.end();
      await writeFence?.close();
      await fencePool?.end();
      redis?.disconnect();
    },
  };
}
