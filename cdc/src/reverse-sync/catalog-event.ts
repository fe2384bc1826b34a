import { parseCatalogEvent as parseEnvelope, type CatalogEvent as Envelope } from '@strangler/catalog-contract';
import type { KafkaMessage } from 'kafkajs';
import { PoisonMessageError } from '../projection/change-event.js';

/** A catalog domain event (the envelope of catalog-service's outbox, ADR-0022) with where it was read. */
export interface CatalogEvent extends Omit<Envelope, 'occurredAt'> {
  topic: string;
  partition: number;
  offset: string;
  /** When the service committed the change: the reverse sync's lag is measured from it. */
  committedAt: Date;
  /** Domain events carry no position in the monolith's WAL. */
  lsn: null;
}

/**
 * Reads one message of the catalog's events topic with the contract's own parser (the value is the
 * envelope as a JSON object or as a JSON string holding it). Returns undefined for an empty message;
 * throws PoisonMessageError, naming what is wrong, for anything that is not a well-formed catalog
 * event: the reverse sync dead-letters it with that reason.
 */
export function parseCatalogEvent(topic: string, partition: number, message: Pick<KafkaMessage, 'key' | 'value' | 'offset' | 'headers'>): CatalogEvent | undefined {
  if (message.value === null || message.value.length === 0) return undefined;
  let envelope: Envelope;
  try {
    envelope = parseEnvelope(message.value);
  } catch (err) {
    throw new PoisonMessageError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (envelope.data.id !== envelope.aggregateId) throw new PoisonMessageError(`${envelope.type} ${envelope.aggregateId}: data.id ${envelope.data.id} differs from the aggregate id`);
  const { occurredAt, ...rest } = envelope;
  return { ...rest, topic, partition, offset: message.offset, committedAt: new Date(occurredAt), lsn: null };
}
