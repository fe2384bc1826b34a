// The load generator of the CDC benchmarks in a process of its own (started by writer.ts): inserts
// products into the monolith at a paced rate and reports when each insert's commit was acknowledged.
// Apart from the consumer it measures, its CPU is its own (the report gives both) and its event
// loop never delays the consumer's.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { WriteJob, WriterReport } from './writer.js';

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
const now = () => performance.timeOrigin + performance.now();

/**
 * Calls `write(n)` `rate` times per second for `seconds` seconds, paced on a 5 ms tick with at most
 * `maxInFlight` writes outstanding, and waits for the last one. Returns how many were issued and the
 * time the issuing took.
 */
async function paced(rate: number, seconds: number, write: (n: number) => Promise<void>, maxInFlight = 64): Promise<{ issued: number; elapsedS: number }> {
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

const send = (report: WriterReport) => new Promise<void>((done) => process.send!(report, () => done()));

let pool: pg.Pool | undefined;
// The benchmark is gone (it crashed or was stopped): no writer outlives it.
process.once('disconnect', () => process.exit(0));
process.on('message', (job: WriteJob | 'exit') => {
  if (job === 'exit') {
    void (pool?.end() ?? Promise.resolve()).then(() => process.exit(0));
    return;
  }
  pool ??= new pg.Pool({ connectionString: job.url, max: 16 });
  const db = pool;
  void (async () => {
    let commits: Array<[string, number]> = [];
    const flush = setInterval(() => {
      if (commits.length === 0) return;
      void send({ kind: 'commits', commits });
      commits = [];
    }, 20);
    const cpuBefore = process.cpuUsage();
    let committed = 0;
    const { elapsedS } = await paced(job.rate, job.seconds, async (n) => {
      const sku = `${job.runId}-${n}`;
      await db.query('INSERT INTO products (id, sku, name, price_cents, category_id, updated_at) VALUES ($1, $2, $3, 100, $4, now())', [randomUUID(), sku, `Bench ${n}`, job.categoryId]);
      commits.push([sku, now()]);
      committed++;
    });
    const cpu = process.cpuUsage(cpuBefore);
    clearInterval(flush);
    if (commits.length > 0) await send({ kind: 'commits', commits });
    await send({ kind: 'done', committed, elapsedS, cpuS: (cpu.user + cpu.system) / 1e6 });
  })();
});
