import { describe, expect, it } from 'vitest';
import { buildOutboxConnectorConfig, eventStreamNames, eventsTopic, eventsTopicSpec } from './event-streams.js';

const catalog = { domain: 'catalog', events: { table: 'public.outbox_events', topic: 'catalog.events' } };
const database = { host: '127.0.0.1', port: 5432, user: 'debezium_monolith_catalog_outbox', dbname: 'catalog_service', passwordRef: { path: '/secrets/connector.properties', key: 'capture.password' } };

describe('the event stream of a domain', () => {
  it('goes to <prefix>.<events.topic>, monolith.catalog.events in the stack', () => {
    expect(eventsTopic(catalog)).toBe('monolith.catalog.events');
    expect(eventsTopic(catalog, 'tcatalog1a2b3c')).toBe('tcatalog1a2b3c.catalog.events');
  });

  it('is refused for a manifest without events, naming the domain', () => {
    expect(() => eventsTopic({ domain: 'orders' })).toThrow('the orders manifest declares no events');
  });

  it('has its own connector, slot, publication and capture role, apart from the monolith’s pipeline', () => {
    expect(eventStreamNames(catalog)).toMatchObject({
      connector: 'monolith-catalog-outbox-postgres',
      slot: 'strangler_monolith_catalog_outbox',
      publication: 'strangler_monolith_catalog_outbox',
      captureRole: 'debezium_monolith_catalog_outbox',
    });
  });

  it('keeps its topic whole: never compacted, no time limit, three partitions', () => {
    expect(eventsTopicSpec('monolith.catalog.events')).toEqual({
      topic: 'monolith.catalog.events',
      numPartitions: 3,
      config: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'min.insync.replicas': '1' },
    });
  });

  it('routes only the outbox table’s records through the outbox event router, keyed by aggregate id, the payload as JSON', () => {
    const names = eventStreamNames(catalog);
    const config = buildOutboxConnectorConfig(names, database, 'public.outbox_events', 'monolith.catalog.events');
    expect(config).toMatchObject({
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'database.dbname': 'catalog_service',
      'database.user': 'debezium_monolith_catalog_outbox',
      'database.password': '${file:/secrets/connector.properties:capture.password}',
      'topic.prefix': 'monolith-catalog-outbox',
      'slot.name': 'strangler_monolith_catalog_outbox',
      'table.include.list': 'public\\.outbox_events,strangler_cdc\\.heartbeat',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      transforms: 'outbox',
      'transforms.outbox.type': 'io.debezium.transforms.outbox.EventRouter',
      'transforms.outbox.predicate': 'isOutbox',
      'transforms.outbox.table.field.event.key': 'aggregate_id',
      'transforms.outbox.table.field.event.payload': 'payload',
      'transforms.outbox.table.expand.json.payload': 'true',
      'transforms.outbox.route.topic.replacement': 'monolith.catalog.events',
      'predicates.isOutbox.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
      'predicates.isOutbox.pattern': 'monolith-catalog-outbox\\.public\\.outbox_events',
    });
  });
});
