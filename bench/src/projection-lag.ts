// `npm run bench:projection`: commit in the monolith's PostgreSQL → Debezium → Kafka → the catalog
// service's projection, applied in its own database: the lag the product defines (monolith commit
// to applied in the service). The projection is the service's own (CatalogProjection on
// PgProjectionStore in ProjectionConsumer); the benchmark only notes when each apply committed.
// Each rate runs three times; the report gives the median of the runs and the worst run (never the
// best), with the load average, the writer's own CPU (it runs in a process of its own), where the
// time went (commit → the consumer decodes the event → its transaction committed), the size and
// duration of the projection's transactions, and the broker's and Connect's GC pauses.
// Results go to bench/results/projection.json and bench/results/projection.md.
// Before the runs, a warm-up of BENCH_WARMUP_SECONDS (10) at BENCH_WARMUP_RATE (1000) writes/s is not recorded.
// Options: BENCH_SECONDS (default 30), BENCH_RUNS (3), BENCH_RATES (100,1000: always measured), BENCH_STEP_RATES
// (2000,4000: measured in turn until a run falls behind or the writer cannot keep up; empty for none).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TUNING, resetCdc } from '@strangler/cdc';
import { cdcNames, ProjectionConsumer, tableTopic, type Projection } from '@strangler/cdc/projection';
import { openDatabase } from '@strangler/catalog-service/db';
import { applyMigrations } from '@strangler/catalog-service/migrate';
import { CatalogProjection, PgProjectionStore, type CatalogChange } from '@strangler/catalog-service/projection';
import { createLogger } from '@strangler/platform';
import { ensureDatabase } from '@strangler/stack';
import pg from 'pg';
import { Registry } from 'prom-client';
import { acrossRuns, freePort, jvmPauses, percentile, RESULTS, ROOT, round, runsMarkdown, stageSummary, startBenchStack, summarise, watchConditions, type RunResult } from './bench-stack.js';
import { startWriter, wallClock } from './writer.js';

/**
 * A run, with the service watermark's lag sampled while the writer ran, and the projection's
 * transactions that carried products (changes per transaction, and how long each took).
 */
type ProjectionRun = RunResult & {
  watermarkLagP50Ms: number;
  watermarkLagP99Ms: number;
  transactions: { count: number; sizeP50: number; sizeP99: number; durationP50Ms: number; durationP99Ms: number; durationMaxMs: number };
};

/** The load average before this benchmark started anything: other work on the machine. */
const LOAD_BEFORE = loadavg()[0]!;
const STATE = join(ROOT, '.stack', 'bench-projection');
const TOPIC_PREFIX = 'benchproj';
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const runsPerRate = Number(process.env.BENCH_RUNS ?? 3);
const warmup = { seconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 10), rate: Number(process.env.BENCH_WARMUP_RATE ?? 1000) };
const rates = (process.env.BENCH_RATES ?? '100,1000').split(',').map(Number);
const stepRates = (process.env.BENCH_STEP_RATES ?? '2000,4000').split(',').filter(Boolean).map(Number);
const log = (line: string) => console.log(`[bench:projection] ${line}`);

