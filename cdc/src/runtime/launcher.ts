import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from '../kafka.js';
import { connectTopicNames, connectTopicSpecs, ensureTopics } from '../bootstrap/topics.js';
import { connectAuthHeader, type ConnectApi } from '../bootstrap/connect-client.js';
import {
  connectSecurityPaths,
  connectSecuritySettings,
  generateCredentials,
  readRealmCredentials,
  writeConnectSecurityFiles,
  type BasicCredentials,
} from './connect-security.js';
import { ensureCdcRuntime, type RuntimeArtifacts } from './fetch.js';
import { adoptJvm, runJvmOnce, runningPid, sleep, startJvm, tail, type JvmCompiler, type JvmProcess } from './process.js';

export const BROKER_MAIN = 'kafka.Kafka';
export const CONNECT_MAIN = 'org.apache.kafka.connect.cli.ConnectDistributed';
export const POSTGRES_CONNECTOR_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';

export interface CdcRuntimeOptions {
  /** The stack's state folder (`<repo>/.stack`): Kafka data in `kafka/`, Connect files in `connect/`. */
  stateDir: string;
  /** Where kafka.log and connect.log go; default `<stateDir>/logs`. */
  logDir?: string;
  brokerPort?: number;
  controllerPort?: number;
  connectPort?: number;
  /** Connect worker group; also the prefix of Connect's internal topics. */
  connectGroupId?: string;
  brokerHeap?: { min: string; max: string };
  connectHeap?: { min: string; max: string };
  /**
   * The JIT of the broker and Connect (ADR-0040): `tiered` (C1 then C2, the default) for a runtime
   * that carries load, `c1` (C1 only: less CPU while starting, slower code at peak) for one that
   * lives a few seconds, as in the tests.
   */
  compiler?: JvmCompiler;
  /**
   * User and password of Connect's REST API (basic auth; every call needs them). Default: the ones
   * this state folder's worker used last time, or new random ones.
   */
  restCredentials?: BasicCredentials;
  /**
   * Values the connectors read through the FileConfigProvider (`${file:<connectorSecretsFile>:<key>}`),
   * written 0600 at every start: the capture role's password under `debezium.password`.
   */
  connectorSecrets?: Record<string, string>;
  /** Worker-level offset commit interval: the window of duplicates after a crash (Debezium also confirms the slot's LSN on commit). */
  offsetFlushIntervalMs?: number;
  /** How long to wait for each component to be ready. */
  readyTimeoutMs?: number;
  /**
   * When this Node process exits without calling stop() (an uncaught error), send SIGTERM to the JVMs
   * it started, so none is left behind. Default true.
   */
  stopOnExit?: boolean;
  onProgress?: (message: string) => void;
}

export interface CdcRuntime {
  brokers: string[];
  connectUrl: string;
  /** The REST API with its credentials: what every Connect client call takes. */
  connectApi: ConnectApi;
  /** The properties file (0600) the worker's FileConfigProvider reads connector secrets from. */
  connectorSecretsFile: string;
  broker: JvmProcess;
  connect: JvmProcess;
  /** Starts the broker again after it stopped or was killed (same data, same port). */
  restartBroker(): Promise<void>;
  /** Starts the Connect worker again after it stopped or was killed. */
  restartConnect(): Promise<void>;
  /** Stops Connect, then the broker: SIGTERM, then SIGKILL after a timeout. */
  stop(): Promise<void>;
  /** Resolves with `kafka` or `connect` when either JVM exits (crash, kill, stop): for the stack's supervision. */
  firstExit: Promise<'kafka' | 'connect'>;
}

interface ResolvedOptions {
  stateDir: string;
  logDir: string;
  brokerPort: number;
  controllerPort: number;
  connectPort: number;
  connectGroupId: string;
  brokerHeap: { min: string; max: string };
  connectHeap: { min: string; max: string };
  compiler: JvmCompiler;
  offsetFlushIntervalMs: number;
  readyTimeoutMs: number;
  restCredentials: BasicCredentials;
  connectorSecrets: Record<string, string>;
  progress: (message: string) => void;
}

