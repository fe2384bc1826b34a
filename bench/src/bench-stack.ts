// What the CDC benchmarks share: the data path started as `npm start` starts it, on free ports in a
// state folder of their own, and the statistics they report.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { bootstrapCdc, CAPTURE_PASSWORD_KEY, startCdcRuntime, type CdcRuntime, type DatabaseSettings } from '@strangler/cdc';
import { loadManifests } from '@strangler/manifests';
import { applyMigrations } from '@strangler/legacy-monolith/migrate';
import { ensureDatabase, startPostgres, type PostgresHandle } from '@strangler/stack';

export const ROOT = resolve(import.meta.dirname, '../..');
export const RESULTS = join(ROOT, 'bench', 'results');

export interface BenchStack {
  postgres: PostgresHandle;
  runtime: CdcRuntime;
  database: DatabaseSettings;
  stop(): Promise<void>;
}

export { freePort } from '@strangler/platform';

/** One pair per benchmark process, so a restart on the same state folder logs in again. */
const PASSWORDS = { postgres: randomBytes(18).toString('hex'), capture: randomBytes(18).toString('hex') };

/** The same sequence as `npm start` for the data path: PostgreSQL, migrations, Kafka, Connect, connector RUNNING. */
export async function startBenchStack(
  stateDir: string,
  ports: { pg: number; broker: number; controller: number; connect: number },
  topicPrefix: string,
  log: (line: string) => void,
): Promise<BenchStack> {
  mkdirSync(join(stateDir, 'logs'), { recursive: true });
  const t0 = performance.now();
  const phase = (line: string) => log(`  +${((performance.now() - t0) / 1000).toFixed(1)} s ${line}`);
  const postgres = await startPostgres({ dataDir: join(stateDir, 'postgres'), port: ports.pg, logFile: join(stateDir, 'logs', 'postgres.log'), password: PASSWORDS.postgres });
  const capturePassword = PASSWORDS.capture;
  try {
    await ensureDatabase(postgres.url('postgres'), 'monolith');
    phase('PostgreSQL ready');
    await applyMigrations(postgres.url('monolith'));
    phase('migrations applied');
    const runtime = await startCdcRuntime({
      stateDir,
      brokerPort: ports.broker,
      controllerPort: ports.controller,
      connectPort: ports.connect,
      connectorSecrets: { [CAPTURE_PASSWORD_KEY]: capturePassword },
      onProgress: phase,
    });
    const database = { host: '127.0.0.1', port: ports.pg, user: postgres.user, password: postgres.password, dbname: 'monolith' };
    await bootstrapCdc({
      brokers: runtime.brokers,
      connect: runtime.connectApi,
      database,
      capture: { password: capturePassword, passwordRef: { path: runtime.connectorSecretsFile, key: CAPTURE_PASSWORD_KEY } },
      manifests: loadManifests(),
      topicPrefix,
      onProgress: phase,
    });
    return {
      postgres,
      runtime,
      database,
      stop: async () => {
        await runtime.stop();
        await postgres.stop();
      },
    };
  } catch (err) {
    await postgres.stop();
    throw err;
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const round = (x: number) => Math.round(x * 10) / 10;

export interface RunResult {
  targetRate: number;
  /** 1, 2, 3...: the runs of one rate, in the order they ran. */
  run: number;
  seconds: number;
  committed: number;
  achievedRate: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Median latency of the first and last third of the run: flat lag means they stay close. */
  firstThirdP50Ms: number;
  lastThirdP50Ms: number;
  /** Every committed write arrived and the median latency did not grow during the run. */
  lagFlat: boolean;
  /** The writer reached at least 95 % of the target rate (else the rate is limited by the writer, not CDC). */
  writerKeptUp: boolean;
  /** The machine's 1-minute load average at the start and end of the run, and the highest sampled (every second) during it. */
  loadAverage: { start: number; end: number; max: number };
  /** CPU of the load generator (its own process) and of the measuring process, in % of one core over the run. */
  cpuPercent: { writer: number; consumer: number };
  /** Where the time went: p50/p99 of each stage of the path, in ms (the stages add up to the latency). */
  stages: Record<string, { p50Ms: number; p99Ms: number; maxMs: number }>;
  /** The broker's and Connect's pauses during the run (their GC logs). */
  jvm: Record<'kafka' | 'connect', JvmPauses>;
}

/** The conditions of a run: the load average sampled every second and this process's CPU, from now until `end()`. */
export function watchConditions(): { end(): { loadAverage: RunResult['loadAverage']; consumerCpuS: number } } {
  const start = loadavg()[0]!;
  let max = start;
  const sampler = setInterval(() => (max = Math.max(max, loadavg()[0]!)), 1_000);
  const cpuBefore = process.cpuUsage();
  return {
    end: () => {
      clearInterval(sampler);
      const cpu = process.cpuUsage(cpuBefore);
      const end = loadavg()[0]!;
      return { loadAverage: { start: round(start), end: round(end), max: round(Math.max(max, end)) }, consumerCpuS: (cpu.user + cpu.system) / 1e6 };
    },
  };
}

/** p50/p99/max of each stage's samples. */
export function stageSummary(samples: Record<string, number[]>): RunResult['stages'] {
  return Object.fromEntries(
    Object.entries(samples).map(([stage, xs]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return [stage, { p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1) ?? NaN) }];
    }),
  );
}

