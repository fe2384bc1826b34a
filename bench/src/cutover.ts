// npm run bench:cutover — the fenced cutover under load (ADR-0025, ADR-0032), against a running `npm start`:
// with BENCH_WRITES_PER_S (50) price changes and BENCH_READS_PER_S (200) product reads through the
// stable URL, catalog is flipped new → owned → new BENCH_ROUNDS (5) times (a refused cutover is counted and
// tried again), after BENCH_WARMUP_SECONDS (30) of the same load, unrecorded. Reports the fence duration
// (from the raise, when new writes start to wait, to the lift)
// p50/p99 of every cutover with the time of each step, writes refused (503) and retried, lost writes
// (the last acknowledged price of a product is not what both sides hold at the end), duplicated
// writes (a write the service acknowledged that produced more than one domain event), and the
// reverse sync's lag during the rounds. Then, with catalog owned, the reverse sync's lag at
// BENCH_REVERSE_RATES (100,1000) writes/s for BENCH_REVERSE_SECONDS (20) each: catalog-service's own
// write transaction (row and outbox event, PgCatalogStore) → Debezium's outbox router → Kafka → the
// reverse sync applied in the monolith, measured from the event's time in the outbox to its apply in
// the monolith (both databases on this machine's clock), the same path as bench:projection's lag the
// other way. Before it, with catalog at new, the forward projection at the same rates (the monolith's
// own UPDATEs → Debezium → catalog-service); both directions are also read from the same lag histogram
// of the same consumer code, side by side. Catalog is left at new. Results: bench/results/cutover.json and cutover.md.
// Options: STRANGLER_URL, STRANGLER_ADMIN_URL, STRANGLER_ADMIN_TOKEN, PG_URL (default: npm start's
// PostgreSQL from .stack/secrets.json).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { PgCatalogStore } from '@strangler/catalog-service/catalog-store';
import pg from 'pg';
import { percentile as percentileOfSorted, RESULTS, ROOT } from './bench-stack.js';
import { cpuByProcess, cpuShare, stackUpPid } from './cpu-by-part.js';

