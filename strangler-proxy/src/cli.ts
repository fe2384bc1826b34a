#!/usr/bin/env node
// npm run strangler -- <status|map|flip|rollback|diffs|audit>: the migration team's controls over the proxy's admin API.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAGES } from '@strangler/manifests';
import Table from 'cli-table3';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AdminApiError, AdminClient } from './admin/admin-client.js';
import type { FlipOutcome } from './admin/flip-service.js';
import { migrationMap } from './admin/migration-map.js';
import type { SyncSummary, TargetStatus } from './admin/status.js';
import type { SplitSummary } from './upstreams/traffic-split.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** STRANGLER_ADMIN_TOKEN, else the admin token `npm start` generated in .stack/secrets.json. */
function adminToken(env: NodeJS.ProcessEnv): string | undefined {
  if (env.STRANGLER_ADMIN_TOKEN) return env.STRANGLER_ADMIN_TOKEN;
  const file = join(env.STACK_STATE_DIR ?? join(REPO_ROOT, '.stack'), 'secrets.json');
  if (!existsSync(file)) return undefined;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { adminToken?: string }).adminToken;
  } catch {
    return undefined;
  }
}

function integer(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

const percent = (n: number | null) => (n === null ? '' : `${Math.round(n * 1000) / 10}%`);
const ms = (n: number | null) => (n === null ? '-' : `${n} ms`);

function targetLine(t: TargetStatus): string {
  const state = `${t.healthy ? 'healthy' : 'UNHEALTHY'}, breaker ${t.breaker}`;
  return `${t.url} ${state}\n  ${t.ratePerSecond}/s, errors ${percent(t.errorRate)}, p50 ${ms(t.p50Ms)}, p99 ${ms(t.p99Ms)}`;
}

function splitLine(s: SplitSummary): string {
  if (s.requests === 0 && s.shadow === 0) return 'no requests';
  const shadow = s.shadow ? `\nshadow copies: ${s.shadow}` : '';
  return `new ${s.newPercent}% / legacy ${s.legacyPercent}% (${s.requests} req)${shadow}`;
}

/** The service's watermark lag (ADR-0021): `-` for a domain not fed by CDC. */
function lagText(lagMs: number | null | undefined): string {
  return lagMs === undefined ? '-' : lagMs === null ? 'unknown' : `${lagMs} ms`;
}

function describeFlip(outcome: FlipOutcome): string {
  const a = outcome.audit;
  const cutover = outcome.cutover ? `; cutover #${outcome.cutover.id}, writes fenced ${outcome.cutover.fenceMs} ms: ${describeSteps(outcome.cutover.steps)}` : '';
  return `${outcome.domain}: ${outcome.from.stage} ${outcome.from.percentage}% → ${outcome.to.stage} ${outcome.to.percentage}% (audit #${a.id}${a.adr ? `, ADR ${a.adr}` : ''}${a.reason ? `, "${a.reason}"` : ''}${a.override ? `, FORCED past ${a.override}` : ''}${cutover})`;
}

/** A cutover's steps with their times: where the fence's time went. */
function describeSteps(steps: { step: string; ms: number }[]): string {
  return steps.map((s) => `${s.step} ${s.ms} ms`).join(', ');
}

/** The data sync of an ownable domain (ADR-0025): direction, writes, reverse-sync lag, the last cutover. */
function syncLines(s: SyncSummary): string[] {
  const direction = s.direction === 'reverse' ? 'reverse (service → monolith)' : s.direction === 'forward' ? 'forward (monolith → service)' : 'unknown (service not answering)';
  const writes = s.writesTo === 'new' ? 'the service' : s.writesTo === 'legacy' ? 'the monolith' : 'unknown';
  const fence = s.fencedSince ? `, FENCED since ${s.fencedSince}` : '';
  const reverse = s.reverseLagMs === null ? 'unknown' : `${s.reverseLagMs} ms (${s.reversePendingEvents ?? '?'} pending)`;
  const c = s.lastCutover;
  const last = c ? `#${c.id} ${c.from} → ${c.to} at ${c.at}: ${c.outcome ?? 'running'}${c.failedStep ? ` at "${c.failedStep}"` : ''}, writes fenced ${c.fenceMs === null ? '-' : `${c.fenceMs} ms`}${c.steps.length ? ` (${describeSteps(c.steps)})` : ''}` : 'none';
  return [`sync ${direction}, owner ${s.owner ?? 'unknown'} (epoch ${s.epoch ?? '?'}); writes go to ${writes}${fence}`, `reverse-sync lag ${reverse}`, `last cutover ${last}`];
}

/** A table for the terminal; without colour codes when the output is not a terminal or NO_COLOR is set (https://no-color.org). */
function newTable(head: string[], env: NodeJS.ProcessEnv): Table.Table {
  const plain = !process.stdout.isTTY || env.NO_COLOR !== undefined;
  return new Table({ head, ...(plain ? { style: { head: [], border: [] } } : {}) });
}

export function buildProgram(out: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Command {
  const client = () => new AdminClient(env.STRANGLER_ADMIN_URL ?? 'http://127.0.0.1:8081', adminToken(env));
  const program = new Command('strangler')
    .description("Controls of the strangler migration, through the proxy's admin API (STRANGLER_ADMIN_URL, STRANGLER_ADMIN_TOKEN)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .showHelpAfterError();

  program
    .command('status')
    .description('each domain: stage, percentage, who served its requests over the last minute, target instances with health, breaker and the last minute of traffic')
    .option('--json', 'print the raw JSON')
    .action(async (options: { json?: boolean }) => {
      const status = await client().status();
      if (options.json) return out(JSON.stringify(status, null, 2));
      const table = newTable(['domain', 'stage', '%', 'service', 'ADR', 'lag', 'split (last minute)', 'targets (last minute)'], env);
      for (const d of status.domains) table.push([d.domain, d.stage, String(d.percentage), d.service ?? '(none yet)', String(d.adr), lagText(d.lagMs), splitLine(d.split), d.targets.map(targetLine).join('\n')]);
      table.push(['(monolith)', '', '', 'legacy-monolith', '', '', '', status.monolith.map(targetLine).join('\n')]);
      out(table.toString());
      const synced = status.domains.filter((d) => d.sync);
      if (synced.length) {
        const sync = newTable(['domain', 'data sync (ADR-0025)'], env);
        for (const d of synced) sync.push([d.domain, syncLines(d.sync!).join('\n')]);
        out(sync.toString());
      }
    });

  program
    .command('map')
    .description("every domain's routes, stage and share of the last hour's requests, the requests no manifest claims, and the migration's progress")
    .option('--json', 'print the raw JSON')
    .action(async (options: { json?: boolean }) => {
      const map = migrationMap(await client().status());
      if (options.json) return out(JSON.stringify(map, null, 2));
      const table = newTable(['domain', 'stage', 'service', 'routes (share served by the new service)', 'last hour'], env);
      for (const d of map.domains) {
        const routes = d.routes.map((r) => `${r.method} ${r.path}${r.newPercent ? ` (${r.newPercent}% new)` : ''}`).join('\n') || '(none: called in-process)';
        table.push([d.domain, `${d.stage} ${d.percentage}%`, d.service ?? '(none yet)', routes, `${d.lastHour.requests} req, ${d.lastHour.sharePercent}% of all\n${d.lastHour.new} by the new service`]);
      }
      if (map.unclaimed.length) {
        table.push(['(unclaimed)', '', 'legacy-monolith', map.unclaimed.map((u) => `${u.method} ${u.path}: ${u.lastHour}`).join('\n'), `${map.unclaimed.reduce((n, u) => n + u.lastHour, 0)} req`]);
      }
      out(table.toString());
      const { routes, requests } = map.progress;
      out(`progress: ${routes.new} of ${routes.total} routes served by new services (${routes.percent}%); ${requests.new} of ${requests.total} requests in the last hour (${requests.percent}%)`);
    });

  program
    .command('flip')
    .description('move a domain to a stage its manifest allows, forward one allowed stage at a time or back to any (through Unleash; every proxy follows within about a second)')
    .argument('<domain>', 'the domain, as in its manifest (e.g. catalog)')
    .addOption(new Option('--stage <stage>', 'the new stage').choices(STAGES).makeOptionMandatory())
    .option('--percent <n>', 'share of users for canary (0-100)', integer('--percent', 0, 100))
    .option('--adr <n>', 'the ADR that justifies the flip', integer('--adr', 1, 9999))
    .option('--reason <text>', 'why, for the audit log')
    .option('--force', "flip although the service's watermark lag is over the manifest's maxLagMs (needs --reason; the audit row says so)")
    .action(async (domain: string, options: { stage: string; percent?: number; adr?: number; reason?: string; force?: boolean }) => {
      if (options.stage === 'canary' && options.percent === undefined) throw new InvalidArgumentError('--stage canary needs --percent <0-100>');
      if (options.force && !options.reason) throw new InvalidArgumentError('--force needs --reason <text>');
      const outcome = await client().flip(domain, { stage: options.stage, percentage: options.percent, adr: options.adr, reason: options.reason, force: options.force });
      out(`flipped ${describeFlip(outcome)}`);
    });

  program
    .command('rollback')
    .description("put a domain back to the stage before its last flip")
    .argument('<domain>', 'the domain')
    .option('--reason <text>', 'why, for the audit log')
    .action(async (domain: string, options: { reason?: string }) => {
      out(`rolled back ${describeFlip(await client().rollback(domain, options.reason))}`);
    });

  program
    .command('fence')
    .description('the write fence of an ownable domain: --lift lifts a fence an interrupted cutover left up (writes then go to the side that owns the domain)')
    .argument('<domain>', 'the domain')
    .requiredOption('--lift', 'lift the fence (refused while a cutover may still be running)')
    .action(async (domain: string) => {
      const lifted = await client().liftFence(domain);
      const sealed = lifted.owner === 'service' ? "stay sealed" : 'are writable';
      out(`lifted the write fence of ${domain} after ${lifted.fencedForMs} ms (journal #${lifted.cutoverId}): writes go to the ${lifted.owner}, which owns them; the monolith's tables ${sealed}; stage ${lifted.stage}`);
      const expected = lifted.owner === 'service' ? 'owned' : 'new';
      if ((lifted.stage === 'owned') !== (expected === 'owned')) out(`the stage (${lifted.stage}) does not match the owner: flip ${domain} --stage ${expected} to bring them together`);
    });

  program
    .command('diffs')
    .description('answer comparisons of a domain (shadow, and samples at canary and new): diff rate per route, the most frequent differing paths with an example each, and the noise paths found')
    .argument('<domain>', 'the domain')
    .option('--window <minutes>', 'over the last this many minutes', integer('--window', 1, 7 * 24 * 60), 60)
    .option('--json', 'print the raw JSON')
    .action(async (domain: string, options: { window: number; json?: boolean }) => {
      const report = await client().diffs(domain, options.window);
      if (options.json) return out(JSON.stringify(report, null, 2));
      if (!report.routes.length) return out(`no comparisons of ${domain} in the last ${options.window} minutes (comparisons run at shadow, and sampled at canary and new)`);
      const table = newTable(['route', 'compared', 'diff rate', 'top differing paths (count: example legacy → new)', 'noise (left out)'], env);
      const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
      for (const r of report.routes) {
        const compared = `${r.equal + r.different} (${r.equal} equal, ${r.different} different)${r.failed ? `\n${r.failed} failed` : ''}${r.tooLarge ? `\n${r.tooLarge} too large` : ''}`;
        const paths = r.topPaths.map((p) => `${p.path}: ${p.count}${p.example ? `\n  ${p.example.path}: ${show(p.example.legacy)} → ${show(p.example.new)}` : ''}`).join('\n') || '-';
        table.push([r.route, compared, r.diffRate === null ? '-' : percent(r.diffRate), paths, r.noise.map((n) => `${n.path} (${n.count})`).join('\n') || '-']);
      }
      out(table.toString());
    });

  program
    .command('audit')
    .description('the audit log of flips, newest first')
    .option('--domain <domain>', 'only this domain')
    .option('--limit <n>', 'at most this many entries', integer('--limit', 1, 1000), 50)
    .option('--json', 'print the raw JSON')
    .action(async (options: { domain?: string; limit: number; json?: boolean }) => {
      const { entries } = await client().audit({ domain: options.domain, limit: options.limit });
      if (options.json) return out(JSON.stringify(entries, null, 2));
      const table = newTable(['#', 'when', 'who', 'domain', 'from', 'to', 'ADR', 'mode', 'reason'], env);
      for (const e of entries) {
        table.push([String(e.id), e.at, e.actor, e.domain, `${e.fromStage ?? '-'} ${e.fromPercentage ?? ''}%`, `${e.toStage} ${e.toPercentage}%`, e.adr ? String(e.adr) : '', e.mode, e.reason ?? '']);
      }
      out(entries.length ? table.toString() : 'no flips recorded yet');
    });
  return program;
}

/** Runs the CLI and returns its exit code: 0 ok, 1 refused or failed, 2 bad usage, 3 proxy unreachable. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = buildProgram((line) => console.log(line), env);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      if (err.code === 'commander.invalidArgument' && !err.message.startsWith('error:')) console.error(`error: ${err.message}`);
      return EXIT.usage;
    }
    if (err instanceof InvalidArgumentError) {
      console.error(`error: ${err.message}`);
      return EXIT.usage;
    }
    if (err instanceof AdminApiError) {
      console.error(`error: ${err.message}${err.status ? ` (${err.status} ${err.code})` : ''}`);
      if (err.status === 0) return EXIT.unreachable;
      if (err.status === 401) console.error('hint: set STRANGLER_ADMIN_TOKEN (after npm start it is adminToken in .stack/secrets.json)');
      return err.status === 400 || err.code === 'unknown_domain' ? EXIT.usage : EXIT.failed;
    }
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.failed;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await run(process.argv.slice(2));
}
