import type { AlertSink, Logger } from '@strangler/platform';
import type { Admin, Consumer, EachBatchPayload, logCreator, Producer } from 'kafkajs';
import pRetry from 'p-retry';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ensureTopics } from '../bootstrap/topics.js';
import { Kafka, logLevel, Partitioners } from '../kafka.js';
import type { ChangeEvent } from './change-event.js';
import { deadLetterHeaders, projectBatch, type BatchOutcome, type DeadLetter, type EventParser, type PartitionPosition, type Projection, type SourceEvent } from './projection.js';
import { parseTraceMessage, TraceLog, type TraceMessage } from './trace-log.js';
import { WatermarkTracker, type PartitionEnd, type Watermark } from './watermark.js';

export interface ProjectionConsumerOptions<C, E extends SourceEvent = ChangeEvent> {
  brokers: string[];
  /** Consumer group, also the client id: one per service (`catalog-service`). */
  groupId: string;
  /** The Debezium topics to project (tables and the heartbeat table). */
  topics: string[];
  /**
   * Debezium's message topic (`CdcNames.messageTopic`): its trace messages are joined with the
   * applied changes and logged with their trace id (ADR-0026). Its position counts in the watermark.
   */
  traceTopic?: string;
  /** Where events that can never be applied go (created if missing). */
  deadLetterTopic: string;
  projection: Projection<C, E>;
  /** How a message becomes an event (default: a Debezium change event of a table topic). */
  parse?: EventParser<E>;
  /** Called after dead letters were sent (before the position moves past them): e.g. to record them with the data. */
  onDeadLetters?: (letters: DeadLetter[]) => Promise<void>;
  /** Prefix of the metric names (default `cdc_projection`: `cdc_projection_lag_seconds`, ...). */
  metricPrefix?: string;
  logger: Logger;
  registry: Registry;
  /** How long a fetch waits for data (kafkajs default 5000 ms: at low traffic, each change could wait that long). */
  maxWaitTimeMs?: number;
  /** Partitions projected at the same time, each in its own transaction (order within a partition is kept). */
  partitionsConcurrently?: number;
  /** Back-off between retries of a batch that failed for a retriable reason. */
  retry?: { minTimeoutMs: number; maxTimeoutMs: number };
  /** How often the service watermark is recomputed when no batch arrives (default 250 ms; each batch applied recomputes it too). */
  watermarkIntervalMs?: number;
  /** Raises a `projection_dead_letter` alert for each dead letter (ADR-0023). */
  alerts?: AlertSink;
}

export interface ProjectionStatus {
  /** True while the consumer is a member of its group and consuming. */
  consuming: boolean;
  /** The error of the batch being retried now, if any. */
  retrying: string | null;
  /** The last position applied per partition, since this process started. */
  partitions: (PartitionPosition & { appliedAt: Date })[];
}

const WINSTON_LEVEL: Record<number, string> = { [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug' };

/** kafkajs's own log lines, as JSON lines of the service's logger rather than its console output. */
function kafkaLogs(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...detail } = log;
      logger.log(WINSTON_LEVEL[level] ?? 'info', `kafkajs: ${message}`, detail);
    };
}

/** How often the group's offsets are committed (kafkajs: after every batch by default). */
const OFFSET_COMMIT_INTERVAL_MS = 1_000;

/** kafkajs's name for the first offset a partition still holds. */
const EARLIEST = '-2';

/** A topic of dead letters: kept two weeks, for a person to inspect and replay. */
function deadLetterTopicSpec(topic: string) {
  return { topic, numPartitions: 1, config: { 'cleanup.policy': 'delete', 'retention.ms': String(14 * 24 * 60 * 60_000) } };
}

/**
 * Runs a projection over Kafka with at-least-once delivery: a batch's offset is committed only after
 * the projection has applied it (with its position, in its own database); a failed batch is retried
 * with back-off, never skipped; a message that can never be applied goes to the dead-letter topic.
 * At start the group resumes from the positions stored with the data, so a service whose database is
 * new (or restored) rebuilds from the compacted topics.
 */
export class ProjectionConsumer<C, E extends SourceEvent = ChangeEvent> {
  private readonly kafka;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private readonly stopping = new AbortController();
  private consuming = false;
  private retrying: string | null = null;
  private readonly positions = new Map<string, PartitionPosition & { appliedAt: Date }>();
  private readonly metrics;
  private admin: Admin | undefined;
  private existingTopics: string[] = [];
  private allTopicsExist = false;
  private readonly tracker: WatermarkTracker;
  /** Every topic consumed: the projected ones and the trace topic. */
  private readonly topics: string[];
  private readonly traces: TraceLog;