const STABLE = process.env.STRANGLER_URL ?? 'http://127.0.0.1:8080';
const ADMIN = process.env.STRANGLER_ADMIN_URL ?? 'http://127.0.0.1:8081';
const secrets = (): { adminToken: string; postgresPassword: string } => JSON.parse(readFileSync(resolve(ROOT, '.stack/secrets.json'), 'utf8')) as never;
const ADMIN_TOKEN = process.env.STRANGLER_ADMIN_TOKEN ?? secrets().adminToken;
const PG_URL = process.env.PG_URL ?? `postgresql://postgres:${encodeURIComponent(secrets().postgresPassword)}@127.0.0.1:5433`;
const WRITES_PER_S = Number(process.env.BENCH_WRITES_PER_S ?? 50);
const READS_PER_S = Number(process.env.BENCH_READS_PER_S ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** The load runs this long before the first cutover, unrecorded (a stack just started is cold: its first seconds are not a cutover's). */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 30);
const REVERSE_RATES = (process.env.BENCH_REVERSE_RATES ?? '100,1000').split(',').map(Number);
const REVERSE_SECONDS = Number(process.env.BENCH_REVERSE_SECONDS ?? 20);
/** How long the stack's CPU at rest is measured, before the runs at fixed rates. */
const IDLE_SECONDS = 10;
const SERVICE_METRICS = process.env.CATALOG_SERVICE_URL ?? 'http://127.0.0.1:4101';
const REVERSE_METRICS = process.env.REVERSE_SYNC_URL ?? 'http://127.0.0.1:4102';
const log = (line: string) => console.log(`[bench:cutover] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (values: number[], p: number) => (values.length ? percentileOfSorted([...values].sort((a, b) => a - b), p) : null);
const round = (ms: number | null) => (ms === null ? null : Math.round(ms));

/**
 * The load's requests through the stable URL, on node:http with kept-alive connections: on two cores
 * the load generator competes with what it measures, and Node's fetch costs it several times the CPU.
 */
// A kept-alive socket idle for 4 s is closed here first, before the server's keep-alive timeout (5 s) can.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 });
function send(method: string, url: string, headers: Record<string, string> = {}, body?: string, retry = true): Promise<{ status: number; header(name: string): string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, header: (name) => [res.headers[name]].flat()[0] }));
      res.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server closed a kept-alive socket as this request went out on it: nothing was read, send it again (once).
      if (retry && req.reusedSocket && err.code === 'ECONNRESET') send(method, url, headers, body, false).then(resolve, reject);
      else reject(err);
    });
    req.end(body);
  });
}

async function admin(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${ADMIN}/api${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const answer = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** Cutovers refused (everything put back, e.g. writes in flight that did not drain in time), each with its step. */
const refusals: string[] = [];

/**
 * A flip, retried (up to a minute) while the lag gate or the health check refuses it on a loaded
 * machine (those waits are not fenced), or while a cutover is refused and put back (counted: a
 * refused cutover fenced the writes for as long as it ran).
 */
async function flip(stage: string, percentage?: number) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return (await admin('/domains/catalog/flip', { stage, ...(percentage === undefined ? {} : { percentage }), reason: 'bench:cutover' })) as { cutover?: { fenceMs: number; steps: { step: string; ms: number }[] } };
    } catch (err) {
      const refused = /cutover_refused/.test(String(err));
      if (refused) refusals.push(/failed at step \\"([^"\\]+)/.exec(String(err))?.[1] ?? String(err));
      if (!(refused || /lag_too_high|target_unhealthy|no healthy instance/.test(String(err))) || Date.now() > deadline) throw err;
      log(`flip to ${stage} refused, trying again: ${String(err).slice(0, 300)}`);
      await sleep(500);
    }
  }
}

/** Calls `write(n)` `rate` times a second for `seconds` s (at most `maxInFlight` outstanding) and waits for the last one. */
async function pacedFor(rate: number, seconds: number, write: (n: number) => Promise<void>, maxInFlight = 64): Promise<{ issued: number; elapsedS: number }> {
  let issued = 0;
  let inFlight = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    while (issued < due && inFlight < maxInFlight) {
      inFlight++;
      void write(issued++)
        .catch(() => undefined)
        .finally(() => inFlight--);
    }
    await sleep(5);
  }
  const elapsedS = (performance.now() - start) / 1000;
  while (inFlight > 0) await sleep(10);
  return { issued, elapsedS };
}

/** Runs `task` `perSecond` times a second (each on its own, not waiting for the previous) until stopped. */
function paced(perSecond: number, task: () => Promise<void>) {
  let running = true;
  const inFlight = new Set<Promise<void>>();
  const done = (async () => {
    const started = performance.now();
    for (let n = 0; running; n++) {
      const due = started + (n * 1000) / perSecond;
      // Always yield: a loop behind schedule must not starve the answers it waits for.
      await sleep(Math.max(0, due - performance.now()));
      // At most 2 s of requests in flight: past that the machine cannot keep the rate, and more would only queue.
      if (inFlight.size >= perSecond * 2) continue;
      const p = task().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  })();
  return { stop: async () => ((running = false), await done) };
}

async function main(): Promise<void> {
  const login = await fetch(`${STABLE}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.com', password: 'admin-demo-password' }) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const { domains } = (await admin('/domains')) as { domains: { domain: string; stage: string }[] };
  const at = domains.find((d) => d.domain === 'catalog')!.stage;
  const path = ['legacy', 'shadow', 'canary', 'new'];
  if (at === 'owned') await flip('new');
  else for (const stage of path.slice(path.indexOf(at) + 1)) await flip(stage, stage === 'canary' ? 100 : undefined);
  const { items } = (await (await fetch(`${STABLE}/api/products?limit=100&sort=name`)).json()) as { items: { id: string }[] };
  const ids = items.map((p) => p.id);
  const monolith = new pg.Pool({ connectionString: `${PG_URL}/monolith`, max: 2 });
  const service = new pg.Pool({ connectionString: `${PG_URL}/catalog_service`, max: 2 });
  const startedAt = new Date();

  let price = 100_000 + Math.floor(Math.random() * 1_000_000);
  const acknowledged = new Map<string, { price: number; at: number }>();
  const byService = new Map<string, number>();
  let writes = 0;
  let retried = 0;
  let failed = 0;
  let readFailures = 0;
  let reads = 0;
  /** Each acknowledged write's time from its first attempt to its acknowledgement (retries included), ms. */
  const writeMs: number[] = [];
  const writer = paced(WRITES_PER_S, async () => {
    const id = ids[writes++ % ids.length]!;
    const value = price++;
    const began = performance.now();
    for (let attempt = 0; ; attempt++) {
      // A connection error is a failed write (counted), not the end of the benchmark.
      const res = await send('PATCH', `${STABLE}/api/products/${id}`, { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, JSON.stringify({ priceCents: value })).catch(() => ({ status: 0, header: () => undefined }));
      if (res.status >= 200 && res.status < 300) {
        // One product is written every ids.length / WRITES_PER_S seconds: its writes do not overlap.
        acknowledged.set(id, { price: value, at: performance.now() });
        writeMs.push(performance.now() - began);
        if (res.header('x-served-by') === 'catalog-service') byService.set(id, (byService.get(id) ?? 0) + 1);
        return;
      }
      if (res.status !== 503 || attempt >= 5) {
        failed++;
        return;
      }
      retried++;
      await sleep(Number(res.header('retry-after') ?? 1) * 1000);
    }
  });
  const reader = paced(READS_PER_S, async () => {
    reads++;
    const res = await send('GET', `${STABLE}/api/products/${ids[reads % ids.length]}`).catch(() => ({ status: 0 }));
    if (res.status !== 200) readFailures++;
  });

  const fences: number[] = [];
  const stepTimes = new Map<string, number[]>();
  const record = (direction: string, cutover: { fenceMs: number; steps: { step: string; ms: number }[] }) => {
    fences.push(cutover.fenceMs);
    for (const s of cutover.steps) stepTimes.set(`${direction}: ${s.step}`, [...(stepTimes.get(`${direction}: ${s.step}`) ?? []), s.ms]);
  };
  const describe = (c: { fenceMs: number; steps: { step: string; ms: number }[] }) => `${c.fenceMs} ms (${c.steps.map((s) => `${s.step} ${s.ms}`).join(', ')})`;
  await sleep(WARMUP_SECONDS * 1000);
  // The warm-up's writes still count for lost and duplicated writes; their times are not recorded.
  writeMs.length = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const to = await flip('owned');
    record('to owned', to.cutover!);
    await sleep(3000);
    const back = await flip('new');
    record('to new', back.cutover!);
    log(`round ${round}: fence to owned ${describe(to.cutover!)}; back ${describe(back.cutover!)}`);
    await sleep(3000);
  }
  await writer.stop();
  await reader.stop();

  // Lost: a product whose last acknowledged price is not what both sides hold once settled.
  await sleep(5000);
  const [m, s] = await Promise.all([
    monolith.query<{ id: string; price_cents: number }>('SELECT id, price_cents FROM products WHERE id = ANY($1::uuid[])', [ids]),
    service.query<{ id: string; price_cents: number }>('SELECT id, price_cents FROM products WHERE id = ANY($1::uuid[])', [ids]),
  ]);
  const mp = new Map(m.rows.map((r) => [r.id, r.price_cents]));
  const sp = new Map(s.rows.map((r) => [r.id, r.price_cents]));
  const lost = ids.filter((id) => acknowledged.has(id) && (mp.get(id) !== acknowledged.get(id)!.price || sp.get(id) !== acknowledged.get(id)!.price)).length;
  const events = await service.query<{ aggregate_id: string; n: string; eids: string[]; occurred: Date[] }>(
    'SELECT aggregate_id, count(*)::text AS n, array_agg(id::text) AS eids, array_agg(occurred_at) AS occurred FROM outbox_events WHERE aggregate_id = ANY($1::text[]) AND occurred_at >= $2 GROUP BY aggregate_id',
    [ids, startedAt],
  );
  const duplicated = events.rows.reduce((n, r) => n + Math.max(0, Number(r.n) - (byService.get(r.aggregate_id) ?? 0)), 0);
  const occurred = new Map(events.rows.flatMap((r) => r.eids.map((e, i) => [e, r.occurred[i]!.getTime()] as const)));
  const applied = await monolith.query<{ event_id: string; processed_at: Date }>("SELECT event_id::text, processed_at FROM strangler_reverse_sync.processed_events WHERE event_id = ANY($1::uuid[]) AND outcome = 'applied'", [[...occurred.keys()]]);
  const lags = applied.rows.map((r) => r.processed_at.getTime() - occurred.get(r.event_id)!);

  // The forward projection's lag at the same fixed rates, catalog at new: the monolith's own writes
  // (an UPDATE of the row in its database) → Debezium → Kafka → catalog-service's projection. Measured
  // by the same histogram, of the same consumer code, as the reverse sync's below (source commit → applied).
  // Connections kept for the whole run (no idle timeout): a backend that ends hands its CPU to the
  // server's own count, and the table of CPU by part below would lose where it went.
  const monolithWriters = new pg.Pool({ connectionString: `${PG_URL}/monolith`, max: 16, idleTimeoutMillis: 0 });
  // The stack's CPU at rest first, no write made: the fixed cost the runs below include.
  const idleWatch = cpuWatch();
  await sleep(IDLE_SECONDS * 1000);
  const idleCpu = idleWatch.end(IDLE_SECONDS);
  const forwardRuns = [];
  for (const rate of REVERSE_RATES) {
    const before = await lagHistogram(SERVICE_METRICS, 'cdc_projection_lag_seconds');
    let committed = 0;
    const last = new Map<string, number>();
    const cpu = cpuWatch();
    const run = await pacedFor(rate, REVERSE_SECONDS, async (n) => {
      const id = ids[n % ids.length]!;
      const value = price++;
      await monolithWriters.query('UPDATE products SET price_cents = $2, updated_at = now() WHERE id = $1', [id, value]);
      committed++;
      last.set(id, Math.max(last.get(id) ?? 0, value));
    });
    const cpuShares = cpu.end(run.elapsedS);
    await settled(service, last, 60_000);
    const lag = histogramDelta(before, await lagHistogram(SERVICE_METRICS, 'cdc_projection_lag_seconds'));
    forwardRuns.push({ targetRate: rate, achievedRate: Math.round(committed / run.elapsedS), events: lag.count, p50Ms: lag.quantile(0.5), p99Ms: lag.quantile(0.99), cpu: cpuShares });
    log(`forward projection at ${rate} writes/s: ${JSON.stringify(forwardRuns.at(-1))}`);
  }
  await monolithWriters.end();

  // The reverse sync's lag at fixed rates, catalog owned: the service's own write transaction.
  await flip('owned');
  // A pool of its own for the writer: on the 2 connections above it stopped near 200 writes/s.
  const writers = new pg.Pool({ connectionString: `${PG_URL}/catalog_service`, max: 16, idleTimeoutMillis: 0 });
  const store = new PgCatalogStore(writers);
  const reverseRuns = [];
  for (const rate of REVERSE_RATES) {
    const from = new Date();
    const before = await lagHistogram(REVERSE_METRICS, 'reverse_sync_lag_seconds');
    let committed = 0;
    const cpu = cpuWatch();
    const run = await pacedFor(rate, REVERSE_SECONDS, async (n) => {
      if ((await store.updateProduct(ids[n % ids.length]!, { priceCents: price++ })) !== undefined) committed++;
    });
    const cpuShares = cpu.end(run.elapsedS);
    const phase = await eventIds(service, from);
    const lagsAt = await reverseLags(monolith, phase, 60_000);
    const lag = histogramDelta(before, await lagHistogram(REVERSE_METRICS, 'reverse_sync_lag_seconds'));
    reverseRuns.push({
      targetRate: rate,
      achievedRate: Math.round(committed / run.elapsedS),
      events: phase.size,
      applied: lagsAt.length,
      p50Ms: percentile(lagsAt, 50),
      p99Ms: percentile(lagsAt, 99),
      maxMs: lagsAt.length ? Math.max(...lagsAt) : null,
      histogram: { events: lag.count, p50Ms: lag.quantile(0.5), p99Ms: lag.quantile(0.99) },
      cpu: cpuShares,
    });
    log(`reverse sync at ${rate} writes/s: ${JSON.stringify(reverseRuns.at(-1))}`);
  }
  await flip('new');
  await writers.end();
  await monolith.end();
  await service.end();

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadAverage: loadavg().map((l) => Math.round(l * 100) / 100) },
    load: { writesPerSecond: WRITES_PER_S, readsPerSecond: READS_PER_S, warmupSeconds: WARMUP_SECONDS, writes, reads, products: ids.length },
    cutovers: fences.length,
    fenceMs: { p50: percentile(fences, 50), p99: percentile(fences, 99), max: Math.max(...fences), all: fences },
    refusedCutovers: refusals,
    writeMs: { p50: round(percentile(writeMs, 50)), p99: round(percentile(writeMs, 99)), max: round(Math.max(...writeMs)) },
    writes: { acknowledged: writes - failed, servedByService: [...byService.values()].reduce((a, b) => a + b, 0), retried, failed },
    readFailures,
    lostWrites: lost,
    duplicatedWrites: duplicated,
    stepMs: Object.fromEntries([...stepTimes].map(([step, ms]) => [step, { p50: percentile(ms, 50), max: Math.max(...ms) }])),
    reverseSyncLagMs: { events: lags.length, p50: percentile(lags, 50), p99: percentile(lags, 99) },
    reverseSyncAtRate: reverseRuns,
    forwardProjectionAtRate: forwardRuns,
    idleCpu,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'cutover.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'cutover.md'), markdown(result));
  log(JSON.stringify(result));
}

/**
 * The CPU each part of the stack (PostgreSQL per database) and this benchmark (the writer) use during a
 * run, as % of one core: where a direction's writes cost the machine. Live processes only (a process
 * that ends during the run takes its CPU with it). Empty when no `stack up` runs here.
 */
function cpuWatch(): { end(seconds: number): Record<string, number> } {
  const root = stackUpPid();
  const before = root === undefined ? new Map() : cpuByProcess(root, { byDatabase: true, ended: false });
  const own = process.cpuUsage();
  return {
    end(seconds) {
      if (root === undefined) return {};
      const used = process.cpuUsage(own);
      const shares = cpuShare(before, cpuByProcess(root, { byDatabase: true, ended: false }), seconds);
      return { ...shares, 'bench:cutover (the writer)': Math.round(((used.user + used.system) / 1e6 / seconds) * 100) };
    },
  };
}

/** One histogram of a service's `/metrics` (summed over its labels): cumulative counts per upper bound, in seconds. */
async function lagHistogram(base: string, name: string): Promise<Map<number, number>> {
  const text = await (await fetch(new URL('/metrics', base))).text();
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (!le) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return buckets;
}

/**
 * The observations between two scrapes of a histogram, and their quantiles estimated as Prometheus's
 * histogram_quantile does (linear within the bucket), in ms: bounded by the buckets' resolution.
 */
function histogramDelta(before: Map<number, number>, after: Map<number, number>) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const cumulative = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const count = cumulative.at(-1) ?? 0;
  const quantile = (q: number): number | null => {
    if (count === 0) return null;
    const rank = q * count;
    const i = cumulative.findIndex((c) => c >= rank);
    const upper = bounds[i]!;
    const lower = i === 0 ? 0 : bounds[i - 1]!;
    if (!Number.isFinite(upper)) return Math.round(lower * 1000);
    const below = i === 0 ? 0 : cumulative[i - 1]!;
    const inBucket = cumulative[i]! - below;
    return Math.round((lower + (upper - lower) * (inBucket === 0 ? 1 : (rank - below) / inBucket)) * 1000);
  };
  return { count, quantile };
}

