#!/usr/bin/env node
// `npm run cdc -- status`: connector and task states, replication slot lag, CDC topic end offsets, each service's watermark.
// `npm run cdc -- bootstrap`: creates the topics and registers the connectors (npm start does it too):
// the monolith's capture, and each domain's outbox (manifest `events`) in its service's database.
// `npm run cdc -- connect-topics`: Connect's internal topics (docker-compose.yml runs it before Connect).
// `npm run cdc -- reset`: deletes the connector, wipes Kafka/Connect state, drops the slot, publication and capture role.
// Credentials: CONNECT_USER/CONNECT_PASSWORD, CDC_DATABASE_URL, DEBEZIUM_PASSWORD; else .stack/secrets.json (npm start's).
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadManifests } from '@strangler/manifests';
import { bootstrapCdc, resetCdc } from './bootstrap/bootstrap.js';
import type { DatabaseSettings } from './bootstrap/connector-config.js';
import { readStackSecrets, resolveCapturePassword, resolveConnectApi, resolveDatabaseUrl, type LocalStackSecrets } from './cli-credentials.js';
import { CAPTURE_PASSWORD_KEY } from './runtime/connect-security.js';
import { ensureConnectInternalTopics, runtimePaths } from './runtime/launcher.js';
import { collectCdcStatus, formatCdcStatus, isHealthy } from './status/status.js';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

interface CommonOptions {
  brokers: string;
  connectUrl: string;
  databaseUrl?: string;
  topicPrefix: string;
  stateDir: string;
}

const DEFAULT_STATE_DIR = resolve(REPO_ROOT, '.stack');

function withCommonOptions(command: Command): Command {
  return command
    .addOption(new Option('--brokers <list>', 'Kafka bootstrap servers, comma-separated').env('KAFKA_BROKERS').default('127.0.0.1:9092'))
    .addOption(new Option('--connect-url <url>', 'Kafka Connect REST API').env('CONNECT_URL').default('http://127.0.0.1:8083'))
    .addOption(
      new Option('--database-url <url>', "the monolith's database, as its owner or a superuser (default: npm start's embedded server)").env('CDC_DATABASE_URL'),
    )
    .addOption(new Option('--topic-prefix <prefix>', 'topic prefix of the pipeline (names connector, slot, publication, capture role)').default('monolith'))
    .addOption(new Option('--state-dir <dir>', "the stack state folder (its secrets.json supplies credentials that are not set)").env('STACK_STATE_DIR').default(DEFAULT_STATE_DIR));
}

/** Connect API and database settings from the options, the environment and the stack's secrets. */
function targets(options: CommonOptions): { secrets: LocalStackSecrets; connect: ReturnType<typeof resolveConnectApi>; database: DatabaseSettings } {
  const secrets = readStackSecrets(options.stateDir);
  return {
    secrets,
    connect: resolveConnectApi(options.connectUrl, process.env, secrets),
    database: databaseSettings(resolveDatabaseUrl(options.databaseUrl, process.env, secrets)),
  };
}

/**
 * The databases of the services whose outbox is captured (manifests with `events`): from
 * `--service-database-urls catalog-service=postgresql://...`, else on the monolith's server, named
 * after the service (`catalog-service` → `catalog_service`, as `npm start` and docker-compose.yml create them).
 */
function serviceDatabases(list: string | undefined, monolith: DatabaseSettings): Record<string, { database: DatabaseSettings }> {
  const given = new Map(
    (list ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const at = entry.indexOf('=');
        if (at < 1) throw new Error(`--service-database-urls: "${entry}" must be <service>=<postgresql url>`);
        return [entry.slice(0, at), databaseSettings(entry.slice(at + 1))] as const;
      }),
  );
  const result: Record<string, { database: DatabaseSettings }> = {};
  for (const manifest of loadManifests()) {
    const service = manifest.events ? manifest.service?.name : undefined;
    if (service) result[service] = { database: given.get(service) ?? { ...monolith, dbname: service.replace(/-/g, '_') } };
  }
  return result;
}

