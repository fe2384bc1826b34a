// `npm run bench:projection`: commit in the monolith's PostgreSQL → Debezium → Kafka → the catalog
// service's projection, applied in its own database: the lag the product defines (monolith commit
// to applied in the service). The projection is the service's own (CatalogProjection on
// PgProjectionStore in ProjectionConsumer); the benchmark only notes when each apply committed.
// Results go to bench/results/projection.json and bench/results/projection.md.
// Options: BENCH_SECONDS (default 30), BENCH_RATES (100,1000,2000,4000).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { resetCdc } from '@strangler/cdc';
import { cdcNames, ProjectionConsumer, tableTopic, type Projection } from '@strangler/cdc/projection';
import { openDatabase } from '@strangler/catalog-service/db';
import { applyMigrations } from '@strangler/catalog-service/migrate';
import { CatalogProjection, PgProjectionStore, type CatalogChange } from '@strangler/catalog-service/projection';
import { createLogger } from '@strangler/platform';
import { ensureDatabase } from '@strangler/stack';
import pg from 'pg';
import { Registry } from 'prom-client';
import { freePort, paced, percentile, RESULTS, ROOT, startBenchStack, summarise, type RunResult } from './bench-stack.js';

/** A run, with the service watermark's lag sampled while the writer ran. */
type ProjectionRun = RunResult & { watermarkLagP50Ms: number; watermarkLagP99Ms: number };

const STATE = join(ROOT, '.stack', 'bench-projection');
const TOPIC_PREFIX = 'benchproj';
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const rates = (process.env.BENCH_RATES ?? '100,1000,2000,4000').split(',').map(Number);
const log = (line: string) => console.log(`[bench:projection] ${line}`);

async function main(): Promise<void> {
  rmSync(STATE, { recursive: true, force: true });
  const ports = { pg: await freePort(), broker: await freePort(), controller: await freePort(), connect: await freePort() };
  const stack = await startBenchStack(STATE, ports, TOPIC_PREFIX, log);
  await ensureDatabase(stack.postgres.url('postgres'), 'catalog_service');
  await applyMigrations(stack.postgres.url('catalog_service'));
  const database = openDatabase(stack.postgres.url('catalog_service'), { maxConnections: 4 });
  const monolith = new pg.Pool({ connectionString: stack.postgres.url('monolith'), max: 16 });

  // When each bench product's change was applied (its transaction committed in the service's database).
  const appliedAt = new Map<string, number>();
  const names = cdcNames(TOPIC_PREFIX);
  const catalog = new CatalogProjection(new PgProjectionStore(database.pool), names.heartbeatTable);
  const observed: Projection<CatalogChange> = {
    decode: (event) => catalog.decode(event),
    positions: () => catalog.positions(),
    apply: async (changes, position) => {
      const outcome = await catalog.apply(changes, position);
      const at = performance.now();
      for (const c of changes) if (c.table === 'products') appliedAt.set(c.row.sku, at);
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
    await monolith.query("INSERT INTO categories (id, slug, name, updated_at) VALUES ($1, 'bench', 'Bench', now())", [categoryId]);
    // Warm-up: the consumer has joined and applies changes.
    await monolith.query("INSERT INTO products (id, sku, name, price_cents, category_id, updated_at) VALUES ($1, 'warm-up', 'Warm-up', 100, $2, now())", [randomUUID(), categoryId]);
    while (!appliedAt.has('warm-up')) await new Promise((r) => setTimeout(r, 50));

    for (const rate of rates) {
      const runId = randomBytes(3).toString('hex');
      const commitAt = new Map<string, number>();
      log(`${rate} writes/s for ${seconds} s ...`);
      let committed = 0;
      // The service watermark's lag (ADR-0021), sampled every 50 ms while the writer runs.
      const watermarkLags: number[] = [];
      const sampler = setInterval(() => {
        const lag = consumer.watermark()?.lagMs;
        if (lag !== undefined) watermarkLags.push(lag);
      }, 50);
      const { elapsedS } = await paced(rate, seconds, async (n) => {
        const sku = `${runId}-${n}`;
        await monolith.query('INSERT INTO products (id, sku, name, price_cents, category_id, updated_at) VALUES ($1, $2, $3, 100, $4, now())', [randomUUID(), sku, `Bench ${n}`, categoryId]);
        commitAt.set(sku, performance.now());
        committed++;
      });
      clearInterval(sampler);
      const drainDeadline = Date.now() + 60_000;
      const applied = () => [...commitAt.keys()].filter((sku) => appliedAt.has(sku)).length;
      while (applied() < committed && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 100));
      const latencies = [...commitAt].filter(([sku]) => appliedAt.has(sku)).map(([sku, at]) => ({ at, ms: appliedAt.get(sku)! - at }));
      const sortedLags = watermarkLags.sort((a, b) => a - b);
      const result = { ...summarise(latencies, { rate, seconds, committed, elapsedS }), watermarkLagP50Ms: percentile(sortedLags, 50), watermarkLagP99Ms: percentile(sortedLags, 99) };
      log(`${rate}/s: achieved ${result.achievedRate}/s, applied ${result.received}/${result.committed}, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms, lag flat: ${result.lagFlat}; watermark lag p50 ${result.watermarkLagP50Ms} ms, p99 ${result.watermarkLagP99Ms} ms`);
      runs.push(result);
      if (!result.lagFlat || !result.writerKeptUp) break;
    }
  } finally {
    await consumer.stop().catch(() => undefined);
    await database.close();
    await monolith.end();
    await resetCdc({ stateDir: STATE, database: stack.database, topicPrefix: TOPIC_PREFIX, connect: stack.runtime.connectApi }).catch(() => undefined);
    await stack.stop();
    rmSync(STATE, { recursive: true, force: true });
  }

  const flat = runs.filter((r) => r.lagFlat && r.writerKeptUp).map((r) => r.achievedRate);
  const last = runs.at(-1);
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    settings: { pollIntervalMs: 50, consumerMaxWaitTimeInMs: 100, batch: 'one transaction per partition batch: one upsert per table (jsonb_to_recordset) + the position' },
    runs,
    highestFlatRate: flat.length ? Math.max(...flat) : null,
    limitedBy: !last ? null : !last.lagFlat ? 'projection fell behind' : !last.writerKeptUp ? 'writer' : 'highest rate tried',
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'projection.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'projection.md'), markdown(result));
  log(`written ${join(RESULTS, 'projection.json')} and projection.md`);
}

