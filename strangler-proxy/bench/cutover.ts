// npm run bench:cutover — the fenced cutover under load (ADR-0025), against a running `npm start`:
// with BENCH_WRITES_PER_S (50) price changes and BENCH_READS_PER_S (200) product reads through the
// stable URL, catalog is flipped new → owned → new BENCH_ROUNDS (5) times. Reports the fence duration
// p50/p99 of every cutover, writes refused (503) and retried, lost writes (the last acknowledged
// price of a product is not what both sides hold at the end), duplicated writes (a write the service
// acknowledged that produced more than one domain event) and the reverse sync's lag p50/p99 (the
// service's event time to the monolith's apply, from both databases). Catalog is left at new.
// Results: bench/results/cutover.json. Options: STRANGLER_URL, STRANGLER_ADMIN_URL,
// STRANGLER_ADMIN_TOKEN, PG_URL (default: npm start's PostgreSQL from .stack/secrets.json).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');
const STABLE = process.env.STRANGLER_URL ?? 'http://127.0.0.1:8080';
const ADMIN = process.env.STRANGLER_ADMIN_URL ?? 'http://127.0.0.1:8081';
const secrets = (): { adminToken: string; postgresPassword: string } => JSON.parse(readFileSync(resolve(ROOT, '.stack/secrets.json'), 'utf8')) as never;
const ADMIN_TOKEN = process.env.STRANGLER_ADMIN_TOKEN ?? secrets().adminToken;
const PG_URL = process.env.PG_URL ?? `postgresql://postgres:${encodeURIComponent(secrets().postgresPassword)}@127.0.0.1:5433`;
const WRITES_PER_S = Number(process.env.BENCH_WRITES_PER_S ?? 50);
const READS_PER_S = Number(process.env.BENCH_READS_PER_S ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const log = (line: string) => console.log(`[bench:cutover] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : null;
};

async function admin(path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${ADMIN}/api${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const answer = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer;
}

/** A flip, retried (up to a minute) while the lag gate or the health check refuses it on a loaded machine; those waits are not fenced. */
async function flip(stage: string, percentage?: number) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return (await admin('/domains/catalog/flip', { stage, ...(percentage === undefined ? {} : { percentage }), reason: 'bench:cutover' })) as { cutover?: { fenceMs: number } };
    } catch (err) {
      if (!/lag_too_high|target_unhealthy/.test(String(err)) || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
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
  const writer = paced(WRITES_PER_S, async () => {
    const id = ids[writes++ % ids.length]!;
    const value = price++;
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${STABLE}/api/products/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ priceCents: value }) });
      await res.arrayBuffer();
      if (res.ok) {
        // One product is written every ids.length / WRITES_PER_S seconds: its writes do not overlap.
        acknowledged.set(id, { price: value, at: performance.now() });
        if (res.headers.get('x-served-by') === 'catalog-service') byService.set(id, (byService.get(id) ?? 0) + 1);
        return;
      }
      if (res.status !== 503 || attempt >= 5) {
        failed++;
        return;
      }
      retried++;
      await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
    }
  });
  const reader = paced(READS_PER_S, async () => {
    reads++;
    const res = await fetch(`${STABLE}/api/products/${ids[reads % ids.length]}`);
    await res.arrayBuffer();
    if (!res.ok) readFailures++;
  });

  const fences: number[] = [];
  await sleep(3000);
  for (let round = 1; round <= ROUNDS; round++) {
    const to = await flip('owned');
    fences.push(to.cutover!.fenceMs);
    await sleep(3000);
    const back = await flip('new');
    fences.push(back.cutover!.fenceMs);
    log(`round ${round}: fence to owned ${to.cutover!.fenceMs} ms, back ${back.cutover!.fenceMs} ms`);
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
  await monolith.end();
  await service.end();

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model },
    load: { writesPerSecond: WRITES_PER_S, readsPerSecond: READS_PER_S, writes, reads, products: ids.length },
    cutovers: fences.length,
    fenceMs: { p50: percentile(fences, 50), p99: percentile(fences, 99), max: Math.max(...fences), all: fences },
    writes: { acknowledged: writes - failed, servedByService: [...byService.values()].reduce((a, b) => a + b, 0), retried, failed },
    readFailures,
    lostWrites: lost,
    duplicatedWrites: duplicated,
    reverseSyncLagMs: { events: lags.length, p50: percentile(lags, 50), p99: percentile(lags, 99) },
  };
  mkdirSync(resolve(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(resolve(ROOT, 'bench/results/cutover.json'), `${JSON.stringify(result, null, 2)}\n`);
  log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  console.error(`[bench:cutover] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