async function main(): Promise<void> {
  rmSync(STATE, { recursive: true, force: true });
  const ports = { pg: await freePort(), broker: await freePort(), controller: await freePort(), connect: await freePort() };
  const stack = await startBenchStack(STATE, ports, TOPIC_PREFIX, log);
  await ensureDatabase(stack.postgres.url('postgres'), 'catalog_service');
  await applyMigrations(stack.postgres.url('catalog_service'));
  const database = openDatabase(stack.postgres.url('catalog_service'), { maxConnections: 4 });
  const writer = startWriter();

  // When each bench product's change was decoded by the consumer and applied (its transaction committed in the service's database).
  const decodedAt = new Map<string, number>();
  const appliedAt = new Map<string, number>();
  let transactions: Array<{ size: number; ms: number }> = [];
  const names = cdcNames(TOPIC_PREFIX);
  const catalog = new CatalogProjection(new PgProjectionStore(database.pool), names.heartbeatTable);
  const observed: Projection<CatalogChange> = {
    decode: (event) => {
      const change = catalog.decode(event);
      if (change.table === 'products' && !decodedAt.has(change.row.sku)) decodedAt.set(change.row.sku, wallClock());
      return change;
    },
    positions: () => catalog.positions(),
    apply: async (changes, position) => {
      const started = wallClock();
      const outcome = await catalog.apply(changes, position);
      const at = wallClock();
      let products = 0;
      for (const c of changes) {
        if (c.table !== 'products') continue;
        products++;
        appliedAt.set(c.row.sku, at);
      }
      if (products > 0) transactions.push({ size: changes.length, ms: at - started });
      return outcome;
    },
  };
  const consumer = new ProjectionConsumer({
    brokers: stack.runtime.brokers,
    groupId: 'bench-catalog-service',
    topics: ['public.categories', 'public.products', names.heartbeatTable].map((t) => tableTopic(TOPIC_PREFIX, t)),
    deadLetterTopic: 'bench-catalog-service.dead-letters',
    projection: observed,
    logger: createLogger('catalog-service', 'warn'),
    registry: new Registry(),
  });

  const runs: ProjectionRun[] = [];
  try {
    await consumer.start();
    const categoryId = randomUUID();
    const monolith = stack.postgres.url('monolith');
    const sql = new pg.Client({ connectionString: monolith });
    await sql.connect();
    try {
      await sql.query("INSERT INTO categories (id, slug, name, updated_at) VALUES ($1, 'bench', 'Bench', now())", [categoryId]);
      // Warm-up: the consumer has joined and applies changes.
      await sql.query("INSERT INTO products (id, sku, name, price_cents, category_id, updated_at) VALUES ($1, 'warm-up', 'Warm-up', 100, $2, now())", [randomUUID(), categoryId]);
    } finally {
      await sql.end();
    }
    while (!appliedAt.has('warm-up')) await new Promise((r) => setTimeout(r, 50));
    if (warmup.seconds > 0) {
      log(`warm-up: ${warmup.rate} writes/s for ${warmup.seconds} s (not recorded) ...`);
      const warm = new Set<string>();
      const { committed } = await writer.run({ url: monolith, categoryId, runId: 'warm', rate: warmup.rate, seconds: warmup.seconds }, (sku) => warm.add(sku));
      const deadline = Date.now() + 60_000;
      const applied = () => [...warm].filter((sku) => appliedAt.has(sku)).length;
      while (applied() < committed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      log(`warm-up: ${applied()} of ${committed} writes applied`);
    }

    for (const [i, rate] of [...rates, ...stepRates].entries()) {
      for (let run = 1; run <= runsPerRate; run++) {
        const runId = randomBytes(3).toString('hex');
        const commitAt = new Map<string, number>();
        log(`${rate} writes/s for ${seconds} s, run ${run} of ${runsPerRate} ...`);
        transactions = [];
        // The service watermark's lag (ADR-0021), sampled every 50 ms while the writer runs.
        const watermarkLags: number[] = [];
        const sampler = setInterval(() => {
          const lag = consumer.watermark()?.lagMs;
          if (lag !== undefined) watermarkLags.push(lag);
        }, 50);
        const conditions = watchConditions();
        const from = wallClock();
        const { committed, elapsedS, cpuS } = await writer.run({ url: monolith, categoryId, runId, rate, seconds }, (sku, at) => commitAt.set(sku, at));
        clearInterval(sampler);
        const drainDeadline = Date.now() + 60_000;
        const applied = () => [...commitAt.keys()].filter((sku) => appliedAt.has(sku)).length;
        while (applied() < committed && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 100));
        const { loadAverage, consumerCpuS } = conditions.end();
        const done = [...commitAt].filter(([sku]) => appliedAt.has(sku));
        const latencies = done.map(([sku, at]) => ({ at, ms: appliedAt.get(sku)! - at }));
        const stages = stageSummary({
          'commit → consumer decodes': done.map(([sku, at]) => decodedAt.get(sku)! - at),
          'decode → transaction committed': done.map(([sku]) => appliedAt.get(sku)! - decodedAt.get(sku)!),
        });
        const jvm = jvmPauses(join(STATE, 'logs'), from, wallClock());
        const sortedLags = watermarkLags.sort((a, b) => a - b);
        const sizes = transactions.map((t) => t.size).sort((a, b) => a - b);
        const durations = transactions.map((t) => t.ms).sort((a, b) => a - b);
        const result: ProjectionRun = {
          ...summarise(latencies, { rate, run, seconds, committed, elapsedS, writerCpuS: cpuS, consumerCpuS, loadAverage, stages, jvm }),
          watermarkLagP50Ms: percentile(sortedLags, 50),
          watermarkLagP99Ms: percentile(sortedLags, 99),
          transactions: {
            count: transactions.length,
            sizeP50: percentile(sizes, 50),
            sizeP99: percentile(sizes, 99),
            durationP50Ms: round(percentile(durations, 50)),
            durationP99Ms: round(percentile(durations, 99)),
            durationMaxMs: round(durations.at(-1) ?? NaN),
          },
        };
        log(
          `${rate}/s run ${run}: achieved ${result.achievedRate}/s, applied ${result.received}/${result.committed}, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms, lag flat: ${result.lagFlat}; ` +
            `load ${loadAverage.start}→${loadAverage.end} (max ${loadAverage.max}), writer CPU ${result.cpuPercent.writer} %, consumer CPU ${result.cpuPercent.consumer} %; ` +
            `stages p99 ${Object.entries(stages).map(([k, v]) => `${k} ${v.p99Ms}`).join(', ')}; transactions ${result.transactions.count}, size p50 ${result.transactions.sizeP50}, ` +
            `duration p99 ${result.transactions.durationP99Ms} ms; GC max broker ${jvm.kafka.gcMaxMs} ms, Connect ${jvm.connect.gcMaxMs} ms; watermark lag p99 ${result.watermarkLagP99Ms} ms`,
        );
        runs.push(result);
        for (const sku of commitAt.keys()) {
          decodedAt.delete(sku);
          appliedAt.delete(sku);
        }
      }
      // Every run of a rate is measured; past the measured rates, a rate at which any run fell behind or the writer could not keep up ends the climb.
      if (i >= rates.length - 1 && runs.some((r) => r.targetRate === rate && (!r.lagFlat || !r.writerKeptUp))) break;
    }
  } finally {
    await writer.stop();
    await consumer.stop().catch(() => undefined);
    await database.close();
    await resetCdc({ stateDir: STATE, database: stack.database, topicPrefix: TOPIC_PREFIX, connect: stack.runtime.connectApi }).catch(() => undefined);
    await stack.stop();
    rmSync(STATE, { recursive: true, force: true });
  }

  // A rate counts as flat when every one of its runs was; the climb ended at the last rate tried.
  const byRate = [...new Set(runs.map((r) => r.targetRate))].map((rate) => runs.filter((r) => r.targetRate === rate));
  const flat = byRate.filter((rs) => rs.every((r) => r.lagFlat && r.writerKeptUp)).map((rs) => Math.min(...rs.map((r) => r.achievedRate)));
  const lastRate = byRate.at(-1) ?? [];
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverageBefore: LOAD_BEFORE },
    settings: { warmup, pollIntervalMs: DEFAULT_TUNING.pollIntervalMs, consumerMaxWaitTimeInMs: 100, batch: 'one transaction per partition batch: one upsert per table (jsonb_to_recordset) + the position' },
    summary: [...new Set(runs.map((r) => r.targetRate))].map((rate) => acrossRuns(runs.filter((r) => r.targetRate === rate))),
    runs,
    highestFlatRate: flat.length ? Math.max(...flat) : null,
    limitedBy: lastRate.length === 0 ? null : lastRate.some((r) => !r.lagFlat) ? 'a run at the last rate tried fell behind' : lastRate.some((r) => !r.writerKeptUp) ? 'writer' : 'highest rate tried',
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'projection.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'projection.md'), markdown(result));
  log(`written ${join(RESULTS, 'projection.json')} and projection.md`);
}

