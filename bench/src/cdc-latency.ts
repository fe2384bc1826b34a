// `npm run bench:cdc`: commit in PostgreSQL → Debezium → Kafka → kafkajs consumer, with the real
// components on this machine. Measures:
//   - cold start (empty state folder) and warm start (existing state) of PostgreSQL + Kafka + Connect
//     + connector RUNNING;
//   - latency p50/p99 at 100 and 1,000 committed writes per second, sustained for 60 s, three runs
//     of each rate (the report gives the median of the runs and the worst run, never the best);
//   - where the time went in each run: commit → Debezium's event, → Connect's producer, → consumer,
//     with the broker's and Connect's GC pauses, the load average and the writer's own CPU;
//   - the highest rate at which the lag stays flat (stepped rates, 20 s each, one run per step).
// The writer runs in a process of its own (writer-process.ts). Results go to bench/results/cdc.json and cdc.md.
// Before the runs, a warm-up of BENCH_WARMUP_SECONDS (10) at BENCH_WARMUP_RATE (1000) writes/s is not recorded: the
// JVMs compile the hot paths during the first seconds of traffic, which no run should measure.
// Options: BENCH_SECONDS (default 60), BENCH_RUNS (3), BENCH_STEP_SECONDS (20), BENCH_RATES (100,1000),
// BENCH_STEP_RATES (2000,3000,4000,5000,6000,8000; empty for none).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { DEFAULT_TUNING, resetCdc } from '@strangler/cdc';
import { acrossRuns, freePort, jvmPauses, RESULTS, ROOT, round, stageSummary, startBenchStack, summarise, watchConditions, runsMarkdown, type BenchStack, type RunResult } from './bench-stack.js';
import { startWriter, wallClock, type Writer } from './writer.js';

/** The load average before this benchmark started anything: other work on the machine. */
const LOAD_BEFORE = loadavg()[0]!;
const STATE = join(ROOT, '.stack', 'bench-cdc');
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const runsPerRate = Number(process.env.BENCH_RUNS ?? 3);
const warmup = { seconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 10), rate: Number(process.env.BENCH_WARMUP_RATE ?? 1000) };
const stepSeconds = Number(process.env.BENCH_STEP_SECONDS ?? 20);
const rates = (process.env.BENCH_RATES ?? '100,1000').split(',').map(Number);
const stepRates = (process.env.BENCH_STEP_RATES ?? '2000,3000,4000,5000,6000,8000').split(',').filter(Boolean).map(Number);
const TOPIC_PREFIX = 'bench';
const CONSUMER_MAX_WAIT_MS = 100;
const log = (line: string) => console.log(`[bench:cdc] ${line}`);

type CdcRun = RunResult;

/** The parts of a Debezium change event the benchmark reads: the row, and when Debezium handled it. */
interface BenchEvent {
  op: string;
  after: { sku: string } | null;
  ts_ms: number;
  ts_us?: number;
}

interface Arrival {
  received: number;
  /** When Debezium turned the WAL change into its event (envelope `ts_us`). */
  captured: number;
  /** The record's timestamp: when Connect's producer took it (CreateTime). */
  sent: number;
}

/**
 * Inserts products at `rate` per second for `duration` seconds (the writer process, a pool of
 * connections paced on a 5 ms tick), and measures for each insert the time from its commit
 * (acknowledged to the client) to the arrival of its create event at a kafkajs consumer.
 */