function resolveOptions(options: CdcRuntimeOptions): ResolvedOptions {
  const stateDir = resolve(options.stateDir);
  const { realmFile } = connectSecurityPaths(runtimePaths(stateDir).connectDir);
  return {
    stateDir,
    logDir: resolve(options.logDir ?? join(stateDir, 'logs')),
    brokerPort: options.brokerPort ?? 9092,
    controllerPort: options.controllerPort ?? 9093,
    connectPort: options.connectPort ?? 8083,
    connectGroupId: options.connectGroupId ?? 'strangler-connect',
    brokerHeap: options.brokerHeap ?? { min: '256m', max: '768m' },
    connectHeap: options.connectHeap ?? { min: '256m', max: '768m' },
    compiler: options.compiler ?? 'tiered',
    offsetFlushIntervalMs: options.offsetFlushIntervalMs ?? 1000,
    readyTimeoutMs: options.readyTimeoutMs ?? 120_000,
    restCredentials: options.restCredentials ?? readRealmCredentials(realmFile) ?? generateCredentials(),
    connectorSecrets: options.connectorSecrets ?? {},
    progress: options.onProgress ?? (() => {}),
  };
}

/** Paths of the runtime's files under the state folder. */
export function runtimePaths(stateDir: string, logDir = join(stateDir, 'logs')) {
  return {
    kafkaDir: join(stateDir, 'kafka'),
    kafkaData: join(stateDir, 'kafka', 'data'),
    brokerConfig: join(stateDir, 'kafka', 'server.properties'),
    clusterIdFile: join(stateDir, 'kafka', 'cluster-id'),
    brokerPid: join(stateDir, 'kafka', 'broker.pid'),
    connectDir: join(stateDir, 'connect'),
    connectConfig: join(stateDir, 'connect', 'connect-distributed.properties'),
    connectPid: join(stateDir, 'connect', 'connect.pid'),
    ...connectSecurityPaths(join(stateDir, 'connect')),
    brokerLog: join(logDir, 'kafka.log'),
    connectLog: join(logDir, 'connect.log'),
    brokerGcLog: join(logDir, 'kafka-gc.log'),
    connectGcLog: join(logDir, 'connect-gc.log'),
  };
}

/**
 * Starts (or reuses, when already running from this state folder) one combined KRaft
 * broker/controller and one distributed Connect worker with the Debezium PostgreSQL plugin, and
 * waits until each is really ready: the broker answers metadata, Connect lists the plugin.
 */
export async function startCdcRuntime(options: CdcRuntimeOptions): Promise<CdcRuntime> {
  const parts = await prepareCdcRuntime(options);
  const broker = await parts.startBroker();
  let connect: JvmProcess;
  try {
    connect = await parts.startConnect();
  } catch (err) {
    if (!broker.reused) await broker.stop();
    throw err;
  }
  const firstExit = Promise.race([broker.whenExited.then(() => 'kafka' as const), connect.whenExited.then(() => 'connect' as const)]);
  return {
    firstExit,
    brokers: parts.brokers,
    connectUrl: parts.connectUrl,
    connectApi: parts.connectApi,
    connectorSecretsFile: parts.connectorSecretsFile,
    get broker() {
      return parts.broker!;
    },
    get connect() {
      return parts.connect!;
    },
    restartBroker: async () => void (await parts.startBroker()),
    restartConnect: async () => void (await parts.startConnect()),
    stop: () => parts.stop(),
  };
}

/**
 * The runtime in two steps that can be started on their own (the stack's start graph, ADR-0029):
 * the broker, then Connect once the broker answers. Each start stops the JVM this handle started
 * before, so it also serves as the restart.
 */