  constructor(private readonly options: ProjectionConsumerOptions<C, E>) {
    this.topics = options.traceTopic ? [...options.topics, options.traceTopic] : options.topics;
    this.traces = new TraceLog(options.logger);
    this.kafka = new Kafka({
      clientId: options.groupId,
      brokers: options.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogs(options.logger),
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
    const registers = [options.registry];
    const prefix = options.metricPrefix ?? 'cdc_projection';
    this.metrics = {
      events: new Counter({ name: `${prefix}_events_total`, help: 'CDC messages handled, by topic and outcome (applied, stale, dead_lettered, tombstone)', labelNames: ['topic', 'outcome'] as const, registers }),
      lag: new Histogram({
        name: `${prefix}_lag_seconds`,
        help: 'Commit at the source to applied here, per change',
        labelNames: ['topic'] as const,
        // Fine below 0.5 s, where the forward projection and the reverse sync are compared (bench:cutover).
        buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60],
        registers,
      }),
      retries: new Counter({ name: `${prefix}_retries_total`, help: 'Batches retried after a retriable failure', labelNames: ['topic'] as const, registers }),
      lsn: new Gauge({ name: `${prefix}_position_lsn`, help: 'Highest source LSN applied, per partition', labelNames: ['topic', 'partition'] as const, registers }),
    };
    this.tracker = new WatermarkTracker({
      positions: () => options.projection.positions(),
      ends: () => this.ends(),
      intervalMs: options.watermarkIntervalMs ?? 250,
      logger: options.logger,
    });
    const tracker = this.tracker;
    new Gauge({
      name: 'cdc_watermark_lag_seconds',
      help: 'Time since the monolith committed the newest change below the service watermark (every earlier transaction is applied)',
      registers,
      collect() {
        const lag = tracker.lagMs();
        if (lag !== undefined) this.set(lag / 1000);
      },
    });
  }

  /** Log-end offsets of every partition of the projected topics (a topic not created yet has none). */
  private async ends(): Promise<PartitionEnd[]> {
    if (!this.admin) throw new Error('the projection consumer is not started');
    if (!this.allTopicsExist) {
      const existing = new Set(await this.admin.listTopics());
      this.existingTopics = this.topics.filter((t) => existing.has(t));
      this.allTopicsExist = this.existingTopics.length === this.topics.length;
    }
    const topics = this.existingTopics;
    const offsets = await Promise.all(topics.map(async (topic) => ({ topic, partitions: await this.admin!.fetchTopicOffsets(topic) })));
    return offsets.flatMap(({ topic, partitions }) => partitions.map((p) => ({ topic, partition: p.partition, end: BigInt(p.high) })));
  }

  async start(): Promise<void> {
    const { groupId, deadLetterTopic, logger } = this.options;
    const topics = this.topics;
    const admin = this.kafka.admin();
    await admin.connect();
    let resume: Map<string, string>;
    try {
      await ensureTopics(admin, [deadLetterTopicSpec(deadLetterTopic)]);
      resume = await this.resumeOffsets(admin);
    } catch (err) {
      await admin.disconnect();
      throw err;
    }
    // Kept for the watermark, which reads the log-end offsets.
    this.admin = admin;
    // Not idempotent: that needs Kafka's transaction coordinator (a 50-partition topic created on first use,
    // seconds on a small broker) for a guarantee a dead letter does not need; at least once is enough.
    this.producer = this.kafka.producer({ maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 100, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
    this.consumer = consumer;
    let firstJoin = true;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.consuming = true;
      logger.info('cdc consumer joined its group', { groupId, memberAssignment: payload.memberAssignment });
      // The positions stored with the data decide where this instance starts (applied before its first
      // fetch). Later rebalances keep the group's offsets, which follow the data since this start.
      if (!firstJoin) return;
      firstJoin = false;
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) consumer.seek({ topic, partition, offset: resume.get(`${topic}/${partition}`) ?? EARLIEST });
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.consuming = false;
      logger.error('cdc consumer crashed; kafkajs restarts it', { groupId, detail: payload.error.message, restart: payload.restart });
    });
    consumer.on(consumer.events.STOP, () => (this.consuming = false));
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    // The group's offsets are not where a start resumes (the positions stored with the data are), only
    // where a rebalance hands a partition over: committed once a second rather than after every batch
    // (kafkajs's autoCommit), which saved a broker round trip per batch. A rebalance may replay up to a
    // second of changes, which the LSN guard skips (ADR-0030).
    await consumer.run({
      autoCommit: false,
      autoCommitInterval: OFFSET_COMMIT_INTERVAL_MS,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 3,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.tracker.start();
  }

  /** The service watermark (ADR-0021), undefined until first computed. */
  watermark(): (Watermark & { lagMs: number }) | undefined {
    const w = this.tracker.current();
    return w && { ...w, lagMs: this.tracker.lagMs() ?? 0 };
  }

  /** Resolves once the watermark reaches `lsn`, or with undefined after `timeoutMs`. */
  waitForWatermark(lsn: bigint, timeoutMs: number): Promise<Watermark | undefined> {
    return this.tracker.waitFor(lsn, timeoutMs);
  }

  /**
   * Where each partition resumes: after the offset stored with the data. A partition with no stored
   * position (a new or emptied database) starts at the earliest offset, so the service rebuilds
   * from the compacted topics; so does one whose stored offset is past the end (a recreated topic).
   */
  private async resumeOffsets(admin: Admin): Promise<Map<string, string>> {
    const stored = new Map((await this.options.projection.positions()).map((p) => [`${p.topic}/${p.partition}`, BigInt(p.offset)]));
    const existing = new Set(await admin.listTopics());
    const resume = new Map<string, string>();
    for (const topic of this.topics.filter((t) => existing.has(t))) {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
        const last = stored.get(`${topic}/${partition}`);
        if (last !== undefined && last + 1n <= BigInt(high)) resume.set(`${topic}/${partition}`, String(last + 1n));
      }
    }
    return resume;
  }

  private async sendDeadLetters(letters: DeadLetter[]): Promise<void> {
    const failedAt = new Date();
    await this.producer!.send({
      topic: this.options.deadLetterTopic,
      messages: letters.map((l) => ({ key: l.message.key, value: l.message.value, headers: deadLetterHeaders(l, failedAt) })),
    });
    await this.options.onDeadLetters?.(letters);
    for (const l of letters) {
      this.options.logger.warn('cdc message dead-lettered', { topic: l.topic, partition: l.partition, offset: l.message.offset, reason: l.reason, deadLetterTopic: this.options.deadLetterTopic });
      this.options.alerts?.raise({
        kind: 'projection_dead_letter',
        summary: `a CDC event of ${l.topic} could not be applied and went to ${this.options.deadLetterTopic}`,
        details: { groupId: this.options.groupId, topic: l.topic, partition: l.partition, offset: l.message.offset, reason: l.reason, deadLetterTopic: this.options.deadLetterTopic },
      });
    }
  }

  private async onBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const project = topic === this.options.traceTopic ? () => this.recordTraces(batch) : () => projectBatch(batch, this.options.projection, (letters) => this.sendDeadLetters(letters), this.options.parse);
    const outcome = await pRetry(project, {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: this.options.retry?.minTimeoutMs ?? 200,
      maxTimeout: this.options.retry?.maxTimeoutMs ?? 5_000,
      signal: this.stopping.signal,
      shouldRetry: () => isRunning() && !isStale(),
      onFailedAttempt: async ({ error, attemptNumber }) => {
        this.retrying = error.message;
        this.metrics.retries.inc({ topic });
        this.options.logger.warn('cdc batch failed; retrying', { topic, partition, firstOffset: batch.firstOffset(), attempt: attemptNumber, detail: error.message });
        await heartbeat().catch(() => undefined);
      },
    });
    this.retrying = null;
    const appliedAt = new Date();
    if (outcome.events.length > 0) this.traces.appliedEvents(outcome.events, appliedAt);
    for (const at of outcome.committedAt) this.metrics.lag.observe({ topic }, Math.max(0, (appliedAt.getTime() - at.getTime()) / 1000));
    this.metrics.events.inc({ topic, outcome: 'applied' }, outcome.applied);
    this.metrics.events.inc({ topic, outcome: 'stale' }, outcome.stale);
    this.metrics.events.inc({ topic, outcome: 'dead_lettered' }, outcome.deadLettered);
    this.metrics.events.inc({ topic, outcome: 'tombstone' }, outcome.tombstones);
    if (outcome.position.lsn !== null) this.metrics.lsn.set({ topic, partition: String(partition) }, Number(outcome.position.lsn));
    this.positions.set(`${topic}/${partition}`, { ...outcome.position, appliedAt });
    resolveOffset(outcome.position.offset);
    this.tracker.nudge();
    await commitOffsetsIfNecessary();
    await heartbeat();
  }