async function measure(stack: BenchStack, writer: Writer, categoryId: string, rate: number, duration: number, run: number): Promise<CdcRun> {
  const runId = randomBytes(3).toString('hex');
  const latencies: Array<{ at: number; ms: number }> = [];
  const stages: Record<string, number[]> = { 'commit → Debezium event': [], 'Debezium → Connect producer': [], 'producer → consumer': [] };
  const kafka = new kafkajs.Kafka({ clientId: 'bench-cdc', brokers: stack.runtime.brokers, logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `bench-${runId}`, maxWaitTimeInMs: CONSUMER_MAX_WAIT_MS });
  // Whichever comes second, the commit acknowledgement or the event, completes the sample.
  const commitAt = new Map<string, number>();
  const early = new Map<string, Arrival>();
  const complete = (at: number, a: Arrival) => {
    latencies.push({ at, ms: a.received - at });
    stages['commit → Debezium event']!.push(a.captured - at);
    stages['Debezium → Connect producer']!.push(a.sent - a.captured);
    stages['producer → consumer']!.push(a.received - a.sent);
  };
  await consumer.connect();
  await consumer.subscribe({ topic: `${TOPIC_PREFIX}.public.products`, fromBeginning: false });
  let assigned!: () => void;
  const joined = new Promise<void>((r) => (assigned = r));
  consumer.on(consumer.events.GROUP_JOIN, () => assigned());
  await consumer.run({
    eachMessage: async ({ message }) => {
      const received = wallClock();
      if (!message.value) return;
      const event = JSON.parse(message.value.toString()) as BenchEvent;
      if (event.op !== 'c' || !event.after?.sku.startsWith(runId)) return;
      const arrival = { received, captured: event.ts_us !== undefined ? event.ts_us / 1000 : event.ts_ms, sent: Number(message.timestamp) };
      const committed = commitAt.get(event.after.sku);
      if (committed === undefined) early.set(event.after.sku, arrival);
      else complete(committed, arrival);
    },
  });
  await joined;
  await new Promise((r) => setTimeout(r, 1_000));

  const conditions = watchConditions();
  const from = wallClock();
  const outcome = await writer.run({ url: stack.postgres.url('monolith'), categoryId, runId, rate, seconds: duration }, (sku, at) => {
    commitAt.set(sku, at);
    const arrival = early.get(sku);
    if (arrival !== undefined) complete(at, arrival);
  });
  const drainDeadline = Date.now() + 60_000;
  while (latencies.length < outcome.committed && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 50));
  const { loadAverage, consumerCpuS } = conditions.end();
  await consumer.disconnect();

  const jvm = jvmPauses(join(STATE, 'logs'), from, wallClock());
  return summarise(latencies, { rate, run, seconds: duration, committed: outcome.committed, elapsedS: outcome.elapsedS, writerCpuS: outcome.cpuS, consumerCpuS, loadAverage, stages: stageSummary(stages), jvm });
}

