export {
  ensureCdcRuntime,
  findJava,
  findMaven,
  javaMajorVersion,
  CdcRuntimeError,
  RUNTIME_PROJECT_DIR,
  type RuntimeArtifacts,
} from './runtime/fetch.js';
export {
  startCdcRuntime,
  prepareCdcRuntime,
  stopCdcRuntime,
  ensureConnectInternalTopics,
  PortTakenError,
  runtimePaths,
  type CdcRuntime,
  type CdcRuntimeOptions,
  type CdcRuntimeParts,
} from './runtime/launcher.js';
export { CAPTURE_PASSWORD_KEY, type BasicCredentials, type FileSecretRef } from './runtime/connect-security.js';
export { bootstrapCdc, resetCdc, cdcTopicSpecs, type BootstrapOptions, type BootstrapResult, type EventStreamResult, type ResetOptions } from './bootstrap/bootstrap.js';
export { buildOutboxConnectorConfig, eventStreamNames, eventsTopic, eventsTopicSpec, type EventsManifest } from './bootstrap/event-streams.js';
export { buildConnectorConfig, capturedTables, cdcNames, tableTopic, DEFAULT_TUNING, type CdcNames, type ConnectorDatabase, type ConnectorTuning, type DatabaseSettings } from './bootstrap/connector-config.js';
export { dropSlotAndPublication, preparePostgres, scramSha256Verifier, setRolePassword } from './bootstrap/postgres-setup.js';
export {
  getConnectorStatus,
  listConnectorStatuses,
  putConnectorConfig,
  waitForConnectorRunning,
  deleteConnector,
  ConnectError,
  connectAuthHeader,
  type ConnectApi,
  type ConnectorStatus,
} from './bootstrap/connect-client.js';
export { monolithWriteOwner, type WriteOwner } from './reverse-sync/reverse-sync-store.js';
export { collectCdcStatus, formatCdcStatus, isHealthy, type CdcStatus } from './status/status.js';