/** Waits (up to `timeoutMs`) until the service's projection holds the last price written of each product. */
async function settled(service: pg.Pool, last: Map<string, number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await service.query<{ id: string; price_cents: number }>('SELECT id, price_cents FROM products WHERE id = ANY($1::uuid[])', [[...last.keys()]]);
    if (rows.every((r) => r.price_cents === last.get(r.id)) || Date.now() > deadline) return;
    await sleep(200);
  }
}

/** The outbox events catalog-service wrote since `from`: id → event time (ms). */
async function eventIds(service: pg.Pool, from: Date): Promise<Map<string, number>> {
  const { rows } = await service.query<{ id: string; occurred_at: Date }>('SELECT id::text, occurred_at FROM outbox_events WHERE occurred_at >= $1', [from]);
  return new Map(rows.map((r) => [r.id, r.occurred_at.getTime()]));
}

/** Waits (up to `timeoutMs`) until the reverse sync has applied every event, and returns each event's lag, ms. */
async function reverseLags(monolith: pg.Pool, events: Map<string, number>, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await monolith.query<{ event_id: string; processed_at: Date }>('SELECT event_id::text, processed_at FROM strangler_reverse_sync.processed_events WHERE event_id = ANY($1::uuid[])', [[...events.keys()]]);
    if (rows.length >= events.size || Date.now() > deadline) return rows.map((r) => r.processed_at.getTime() - events.get(r.event_id)!);
    await sleep(500);
  }
}

