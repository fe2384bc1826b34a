#!/usr/bin/env node
// `npm start` (= `stack up`): runs the whole system on embedded defaults until Ctrl-C.
// `npm run stack -- reset`: wipes local state.
import { rmSync } from 'node:fs';
import { Command } from 'commander';
import { ConfigError } from '@strangler/platform';
import { readStackConfig } from './config.js';
import { startStack } from './stack.js';

const program = new Command('stack').description('The local stack of the strangler-fig toolkit');

program
  .command('up', { isDefault: true })
  .description('start every process on embedded defaults and keep them running until Ctrl-C')
  .action(async () => {
    const config = readStackConfig();
    const started = Date.now();
    const stack = await startStack(config, (line) => console.log(`[stack] ${line}`));
    console.log(`\n[stack] ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Listening:`);
    const width = Math.max(...stack.endpoints.map((e) => e.name.length));
    for (const e of stack.endpoints) console.log(`  ${e.name.padEnd(width)}  ${e.url}${e.note ? `   (${e.note})` : ''}`);
    console.log(`  logs${' '.repeat(Math.max(0, width - 4))}  ${stack.logDir}\n\n[stack] press Ctrl-C to stop everything.`);

    let stopping = false;
    const shutdown = async (reason: string, code: number) => {
      if (stopping) return;
      stopping = true;
      console.log(`\n[stack] ${reason}: stopping every process...`);
      await stack.stop();
      console.log('[stack] stopped.');
      process.exit(code);
    };
    process.on('SIGINT', () => void shutdown('interrupted', 0));
    process.on('SIGTERM', () => void shutdown('terminated', 0));
    process.on('SIGHUP', () => void shutdown('hang-up', 0));
    const name = await stack.firstExit;
    await shutdown(`${name} exited unexpectedly (see ${stack.logDir})`, 1);
  });

program
  .command('reset')
  .description('delete all local state: databases, broker data, logs (the stack must be stopped)')
  .action(() => {
    const config = readStackConfig();
    rmSync(config.STACK_STATE_DIR, { recursive: true, force: true });
    console.log(`[stack] removed ${config.STACK_STATE_DIR}`);
  });

try {
  await program.parseAsync();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `[stack] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}
