// Helpers for the CDC integration tests: a real Kafka broker and Connect worker per test file (own
// ports, own state folder, small heaps), a monolith database cloned from the migrated template, and a
// kafkajs consumer that collects the Debezium events of one topic.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import kafkajs from 'kafkajs';
import { freePort, ROOT } from '../../test-support/global-setup.js';
import { createTestDatabase, MONOLITH_TEMPLATE, type TestDatabase } from '../../test-support/database.js';
import { loadManifests } from '@strangler/manifests';
import { bootstrapCdc, resetCdc, type BootstrapOptions, type BootstrapResult } from '../src/bootstrap/bootstrap.js';
import { startCdcRuntime, type CdcRuntime } from '../src/runtime/launcher.js';
import { CAPTURE_PASSWORD_KEY } from '../src/runtime/connect-security.js';
import type { DatabaseSettings } from '../src/bootstrap/connector-config.js';

export interface TestCdcRuntime extends CdcRuntime {
  stateDir: string;
  /** What the bootstrap gives every capture role of this runtime: one password, read by Connect from its secrets file. */
  capture: BootstrapOptions['capture'];
  /** Stops both JVMs and deletes the state folder. */
  destroy(): Promise<void>;
}

export async function startTestCdcRuntime(name: string): Promise<TestCdcRuntime> {
  const stateDir = resolve(ROOT, '.stack/test', `cdc-${name}-${randomBytes(3).toString('hex')}`);
  const capturePassword = randomBytes(18).toString('hex');
  const runtime = await startCdcRuntime({
    connectorSecrets: { [CAPTURE_PASSWORD_KEY]: capturePassword },
    stateDir,
    brokerPort: await freePort(),
    controllerPort: await freePort(),
    connectPort: await freePort(),
    brokerHeap: { min: '128m', max: '512m' },
    connectHeap: { min: '128m', max: '512m' },
    // A test's JVMs live a few seconds and carry little: C1 only costs them less CPU (ADR-0040).
    compiler: 'c1',
  });
  return Object.assign(runtime, {
    stateDir,
    capture: { password: capturePassword, passwordRef: { path: runtime.connectorSecretsFile, key: CAPTURE_PASSWORD_KEY } },
    destroy: async () => {
      await runtime.stop();
      if (!process.env.KEEP_CDC_TEST_STATE) rmSync(stateDir, { recursive: true, force: true });
    },
  });
}

export interface MonolithDatabase {
  db: TestDatabase;
  settings: DatabaseSettings;
}

/** A monolith database (migrated schema) of its own, and its settings for the connector. */
export async function createMonolithDatabase(prefix: string): Promise<MonolithDatabase> {
  const db = await createTestDatabase(prefix, MONOLITH_TEMPLATE);
  const url = new URL(db.url);
  return {
    db,
    settings: {
      host: url.hostname,
      port: Number(url.port),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      dbname: db.name,
    },
  };
}

/** A unique topic prefix (also names the connector, slot and publication) per test file. */
export function uniquePrefix(name: string): string {
  return `t${name.replace(/[^a-z0-9]/g, '')}${randomBytes(3).toString('hex')}`;
}

export interface DebeziumEvent {
  key: Record<string, unknown> | null;
  /** null for a tombstone. */
  value: {
    op: 'c' | 'u' | 'd' | 'r';
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
    source: { lsn: number; txId: number; snapshot: string; table: string; ts_ms: number };
  } | null;
  partition: number;
  offset: string;
}

export interface EventCollector {
  events: DebeziumEvent[];
  /** Waits until `predicate` holds for the events received so far. */
  waitFor(predicate: (events: DebeziumEvent[]) => boolean, timeoutMs?: number, what?: string): Promise<DebeziumEvent[]>;
  stop(): Promise<void>;
}

/** A kafkajs consumer (own group, from the beginning) that collects every event of `topic`. */
export async function collectEvents(brokers: string[], topic: string): Promise<EventCollector> {
  const kafka = new kafkajs.Kafka({
    clientId: 'cdc-test',
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 2_000 },
  });
  const consumer = kafka.consumer({ groupId: `${topic}-${randomBytes(3).toString('hex')}`, maxWaitTimeInMs: 100 });
  const events: DebeziumEvent[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      events.push({
        key: message.key ? (JSON.parse(message.key.toString()) as Record<string, unknown>) : null,
        value: message.value ? (JSON.parse(message.value.toString()) as DebeziumEvent['value']) : null,
        partition,
        offset: message.offset,
      });
    },
  });
  return {
    events,
    waitFor: async (predicate, timeoutMs = 60_000, what = 'the expected events') => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${events.length} events`);
        await new Promise((r) => setTimeout(r, 100));
      }
      return events;
    },
    stop: () => consumer.disconnect(),
  };
}

export interface Capture {
  boot: BootstrapResult;
  /** The Debezium events of `public.products` under this capture's topic prefix. */
  products: EventCollector;
}

/** Bootstraps capture of the manifests' tables under a unique prefix and collects the products topic. */
export async function captureProducts(runtime: TestCdcRuntime, monolith: MonolithDatabase, name: string): Promise<Capture> {
  const boot = await bootstrapCdc({
    brokers: runtime.brokers,
    connect: runtime.connectApi,
    database: monolith.settings,
    capture: runtime.capture,
    manifests: loadManifests(),
    topicPrefix: uniquePrefix(name),
  });
  const products = await collectEvents(runtime.brokers, `${boot.names.topicPrefix}.public.products`);
  return { boot, products };
}

/** Undoes a test file's capture: consumer, connector, slot and publication, JVMs and state, database. */
export async function tearDownCapture(parts: { runtime?: TestCdcRuntime; monolith?: MonolithDatabase; capture?: Partial<Capture> }): Promise<void> {
  const { runtime, monolith, capture } = parts;
  await capture?.products?.stop();
  if (runtime && monolith) {
    await resetCdc({ stateDir: runtime.stateDir, database: monolith.settings, topicPrefix: capture?.boot?.names.topicPrefix, connect: runtime.connectApi });
  }
  await runtime?.destroy();
  await monolith?.db.drop();
}
