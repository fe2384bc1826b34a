#!/usr/bin/env node
// `npm start` (= `stack up`): runs the whole system on embedded defaults until Ctrl-C.
// `npm run stack -- status`: each supervised component's state, pid, restarts, uptime and log file.
// `npm run stack -- reset`: wipes local state.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { Command } from 'commander';
import { ConfigError, EXIT_CODES } from '@strangler/platform';
import { readStackConfig } from './config.js';
import { resetCdc, stopCdcRuntime } from '@strangler/cdc';
import { isAlive } from './processes.js';
import { loadManifests } from '@strangler/manifests';
import { databaseSettings, stackStateFile, startStack, withDatabase, type RunningStack } from './stack.js';
import { readStackState } from './supervisor.js';

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
    const shutdown = async (reason: string, code: number, bySignal = false) => {
      // A fatal exit seen while already stopping (PostgreSQL ends on the terminal's Ctrl-C too) changes nothing.
      if (stopping && !bySignal) return;
      if (stopping) {
        // A second Ctrl-C while stopping (a restart may be under way): SIGKILL every process known, exit.
        const pids = stack?.supervisor.pids() ?? [];
        console.log(`\n[stack] ${reason} again: killing ${pids.length} process(es) now.`);
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        await stopCdcRuntime({ stateDir: config.STACK_STATE_DIR }).catch(() => undefined);
        process.exit(code || 130);
      }
      stopping = true;
      console.log(`\n[stack] ${reason}: stopping every process...`);
      await stack?.stop();
      console.log('[stack] stopped.');
      process.exit(code);
    };
    const onSignal = (reason: string) => {
      if (stack) void shutdown(reason, 0, true);
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
    const pending = stack.steps.filter((step) => step.state !== 'ready');
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (pending.length === 0) console.log(`\n[stack] ready in ${took}. Listening:`);
    else {
      // A failed component is started again by the supervisor; what needs it starts once it is ready.
      console.log(`\n[stack] up in ${took}, but not ready: ${pending.map((step) => `${step.name} (${step.reason})`).join('; ')}.`);
      console.log('[stack] these start by themselves once they can; `npm run stack -- status` shows each component. Listening:');
    }
    const width = Math.max(...stack.endpoints.map((e) => e.name.length));
    for (const e of stack.endpoints) console.log(`  ${e.name.padEnd(width)}  ${e.url}${e.note ? `   (${e.note})` : ''}`);
    console.log(`  logs${' '.repeat(Math.max(0, width - 4))}  ${stack.logDir}\n\n[stack] press Ctrl-C to stop everything.`);

    console.log('[stack] a component that ends on its own is restarted; `npm run stack -- status` shows each one.');
    const reason = await stack.fatal;
    await shutdown(`${reason}\n[stack] (logs in ${stack.logDir})`, 1);
  });

program
  .command('status')
  .description('show each component of the running stack: state, pid, restarts, uptime, log file')
  .option('--json', 'print the state file as JSON')
  .action((options: { json?: boolean }) => {
    const config = readStackConfig();
    const file = stackStateFile(config.STACK_STATE_DIR);
    const state = readStackState(file);
    if (!state || !isAlive(state.pid)) {
      console.log(state ? `[stack] not running (the last run, pid ${state.pid}, started ${state.startedAt}, has ended). Start it with npm start.` : `[stack] not running (no ${file}). Start it with npm start.`);
      process.exitCode = 3;
      return;
    }
    if (options.json) {
      console.log(JSON.stringify(state, null, 2));
      return;
    }
    const now = Date.now();
    const rows = state.components.map((c) => [c.name, c.state, c.pid === null ? '-' : String(c.pid), String(c.restarts), c.upSince ? formatDuration(now - Date.parse(c.upSince)) : '-', shortPath(c.logFile)]);
    const header = ['component', 'state', 'pid', 'restarts', 'uptime', 'log'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
    console.log(`[stack] running (pid ${state.pid}) since ${state.startedAt}`);
    console.log(line(header));
    for (const row of rows) console.log(line(row));
    for (const c of state.components) if (c.reason) console.log(`\n${c.name}: ${c.reason}`);
    if (state.components.some((c) => c.state === 'failed')) process.exitCode = 1;
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

/** A path under the current folder, relative to it (as the README shows them); any other, absolute. */
function shortPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

try {
  await program.parseAsync();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `[stack] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof ConfigError ? EXIT_CODES.config : 1);
}
