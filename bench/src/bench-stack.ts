// What the CDC benchmarks share: the data path started as `npm start` starts it, on free ports in a
// state folder of their own, and the statistics they report.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
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

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

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

/**
 * Calls `write(n)` `rate` times per second for `seconds` seconds, paced on a 5 ms tick with at most
 * `maxInFlight` writes outstanding, and waits for the last one. Returns how many were issued and the
 * time the issuing took.
 */
export async function paced(rate: number, seconds: number, write: (n: number) => Promise<void>, maxInFlight = 64): Promise<{ issued: number; elapsedS: number }> {
  let issued = 0;
  let inFlight = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const one = async (n: number) => {
    inFlight++;
    try {
      await write(n);
    } finally {
      inFlight--;
    }
  };
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (issued < due && inFlight < maxInFlight) void one(issued++);
    await new Promise((r) => setTimeout(r, 5));
  }
  const elapsedS = (performance.now() - start) / 1000;
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  return { issued, elapsedS };
}

export interface RunResult {
  targetRate: number;
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
}

/** The statistics of one run: latencies by commit time (`at`), and what the writer achieved. */
export function summarise(latencies: { at: number; ms: number }[], run: { rate: number; seconds: number; committed: number; elapsedS: number }): RunResult {
  const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b);
  const byTime = [...latencies].sort((a, b) => a.at - b.at);
  const third = Math.floor(byTime.length / 3);
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  const firstThirdP50Ms = median(byTime.slice(0, third).map((l) => l.ms));
  const lastThirdP50Ms = median(byTime.slice(-third).map((l) => l.ms));
  const achievedRate = run.committed / run.elapsedS;
  return {
    targetRate: run.rate,
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
  };
}
