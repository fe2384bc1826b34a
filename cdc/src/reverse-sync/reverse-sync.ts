import { Api, buildServiceApp, createMetricsRegistry, NotFoundError, requireControlToken, ValidationError, type Logger } from '@strangler/platform';
import { Router } from 'express';
import pg from 'pg';
import { Gauge } from 'prom-client';
import { z } from 'zod';
import { Kafka, logLevel } from '../kafka.js';
import type { DeadLetter, PartitionPosition, Projection } from '../projection/projection.js';
import { ProjectionConsumer } from '../projection/projection-consumer.js';
import { parseCatalogEvent, type CatalogEvent } from './catalog-event.js';
import { PgReverseSyncStore, type ReverseSyncCounts, type WriteOwnerRecord } from './reverse-sync-store.js';

export interface ReverseSyncOptions {
  /** The monolith's database: the reverse sync writes its catalog tables and keeps its positions there. */
  databaseUrl: string;
  brokers: string[];
  /** The service's events topic (`<prefix>.catalog.events`). */
  topic: string;
  groupId: string;
  deadLetterTopic: string;
  logger: Logger;
  maxWaitTimeMs?: number;
  databasePoolSize?: number;
  /** Bearer token of `PUT /internal/write-owner/:domain` (SERVICE_CONTROL_TOKEN); without it the control API refuses every call. */
  controlToken?: string;
  /** The longest a change of write owner waits for the monolith's writes in flight (default 5 s). */
  ownerDrainMs?: number;
}

/** The domains whose tables in the monolith's database the write guard covers. */
const GUARDED_DOMAINS = ['catalog'];

const PutWriteOwnerBody = z.object({ owner: z.enum(['monolith', 'service']) }).strict();

/** What the reverse sync reports at `GET /status` (and the catalog service relays in its `GET /cdc`). */
export interface ReverseSyncStatus {
  consuming: boolean;
  retrying: string | null;
  topic: string;
  /** Events on the topic not applied yet (log-end offsets minus the positions stored with the data). */
  pendingEvents: number | null;
  /** Source commit to applied in the monolith, of the newest event applied (ms). */
  lastLagMs: number | null;
  /** The lag now: 0 when nothing is pending, else the time since the newest applied event was committed at the source. */
  lagMs: number | null;
  /** Events applied, skipped as already seen (stale) and dead-lettered, since the reverse sync's tables exist. */
  events: ReverseSyncCounts;
  partitions: { partition: number; offset: string; end: string | null; committedAt: string | null }[];
  /** The monolith's current WAL position, for a cutover that must know where the monolith stands. */
  monolithLsn: string;
  /** Who may write the catalog's tables in the monolith's database (the write guard, ADR-0032). */
  writeOwner: WriteOwnerRecord['owner'] | null;
}

class CatalogReverseProjection implements Projection<CatalogEvent, CatalogEvent> {
  constructor(
    private readonly store: PgReverseSyncStore,
    private readonly logger: Logger,
  ) {}
  decode(event: CatalogEvent): CatalogEvent {
    return event;
  }
  apply(changes: CatalogEvent[], position: PartitionPosition) {
    return this.store.apply(changes, position, (event) => {
      // The far end of a write's trace (ADR-0026): the service's request, through its outbox, into the monolith.
      if (!event.traceparent) return;
      this.logger.info('reverse sync applied', {
        traceId: event.traceparent.split('-')[1],
        traceparent: event.traceparent,
        eventId: event.eventId,
        type: event.type,
        aggregateId: event.aggregateId,
        version: String(event.version),
        lagMs: Math.max(0, Date.now() - event.committedAt.getTime()),
      });
    });
  }
  positions() {
    return this.store.positions();
  }
}

/** The identity of a dead letter's event when its envelope can be read that far (best effort). */
function letterIdentity(letter: DeadLetter) {
  try {
    let value: unknown = JSON.parse(letter.message.value?.toString('utf8') ?? '');
    if (typeof value === 'string') value = JSON.parse(value);
    const v = value as { eventId?: unknown; aggregateType?: unknown; aggregateId?: unknown; version?: unknown };
    if (typeof v.eventId !== 'string' || !/^[0-9a-f-]{36}$/i.test(v.eventId)) return undefined;
    return { eventId: v.eventId, aggregateType: String(v.aggregateType ?? 'unknown'), aggregateId: String(v.aggregateId ?? 'unknown'), version: BigInt(Number(v.version) || 0), reason: letter.reason };
  } catch {
    return undefined;
  }
}

/**
 * The reverse sync of the catalog (ADR-0025): consumes catalog-service's domain events and applies
 * them to the monolith's tables, so that the monolith's unmigrated modules (cart, orders, inventory)
 * keep reading a current catalog once catalog-service owns the writes. At least once, ordered per
 * aggregate (the topic is keyed by aggregate id), idempotent by event id and version, positions in
 * the monolith's database in the same transaction as the rows, dead letters with their reason.
 */
