#!/usr/bin/env node
// `npm start` (= `stack up`): runs the whole system on embedded defaults until Ctrl-C.
// `npm run stack -- reset`: wipes local state.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { ConfigError } from '@strangler/platform';
import { readStackConfig } from './config.js';
import { resetCdc, stopCdcRuntime } from '@strangler/cdc';
import { isAlive } from './processes.js';
import { loadManifests } from '@strangler/manifests';
import { databaseSettings, startStack, withDatabase, type RunningStack } from './stack.js';

function postgresRunning(stateDir: string): boolean {
  const pidFile = join(stateDir, 'postgres/postmaster.pid');
  if (!existsSync(pidFile)) return false;
  return isAlive(Number(readFileSync(pidFile, 'utf8').split('\n')[0]));
}

const program = new Command('stack').description('The local stack of the strangler-fig toolkit');

program
  .command('up', { isDefault: true })
  .description('start every process on embedded defaults and keep them running until Ctrl-C')
  .action(async () => {
    const config = readStackConfig();
    const started = Date.now();
    // Signals are handled from the very start: Ctrl-C during start-up stops what already runs
    // (the monolith runs in its own process group and would otherwise outlive us).
    const startup = new AbortController();
    let stack: RunningStack | undefined;
    let stopping = false;
    const shutdown = async (reason: string, code: number) => {
      if (stopping) return;
      stopping = true;
      console.log(`\n[stack] ${reason}: stopping every process...`);
      await stack?.stop();
      console.log('[stack] stopped.');
      process.exit(code);
    };
    const onSignal = (reason: string) => {
      if (stack) void shutdown(reason, 0);
      else if (!startup.signal.aborted) {
        console.log(`\n[stack] ${reason} during start-up: stopping every process...`);
        startup.abort(new Error(reason));
      }
    };
    process.on('SIGINT', () => onSignal('interrupted'));
    process.on('SIGTERM', () => onSignal('terminated'));
    process.on('SIGHUP', () => onSignal('hang-up'));

    try {
      stack = await startStack(config, (line) => console.log(`[stack] ${line}`), startup.signal);
    } catch (err) {
      if (!startup.signal.aborted) throw err;
      console.log('[stack] stopped.');
      process.exit(130);
    }
    console.log(`\n[stack] ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Listening:`);
    const width = Math.max(...stack.endpoints.map((e) => e.name.length));
    for (const e of stack.endpoints) console.log(`  ${e.name.padEnd(width)}  ${e.url}${e.note ? `   (${e.note})` : ''}`);
    console.log(`  logs${' '.repeat(Math.max(0, width - 4))}  ${stack.logDir}\n\n[stack] press Ctrl-C to stop everything.`);

    const name = await stack.firstExit;
    await shutdown(`${name} exited unexpectedly (see ${stack.logDir})`, 1);
  });

program
  .command('reset')
  .description('delete all local state: databases, Kafka and Connect data, logs, secrets; drop the replication slot, publication and capture role (the stack must be stopped)')
  .action(async () => {
    const config = readStackConfig();
    if (postgresRunning(config.STACK_STATE_DIR)) {
      throw new Error(`the stack is running (PostgreSQL in ${config.STACK_STATE_DIR}/postgres): stop it with Ctrl-C first`);
    }
    if (config.DATABASE_URL) {
      // An external server outlives our state folder: drop the slot there, or it holds WAL forever.
      const dropped = await resetCdc({
        stateDir: config.STACK_STATE_DIR,
        database: databaseSettings(config.DATABASE_URL),
        // The catalog's outbox pipeline has its own slot in catalog-service's database.
        eventStreams: { manifests: loadManifests(), serviceDatabases: { 'catalog-service': { database: databaseSettings(withDatabase(config.DATABASE_URL, 'catalog_service')) } } },
      });
      console.log(
        `[stack] replication slot ${dropped.slotDropped ? 'dropped' : 'was not there'}, publication ${dropped.publicationDropped ? 'dropped' : 'was not there'}, capture role ${dropped.roleDropped ? 'dropped' : 'was not there or is used elsewhere'}`,
      );
    } else {
      // Embedded: the slot and publication live in the cluster's files, removed below.
      await stopCdcRuntime({ stateDir: config.STACK_STATE_DIR });
    }
    rmSync(config.STACK_STATE_DIR, { recursive: true, force: true });
    console.log(`[stack] removed ${config.STACK_STATE_DIR}`);
  });

try {
  await program.parseAsync();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `[stack] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}
