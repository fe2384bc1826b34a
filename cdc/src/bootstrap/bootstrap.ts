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
import { dropSlotAndPublication, preparePostgres } from './postgres-setup.js';
import { ensureTopics, heartbeatTopicSpec, tableTopicSpec, type TopicSpec } from './topics.js';

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
  /** Domain manifests (from `loadManifests()`): their `capture.tables` are the captured tables. */
  manifests: Pick<Manifest, 'capture'>[];
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
}

/** The CDC topics of a pipeline: one per captured table, the heartbeat table's, and Debezium's heartbeat topic. */
export function cdcTopicSpecs(names: CdcNames, tables: string[]): TopicSpec[] {
  return [
    ...tables.map((t) => tableTopicSpec(tableTopic(names.topicPrefix, t))),
    heartbeatTopicSpec(tableTopic(names.topicPrefix, names.heartbeatTable)),
    heartbeatTopicSpec(names.heartbeatTopic),
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
  return { names, tables, topics: specs.map((s) => s.topic), status };
}

export interface ResetOptions {
  /** The stack's state folder: its `kafka/` and `connect/` folders are wiped. */
  stateDir: string;
  database: DatabaseSettings;
  topicPrefix?: string;
  /** When Connect still runs, the connector is deleted first so it does not recreate the slot. */
  connect?: ConnectApi;
}

/**
 * Wipes the CDC state: deletes the connector (if Connect answers), stops the broker and Connect
 * started from `stateDir`, deletes their data, and drops the replication slot, publication and
 * capture role this project created, so no forgotten slot holds WAL.
 */
export async function resetCdc(options: ResetOptions): Promise<{ slotDropped: boolean; publicationDropped: boolean; roleDropped: boolean }> {
  const names = cdcNames(options.topicPrefix);
  if (options.connect) await deleteConnector(options.connect, names.connector).catch(() => false);
  const stateDir = resolve(options.stateDir);
  await stopCdcRuntime({ stateDir });
  rmSync(join(stateDir, 'kafka'), { recursive: true, force: true });
  rmSync(join(stateDir, 'connect'), { recursive: true, force: true });
  const dropped = await dropSlotAndPublication(options.database, names);
  return { slotDropped: dropped.slot, publicationDropped: dropped.publication, roleDropped: dropped.role };
}
