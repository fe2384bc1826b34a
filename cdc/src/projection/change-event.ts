import type { IHeaders, KafkaMessage } from 'kafkajs';

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
  /**
   * The row's primary key, e.g. `{ id: "…" }`: parsed from the message key when first read (it throws
   * PoisonMessageError then if the key is not a JSON object).
   */
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

type Row = Record<string, unknown>;

function isObject(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notAnEvent(path: string, why: string): never {
  throw new PoisonMessageError(`not a Debezium change event: ${path}: ${why}`);
}

/** A row image: an object or nothing. Its columns are the projection's to check (once, in its decode). */
function rowImage(value: unknown, path: string): Row | null {
  if (value === undefined || value === null) return null;
  return isObject(value) ? value : notAnEvent(path, 'must be an object or null');
}

function whole(value: unknown, path: string): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : notAnEvent(path, 'must be a whole number');
}

function name(value: unknown, path: string): string {
  return typeof value === 'string' && value.length > 0 ? value : notAnEvent(path, 'must be a non-empty string');
}

/**
 * The envelope's own fields, checked by hand: this runs for every message, and a schema over both
 * row images walked every column before the projection checked the row again (ADR-0030).
 */
function envelopeOf(value: unknown) {
  if (!isObject(value)) return notAnEvent('(root)', 'must be an object');
  const op = typeof value.op === 'string' && Object.hasOwn(OPS, value.op) ? OPS[value.op]! : notAnEvent('op', 'must be one of c, u, d, r');
  const source = isObject(value.source) ? value.source : notAnEvent('source', 'must be an object');
  const txId = source.txId;
  if (txId !== undefined && txId !== null && !(typeof txId === 'number' && Number.isInteger(txId))) notAnEvent('source.txId', 'must be a whole number or null');
  return {
    op,
    before: rowImage(value.before, 'before'),
    after: rowImage(value.after, 'after'),
    lsn: whole(source.lsn, 'source.lsn'),
    tsMs: whole(source.ts_ms, 'source.ts_ms'),
    txId: (txId as number | null | undefined) ?? null,
    table: `${name(source.schema, 'source.schema')}.${name(source.table, 'source.table')}`,
  };
}

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
  const keyBuffer = message.key;
  if (keyBuffer === null) throw new PoisonMessageError('the message has no key (a Debezium change event is keyed by the primary key)');
  const envelope = envelopeOf(json(message.value, 'value'));
  const { op } = envelope;
  // The key is read only when asked for (a delete that carries no old row): the row images hold it otherwise.
  let key: Row | undefined;
  const readKey = (): Row => {
    if (key) return key;
    const parsed = json(keyBuffer, 'key');
    if (!isObject(parsed)) throw new PoisonMessageError('the key is not a JSON object');
    return (key = parsed);
  };
  if (op === 'delete' ? envelope.before === null && Object.keys(readKey()).length === 0 : envelope.after === null) {
    throw new PoisonMessageError(`a ${op} event without the row it ${op === 'delete' ? 'removes' : 'writes'}`);
  }
  return {
    topic,
    partition,
    offset: message.offset,
    table: envelope.table,
    op,
    get key() {
      return readKey();
    },
    before: envelope.before,
    after: envelope.after,
    lsn: BigInt(envelope.lsn),
    committedAt: new Date(envelope.tsMs),
    txId: envelope.txId,
    headers: message.headers ?? {},
  };
}
