#!/usr/bin/env node
// `npm run adr -- <command>`: write, supersede, index and lint the Architecture Decision Records.
// Exit codes: 0 ok, 1 lint found problems, 2 bad usage or input (nothing was changed).
import { Command, CommanderError } from 'commander';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PgAuditLogReader, proxyDatabaseUrl } from './audit-log.js';
import { listRecords, newRecord, setStatus, supersede, writeIndex } from './commands.js';
import { UsageError } from './errors.js';
import { lint } from './lint.js';
import { STATUSES } from './record.js';
import { showRecord } from './show.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const today = (): string => new Date().toISOString().slice(0, 10);
const rel = (path: string): string => resolve(path).replace(`${process.cwd()}/`, '');

const program = new Command('adr')
  .description('Architecture Decision Records (MADR 4) in docs/adr/, linked to the domain manifests and the flips that cite them.')
  .option('--dir <path>', 'the ADR directory', resolve(REPO_ROOT, 'docs/adr'))
  .option('--manifests <path>', 'the directory of domain manifests', resolve(REPO_ROOT, 'migrations'))
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`adr: ${text.replace(/^error: /, '')}`) });

const dir = (): string => resolve(program.opts<{ dir: string }>().dir);
const manifestDir = (): string => resolve(program.opts<{ manifests: string }>().manifests);

program
  .command('new')
  .description('write a new record in the MADR 4 template with the next number')
  .argument('<title>', 'a short title; the file is named after it')
  .option('--status <status>', `initial status (${STATUSES.filter((s) => s !== 'superseded').join(', ')})`, 'proposed')
  .option('--decision-makers <names>', 'who takes the decision')
  .action(async (title: string, opts: { status: string; decisionMakers?: string }) => {
    const path = await newRecord(title, { dir: dir(), today: today(), ...opts });
    console.log(`wrote ${rel(path)}`);
  });

program
  .command('list')
  .description('number, title, status and date of every record')
  .action(async () => {
    console.log(await listRecords(dir()));
  });

program
  .command('supersede')
  .description('write a new record that replaces record <n>, linking both ways')
  .argument('<n>', 'the number of the record being replaced')
  .argument('<title>', 'the title of the new record')
  .option('--status <status>', 'status of the new record (proposed, accepted)', 'proposed')
  .option('--decision-makers <names>', 'who takes the decision')
  .action(async (n: string, title: string, opts: { status: string; decisionMakers?: string }) => {
    const path = await supersede(n, title, { dir: dir(), today: today(), ...opts });
    console.log(`wrote ${rel(path)}; ADR ${n} is now superseded by it`);
  });

program
  .command('status')
  .description(`set the status of record <n> (${STATUSES.join(', ')})`)
  .argument('<n>', 'the record number')
  .argument('<status>', STATUSES.join('|'))
  .option('--by <m>', 'with superseded: the record that supersedes <n>')
  .action(async (n: string, status: string, opts: { by?: string }) => {
    console.log(await setStatus(n, status, { dir: dir(), today: today(), ...opts }));
  });

program
  .command('index')
  .description('regenerate docs/adr/README.md: a table of the records and a graph of the supersede links')
  .action(async () => {
    console.log(`wrote ${rel(await writeIndex(dir()))}`);
  });

program
  .command('lint')
  .description('check numbering, statuses, links, titles, the index and the ADR references of the manifests')
  .action(async () => {
    const result = await lint(dir(), manifestDir());
    for (const p of result.problems) console.error(`${p.file}: ${p.message}`);
    if (result.problems.length > 0) {
      console.error(`adr lint: ${result.problems.length} problem(s) in ${result.records} records and ${result.manifestRefs} manifest reference(s)`);
      process.exitCode = 1;
    } else {
      console.log(`adr lint: ${result.records} records and ${result.manifestRefs} manifest reference(s), no problems`);
    }
  });

program
  .command('show')
  .description('a record, the domains whose manifest cites it, and the flips of the audit log that cite it')
  .argument('<n>', 'the record number')
  .action(async (n: string) => {
    const auditLog = new PgAuditLogReader(proxyDatabaseUrl(process.env, REPO_ROOT));
    console.log(await showRecord(n, { dir: dir(), manifestDir: manifestDir(), auditLog }));
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof UsageError) {
    console.error(`adr: ${error.message}`);
    process.exitCode = 2;
  } else {
    console.error(`adr: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
