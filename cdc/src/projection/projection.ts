import type { IHeaders, KafkaMessage } from 'kafkajs';
import { parseChangeEvent, PoisonMessageError, type ChangeEvent } from './change-event.js';

/**
 * What every consumed event tells the consumer: where it stands in its source (the monolith's WAL
 * position for a Debezium change; none for a domain event of a service) and when its source
 * committed it (for the lag).
 */
export interface SourceEvent {
  lsn: bigint | null;
  committedAt: Date;
}

/** Reads one message into an event; undefined for a message that carries nothing (a tombstone); PoisonMessageError for one that can never be read. */
export type EventParser<E extends SourceEvent> = (topic: string, partition: number, message: Pick<KafkaMessage, 'key' | 'value' | 'offset' | 'headers'>) => E | undefined;

/** How far a projection has applied one partition of one topic. */
export interface PartitionPosition {
  topic: string;
  partition: number;
  /** The last offset applied (a decimal string, as Kafka gives it). */
  offset: string;
  /** The highest source LSN applied from this partition (null while only tombstones were seen). */
  lsn: bigint | null;
  /** Commit time in the monolith of the newest change applied from this partition. */
  committedAt: Date | null;
}

export interface ApplyOutcome {
  /** Changes that changed the projection. */
  applied: number;
  /** Changes the LSN guard skipped: a replay, or older than what the row already holds. */
  stale: number;
}

/**
 * What a service writes to consume CDC events: turn an event into its own change (`decode`) and
 * apply a partition's changes together with the new position in one transaction of its own
 * database (`apply`), guarded by the source LSN so that a replay changes nothing (ADR-0008).
 */
export interface Projection<C, E extends SourceEvent = ChangeEvent> {
  /** Throws PoisonMessageError for an event that can never be applied. */
  decode(event: E): C;
  /**
   * Applies `changes` (in partition order) and records `position`, atomically. Throws
   * PoisonMessageError when the data itself is refused (a constraint), any other error when a
   * retry may succeed (the database is unreachable).
   */
  apply(changes: C[], position: PartitionPosition): Promise<ApplyOutcome>;
  /** The positions recorded with the data: where consumption resumes after a restart. */
  positions(): Promise<PartitionPosition[]>;
}

/** A message the projection could not apply, with where it came from and why. */
export interface DeadLetter {
  topic: string;
  partition: number;
  message: Pick<KafkaMessage, 'key' | 'value' | 'offset' | 'headers'>;
  reason: string;
}

export interface BatchOutcome<E extends SourceEvent = ChangeEvent> extends ApplyOutcome {
  deadLettered: number;
  tombstones: number;
  position: PartitionPosition;
  /** Commit times of the changes applied, for the lag metric. */
  committedAt: Date[];
  /** The events applied (or found already applied), for the trace log. */
  events: E[];
}

interface Decoded<C, E> {
  change: C;
  event: E;
  message: DeadLetter['message'];
}

function positionAfter(topic: string, partition: number, offset: string, events: SourceEvent[], previous?: PartitionPosition): PartitionPosition {
  let lsn = previous?.lsn ?? null;
  let committedAt = previous?.committedAt ?? null;
  for (const e of events) {
    if (e.lsn !== null && (lsn === null || e.lsn > lsn)) lsn = e.lsn;
    if (committedAt === null || e.committedAt > committedAt) committedAt = e.committedAt;
  }
  return { topic, partition, offset, lsn, committedAt };
}

/**
 * Projects one batch of one partition: decodes every message, sends what can never be applied to
 * the dead-letter sink, then applies the rest with the batch's last offset as the new position.
 * When the projection refuses the batch's data, the changes are applied one at a time so that only
 * the offending ones are dead-lettered. Any other error propagates: the caller retries the batch
 * (nothing of it was committed, and the LSN guard makes a partial earlier attempt harmless).
 */
export async function projectBatch<C, E extends SourceEvent = ChangeEvent>(
  batch: { topic: string; partition: number; messages: DeadLetter['message'][] },
  projection: Projection<C, E>,
  deadLetter: (letters: DeadLetter[]) => Promise<void>,
  parse: EventParser<E> = parseChangeEvent as unknown as EventParser<E>,
): Promise<BatchOutcome<E>> {
  const { topic, partition, messages } = batch;
  const last = messages.at(-1);
  if (!last) throw new Error('projectBatch needs at least one message');
  const letters: DeadLetter[] = [];
  const decoded: Decoded<C, E>[] = [];
  let tombstones = 0;
  for (const message of messages) {
    try {
      const event = parse(topic, partition, message);
      if (!event) {
        tombstones++;
        continue;
      }
      decoded.push({ change: projection.decode(event), event, message });
    } catch (err) {
      if (!(err instanceof PoisonMessageError)) throw err;
      letters.push({ topic, partition, message, reason: err.message });
    }
  }

  // Dead letters are sent before the position moves past them, so none is lost.
  if (letters.length > 0) await deadLetter(letters);

  let position = positionAfter(topic, partition, last.offset, decoded.map((d) => d.event));
  try {
    const outcome = await projection.apply(decoded.map((d) => d.change), position);
    const events = decoded.map((d) => d.event);
    return { ...outcome, deadLettered: letters.length, tombstones, position, committedAt: events.map((e) => e.committedAt), events };
  } catch (err) {
    if (!(err instanceof PoisonMessageError)) throw err;
  }
  // The database refuses some of the batch: one transaction per change finds which, the position
  // moving with each, and each refused change is dead-lettered before the next one is applied.
  const outcome: ApplyOutcome = { applied: 0, stale: 0 };
  const committedAt: Date[] = [];
  const events: E[] = [];
  let previous: PartitionPosition | undefined;
  let refused = 0;
  for (const item of decoded) {
    const single = positionAfter(topic, partition, item.message.offset, [item.event], previous);
    try {
      const one = await projection.apply([item.change], single);
      outcome.applied += one.applied;
      outcome.stale += one.stale;
      committedAt.push(item.event.committedAt);
      events.push(item.event);
      previous = single;
    } catch (err) {
      if (!(err instanceof PoisonMessageError)) throw err;
      await deadLetter([{ topic, partition, message: item.message, reason: err.message }]);
      refused++;
    }
  }
  // The batch may end with refused or skipped messages: record its end so they are not read again.
  position = previous ? { ...previous, offset: last.offset } : { topic, partition, offset: last.offset, lsn: null, committedAt: null };
  if (previous?.offset !== last.offset) await projection.apply([], position);
  return { ...outcome, deadLettered: letters.length + refused, tombstones, position, committedAt, events };
}

/** Headers that say where a dead letter came from and why it was refused, beside its own headers. */
export function deadLetterHeaders(letter: DeadLetter, failedAt: Date): IHeaders {
  return {
    ...letter.message.headers,
    'dlq.topic': letter.topic,
    'dlq.partition': String(letter.partition),
    'dlq.offset': letter.message.offset,
    'dlq.reason': letter.reason.slice(0, 1000),
    'dlq.failed_at': failedAt.toISOString(),
  };
}
