// The domains' event streams (docs/adr/0022): for each manifest with `events`, a second Debezium
// connector captures the extracted service's outbox table (in the service's own database) and
// Debezium's outbox event router publishes each row's payload to `<prefix>.<events.topic>`, keyed by
// the aggregate id.
import type { Manifest } from '@strangler/manifests';
import { buildConnectorConfig, cdcNames, type CdcNames, type ConnectorDatabase, type ConnectorTuning, DEFAULT_TUNING } from './connector-config.js';
import type { TopicSpec } from './topics.js';

/** What the event-stream functions read of a manifest. */
export type EventsManifest = Pick<Manifest, 'domain' | 'events'> & { service?: Pick<NonNullable<Manifest['service']>, 'name'> | undefined };

/**
 * The topic a domain's events go to: `<topicPrefix>.<events.topic>` (`monolith.catalog.events` with
 * the stack's prefix; a random prefix per test keeps tests apart). Producer, consumers and the
 * bootstrap all take the name from here.
 */
export function eventsTopic(manifest: Pick<Manifest, 'domain' | 'events'>, topicPrefix = 'monolith'): string {
  if (!manifest.events) throw new Error(`the ${manifest.domain} manifest declares no events (events.table, events.topic)`);
  cdcNames(topicPrefix); // validates the prefix
  return `${topicPrefix}.${manifest.events.topic}`;
}

/**
 * Names of a domain's event-stream pipeline: its own connector, slot, publication and capture role
 * (`<prefix>-<domain>-outbox`), so that it never touches the monolith's pipeline.
 */
export function eventStreamNames(manifest: Pick<Manifest, 'domain'>, topicPrefix = 'monolith'): CdcNames {
  return cdcNames(`${topicPrefix}-${manifest.domain}-outbox`);
}

/**
 * The events topic: three partitions (order per aggregate from the key), never compacted and kept
 * without a time limit: it is the service's history, and a consumer built later reads it from the start.
 */
export function eventsTopicSpec(topic: string): TopicSpec {
  return { topic, numPartitions: 3, config: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'min.insync.replicas': '1' } };
}

/**
 * The outbox connector: the PostgreSQL connector settings of the monolith's pipeline (ADR-0011) on
 * the service's database, plus the outbox event router on the outbox table's records only (the
 * heartbeat table's records pass unchanged). The value is the `payload` column (the whole envelope)
 * expanded to a JSON object; the key is `aggregate_id` as a plain string.
 */
export function buildOutboxConnectorConfig(
  names: CdcNames,
  database: ConnectorDatabase,
  outboxTable: string,
  topic: string,
  tuning: ConnectorTuning = DEFAULT_TUNING,
): Record<string, string> {
  const base = buildConnectorConfig(names, database, [outboxTable], tuning);
  return {
    ...base,
    // The outbox only grows: an update or delete of a row is no event (the router logs and skips it).
    'tombstones.on.delete': 'false',
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    transforms: 'outbox',
    'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
    'transforms.outbox.predicate': 'isOutbox',
    'transforms.outbox.table.field.event.id': 'id',
    'transforms.outbox.table.field.event.key': 'aggregate_id',
    'transforms.outbox.table.field.event.payload': 'payload',
    'transforms.outbox.table.expand.json.payload': 'true',
    'transforms.outbox.table.fields.additional.placement': 'type:header:eventType,aggregate_type:header:aggregateType',
    'transforms.outbox.route.by.field': 'aggregate_type',
    'transforms.outbox.route.topic.replacement': topic,
    'transforms.outbox.table.op.invalid.behavior': 'warn',
    predicates: 'isOutbox',
    'predicates.isOutbox.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
    'predicates.isOutbox.pattern': `${names.topicPrefix}.${outboxTable}`.replace(/\./g, '\\.'),
  };
}