const describe = (r: CdcRun) =>
  `achieved ${r.achievedRate}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms, lag flat: ${r.lagFlat}; load ${r.loadAverage.start}→${r.loadAverage.end} (max ${r.loadAverage.max}), ` +
  `writer CPU ${r.cpuPercent.writer} %, consumer CPU ${r.cpuPercent.consumer} %; stages p99 ${Object.entries(r.stages).map(([k, v]) => `${k} ${v.p99Ms}`).join(', ')}; ` +
  `GC max broker ${r.jvm.kafka.gcMaxMs} ms, Connect ${r.jvm.connect.gcMaxMs} ms; safepoint max broker ${r.jvm.kafka.safepointMaxMs} ms, Connect ${r.jvm.connect.safepointMaxMs} ms`;

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

  const runs: CdcRun[] = [];
  const steps: CdcRun[] = [];
  const writer = startWriter();
  try {
    const categoryId = randomUUID();
    const sql = new pg.Client({ connectionString: stack.postgres.url('monolith') });
    await sql.connect();
    await sql.query("INSERT INTO categories (id, slug, name, updated_at) VALUES ($1, 'bench', 'Bench', now())", [categoryId]);
    await sql.end();

    if (warmup.seconds > 0) {
      log(`warm-up: ${warmup.rate} writes/s for ${warmup.seconds} s (not recorded) ...`);
      const w = await measure(stack, writer, categoryId, warmup.rate, warmup.seconds, 0);
      log(`warm-up: ${describe(w)}`);
    }
    for (const rate of rates) {
      for (let run = 1; run <= runsPerRate; run++) {
        log(`${rate} writes/s for ${seconds} s, run ${run} of ${runsPerRate} ...`);
        const result = await measure(stack, writer, categoryId, rate, seconds, run);
        log(`${rate}/s run ${run}: ${describe(result)}`);
        runs.push(result);
      }
    }
    for (const rate of stepRates) {
      log(`step ${rate} writes/s for ${stepSeconds} s ...`);
      const result = await measure(stack, writer, categoryId, rate, stepSeconds, 1);
      log(`step ${rate}/s: ${describe(result)}`);
      steps.push(result);
      if (!result.lagFlat || !result.writerKeptUp) break;
    }
  } finally {
    await writer.stop();
    await resetCdc({ stateDir: STATE, database: stack.database, topicPrefix: TOPIC_PREFIX, connect: stack.runtime.connectApi }).catch(() => undefined);
    await stack.stop();
    rmSync(STATE, { recursive: true, force: true });
  }

  // A rate counts as flat when every one of its runs was (a step is one run).
  const flat = [...rates.map((rate) => runs.filter((r) => r.targetRate === rate)), ...steps.map((s) => [s])]
    .filter((rs) => rs.length > 0 && rs.every((r) => r.lagFlat))
    .map((rs) => Math.min(...rs.map((r) => r.achievedRate)));
  const last = steps[steps.length - 1];
  // What stopped the climb: CDC falling behind, or this single Node process not writing any faster.
  const limitedBy = !last ? null : !last.lagFlat ? 'cdc' : !last.writerKeptUp ? 'writer' : 'highest step reached';
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverageBefore: LOAD_BEFORE },
    versions: { kafka: '4.3.1', debezium: '3.6.1.Final', postgres: '17 (embedded)', kafkajs: '2.2.4' },
    settings: {
      warmup,
      pollIntervalMs: DEFAULT_TUNING.pollIntervalMs,
      maxBatchSize: DEFAULT_TUNING.maxBatchSize,
      maxQueueSize: DEFAULT_TUNING.maxQueueSize,
      offsetFlushIntervalMs: 1000,
      consumerMaxWaitTimeInMs: CONSUMER_MAX_WAIT_MS,
      heaps: 'broker 256m-768m, Connect 256m-768m',
    },
    coldStartS,
    warmStartS,
    summary: rates.map((rate) => acrossRuns(runs.filter((r) => r.targetRate === rate))),
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
  machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string; loadAverageBefore: number };
  coldStartS: number;
  warmStartS: number;
  runs: CdcRun[];
  steps: CdcRun[];
  highestFlatRate: number | null;
  limitedBy: string | null;
}): string {
  const step = (x: CdcRun) =>
    `| ${x.targetRate} | ${x.achievedRate} | ${x.seconds} s | ${x.committed} | ${x.received} | ${x.p50Ms} | ${x.p99Ms} | ${x.maxMs} | ${x.lagFlat ? 'yes' : 'no'} | ${x.writerKeptUp ? 'yes' : 'no'} | ${x.loadAverage.max} |`;
  return [
    '# CDC benchmark: commit in PostgreSQL to event at a kafkajs consumer',
    '',
    `Run \`npm run bench:cdc\` (${r.date}, ${r.machine.cpus} cores ${r.machine.cpuModel ?? ''}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}).`,
    'PostgreSQL 17 (embedded) → Debezium 3.6.1 PostgreSQL connector (pgoutput) in Kafka Connect 4.3.1 → Kafka 4.3.1 (KRaft, one node) → kafkajs 2.2.4,',
    'all on this machine. Latency = event received by the consumer minus the commit acknowledged to the writing client (same clock).',
    'The writer runs in its own process; target: p99 ≤ 300 ms at 1,000 writes/s in the worst of the runs (ADR-0030).',
    '',
    `- Cold start (empty state; PostgreSQL initdb, migrations, KRaft format, Kafka, Connect, connector RUNNING with snapshot): **${r.coldStartS} s**`,
    `- Warm start (existing state): **${r.warmStartS} s**`,
    `- Highest rate with flat lag: **${r.highestFlatRate ?? 'n/a'} writes/s** (${
      r.limitedBy === 'writer'
        ? "a lower bound: the benchmark's own writer could not go faster while the lag was still flat"
        : r.limitedBy === 'cdc'
          ? 'the next step fell behind'
          : r.limitedBy === null
            ? 'no steps run'
            : 'the highest step tried'
    })`,
    '',
    ...runsMarkdown(r.runs, r.machine.cpus, r.machine.loadAverageBefore),
    '',
    ...(r.steps.length > 0
      ? [
          'Stepped rates (one run each, until the lag grows or the writer cannot keep up):',
          '',
          '| target writes/s | achieved/s | duration | committed | received | p50 ms | p99 ms | max ms | lag flat | writer kept up | load avg max |',
          '|---:|---:|---:|---:|---:|---:|---:|---:|:---|:---|---:|',
          ...r.steps.map(step),
          '',
        ]
      : []),
    "Lag is flat when every committed write arrived and the median latency of the run's last third stayed within max(2 x, +100 ms)",
    'of its first third. The writer kept up when it reached at least 95 % of the target rate. Stages: commit acknowledged → Debezium',
    "built the event (envelope `ts_us`) → Connect's producer took the record (its CreateTime timestamp) → the consumer received it.",
    '',
  ].join('\n');
}

await main();
