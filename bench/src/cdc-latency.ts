// `npm run bench:cdc`: commit in PostgreSQL → Debezium → Kafka → kafkajs consumer, with the real
// components on this machine. Measures:
//   - cold start (empty state folder) and warm start (existing state) of PostgreSQL + Kafka + Connect
//     + connector RUNNING;
//   - latency p50/p99 at 100 and 1,000 committed writes per second, sustained for 60 s each;
//   - the highest rate at which the lag stays flat (stepped rates, 20 s each).
// Results go to bench/results/cdc.json and bench/results/cdc.md.
// Options: BENCH_SECONDS (default 60), BENCH_STEP_SECONDS (20), BENCH_RATES (100,1000),
// BENCH_STEP_RATES (2000,3000,4000,5000,6000,8000).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { resetCdc } from '@strangler/cdc';
import { freePort, paced, RESULTS, ROOT, round, startBenchStack, summarise, type BenchStack, type RunResult } from './bench-stack.js';

const STATE = join(ROOT, '.stack', 'bench-cdc');
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const stepSeconds = Number(process.env.BENCH_STEP_SECONDS ?? 20);
const rates = (process.env.BENCH_RATES ?? '100,1000').split(',').map(Number);
const stepRates = (process.env.BENCH_STEP_RATES ?? '2000,3000,4000,5000,6000,8000').split(',').map(Number);
const TOPIC_PREFIX = 'bench';
const log = (line: string) => console.log(`[bench:cdc] ${line}`);

/**
 * Inserts products at `rate` per second for `duration` seconds (a pool of connections, paced on a
 * 5 ms tick), and measures for each insert the time from its commit (acknowledged to the client) to
 * the arrival of its create event at a kafkajs consumer.
 */