/**
 * The runs of one rate as the report gives them: the median of the runs' p50 and p99, and the
 * worst run (highest p99). Never the best run: a tail that shows in one run of three is real.
 */
export function acrossRuns<R extends RunResult>(runs: R[]): { targetRate: number; runs: number; medianP50Ms: number; medianP99Ms: number; worst: R } {
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  const worst = runs.reduce((w, r) => (r.p99Ms > w.p99Ms ? r : w));
  return { targetRate: worst.targetRate, runs: runs.length, medianP50Ms: median(runs.map((r) => r.p50Ms)), medianP99Ms: median(runs.map((r) => r.p99Ms)), worst };
}

/** The statistics of one run: latencies by commit time (`at`), what the writer achieved, and the run's conditions. */
export function summarise(
  latencies: { at: number; ms: number }[],
  run: { rate: number; run: number; seconds: number; committed: number; elapsedS: number; writerCpuS: number; consumerCpuS: number; loadAverage: RunResult['loadAverage']; stages: RunResult['stages']; jvm: RunResult['jvm'] },
): RunResult {
  const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b);
  const byTime = [...latencies].sort((a, b) => a.at - b.at);
  const third = Math.floor(byTime.length / 3);
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  const firstThirdP50Ms = median(byTime.slice(0, third).map((l) => l.ms));
  const lastThirdP50Ms = median(byTime.slice(-third).map((l) => l.ms));
  const achievedRate = run.committed / run.elapsedS;
  return {
    targetRate: run.rate,
    run: run.run,
    seconds: run.seconds,
    committed: run.committed,
    achievedRate: Math.round(achievedRate),
    received: latencies.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
    firstThirdP50Ms: round(firstThirdP50Ms),
    lastThirdP50Ms: round(lastThirdP50Ms),
    lagFlat: latencies.length === run.committed && lastThirdP50Ms <= Math.max(2 * firstThirdP50Ms, firstThirdP50Ms + 100),
    writerKeptUp: achievedRate >= 0.95 * run.rate,
    loadAverage: run.loadAverage,
    cpuPercent: { writer: Math.round((100 * run.writerCpuS) / run.elapsedS), consumer: Math.round((100 * run.consumerCpuS) / run.elapsedS) },
    stages: run.stages,
    jvm: run.jvm,
  };
}

/**
 * The report's tables of the runs: per rate the median of the runs and the worst run; each run with
 * its conditions; where the time went; the JVMs' pauses. Says when the machine was busy.
 */
