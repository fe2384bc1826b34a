import { describe, expect, it } from 'vitest';
import { buildConnectorConfig, capturedTables, cdcNames, tableTopic } from './connector-config.js';

const passwordRef = { path: '/state/connect/secrets/connector-secrets.properties', key: 'debezium.password' };
const database = { host: '127.0.0.1', port: 5433, user: 'debezium_monolith', passwordRef, dbname: 'monolith' };

describe('connector configuration', () => {
  it('derives the connector, slot, publication and heartbeat names from the topic prefix', () => {
    expect(cdcNames('monolith')).toEqual({
      topicPrefix: 'monolith',
      connector: 'monolith-postgres',
      slot: 'strangler_monolith',
      publication: 'strangler_monolith',
      heartbeatTable: 'strangler_cdc.heartbeat',
      heartbeatTopic: '__debezium-heartbeat.monolith',
      messageTopic: 'monolith.message',
      captureRole: 'debezium_monolith',
    });
    expect(cdcNames('my-app').slot).toBe('strangler_my_app');
    expect(cdcNames('my-app').captureRole).toBe('debezium_my_app');
  });

  it('rejects a topic prefix that cannot name a slot', () => {
    expect(() => cdcNames('Bad Prefix')).toThrow(/topic prefix "Bad Prefix"/);
  });

  it('takes the captured tables from every manifest, once each, sorted', () => {
    const tables = capturedTables([
      { capture: { tables: ['public.products', 'public.categories'] } },
      { capture: { tables: ['public.stock_levels', 'public.products'] } },
      { capture: { tables: [] } },
    ]);
    expect(tables).toEqual(['public.categories', 'public.products', 'public.stock_levels']);
    expect(tableTopic('monolith', 'public.products')).toBe('monolith.public.products');
  });

  it('captures with pgoutput through the named slot and the filtered publication the bootstrap manages', () => {
    const config = buildConnectorConfig(cdcNames('monolith'), database, ['public.categories', 'public.products']);
    expect(config).toMatchObject({
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'plugin.name': 'pgoutput',
      'message.prefix.include.list': 'strangler\\.trace',
      'slot.name': 'strangler_monolith',
      'publication.name': 'strangler_monolith',
      'publication.autocreate.mode': 'disabled',
      'snapshot.mode': 'initial',
      'tombstones.on.delete': 'true',
      'decimal.handling.mode': 'string',
      'topic.prefix': 'monolith',
      'database.dbname': 'monolith',
      'database.port': '5433',
    });
    // Regular expressions: escaped dots, so `public.products` does not also match `public_products`.
    expect(config['table.include.list']).toBe('public\\.categories,public\\.products,strangler_cdc\\.heartbeat');
    expect(config['heartbeat.action.query']).toContain("VALUES ('monolith-postgres', now())");
  });

  it('logs in as the capture role with a reference to the password file, never the password itself', () => {
    const config = buildConnectorConfig(cdcNames('monolith'), database, ['public.products']);
    expect(config['database.user']).toBe('debezium_monolith');
    expect(config['database.password']).toBe('${file:/state/connect/secrets/connector-secrets.properties:debezium.password}');
  });

  it('refuses a password file reference the file config provider could not parse', () => {
    const bad = { ...database, passwordRef: { path: 'relative/secrets.properties', key: 'debezium.password' } };
    expect(() => buildConnectorConfig(cdcNames('monolith'), bad, ['public.products'])).toThrow(/must be absolute/);
    const colon = { ...database, passwordRef: { path: '/c:/secrets.properties', key: 'debezium.password' } };
    expect(() => buildConnectorConfig(cdcNames('monolith'), colon, ['public.products'])).toThrow(/may contain ':'/);
  });

  it('refuses to build a connector without captured tables', () => {
    expect(() => buildConnectorConfig(cdcNames(), database, [])).toThrow(/no captured tables/);
  });
});
