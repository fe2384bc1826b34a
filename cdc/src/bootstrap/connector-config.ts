import type { Manifest } from '@strangler/manifests';
import { TRACE_MESSAGE_PREFIX } from '@strangler/platform';
import { fileSecretPlaceholder, type FileSecretRef } from '../runtime/connect-security.js';

/** Connection settings of the monolith's database. */
export interface DatabaseSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  dbname: string;
}

/**
 * How the connector reaches the database: as the capture role, with its password read by the Connect
 * worker from a file (FileConfigProvider), so the connector's stored config holds only a reference.
 */
export interface ConnectorDatabase extends Omit<DatabaseSettings, 'password'> {
  passwordRef: FileSecretRef;
}

/** Everything the project names for one capture pipeline, derived from one topic prefix. */
export interface CdcNames {
  topicPrefix: string;
  connector: string;
  slot: string;
  publication: string;
  heartbeatTable: string;
  heartbeatTopic: string;
  /**
   * Where Debezium writes the monolith's transactional logical decoding messages: the trace context
   * of the request behind each traced write (ADR-0026).
   */
  messageTopic: string;
  /** The role Debezium logs in as: LOGIN REPLICATION, SELECT on the captured tables only. */
  captureRole: string;
}

/** The schema that holds the project's own bookkeeping table in the monolith's database. */
export const CDC_SCHEMA = 'strangler_cdc';

/**
 * Names for a pipeline: `monolith` gives the connector `monolith-postgres`, the topics
 * `monolith.<schema>.<table>`, and the slot and publication `strangler_monolith` (the `strangler_`
 * prefix marks what this project created, so reset drops nothing else).
 */
export function cdcNames(topicPrefix = 'monolith'): CdcNames {
  if (!/^[a-z][a-z0-9_-]*$/.test(topicPrefix)) {
    throw new Error(`topic prefix "${topicPrefix}" must be lower-case letters, digits, _ or -, starting with a letter`);
  }
  const pgName = `strangler_${topicPrefix.replace(/-/g, '_')}`;
  return {
    topicPrefix,
    connector: `${topicPrefix}-postgres`,
    slot: pgName,
    publication: pgName,
    heartbeatTable: `${CDC_SCHEMA}.heartbeat`,
    heartbeatTopic: `__debezium-heartbeat.${topicPrefix}`,
    messageTopic: `${topicPrefix}.message`,
    captureRole: `debezium_${topicPrefix.replace(/-/g, '_')}`,
  };
}

/** Captured tables of all domains (`schema.table`), from the manifests, de-duplicated and sorted. */
export function capturedTables(manifests: Pick<Manifest, 'capture'>[]): string[] {
  return [...new Set(manifests.flatMap((m) => m.capture.tables))].sort();
}

/** The Kafka topic Debezium writes a table's changes to. */
export function tableTopic(topicPrefix: string, table: string): string {
  return `${topicPrefix}.${table}`;
}

export interface ConnectorTuning {
  /**
   * Debezium's wait (default 500 ms), twice on the path of every change: its WAL reader sleeps this long
   * when PostgreSQL has sent nothing new, and its queue holds a batch this long unless `maxBatchSize`
   * changes arrive first (ADR-0030).
   */
  pollIntervalMs: number;
  /**
   * Heartbeat period: keeps the slot's confirmed LSN and the services' watermarks moving while captured
   * tables are quiet; a read that waits for its own write waits for the next heartbeat (ADR-0021).
   */
  heartbeatIntervalMs: number;
  maxBatchSize: number;
  maxQueueSize: number;
  snapshotMode: 'initial' | 'no_data' | 'when_needed' | 'always' | 'initial_only';
}

export const DEFAULT_TUNING: ConnectorTuning = {
  pollIntervalMs: 10,
  heartbeatIntervalMs: 100,
  maxBatchSize: 2048,
  maxQueueSize: 8192,
  snapshotMode: 'initial',
};

/**
 * The Debezium PostgreSQL connector configuration. Each setting is explained in
 * docs/adr/0011-debezium-connector-settings.md; change both together.
 */
export function buildConnectorConfig(
  names: CdcNames,
  database: ConnectorDatabase,
  tables: string[],
  tuning: ConnectorTuning = DEFAULT_TUNING,
): Record<string, string> {
  if (tables.length === 0) throw new Error('no captured tables: add capture.tables to a domain manifest in migrations/');
  const heartbeatQuery =
    `INSERT INTO ${names.heartbeatTable} (connector, beat_at) VALUES ('${names.connector}', now()) ` +
    'ON CONFLICT (connector) DO UPDATE SET beat_at = EXCLUDED.beat_at';
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'database.hostname': database.host,
    'database.port': String(database.port),
    'database.user': database.user,
    'database.password': fileSecretPlaceholder(database.passwordRef),
    'database.dbname': database.dbname,
    'topic.prefix': names.topicPrefix,
    'plugin.name': 'pgoutput',
    'slot.name': names.slot,
    'publication.name': names.publication,
    // The bootstrap creates and updates the filtered publication itself (it knows the table list).
    'publication.autocreate.mode': 'disabled',
    'table.include.list': [...tables, names.heartbeatTable].map(escapeRegexTable).join(','),
    'snapshot.mode': tuning.snapshotMode,
    'tombstones.on.delete': 'true',
    // Logical decoding messages with this prefix only (the trace context of a write, ADR-0026); any
    // other tool's messages in the same database stay out of the topics.
    'message.prefix.include.list': TRACE_MESSAGE_PREFIX.replace(/\./g, '\\.'),
    'heartbeat.interval.ms': String(tuning.heartbeatIntervalMs),
    'heartbeat.action.query': heartbeatQuery,
    'poll.interval.ms': String(tuning.pollIntervalMs),
    'max.batch.size': String(tuning.maxBatchSize),
    'max.queue.size': String(tuning.maxQueueSize),
    // Money stays exact and readable: NUMERIC arrives as a string, not as base64 bytes.
    'decimal.handling.mode': 'string',
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
  };
}

/** table.include.list entries are regular expressions: escape the dot so `public.products` matches only itself. */
function escapeRegexTable(table: string): string {
  return table.replace(/\./g, '\\.');
}