function markdown(r: { date: string; machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string; loadAverageBefore: number }; runs: ProjectionRun[]; highestFlatRate: number | null; limitedBy: string | null }): string {
  const row = (x: ProjectionRun) =>
    `| ${x.targetRate} | ${x.run} | ${x.transactions.count} | ${x.transactions.sizeP50} / ${x.transactions.sizeP99} | ${x.transactions.durationP50Ms} / ${x.transactions.durationP99Ms} / ${x.transactions.durationMaxMs} | ${x.watermarkLagP50Ms} | ${x.watermarkLagP99Ms} |`;
  return [
    '# Projection benchmark: commit in the monolith to applied in the catalog service',
    '',
    `Run \`npm run bench:projection\` (${r.date}, ${r.machine.cpus} cores ${r.machine.cpuModel ?? ''}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}).`,
    "PostgreSQL 17 (embedded, the monolith's and the service's databases on one server) → Debezium 3.6.1 → Kafka 4.3.1 → the catalog",
    "service's ProjectionConsumer and CatalogProjection, all on this machine. Lag = the service's transaction with the product committed,",
    'minus the insert acknowledged to the writing client in the monolith (same clock). The writer runs in its own process.',
    'Target (ADR-0030): p50 ≤ 150 ms and p99 ≤ 500 ms at 1,000 writes/s, in the worst of the runs.',
    '',
    `- Highest rate with flat lag: **${r.highestFlatRate ?? 'n/a'} writes/s** (${r.limitedBy})`,
    '',
    ...runsMarkdown(r.runs, r.machine.cpus, r.machine.loadAverageBefore),
    '',
    "The projection's transactions that carried products (changes per transaction p50 / p99; duration p50 / p99 / max ms) and the watermark's lag:",
    '',
    '| target/s | run | transactions | size p50 / p99 | duration ms | watermark lag p50 ms | watermark lag p99 ms |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...r.runs.map(row),
    '',
    "Lag is flat when every committed write was applied and the median lag of the run's last third stayed within max(2 x, +100 ms)",
    'of its first third. The writer kept up when it reached at least 95 % of the target rate.',
    "Watermark lag (ADR-0021): the service watermark's lag (now minus the commit time of the newest change below it, every",
    'earlier transaction applied), sampled every 50 ms while the writer ran; with heartbeats every 100 ms it never reads 0.',
    '',
  ].join('\n');
}

await main();