export interface CdcRuntimeParts {
  brokers: string[];
  connectUrl: string;
  connectApi: ConnectApi;
  connectorSecretsFile: string;
  /** The broker this handle started or reused last, if any. */
  readonly broker: JvmProcess | undefined;
  readonly connect: JvmProcess | undefined;
  /** Starts (or reuses) the broker and waits until it answers metadata; `signal` stops the wait and what it started. */
  startBroker(signal?: AbortSignal): Promise<JvmProcess>;
  /** Creates Connect's internal topics, starts (or reuses) the worker and waits until it lists the plugin. */
  startConnect(signal?: AbortSignal): Promise<JvmProcess>;
  /** Stops Connect, then the broker: SIGTERM, then SIGKILL after a timeout. */
  stop(): Promise<void>;
}

/** Fetches the runtime if needed (Maven, once) and writes Connect's security files; starts nothing. */
export async function prepareCdcRuntime(options: CdcRuntimeOptions): Promise<CdcRuntimeParts> {
  const o = resolveOptions(options);
  const artifacts = await ensureCdcRuntime({ onProgress: o.progress });
  const paths = runtimePaths(o.stateDir, o.logDir);
  for (const dir of [paths.kafkaDir, paths.connectDir, o.logDir]) mkdirSync(dir, { recursive: true });

  const brokers = [`127.0.0.1:${o.brokerPort}`];
  const connectUrl = `http://127.0.0.1:${o.connectPort}`;
  const connectApi: ConnectApi = { url: connectUrl, ...o.restCredentials };
  writeConnectSecurityFiles(paths, o.restCredentials, o.connectorSecrets);

  let broker: JvmProcess | undefined;
  let connect: JvmProcess | undefined;
  // Last resort: an 'exit' handler cannot wait, so a detached shell stops the JVMs in order after
  // this process is gone (Connect first: without its broker, Connect's shutdown can hang).
  const terminateOnExit = () => {
    const pids = [connect, broker].filter((jvm) => jvm && !jvm.reused && !jvm.exited()).map((jvm) => jvm!.pid);
    if (pids.length > 0) spawnReaper(pids);
  };
  if (options.stopOnExit !== false) process.once('exit', terminateOnExit);

  return {
    brokers,
    connectUrl,
    connectApi,
    connectorSecretsFile: paths.connectorSecretsFile,
    get broker() {
      return broker;
    },
    get connect() {
      return connect;
    },
    startBroker: async (signal) => {
      await broker?.stop(5_000);
      broker = await startOrReuseBroker(o, artifacts, paths, signal);
      return broker;
    },
    startConnect: async (signal) => {
      await connect?.stop(5_000);
      await ensureConnectInternalTopics(brokers, o.connectGroupId);
      connect = await startOrReuseConnect(o, artifacts, paths, signal);
      return connect;
    },
    stop: async () => {
      process.removeListener('exit', terminateOnExit);
      await connect?.stop(30_000);
      await broker?.stop(30_000);
    },
  };
}