function markdown(r: { date: string; machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string }; runs: ProjectionRun[]; highestFlatRate: number | null; limitedBy: string | null }): string {
  const row = (x: ProjectionRun) =>
    `| ${x.targetRate} | ${x.achievedRate} | ${x.seconds} s | ${x.committed} | ${x.received} | ${x.p50Ms} | ${x.p99Ms} | ${x.maxMs} | ${x.watermarkLagP50Ms} | ${x.watermarkLagP99Ms} | ${x.lagFlat ? 'yes' : 'no'} | ${x.writerKeptUp ? 'yes' : 'no'} |`;
  return [
    '# Projection benchmark: commit in the monolith to applied in the catalog service',
    '',
    `Run \`npm run bench:projection\` (${r.date}, ${r.machine.cpus} cores ${r.machine.cpuModel ?? ''}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}).`,
    "PostgreSQL 17 (embedded, the monolith's and the service's databases on one server) → Debezium 3.6.1 → Kafka 4.3.1 → the catalog",
    "service's ProjectionConsumer and CatalogProjection, all on this machine. Lag = the service's transaction with the product committed,",
    'minus the insert acknowledged to the writing client in the monolith (same clock).',
    '',
    `- Highest rate with flat lag: **${r.highestFlatRate ?? 'n/a'} writes/s** (${r.limitedBy})`,
    '',
    '| target writes/s | achieved/s | duration | committed | applied | p50 ms | p99 ms | max ms | watermark lag p50 ms | watermark lag p99 ms | lag flat | writer kept up |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|:---|',
    ...r.runs.map(row),
    '',
    "Lag is flat when every committed write was applied and the median lag of the run's last third stayed within max(2 x, +100 ms)",
    'of its first third. The writer kept up when it reached at least 95 % of the target rate.',
    'Watermark lag (ADR-0021): the service watermark\'s lag (now minus the commit time of the newest change below it, every',
    'earlier transaction applied), sampled every 50 ms while the writer ran; with heartbeats every 100 ms it never reads 0.',
    '',
  ].join('\n');
}

await main();