export function runsMarkdown(runs: RunResult[], cores: number, loadBefore: number): string[] {
  const rates = [...new Set(runs.map((r) => r.targetRate))];
  const busiest = Math.max(...runs.map((r) => r.loadAverage.max));
  // The benchmark's own processes (PostgreSQL, broker, Connect, writer, consumer) load the cores
  // during the runs: other work shows in the load before the benchmark started.
  const rounded = Math.round(loadBefore * 10) / 10;
  const stageNames = Object.keys(runs[0]?.stages ?? {});
  const cell = (x: { p50Ms: number; p99Ms: number } | undefined) => (x ? `${x.p50Ms} / ${x.p99Ms}` : '');
  return [
    loadBefore > 0.75 * cores
      ? `**Smoke run: the machine was busy** (1-minute load average ${rounded} before the benchmark started, up to ${busiest} during the runs, on ${cores} cores): the figures show where the time goes, not what an idle machine gives.`
      : `No other work: 1-minute load average ${rounded} before the benchmark started; up to ${busiest} on ${cores} cores during the runs, from the benchmark's own processes (PostgreSQL, broker, Connect, writer, consumer).`,
    '',
    '| target writes/s | runs | median p50 ms | median p99 ms | worst run | worst p50 ms | worst p99 ms | worst max ms | load avg in worst run |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rates.map((rate) => {
      const s = acrossRuns(runs.filter((r) => r.targetRate === rate));
      return `| ${rate} | ${s.runs} | ${s.medianP50Ms} | ${s.medianP99Ms} | ${s.worst.run} | ${s.worst.p50Ms} | ${s.worst.p99Ms} | ${s.worst.maxMs} | ${s.worst.loadAverage.start}→${s.worst.loadAverage.end} (max ${s.worst.loadAverage.max}) |`;
    }),
    '',
    'Every run:',
    '',
    '| target/s | run | achieved/s | committed | received | p50 ms | p99 ms | max ms | lag flat | load avg start→end (max) | writer CPU % | consumer CPU % |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|:---|---:|---:|---:|',
    ...runs.map(
      (r) =>
        `| ${r.targetRate} | ${r.run} | ${r.achievedRate} | ${r.committed} | ${r.received} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.lagFlat ? 'yes' : 'no'} | ${r.loadAverage.start}→${r.loadAverage.end} (${r.loadAverage.max}) | ${r.cpuPercent.writer} | ${r.cpuPercent.consumer} |`,
    ),
    '',
    'Where the time went (p50 / p99 ms of each stage; the stages add up to the latency), and the pauses of the JVMs during the run',
    '(GC: count, longest, sum; safepoint: the longest, time to reach it included):',
    '',
    `| target/s | run | ${stageNames.join(' | ')} | broker GC | Connect GC | broker / Connect safepoint max ms |`,
    `|---:|---:|${stageNames.map(() => '---:|').join('')}---:|---:|---:|`,
    ...runs.map(
      (r) =>
        `| ${r.targetRate} | ${r.run} | ${stageNames.map((n) => cell(r.stages[n])).join(' | ')} | ${r.jvm.kafka.gcPauses}, ${r.jvm.kafka.gcMaxMs}, ${r.jvm.kafka.gcTotalMs} ms | ${r.jvm.connect.gcPauses}, ${r.jvm.connect.gcMaxMs}, ${r.jvm.connect.gcTotalMs} ms | ${r.jvm.kafka.safepointMaxMs} / ${r.jvm.connect.safepointMaxMs} |`,
    ),
  ];
}

export interface JvmPauses {
  /** GC pauses (stop-the-world) that ended during the run: how many, the longest, their sum. */
  gcPauses: number;
  gcMaxMs: number;
  gcTotalMs: number;
  /** The longest safepoint, including the time the JVM's threads took to reach it (long when the CPU is contended). */
  safepointMaxMs: number;
}

/**
 * The pauses the broker and Connect logged (`-Xlog:gc,safepoint`, ADR-0030) between `fromMs` and
 * `toMs` (wall clock): a tail is compared with them.
 */
export function jvmPauses(logDir: string, fromMs: number, toMs: number): Record<'kafka' | 'connect', JvmPauses> {
  const read = (file: string): JvmPauses => {
    const pauses: number[] = [];
    let safepointMaxMs = 0;
    let text = '';
    try {
      text = readFileSync(join(logDir, file), 'utf8');
    } catch {
      // No GC log (a runtime started without it): no pauses to show.
    }
    for (const line of text.split('\n')) {
      const at = /^\[([^\]]+)\]/.exec(line)?.[1];
      if (!at) continue;
      const time = Date.parse(at.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
      if (!(time >= fromMs && time <= toMs)) continue;
      const gc = /\[gc\s*\].*Pause.* (\d+\.\d+)ms$/.exec(line);
      if (gc) pauses.push(Number(gc[1]));
      const safepoint = /Total: (\d+) ns/.exec(line);
      if (safepoint) safepointMaxMs = Math.max(safepointMaxMs, Number(safepoint[1]) / 1e6);
    }
    return { gcPauses: pauses.length, gcMaxMs: round(Math.max(0, ...pauses)), gcTotalMs: round(pauses.reduce((a, b) => a + b, 0)), safepointMaxMs: round(safepointMaxMs) };
  };
  return { kafka: read('kafka-gc.log'), connect: read('connect-gc.log') };
}
