#!/usr/bin/env node
// `npm run chaos`: the full chaos run (ADR-0024). Starts a stack of its own on free loopback ports
// (or, with --running, uses the one `npm start` runs), kills each supervised component in turn under
// a steady workload, checks the invariants, and writes bench/results/chaos.md.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { readStackConfig, REPO_ROOT, type StackSecrets } from '../config.js';
import { runChaos, startStackForChaos, violations, type StackUnderTest } from './chaos.js';
import { chaosReport } from './report.js';

const program = new Command('chaos')
  .description('kill every supervised component of the stack in turn under load, and check that nothing is lost and the stable URL stays up')
  .option('--rounds <n>', 'kills per component', '3')
  .option('--pause <seconds>', 'pause after a component is back, before the next kill', '15')
  .option('--max-minutes <n>', 'the whole run stops (and fails) past this', '30')
  .option('--running', 'use the stack `npm start` runs (STACK_STATE_DIR, its ports) instead of starting one')
  .option('--owned', 'take the catalog on to owned first: writes served by catalog-service, copied back to the monolith by the reverse sync')
  .option('--out <file>', 'where the report goes', join(REPO_ROOT, 'bench/results/chaos.md'))
  .action(async (options: { rounds: string; pause: string; maxMinutes: string; running?: boolean; owned?: boolean; out: string }) => {
    const report = (line: string) => console.log(`[chaos] ${line}`);
    let stack: StackUnderTest;
    let ownStateDir: string | undefined;
    if (options.running) {
      const config = readStackConfig();
      const secrets = JSON.parse(readFileSync(join(config.STACK_STATE_DIR, 'secrets.json'), 'utf8')) as StackSecrets;
      stack = { config, secrets, stop: async () => {} };
    } else {
      ownStateDir = join(REPO_ROOT, '.stack/chaos');
      rmSync(ownStateDir, { recursive: true, force: true });
      stack = await startStackForChaos(ownStateDir, report);
    }
    const chaosOptions = {
      rounds: Number(options.rounds),
      owned: options.owned ?? false,
      pauseMs: Number(options.pause) * 1000,
      recoveryDeadlineMs: 240_000,
      convergenceDeadlineMs: 240_000,
      maxRunMs: Number(options.maxMinutes) * 60_000,
      report,
    };
    try {
      const result = await runChaos(stack, chaosOptions);
      const machine = `${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)} at the end`;
      mkdirSync(join(options.out, '..'), { recursive: true });
      writeFileSync(options.out, chaosReport(result, chaosOptions, machine));
      report(`report written to ${options.out}`);
      const problems = violations(result);
      for (const p of problems) report(`FAILED: ${p}`);
      if (problems.length === 0) report('every invariant held');
      process.exitCode = problems.length ? 1 : 0;
    } finally {
      await stack.stop();
      if (ownStateDir && process.exitCode === 0) rmSync(ownStateDir, { recursive: true, force: true });
    }
  });

try {
  await program.parseAsync();
} catch (err) {
  console.error(`[chaos] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