export function composeReverseSync(options: ReverseSyncOptions) {
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.databasePoolSize ?? 4 });
  pool.on('error', (err) => options.logger.warn('monolith database connection lost', { detail: err.message }));
  const store = new PgReverseSyncStore(pool);
  const registry = createMetricsRegistry('catalog-reverse-sync');
  const consumer = new ProjectionConsumer<CatalogEvent, CatalogEvent>({
    brokers: options.brokers,
    groupId: options.groupId,
    topics: [options.topic],
    deadLetterTopic: options.deadLetterTopic,
    projection: new CatalogReverseProjection(store, options.logger),
    parse: parseCatalogEvent,
    metricPrefix: 'reverse_sync',
    onDeadLetters: async (letters) => {
      await store.recordDeadLetters(letters.flatMap((l) => letterIdentity(l) ?? []));
    },
    logger: options.logger,
    registry,
    maxWaitTimeMs: options.maxWaitTimeMs ?? 100,
  });
  const kafka = new Kafka({ clientId: `${options.groupId}-status`, brokers: options.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  let adminConnected: Promise<void> | undefined;

  async function status(): Promise<ReverseSyncStatus> {
    const consumerStatus = consumer.status();
    const [positions, events, guard] = await Promise.all([store.positions(), store.counts(), store.writeOwner('catalog')]);
    const monolithLsn = guard?.monolithLsn ?? (await store.currentLsn());
    let ends: Map<number, string> | undefined;
    try {
      adminConnected ??= admin.connect();
      await adminConnected;
      ends = new Map((await admin.fetchTopicOffsets(options.topic)).map((p) => [p.partition, p.high]));
    } catch {
      adminConnected = undefined;
      ends = undefined;
    }
    const mine = positions.filter((p) => p.topic === options.topic);
    let pending: number | null = null;
    if (ends) {
      pending = 0;
      for (const [partition, end] of ends) {
        const at = mine.find((p) => p.partition === partition);
        pending += Math.max(0, Number(end) - (at ? Number(at.offset) + 1 : 0));
      }
    }
    const newest = mine.reduce<Date | null>((max, p) => (p.committedAt && (!max || p.committedAt > max) ? p.committedAt : max), null);
    const last = consumerStatus.partitions.filter((p) => p.topic === options.topic && p.committedAt).sort((a, b) => b.appliedAt.getTime() - a.appliedAt.getTime())[0];
    return {
      consuming: consumerStatus.consuming,
      retrying: consumerStatus.retrying,
      topic: options.topic,
      pendingEvents: pending,
      lastLagMs: last?.committedAt ? Math.max(0, last.appliedAt.getTime() - last.committedAt.getTime()) : null,
      lagMs: pending === null ? null : pending === 0 ? 0 : newest ? Math.max(0, Date.now() - newest.getTime()) : null,
      events,
      partitions: mine.map((p) => ({ partition: p.partition, offset: p.offset, end: ends?.get(p.partition) ?? null, committedAt: p.committedAt?.toISOString() ?? null })),
      monolithLsn,
      writeOwner: guard?.owner ?? null,
    };
  }

  new Gauge({
    name: 'reverse_sync_pending_events',
    help: 'Events on the catalog events topic not applied to the monolith yet',
    registers: [registry],
    async collect() {
      const s = await status().catch(() => undefined);
      if (s?.pendingEvents !== null && s?.pendingEvents !== undefined) this.set(s.pendingEvents);
    },
  });

  const router = Router();
  router.get('/status', async (_req, res) => {
    res.json(await status());
  });
  // The write guard of the monolith's database (ADR-0032), set by a cutover through catalog-service.
  router.use('/internal', requireControlToken(options.controlToken));
  const guardedDomain = (raw: unknown): string => {
    const domain = String(raw);
    if (!GUARDED_DOMAINS.includes(domain)) throw new NotFoundError(`No write guard for domain ${domain} (known: ${GUARDED_DOMAINS.join(', ')})`);
    return domain;
  };
  router.get('/internal/write-owner/:domain', async (req, res) => {
    const record = await store.writeOwner(guardedDomain(req.params.domain));
    if (!record) throw new NotFoundError(`No write owner recorded for ${String(req.params.domain)}: has the reverse sync prepared its schema?`);
    res.json(record);
  });
  router.put('/internal/write-owner/:domain', async (req, res) => {
    const domain = guardedDomain(req.params.domain);
    const parsed = PutWriteOwnerBody.safeParse(req.body ?? {});
    if (!parsed.success) throw ValidationError.fromZod(parsed.error, 'body');
    const record = await store.setWriteOwner(domain, parsed.data.owner, options.ownerDrainMs ?? 5_000);
    if (!record) throw new NotFoundError(`No write owner recorded for ${domain}: has the reverse sync prepared its schema?`);
    options.logger.info('monolith write owner changed', { domain, owner: record.owner, monolithLsn: record.monolithLsn });
    res.json(record);
  });
  const app = buildServiceApp({
    logger: options.logger,
    registry,
    api: new Api(),
    openApi: { title: 'Catalog reverse sync', version: '1.0.0', description: "Applies catalog-service's domain events to the monolith's catalog tables." },
    routers: [router],
    readiness: {
      database: async () => {
        await pool.query('SELECT 1');
      },
      consumer: async () => {
        if (!consumer.status().consuming) throw new Error('the reverse sync is not consuming (joining its group, or restarting)');
      },
    },
  });

  return {
    app,
    registry,
    status,
    store,
    start: async () => {
      await store.prepare();
      await consumer.start();
    },
    close: async () => {
      await consumer.stop();
      await admin.disconnect().catch(() => undefined);
      await pool.end();
    },
  };
}

export type ReverseSync = ReturnType<typeof composeReverseSync>;
