#!/usr/bin/env node
// `npm run cdc -- status`: connector and task states, replication slot lag, CDC topic end offsets, each service's watermark.
// `npm run cdc -- bootstrap`: creates the topics and registers the connector (npm start does it too).
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
  .action(async (options: CommonOptions & { capturePasswordFile?: string }) => {
    const { secrets, connect, database } = targets(options);
    const passwordFile = options.capturePasswordFile ?? runtimePaths(resolve(options.stateDir)).connectorSecretsFile;
    const result = await bootstrapCdc({
      brokers: options.brokers.split(','),
      connect,
      database,
      capture: { password: resolveCapturePassword(process.env, secrets), passwordRef: { path: passwordFile, key: CAPTURE_PASSWORD_KEY } },
      manifests: loadManifests(),
      topicPrefix: options.topicPrefix,
      onProgress: (line) => console.log(`[cdc] ${line}`),
    });
    console.log(`[cdc] capturing ${result.tables.join(', ')} into ${result.topics.join(', ')}`);
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
    const result = await resetCdc({ stateDir: options.stateDir, database, topicPrefix: options.topicPrefix, connect });
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
