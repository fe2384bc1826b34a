import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Manifest } from '@strangler/manifests';
import { Kafka, logLevel } from '../kafka.js';
import { stopCdcRuntime } from '../runtime/launcher.js';
import { deleteConnector, putConnectorConfig, waitForConnectorRunning, type ConnectApi, type ConnectorStatus } from './connect-client.js';
import type { FileSecretRef } from '../runtime/connect-security.js';
import {
  buildConnectorConfig,
  capturedTables,
  cdcNames,
  DEFAULT_TUNING,
  tableTopic,
  type CdcNames,
  type ConnectorTuning,
  type DatabaseSettings,
} from './connector-config.js';
import { buildOutboxConnectorConfig, eventStreamNames, eventsTopic, eventsTopicSpec, type EventsManifest } from './event-streams.js';
import { dropSlotAndPublication, preparePostgres } from './postgres-setup.js';
import { ensureTopics, heartbeatTopicSpec, messageTopicSpec, tableTopicSpec, type TopicSpec } from './topics.js';

export interface BootstrapOptions {
  brokers: string[];
  /** Kafka Connect's REST API and its credentials. */
  connect: ConnectApi;
  /**
   * The monolith's database, as the bootstrap reaches it: a user that may create the publication and
   * the capture role (owner or superuser). Debezium never uses it.
   */
  database: DatabaseSettings;
  /**
   * The role Debezium logs in as (`debezium_<prefix>`): the password the bootstrap gives it, and where
   * the Connect worker reads that password (FileConfigProvider), so the connector config holds none.
   */
  capture: { password: string; passwordRef: FileSecretRef };
  /** The same database as Kafka Connect reaches it, when that differs (containers); default `database`. */
  connectorDatabase?: Partial<Pick<DatabaseSettings, 'host' | 'port'>>;
  /**
   * Domain manifests (from `loadManifests()`): their `capture.tables` are the captured tables, and a
   * manifest with `events` gets an outbox connector when its service's database is in `serviceDatabases`.
   */
  manifests: (Pick<Manifest, 'capture'> & Partial<EventsManifest>)[];
  /**
   * The extracted services' databases by service name, as the bootstrap reaches them (a user that may
   * create a publication and a role), with how Connect reaches them when that differs. The outbox
   * table must exist (the service's migrations applied). The capture role of each gets `capture.password`.
   */
  serviceDatabases?: Record<string, { database: DatabaseSettings; connectorDatabase?: Partial<Pick<DatabaseSettings, 'host' | 'port'>> }>;
  /** Prefix of the CDC topics; also names the connector, slot and publication (default `monolith`). */
  topicPrefix?: string;
  tuning?: Partial<ConnectorTuning>;
  timeoutMs?: number;
  onProgress?: (message: string) => void;
}

export interface BootstrapResult {
  names: CdcNames;
  tables: string[];
  topics: string[];
  status: ConnectorStatus;
  /** The outbox connectors registered (one per manifest with `events` whose service database was given). */
  eventStreams: EventStreamResult[];
}

export interface EventStreamResult {
  domain: string;
  names: CdcNames;
  /** `<prefix>.<events.topic>`, e.g. `monolith.catalog.events`. */
  topic: string;
  status: ConnectorStatus;
}

/** The CDC topics of a pipeline: one per captured table, the heartbeat table's, Debezium's heartbeat topic and its message topic. */
export function cdcTopicSpecs(names: CdcNames, tables: string[]): TopicSpec[] {
  return [
    ...tables.map((t) => tableTopicSpec(tableTopic(names.topicPrefix, t))),
    heartbeatTopicSpec(tableTopic(names.topicPrefix, names.heartbeatTable)),
    heartbeatTopicSpec(names.heartbeatTopic),
    messageTopicSpec(names.messageTopic),
  ];
}

/**
 * Sets up change data capture of the captured tables, idempotently: prepares PostgreSQL (publication,
 * replica identity, heartbeat table, the capture role Debezium logs in as), creates the CDC topics with explicit settings, registers the
 * Debezium connector and waits until the connector and its task are RUNNING.
 */