async function measure(stack: BenchStack, categoryId: string, rate: number, duration: number): Promise<RunResult> {
  const runId = randomBytes(3).toString('hex');
  const pool = new pg.Pool({ connectionString: stack.postgres.url('monolith'), max: 16 });
  const commitAt = new Map<string, number>();
  const latencies: Array<{ at: number; ms: number }> = [];
  const kafka = new kafkajs.Kafka({ clientId: 'bench-cdc', brokers: stack.runtime.brokers, logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-${runId}`, maxWaitTimeInMs: 100 });
  const early = new Map<string, number>();
  await consumer.connect();
  await consumer.subscribe({ topic: `${TOPIC_PREFIX}.public.products`, fromBeginning: false });
  let assigned!: () => void;
  const joined = new Promise<void>((r) => (assigned = r));
  consumer.on(consumer.events.GROUP_JOIN, () => assigned());
  await consumer.run({
    eachMessage: async ({ message }) => {
      const received = performance.now();
      if (!message.value) return;
      const event = JSON.parse(message.value.toString()) as { op: string; after: { sku: string } | null };
      if (event.op !== 'c' || !event.after?.sku.startsWith(runId)) return;
      const committed = commitAt.get(event.after.sku);
      if (committed === undefined) early.set(event.after.sku, received);
      else latencies.push({ at: committed, ms: received - committed });
    },
  });
  await joined;
  await new Promise((r) => setTimeout(r, 1_000));

  let committed = 0;
  const { elapsedS: elapsed } = await paced(rate, duration, async (n) => {
    const sku = `${runId}-${n}`;
    await pool.query('INSERT INTO products (id, sku, name, price_cents, category_id, updated_at) VALUES ($1, $2, $3, 100, $4, now())', [
      randomUUID(),
      sku,
      `Bench ${n}`,
      categoryId,
    ]);
    const at = performance.now();
    commitAt.set(sku, at);
    const arrived = early.get(sku);
    if (arrived !== undefined) latencies.push({ at, ms: arrived - at });
    committed++;
  });
  const drainDeadline = Date.now() + 60_000;
  while (latencies.length < committed && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 50));
  await consumer.disconnect();
  await pool.end();

  return summarise(latencies, { rate, seconds: duration, committed, elapsedS: elapsed });
}

async function main(): Promise<void> {
  rmSync(STATE, { recursive: true, force: true });
  const ports = { pg: await freePort(), broker: await freePort(), controller: await freePort(), connect: await freePort() };

  log('cold start: empty state folder (runtime jars already fetched)');
  let t = performance.now();
  let stack = await startBenchStack(STATE, ports, TOPIC_PREFIX, log);
  const coldStartS = round((performance.now() - t) / 1000);
  log(`cold start: ${coldStartS} s`);
  await stack.stop();

  log('warm start: existing state');
  t = performance.now();
  stack = await startBenchStack(STATE, ports, TOPIC_PREFIX, log);
  const warmStartS = round((performance.now() - t) / 1000);
  log(`warm start: ${warmStartS} s`);

  const runs: RunResult[] = [];
  const steps: RunResult[] = [];
  try {
    const categoryId = randomUUID();
    const sql = new pg.Client({ connectionString: stack.postgres.url('monolith') });
    await sql.connect();
    await sql.query("INSERT INTO categories (id, slug, name, updated_at) VALUES ($1, 'bench', 'Bench', now())", [categoryId]);
    await sql.end();

    for (const rate of rates) {
      log(`${rate} writes/s for ${seconds} s ...`);
      const result = await measure(stack, categoryId, rate, seconds);
      log(`${rate}/s: achieved ${result.achievedRate}/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms, lag flat: ${result.lagFlat}`);
      runs.push(result);
    }
    for (const rate of stepRates) {
      log(`step ${rate} writes/s for ${stepSeconds} s ...`);
      const result = await measure(stack, categoryId, rate, stepSeconds);
      log(`${rate}/s: achieved ${result.achievedRate}/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, lag flat: ${result.lagFlat}`);
      steps.push(result);
      if (!result.lagFlat || !result.writerKeptUp) break;
    }
  } finally {
    await resetCdc({ stateDir: STATE, database: stack.database, topicPrefix: TOPIC_PREFIX, connect: stack.runtime.connectApi }).catch(() => undefined);
    await stack.stop();
    rmSync(STATE, { recursive: true, force: true });
  }

  const flat = [...runs, ...steps].filter((r) => r.lagFlat).map((r) => r.achievedRate);
  const last = steps[steps.length - 1];
  // What stopped the climb: CDC falling behind, or this single Node process not writing any faster.
  const limitedBy = !last ? null : !last.lagFlat ? 'cdc' : !last.writerKeptUp ? 'writer' : 'highest step reached';
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    versions: { kafka: '4.3.1', debezium: '3.6.1.Final', postgres: '17 (embedded)', kafkajs: '2.2.4' },
    settings: { pollIntervalMs: 50, offsetFlushIntervalMs: 1000, consumerMaxWaitTimeInMs: 100, heaps: 'broker 256m-768m, Connect 256m-768m' },
    coldStartS,
    warmStartS,
    runs,
    steps,
    highestFlatRate: flat.length ? Math.max(...flat) : null,
    limitedBy,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'cdc.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'cdc.md'), markdown(result));
  log(`written ${join(RESULTS, 'cdc.json')} and cdc.md`);
}

function markdown(r: {
  date: string;
  machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string };
  coldStartS: number;
  warmStartS: number;
  runs: RunResult[];
  steps: RunResult[];
  highestFlatRate: number | null;
  limitedBy: string | null;
}): string {
  const row = (x: RunResult) =>
    `| ${x.targetRate} | ${x.achievedRate} | ${x.seconds} s | ${x.committed} | ${x.received} | ${x.p50Ms} | ${x.p99Ms} | ${x.maxMs} | ${x.lagFlat ? 'yes' : 'no'} | ${x.writerKeptUp ? 'yes' : 'no'} |`;
  return [
    '# CDC benchmark: commit in PostgreSQL to event at a kafkajs consumer',
    '',
    `Run \`npm run bench:cdc\` (${r.date}, ${r.machine.cpus} cores ${r.machine.cpuModel ?? ''}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}).`,
    'PostgreSQL 17 (embedded) → Debezium 3.6.1 PostgreSQL connector (pgoutput) in Kafka Connect 4.3.1 → Kafka 4.3.1 (KRaft, one node) → kafkajs 2.2.4,',
    'all on this machine. Latency = event received by the consumer minus the commit acknowledged to the writing client (same clock).',
    '',
    `- Cold start (empty state; PostgreSQL initdb, migrations, KRaft format, Kafka, Connect, connector RUNNING with snapshot): **${r.coldStartS} s**`,
    `- Warm start (existing state): **${r.warmStartS} s**`,
    `- Highest rate with flat lag: **${r.highestFlatRate ?? 'n/a'} writes/s** (${
      r.limitedBy === 'writer'
        ? 'a lower bound: the benchmark\'s own writer could not go faster while the lag was still flat'
        : r.limitedBy === 'cdc'
          ? 'the next step fell behind'
          : 'the highest step tried'
    })`,
    '',
    '| target writes/s | achieved/s | duration | committed | received | p50 ms | p99 ms | max ms | lag flat | writer kept up |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|:---|:---|',
    ...r.runs.map(row),
    ...r.steps.map(row),
    '',
    "Lag is flat when every committed write arrived and the median latency of the run's last third stayed within max(2 x, +100 ms)",
    'of its first third. The writer kept up when it reached at least 95 % of the target rate.',
    '',
  ].join('\n');
}

await main();