function databaseSettings(url: string): DatabaseSettings {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    dbname: u.pathname.replace(/^\//, ''),
  };
}

const program = new Command('cdc').description('Change data capture: Kafka, Kafka Connect and the Debezium PostgreSQL connector');

withCommonOptions(program.command('status').description("connector and task states, replication slot lag, CDC topic end offsets, each CDC-fed service's watermark and lag")).action(
  async (options: CommonOptions) => {
    const { connect, database } = targets(options);
    const status = await collectCdcStatus({
      brokers: options.brokers.split(','),
      connect,
      database,
      services: loadManifests().flatMap((m) => (m.service && m.capture.tables.length > 0 ? [{ domain: m.domain, service: m.service.name, url: m.service.urls[0]! }] : [])),
    });
    console.log(formatCdcStatus(status));
    process.exitCode = isHealthy(status) ? 0 : 1;
  },
);

withCommonOptions(program.command('bootstrap').description('create the CDC topics, the capture role and register the connector (idempotent)'))
  .addOption(
    new Option('--capture-password-file <path>', "the properties file, as the Connect worker sees it, holding the capture role's password under debezium.password")
      .env('CAPTURE_PASSWORD_FILE'),
  )
  .addOption(
    new Option(
      '--service-database-urls <list>',
      "databases of the services whose outbox is captured: <service>=<postgresql url>, comma-separated (default: on the monolith's server, named after the service)",
    ).env('CDC_SERVICE_DATABASE_URLS'),
  )
  .action(async (options: CommonOptions & { capturePasswordFile?: string; serviceDatabaseUrls?: string }) => {
    const { secrets, connect, database } = targets(options);
    const passwordFile = options.capturePasswordFile ?? runtimePaths(resolve(options.stateDir)).connectorSecretsFile;
    const result = await bootstrapCdc({
      brokers: options.brokers.split(','),
      connect,
      database,
      capture: { password: resolveCapturePassword(process.env, secrets), passwordRef: { path: passwordFile, key: CAPTURE_PASSWORD_KEY } },
      manifests: loadManifests(),
      serviceDatabases: serviceDatabases(options.serviceDatabaseUrls, database),
      topicPrefix: options.topicPrefix,
      onProgress: (line) => console.log(`[cdc] ${line}`),
    });
    console.log(`[cdc] capturing ${result.tables.join(', ')} into ${result.topics.join(', ')}`);
    for (const stream of result.eventStreams) console.log(`[cdc] ${stream.domain} events into ${stream.topic}`);
  });

program
  .command('connect-topics')
  .description("create Kafka Connect's internal topics with explicit settings (before the worker starts)")
  .addOption(new Option('--brokers <list>', 'Kafka bootstrap servers, comma-separated').env('KAFKA_BROKERS').default('127.0.0.1:9092'))
  .addOption(new Option('--group <id>', 'the Connect worker group (prefix of its topics)').default('strangler-connect'))
  .action(async (options: { brokers: string; group: string }) => {
    await ensureConnectInternalTopics(options.brokers.split(','), options.group);
    console.log(`[cdc] Connect's internal topics for group ${options.group} are in place`);
  });

withCommonOptions(program.command('reset').description('delete the connector, wipe Kafka/Connect state, drop the replication slot, publication and capture role'))
  .action(async (options: CommonOptions) => {
    const { connect, database } = targets(options);
    const result = await resetCdc({
      stateDir: options.stateDir,
      database,
      topicPrefix: options.topicPrefix,
      connect,
      eventStreams: { manifests: loadManifests(), serviceDatabases: serviceDatabases(process.env.CDC_SERVICE_DATABASE_URLS, database) },
    });
    console.log(
      `[cdc] Kafka and Connect state removed; slot ${result.slotDropped ? 'dropped' : 'absent'}, publication ${result.publicationDropped ? 'dropped' : 'absent'}, capture role ${result.roleDropped ? 'dropped' : 'absent or still used elsewhere'}`,
    );
  });

try {
  await program.parseAsync();
} catch (err) {
  console.error(`[cdc] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