export async function bootstrapCdc(options: BootstrapOptions): Promise<BootstrapResult> {
  const progress = options.onProgress ?? (() => {});
  const names = cdcNames(options.topicPrefix);
  const tables = capturedTables(options.manifests);
  if (tables.length === 0) throw new Error('no domain manifest captures a table (capture.tables): nothing to bootstrap');

  progress(`preparing PostgreSQL ${options.database.host}:${options.database.port}/${options.database.dbname}: publication ${names.publication} for ${tables.join(', ')}`);
  await preparePostgres(options.database, names, tables, options.capture.password);

  const specs = cdcTopicSpecs(names, tables);
  const kafka = new Kafka({ clientId: 'strangler-cdc-bootstrap', brokers: options.brokers, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { created } = await ensureTopics(admin, specs);
    if (created.length > 0) progress(`created topics ${created.join(', ')}`);
  } finally {
    await admin.disconnect();
  }

  const connectorDatabase = {
    host: options.connectorDatabase?.host ?? options.database.host,
    port: options.connectorDatabase?.port ?? options.database.port,
    dbname: options.database.dbname,
    user: names.captureRole,
    passwordRef: options.capture.passwordRef,
  };
  const config = buildConnectorConfig(names, connectorDatabase, tables, { ...DEFAULT_TUNING, ...options.tuning });
  progress(`registering connector ${names.connector} (database role ${names.captureRole}) with ${options.connect.url}`);
  await putConnectorConfig(options.connect, names.connector, config);
  const status = await waitForConnectorRunning(options.connect, names.connector, options.timeoutMs ?? 120_000);
  progress(`connector ${names.connector} RUNNING`);

  const eventStreams: EventStreamResult[] = [];
  for (const manifest of options.manifests) {
    if (!manifest.events || !manifest.domain) continue;
    const service = manifest.service?.name;
    const target = service ? options.serviceDatabases?.[service] : undefined;
    if (!target) {
      progress(`events of ${manifest.domain} not captured: no database given for ${service ?? 'its service'}`);
      continue;
    }
    eventStreams.push(await bootstrapEventStream(options, { domain: manifest.domain, events: manifest.events }, target, progress));
  }
  return { names, tables, topics: specs.map((s) => s.topic), status, eventStreams };
}

/** One domain's outbox pipeline: publication, heartbeat table and capture role in the service's database, the topics, the connector. */
async function bootstrapEventStream(
  options: BootstrapOptions,
  manifest: { domain: string; events: NonNullable<Manifest['events']> },
  target: NonNullable<BootstrapOptions['serviceDatabases']>[string],
  progress: (message: string) => void,
): Promise<EventStreamResult> {
  const prefix = options.topicPrefix ?? 'monolith';
  const names = eventStreamNames(manifest, prefix);
  const topic = eventsTopic(manifest, prefix);
  const { database } = target;
  progress(`preparing PostgreSQL ${database.host}:${database.port}/${database.dbname}: publication ${names.publication} for ${manifest.events.table}`);
  await preparePostgres(database, names, [manifest.events.table], options.capture.password);

  const kafka = new Kafka({ clientId: 'strangler-cdc-bootstrap', brokers: options.brokers, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { created } = await ensureTopics(admin, [eventsTopicSpec(topic), ...cdcTopicSpecs(names, [])]);
    if (created.length > 0) progress(`created topics ${created.join(', ')}`);
  } finally {
    await admin.disconnect();
  }

  const connectorDatabase = {
    host: target.connectorDatabase?.host ?? database.host,
    port: target.connectorDatabase?.port ?? database.port,
    dbname: database.dbname,
    user: names.captureRole,
    passwordRef: options.capture.passwordRef,
  };
  const config = buildOutboxConnectorConfig(names, connectorDatabase, manifest.events.table, topic, { ...DEFAULT_TUNING, ...options.tuning });
  progress(`registering connector ${names.connector} (outbox ${manifest.events.table} to ${topic}) with ${options.connect.url}`);
  await putConnectorConfig(options.connect, names.connector, config);
  const status = await waitForConnectorRunning(options.connect, names.connector, options.timeoutMs ?? 120_000);
  progress(`connector ${names.connector} RUNNING`);
  return { domain: manifest.domain, names, topic, status };
}

export interface ResetOptions {
  /** The stack's state folder: its `kafka/` and `connect/` folders are wiped. */
  stateDir: string;
  database: DatabaseSettings;
  topicPrefix?: string;
  /** When Connect still runs, the connector is deleted first so it does not recreate the slot. */
  connect?: ConnectApi;
  /** The domains' event streams to drop too (their slot, publication and role in the service's database). */
  eventStreams?: { manifests: (Partial<EventsManifest> & Pick<EventsManifest, 'domain'>)[]; serviceDatabases: Record<string, { database: DatabaseSettings }> };
}

/**
 * Wipes the CDC state: deletes the connector (if Connect answers), stops the broker and Connect
 * started from `stateDir`, deletes their data, and drops the replication slot, publication and
 * capture role this project created, so no forgotten slot holds WAL.
 */
export async function resetCdc(options: ResetOptions): Promise<{ slotDropped: boolean; publicationDropped: boolean; roleDropped: boolean }> {
  const names = cdcNames(options.topicPrefix);
  if (options.connect) await deleteConnector(options.connect, names.connector).catch(() => false);
  await dropEventStreams(options);
  const stateDir = resolve(options.stateDir);
  await stopCdcRuntime({ stateDir });
  rmSync(join(stateDir, 'kafka'), { recursive: true, force: true });
  rmSync(join(stateDir, 'connect'), { recursive: true, force: true });
  const dropped = await dropSlotAndPublication(options.database, names);
  return { slotDropped: dropped.slot, publicationDropped: dropped.publication, roleDropped: dropped.role };
}

/** Deletes the outbox connectors and drops their slots, publications and roles in the services' databases. */
async function dropEventStreams(options: ResetOptions): Promise<void> {
  for (const manifest of options.eventStreams?.manifests ?? []) {
    const target = manifest.events && manifest.service ? options.eventStreams?.serviceDatabases[manifest.service.name] : undefined;
    if (!target) continue;
    const names = eventStreamNames(manifest, options.topicPrefix);
    if (options.connect) await deleteConnector(options.connect, names.connector).catch(() => false);
    try {
      await dropSlotAndPublication(target.database, names);
    } catch (err) {
      // No service database (never started): no slot either.
      if ((err as { code?: string }).code !== '3D000') throw err;
    }
  }
}