function markdown(r: {
  date: string;
  machine: { cpus: number; model?: string; loadAverage: number[] };
  load: { writesPerSecond: number; readsPerSecond: number; warmupSeconds: number; writes: number; reads: number };
  cutovers: number;
  fenceMs: { p50: number | null; p99: number | null; max: number };
  refusedCutovers: string[];
  writeMs: { p50: number | null; p99: number | null; max: number | null };
  stepMs: Record<string, { p50: number | null; max: number }>;
  writes: { acknowledged: number; servedByService: number; retried: number; failed: number };
  readFailures: number;
  lostWrites: number;
  duplicatedWrites: number;
  reverseSyncLagMs: { events: number; p50: number | null; p99: number | null };
  reverseSyncAtRate: {
    targetRate: number;
    achievedRate: number;
    events: number;
    applied: number;
    p50Ms: number | null;
    p99Ms: number | null;
    maxMs: number | null;
    histogram: { events: number; p50Ms: number | null; p99Ms: number | null };
    cpu: Record<string, number>;
  }[];
  forwardProjectionAtRate: { targetRate: number; achievedRate: number; events: number; p50Ms: number | null; p99Ms: number | null; cpu: Record<string, number> }[];
  idleCpu: Record<string, number>;
}): string {
  const runs = [
    { name: 'at rest', achieved: 0, cpu: r.idleCpu },
    ...r.forwardProjectionAtRate.map((f) => ({ name: `forward ${f.targetRate}/s`, achieved: f.achievedRate, cpu: f.cpu })),
    ...r.reverseSyncAtRate.map((x) => ({ name: `reverse ${x.targetRate}/s`, achieved: x.achievedRate, cpu: x.cpu })),
  ];
  const parts = [...new Set(runs.flatMap((run) => Object.keys(run.cpu)))].sort((a, b) => Math.max(...runs.map((run) => run.cpu[b] ?? 0)) - Math.max(...runs.map((run) => run.cpu[a] ?? 0)));
  const total = (cpu: Record<string, number>) => Object.values(cpu).reduce((a, b) => a + b, 0);
  return `# bench:cutover, ${r.date.slice(0, 10)}

Machine: ${r.machine.cpus} cores, ${r.machine.model ?? 'unknown CPU'}; load average at the end ${r.machine.loadAverage.join(', ')}.
\`npm run bench:cutover\` against \`npm start\` on the same machine: ${r.load.writesPerSecond} writes/s and
${r.load.readsPerSecond} reads/s through the stable URL while catalog was flipped new → owned → new
${r.cutovers / 2} times (${r.load.writes} writes, ${r.load.reads} reads), after ${r.load.warmupSeconds} s of the same load,
unrecorded (its writes are checked for loss and duplicates with the others).

| | |
| --- | --- |
| cutovers done (refused, put back and tried again) | ${r.cutovers} (${r.refusedCutovers.length}${r.refusedCutovers.length ? `: at ${r.refusedCutovers.map((s) => `"${s}"`).join(', ')}` : ''}) |
| fence p50 / p99 / max (from the raise, when writes start to wait, to the lift) | ${r.fenceMs.p50} / ${r.fenceMs.p99} / ${r.fenceMs.max} ms |
| a write, first attempt → acknowledged, p50 / p99 / max | ${r.writeMs.p50} / ${r.writeMs.p99} / ${r.writeMs.max} ms |
| writes acknowledged (by the service) | ${r.writes.acknowledged} (${r.writes.servedByService}) |
| writes retried after 503 / failed | ${r.writes.retried} / ${r.writes.failed} |
| reads failed | ${r.readFailures} |
| lost writes | ${r.lostWrites} |
| duplicated writes | ${r.duplicatedWrites} |
| reverse-sync lag during the rounds p50 / p99 | ${r.reverseSyncLagMs.p50} / ${r.reverseSyncLagMs.p99} ms (${r.reverseSyncLagMs.events} events) |

Where the fence's time goes (p50 / max per step, ms):

| step | p50 | max |
| --- | ---: | ---: |
${Object.entries(r.stepMs).map(([step, ms]) => `| ${step} | ${ms.p50} | ${ms.max} |`).join('\n')}

The reverse sync's lag, catalog owned, catalog-service's own write transactions at a fixed rate
(event time in the outbox → applied in the monolith):

| target writes/s | achieved | events | applied | p50 ms | p99 ms | max ms |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${r.reverseSyncAtRate.map((x) => `| ${x.targetRate} | ${x.achievedRate} | ${x.events} | ${x.applied} | ${x.p50Ms} | ${x.p99Ms} | ${x.maxMs} |`).join('\n')}

Side by side in this run, the same rates both ways, each measured by the lag histogram of the same
consumer code (\`cdc_projection_lag_seconds\` of catalog-service, \`reverse_sync_lag_seconds\` of the
reverse sync: source commit → applied), quantiles estimated within the histogram's buckets (5, 10, 25,
50, 75, 100, 150, 200, 300, 500 ms ...). Forward: the monolith's own UPDATEs with catalog at new;
reverse: catalog-service's write transactions with catalog owned.

| writes/s | forward achieved | forward events | forward p50 / p99 ms | reverse achieved | reverse events | reverse p50 / p99 ms |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${r.forwardProjectionAtRate
  .map((f, i) => {
    const x = r.reverseSyncAtRate[i];
    return `| ${f.targetRate} | ${f.achievedRate} | ${f.events} | ${f.p50Ms} / ${f.p99Ms} | ${x?.achievedRate ?? ''} | ${x?.histogram.events ?? ''} | ${x ? `${x.histogram.p50Ms} / ${x.histogram.p99Ms}` : ''} |`;
  })
  .join('\n')}

Where each run's CPU went (% of one core while the writes were being made, from /proc; the machine has
${r.machine.cpus} cores, ${r.machine.cpus * 100} % in all), and the stack's at rest (${IDLE_SECONDS} s without writes, catalog at new) before the runs. Forward writes cross one pipeline (the monolith's capture, Kafka,
catalog-service's projection); reverse writes are catalog-service's write transactions (row and outbox
event), the outbox's capture, the reverse sync, and then the monolith's capture of the reverse sync's
own changes, which the paused forward projection reads and passes by.

| part | ${runs.map((run) => run.name).join(' | ')} |
| --- | ${runs.map(() => '---:').join(' | ')} |
${parts.map((part) => `| ${part} | ${runs.map((run) => run.cpu[part] ?? '').join(' | ')} |`).join('\n')}
| **all** | ${runs.map((run) => total(run.cpu)).join(' | ')} |
| CPU per write achieved above rest, ms | ${runs.map((run) => (run.achieved ? (((total(run.cpu) - total(r.idleCpu)) * 10) / run.achieved).toFixed(2) : '')).join(' | ')} |
`;
}

main().catch((err: unknown) => {
  console.error(`[bench:cutover] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