  /**
   * A batch of the trace topic: nothing to apply, but its position is recorded with the data like any
   * other partition's (the watermark needs every partition's), and its traces join the applied changes.
   */
  private async recordTraces(batch: EachBatchPayload['batch']): Promise<BatchOutcome<E>> {
    const traces = batch.messages.map(parseTraceMessage).filter((t): t is TraceMessage => t !== undefined);
    let lsn: bigint | null = null;
    let committedAt: Date | null = null;
    for (const t of traces) {
      if (lsn === null || t.lsn > lsn) lsn = t.lsn;
      if (committedAt === null || t.committedAt > committedAt) committedAt = t.committedAt;
    }
    const position: PartitionPosition = { topic: batch.topic, partition: batch.partition, offset: batch.lastOffset(), lsn, committedAt };
    await this.options.projection.apply([], position);
    this.traces.traced(traces);
    return { applied: 0, stale: 0, deadLettered: 0, tombstones: 0, position, committedAt: [], events: [] };
  }

  status(): ProjectionStatus {
    return { consuming: this.consuming, retrying: this.retrying, partitions: [...this.positions.values()] };
  }

  async stop(): Promise<void> {
    // A batch in flight may finish and commit; a batch stuck in its retries is abandoned (not committed) after a grace.
    await this.tracker.stop();
    const grace = setTimeout(() => this.stopping.abort(new Error('the projection consumer is stopping')), 2_000);
    try {
      await this.consumer?.disconnect();
    } finally {
      clearTimeout(grace);
      this.consuming = false;
    }
    await this.producer?.disconnect();
    await this.admin?.disconnect();
  }
}
