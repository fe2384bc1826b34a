import type { IHeaders, KafkaMessage } from 'kafkajs';
import { z } from 'zod';

/** What happened to the row: `snapshot` is a row read by the connector's initial snapshot. */
export type ChangeOp = 'create' | 'update' | 'delete' | 'snapshot';

const OPS: Record<string, ChangeOp> = { c: 'create', u: 'update', d: 'delete', r: 'snapshot' };

/** One Debezium change event of a captured table, as a projection sees it. */
export interface ChangeEvent {
  topic: string;
  partition: number;
  offset: string;
  /** `schema.table` in the monolith's database. */
  table: string;
  op: ChangeOp;
  /** The row's primary key, e.g. `{ id: "…" }`. */
  key: Record<string, unknown>;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** Where the change starts in the monolith's WAL: orders the changes of one row. */
  lsn: bigint;
  /** When the monolith's transaction committed (Debezium `source.ts_ms`). */
  committedAt: Date;
  /** The monolith's transaction id (Debezium `source.txId`): joins a change with its trace context (ADR-0026). */
  txId: number | null;
  headers: IHeaders;
}

/**
 * An event that can never be applied, however often it is retried (not JSON, not a Debezium
 * envelope, a row that breaks the projection's schema). It goes to the dead-letter topic so the
 * partition keeps moving; every other error is retried.
 */
export class PoisonMessageError extends Error {
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonMessageError';
  }
}

const row = z.record(z.string(), z.unknown());
const envelopeSchema = z.looseObject({
  op: z.enum(['c', 'u', 'd', 'r'], { message: 'must be one of c, u, d, r' }),
  before: row.nullable().default(null),
  after: row.nullable().default(null),
  source: z.looseObject({
    lsn: z.number().int().nonnegative(),
    ts_ms: z.number().int().nonnegative(),
    txId: z.number().int().nullish(),
    schema: z.string().min(1),
    table: z.string().min(1),
  }),
});

function json(buffer: Buffer, what: string): unknown {
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch (err) {
    throw new PoisonMessageError(`the ${what} is not JSON`, { cause: err });
  }
}

/**
 * Reads one message of a Debezium table topic (JSON converter, schemas disabled). Returns
 * undefined for the tombstone that follows a delete (the delete event itself carries the change);
 * throws PoisonMessageError for anything that is not a change event.
 */
export function parseChangeEvent(topic: string, partition: number, message: Pick<KafkaMessage, 'key' | 'value' | 'offset' | 'headers'>): ChangeEvent | undefined {
  if (message.value === null || message.value.length === 0) return undefined;
  if (message.key === null) throw new PoisonMessageError('the message has no key (a Debezium change event is keyed by the primary key)');
  const key = json(message.key, 'key');
  if (key === null || typeof key !== 'object' || Array.isArray(key)) throw new PoisonMessageError('the key is not a JSON object');
  const parsed = envelopeSchema.safeParse(json(message.value, 'value'));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PoisonMessageError(`not a Debezium change event: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const envelope = parsed.data;
  const op = OPS[envelope.op]!;
  if (op === 'delete' ? envelope.before === null && Object.keys(key).length === 0 : envelope.after === null) {
    throw new PoisonMessageError(`a ${op} event without the row it ${op === 'delete' ? 'removes' : 'writes'}`);
  }
  return {
    topic,
    partition,
    offset: message.offset,
    table: `${envelope.source.schema}.${envelope.source.table}`,
    op,
    key: key as Record<string, unknown>,
    before: envelope.before,
    after: envelope.after,
    lsn: BigInt(envelope.source.lsn),
    committedAt: new Date(envelope.source.ts_ms),
    txId: envelope.source.txId ?? null,
    headers: message.headers ?? {},
  };
}