/** Stops each pid in turn (SIGTERM, then SIGKILL after 30 s) from a detached shell that outlives this process. */
function spawnReaper(pids: number[]): void {
  const stop = 'stop() { kill -TERM "$1" 2>/dev/null || return 0; i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL "$1" 2>/dev/null; return 0; }';
  const script = `${stop}; ${pids.map((pid) => `stop ${pid}`).join('; ')}`;
  spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

/** Stops a runtime left running from `stateDir` (found by its pid files), Connect first. */
export async function stopCdcRuntime(options: { stateDir: string; logDir?: string }): Promise<boolean> {
  const paths = runtimePaths(resolve(options.stateDir), options.logDir);
  const connectPid = runningPid(paths.connectPid, CONNECT_MAIN);
  const brokerPid = runningPid(paths.brokerPid, BROKER_MAIN);
  if (connectPid) await adoptJvm('connect', connectPid, paths.connectLog, paths.connectPid).stop();
  if (brokerPid) await adoptJvm('kafka', brokerPid, paths.brokerLog, paths.brokerPid).stop();
  return Boolean(connectPid || brokerPid);
}

type Paths = ReturnType<typeof runtimePaths>;

async function startOrReuseBroker(o: ResolvedOptions, artifacts: RuntimeArtifacts, paths: Paths, signal?: AbortSignal): Promise<JvmProcess> {
  const brokers = [`127.0.0.1:${o.brokerPort}`];
  const pid = runningPid(paths.brokerPid, BROKER_MAIN);
  if (pid) {
    o.progress(`reusing the Kafka broker already running (pid ${pid}) on ${brokers[0]}`);
    const adopted = adoptJvm('kafka', pid, paths.brokerLog, paths.brokerPid);
    await waitUntil('the Kafka broker', o.readyTimeoutMs, adopted, () => brokerAnswersMetadata(brokers), signal);
    return adopted;
  }
  await assertPortFree(o.brokerPort, 'Kafka broker');
  await assertPortFree(o.controllerPort, 'Kafka controller');

  writeFileSync(paths.brokerConfig, brokerProperties(o, paths.kafkaData));
  if (!existsSync(join(paths.kafkaData, 'meta.properties'))) {
    const clusterId = existsSync(paths.clusterIdFile)
      ? readFileSync(paths.clusterIdFile, 'utf8').trim()
      : randomBytes(16).toString('base64url');
    writeFileSync(paths.clusterIdFile, `${clusterId}\n`);
    o.progress(`formatting KRaft storage in ${paths.kafkaData}`);
    await runJvmOnce({
      name: 'kafka-storage-format',
      java: artifacts.java,
      mainClass: 'kafka.tools.StorageTool',
      // `--cluster-id=<id>`, not `-t <id>`: a base64url id may start with '-', which the tool's
      // argument parser would take for an option (1 start in 32 failed that way).
      args: ['format', `--cluster-id=${clusterId}`, '-c', paths.brokerConfig, '--standalone', '--ignore-formatted'],
      classpath: join(artifacts.libDir, '*'),
      heap: { min: '64m', max: '256m' },
      log4jConfig: artifacts.log4jConfig,
      logFile: paths.brokerLog,
    });
  }
  o.progress(`starting the Kafka broker on ${brokers[0]} (log: ${paths.brokerLog})`);
  const started = startJvm({
    name: 'kafka',
    java: artifacts.java,
    mainClass: BROKER_MAIN,
    args: [paths.brokerConfig],
    classpath: join(artifacts.libDir, '*'),
    heap: o.brokerHeap,
    compiler: o.compiler,
    log4jConfig: artifacts.log4jConfig,
    logFile: paths.brokerLog,
    pidFile: paths.brokerPid,
    extraJvmOptions: [gcLogOption(paths.brokerGcLog)],
    classArchive: join(paths.kafkaDir, `broker-${artifacts.kafkaVersion}.jsa`),
  });
  await waitUntil('the Kafka broker', o.readyTimeoutMs, started, () => brokerAnswersMetadata(brokers), signal);
  return started;
}

async function startOrReuseConnect(o: ResolvedOptions, artifacts: RuntimeArtifacts, paths: Paths, signal?: AbortSignal): Promise<JvmProcess> {
  const connectApi: ConnectApi = { url: `http://127.0.0.1:${o.connectPort}`, ...o.restCredentials };
  const connectUrl = connectApi.url;
  const pid = runningPid(paths.connectPid, CONNECT_MAIN);
  if (pid) {
    const adopted = adoptJvm('connect', pid, paths.connectLog, paths.connectPid);
    if (await answersWithoutCredentials(connectUrl)) {
      // Left running by an older version, before its REST API required credentials: not reused.
      o.progress(`the Kafka Connect worker already running (pid ${pid}) answers without credentials: stopping it`);
      await adopted.stop(30_000);
    } else {
      o.progress(`reusing the Kafka Connect worker already running (pid ${pid}) on ${connectUrl}`);
      await waitUntil('Kafka Connect', o.readyTimeoutMs, adopted, () => connectListsPostgresPlugin(connectApi), signal);
      return adopted;
    }
  }
  await assertPortFree(o.connectPort, 'Kafka Connect REST API');
  writeFileSync(paths.connectConfig, connectProperties(o, artifacts.pluginDir, paths.secretsDir));
  o.progress(`starting Kafka Connect on ${connectUrl} (log: ${paths.connectLog})`);
  const started = startJvm({
    name: 'connect',
    java: artifacts.java,
    mainClass: CONNECT_MAIN,
    args: [paths.connectConfig],
    classpath: join(artifacts.libDir, '*'),
    heap: o.connectHeap,
    compiler: o.compiler,
    log4jConfig: artifacts.log4jConfig,
    logFile: paths.connectLog,
    pidFile: paths.connectPid,
    extraJvmOptions: [`-Djava.security.auth.login.config=${paths.jaasFile}`, gcLogOption(paths.connectGcLog)],
    classArchive: join(paths.connectDir, `connect-${artifacts.kafkaVersion}.jsa`),
  });
  await waitUntil('Kafka Connect', o.readyTimeoutMs, started, () => connectListsPostgresPlugin(connectApi), signal);
  return started;
}

/**
 * Every GC pause with its wall-clock time, in a file of its own beside the JVM's log (two files of
 * 10 MB at most): a latency tail is compared with these lines (ADR-0030).
 */
function gcLogOption(file: string): string {
  return `-Xlog:gc,safepoint:file=${file}:time,uptime,level,tags:filecount=2,filesize=10m`;
}

/** The combined broker/controller of a single-node KRaft cluster, bound to loopback. */
export function brokerProperties(o: Pick<ResolvedOptions, 'brokerPort' | 'controllerPort'>, dataDir: string): string {
  return (
    [
      '# Written by the CDC launcher (cdc/src/runtime/launcher.ts) at every start; edit there.',
      'process.roles=broker,controller',
      'node.id=1',
      `listeners=PLAINTEXT://127.0.0.1:${o.brokerPort},CONTROLLER://127.0.0.1:${o.controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${o.brokerPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `controller.quorum.bootstrap.servers=127.0.0.1:${o.controllerPort}`,
      `log.dirs=${dataDir}`,
      // Every topic is created by the bootstrap with explicit settings; a typo must fail, not create a topic.
      'auto.create.topics.enable=false',
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=5',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'log.retention.hours=168',
      'log.segment.bytes=67108864',
      'num.network.threads=2',
      'num.io.threads=2',
      'num.recovery.threads.per.data.dir=1',
    ].join('\n') + '\n'
  );
}

/**
 * A distributed-mode worker (its state lives in Kafka topics), REST on loopback behind basic auth,
 * connector secrets read from files in `secretsDir`, JSON without schemas.
 */
export function connectProperties(
  o: Pick<ResolvedOptions, 'brokerPort' | 'connectPort' | 'connectGroupId' | 'offsetFlushIntervalMs'>,
  pluginDir: string,
  secretsDir: string,
): string {
  const topics = connectTopicNames(o.connectGroupId);
  return (
    [
      '# Written by the CDC launcher (cdc/src/runtime/launcher.ts) at every start; edit there.',
      `bootstrap.servers=127.0.0.1:${o.brokerPort}`,
      `group.id=${o.connectGroupId}`,
      `config.storage.topic=${topics.configs}`,
      `offset.storage.topic=${topics.offsets}`,
      `status.storage.topic=${topics.status}`,
      'config.storage.replication.factor=1',
      'offset.storage.replication.factor=1',
      'status.storage.replication.factor=1',
      'key.converter=org.apache.kafka.connect.json.JsonConverter',
      'value.converter=org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable=false',
      'value.converter.schemas.enable=false',
      `offset.flush.interval.ms=${o.offsetFlushIntervalMs}`,
      `listeners=http://127.0.0.1:${o.connectPort}`,
      'rest.advertised.host.name=127.0.0.1',
      `rest.advertised.port=${o.connectPort}`,
      `plugin.path=${pluginDir}`,
      // The Debezium plugin and Connect's own plugins ship ServiceLoader manifests: skipping the reflective
      // scan saves about 7 s of start-up (more on a busy machine).
      'plugin.discovery=service_load',
      // One worker: no need to wait for others to rejoin before reassigning tasks after a restart.
      'scheduled.rebalance.max.delay.ms=0',
      ...connectSecuritySettings(secretsDir),
    ].join('\n') + '\n'
  );
}

/** Creates Connect's internal topics with explicit settings (before the worker starts, so it does not pick its own). */
export async function ensureConnectInternalTopics(brokers: string[], groupId = 'strangler-connect'): Promise<void> {
  const kafka = new Kafka({ clientId: 'strangler-cdc-launcher', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, connectTopicSpecs(connectTopicNames(groupId)));
  } finally {
    await admin.disconnect();
  }
}

/** True when the broker accepts a connection and returns cluster metadata with a controller. */
export async function brokerAnswersMetadata(brokers: string[]): Promise<boolean> {
  const [host, port] = (brokers[0] ?? '').split(':');
  if (!(await portOpen(host ?? '127.0.0.1', Number(port)))) return false;
  const kafka = new Kafka({
    clientId: 'strangler-cdc-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** True when Connect's REST API answers a call that carries no credentials (a worker without basic auth). */
async function answersWithoutCredentials(connectUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${connectUrl}/connector-plugins`, { signal: AbortSignal.timeout(3_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * True when Connect's REST API answers and lists the Debezium PostgreSQL connector plugin. Throws
 * when it refuses the credentials: a worker already running with other ones (restart it).
 */
export async function connectListsPostgresPlugin(connect: ConnectApi): Promise<boolean> {
  let response: Response;
  try {
    response = await fetch(`${connect.url}/connector-plugins`, { headers: { authorization: connectAuthHeader(connect) }, signal: AbortSignal.timeout(3_000) });
  } catch {
    return false;
  }
  if (response.status === 401) {
    throw new Error(`Kafka Connect at ${connect.url} refused user ${connect.username} (HTTP 401): a worker started with other credentials is running; stop it and start again`);
  }
  try {
    if (!response.ok) return false;
    const plugins = (await response.json()) as Array<{ class: string }>;
    return plugins.some((p) => p.class === POSTGRES_CONNECTOR_CLASS);
  } catch {
    return false;
  }
}

async function waitUntil(what: string, timeoutMs: number, process: JvmProcess, ready: () => Promise<boolean>, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) {
      // Ctrl-C during the start: a JVM this start launched is stopped; one it only adopted is left alone.
      if (!process.reused) await process.stop(5_000);
      throw signal.reason;
    }
    if (await ready()) return;
    if (process.exited()) {
      throw new Error(`${what} exited during start-up; see ${process.logFile}:\n${tail(process.logFile)}`);
    }
    await sleep(100);
  }
  await process.stop(5_000);
  throw new Error(`${what} was not ready within ${Math.round(timeoutMs / 1000)} s; see ${process.logFile}:\n${tail(process.logFile)}`);
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolveOpen) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolveOpen(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolveOpen(false);
    });
    socket.once('error', () => resolveOpen(false));
  });
}

/** A port the runtime needs is held by another process: starting again will not help until it is freed. */
export class PortTakenError extends Error {
  override readonly name = 'PortTakenError';
}

async function assertPortFree(port: number, what: string): Promise<void> {
  if (await portOpen('127.0.0.1', port)) {
    throw new PortTakenError(
      `Port ${port} for the ${what} is taken by a process this stack did not start. Stop it, or choose another port.`,
    );
  }
}
