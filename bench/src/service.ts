// `npm run bench:service`: the catalog's hot reads, the monolith against catalog-service (its read
// model, with its cache on and off), on the same seeded data (2,000 products) in one PostgreSQL,
// with the same load generator (wrk, a C program: cheap next to what it measures on two cores).
// For each route: throughput at saturation (16 connections), then latency at a fixed rate near the
// monolith's saturation (90 % of its throughput), for each side; and each server's CPU per request.
// Results: bench/results/service.json and service.md.
// Each server is warmed up on each route first (a third of BENCH_SECONDS, not recorded).
// Options: BENCH_SECONDS (15 per run), BENCH_CONNECTIONS (16), BENCH_RATE_SHARE (0.9), WRK_PATH,
// BENCH_BASELINE_ROOT (the root of another built checkout: its monolith and catalog service are
// measured beside these, route by route, on the same database, each service against its own
// monolith: before and after a change, in one run).
// The floor: a bare node:http server answering each route with fixed bytes (the monolith's answer),
// measured the same way on every route (bench/src/bare-process.ts): what this machine and wrk give
// any Node server, shown beside the others.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { applyMigrations as applyServiceMigrations } from '@strangler/catalog-service/migrate';
import { PgProjectionStore } from '@strangler/catalog-service/projection';
import { applyMigrations } from '@strangler/legacy-monolith/migrate';
import { seedDatabase } from '@strangler/legacy-monolith/seed';
import { generateTokenKeyPair } from '@strangler/platform';
import { ensureDatabase, startPostgres } from '@strangler/stack';
import pg from 'pg';
import { freePort, RESULTS, ROOT } from './bench-stack.js';

const STATE = join(ROOT, '.stack', 'bench-service');
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const rateShare = Number(process.env.BENCH_RATE_SHARE ?? 0.9);
const WRK = process.env.WRK_PATH ?? 'wrk';
const baselineRoot = process.env.BENCH_BASELINE_ROOT;
const log = (line: string) => console.log(`[bench:service] ${line}`);

// wrk's script: a fixed rate per connection (BENCH_RATE in total, 0 = as fast as it can), and the
// summary as one JSON line. The pause between requests is not counted in the latency.
const WRK_SCRIPT = `
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local conns = tonumber(os.getenv("BENCH_CONNS") or "1")
function delay()
  if rate > 0 then return conns * 1000 / rate end
  return 0
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nRESULT {"requests":%d,"durationUs":%d,"errors":%d,"non2xx":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;

interface Run {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  non2xx: number;
  /** The server process's CPU time per request (user + system). */
  cpuUsPerRequest: number;
}

interface Side {
  saturation: Run;
  fixedRate: Run;
}

/** A checkout's monolith and catalog service on one route. */
interface Measured {
  monolith: Side;
  on?: Side;
  off?: Side;
  /** The monolith's fixed rate. */
  rate: number;
  same: boolean;
}

interface Sides {
  fixedRate: number;
  sameAnswer: boolean;
  monolith: Side;
  serviceCacheOn: Side;
  serviceCacheOff: Side;
}

interface Route extends Sides {
  route: string;
  path: string;
  /** A bare node:http server answering this path with fixed bytes, at the same fixed rate: the floor. */
  bare: Side;
  /** The same route measured on the checkout of BENCH_BASELINE_ROOT. */
  baseline?: Sides;
}

/** user + system CPU time of a process, in microseconds (Linux /proc; clock ticks of 10 ms). */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Warms a server up (JIT, connection pools) with a short unrecorded run. */
async function warmUp(url: string, pid: number): Promise<void> {
  await wrk(url, pid, 0, Math.max(1, Math.round(seconds / 3)));
}

async function wrk(url: string, pid: number, rate: number, runSeconds = seconds): Promise<Run> {
  const before = cpuUs(pid);
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(WRK, ['-t1', `-c${connections}`, `-d${runSeconds}s`, '-s', join(STATE, 'wrk.lua'), url], {
      env: { ...process.env, BENCH_RATE: String(rate), BENCH_CONNS: String(connections) },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
  const cpu = cpuUs(pid) - before;
  const line = output.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`wrk printed no result: ${output}`);
  const r = JSON.parse(line.slice('RESULT '.length)) as { requests: number; durationUs: number; errors: number; non2xx: number; p50Us: number; p99Us: number; maxUs: number };
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    requestsPerSecond: Math.round(r.requests / (r.durationUs / 1e6)),
    p50Ms: ms(r.p50Us),
    p99Ms: ms(r.p99Us),
    maxMs: ms(r.maxUs),
    errors: r.errors,
    non2xx: r.non2xx,
    cpuUsPerRequest: r.requests ? Math.round(cpu / r.requests) : NaN,
  };
}

function startProcess(name: string, script: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
  child.stdout!.resume();
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`${name} exited ${code}: ${errors}`)));
    const url = `http://${env.HOST}:${env.PORT}`;
    const deadline = Date.now() + 60_000;
    const probe = async () => {
      try {
        const res = await fetch(`${url}/healthz`);
        if (res.ok) return resolve({ child, url });
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) reject(new Error(`${name} did not answer /healthz within 60 s: ${errors}`));
      else setTimeout(probe, 200);
    };
    void probe();
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** The service's database as its CDC projection would build it: the monolith's rows through PgProjectionStore. */
async function fillServiceDatabase(monolithUrl: string, serviceUrl: string): Promise<void> {
  const monolith = new pg.Client({ connectionString: monolithUrl });
  const service = new pg.Pool({ connectionString: serviceUrl, max: 2 });
  await monolith.connect();
  try {
    const categories = (await monolith.query('SELECT id, slug, name, description, created_at, updated_at FROM categories')).rows;
    const products = (await monolith.query('SELECT id, sku, name, description, price_cents, currency, category_id, active, created_at, updated_at FROM products')).rows;
    const lsn = 1n;
    await new PgProjectionStore(service).apply(
      [
        ...categories.map((r) => ({ table: 'categories' as const, lsn, deleted: false, row: { id: r.id, slug: r.slug, name: r.name, description: r.description, createdAt: r.created_at, updatedAt: r.updated_at } })),
        ...products.map((r) => ({
          table: 'products' as const,
          lsn,
          deleted: false,
          row: { id: r.id, sku: r.sku, name: r.name, description: r.description, priceCents: r.price_cents, currency: r.currency, categoryId: r.category_id, active: r.active, createdAt: r.created_at, updatedAt: r.updated_at },
        })),
      ],
      { topic: 'bench.fill', partition: 0, offset: '0', lsn, committedAt: new Date() },
    );
  } finally {
    await monolith.end();
    await service.end();
  }
}

async function main(): Promise<void> {
  rmSync(STATE, { recursive: true, force: true });
  mkdirSync(join(STATE, 'logs'), { recursive: true });
  writeFileSync(join(STATE, 'wrk.lua'), WRK_SCRIPT);
  const load = loadavg()[0]!;
  if (load >= 4) log(`load average ${load.toFixed(1)}: the machine is busy, these figures are not comparable with an idle run`);
  const postgres = await startPostgres({ dataDir: join(STATE, 'postgres'), port: await freePort(), password: randomBytes(18).toString('hex'), logFile: join(STATE, 'logs', 'postgres.log') });
  const running: ChildProcess[] = [];
  const routes: Route[] = [];
  try {
    await ensureDatabase(postgres.url('postgres'), 'monolith');
    await ensureDatabase(postgres.url('postgres'), 'catalog_service');
    await applyMigrations(postgres.url('monolith'));
    const seeded = await seedDatabase(postgres.url('monolith'));
    await applyServiceMigrations(postgres.url('catalog_service'));
    await fillServiceDatabase(postgres.url('monolith'), postgres.url('catalog_service'));
    log(`seeded: ${JSON.stringify(seeded)}`);

    const keys = generateTokenKeyPair();
    const common = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_POOL_SIZE: '10' };
    // Every process of every checkout is started first; then each route is measured on each side in
    // turn, the checkouts interleaved, so that a burst of load elsewhere hits both alike.
    const checkouts = [{ root: ROOT, label: '' }, ...(baselineRoot ? [{ root: baselineRoot, label: ' (baseline)' }] : [])];
    const started = [];
    for (const { root, label } of checkouts) {
      const monolith = await startProcess(`legacy-monolith${label}`, join(root, 'legacy-monolith/dist/server.js'), {
        ...common,
        PORT: String(await freePort()),
        DATABASE_URL: postgres.url('monolith'),
        JWT_PRIVATE_KEY: keys.privateKey,
      });
      running.push(monolith.child);
      const services = { on: monolith, off: monolith };
      for (const cache of ['on', 'off'] as const) {
        services[cache] = await startProcess(`catalog-service${label} (cache ${cache})`, join(root, 'bench/dist/service-process.js'), {
          ...common,
          PORT: String(await freePort()),
          DATABASE_URL: postgres.url('catalog_service'),
          MIGRATE_ON_START: 'false',
          CATALOG_CACHE: cache,
        });
        running.push(services[cache].child);
      }
      started.push({ label, monolith, services, measured: new Map<string, Measured>() });
    }
    const first = (await (await fetch(`${started[0]!.monolith.url}/api/products?limit=1`)).json()) as { items: { id: string }[] };
    const paths = [
      { route: 'GET /api/products?limit=20', path: '/api/products?limit=20' },
      { route: 'GET /api/products/:id', path: `/api/products/${first.items[0]!.id}` },
      { route: 'GET /api/categories', path: '/api/categories' },
    ];
    const bodies: Record<string, string> = {};
    for (const { path } of paths) bodies[path] = await (await fetch(`${started[0]!.monolith.url}${path}`)).text();
    writeFileSync(join(STATE, 'bare-bodies.json'), JSON.stringify(bodies));
    const bare = await startProcess('bare node:http', join(ROOT, 'bench/dist/bare-process.js'), { HOST: common.HOST, PORT: String(await freePort()), BENCH_BARE_BODIES: join(STATE, 'bare-bodies.json') });
    running.push(bare.child);
    const floors = new Map<string, Side>();
    for (const { route, path } of paths) {
      for (const { label, monolith, measured } of started) {
        await warmUp(`${monolith.url}${path}`, monolith.child.pid!);
        const saturation = await wrk(`${monolith.url}${path}`, monolith.child.pid!, 0);
        const rate = Math.max(1, Math.round(saturation.requestsPerSecond * rateShare));
        const fixedRate = await wrk(`${monolith.url}${path}`, monolith.child.pid!, rate);
        log(`monolith${label} ${route}: ${saturation.requestsPerSecond} req/s at saturation; at ${rate} req/s p50 ${fixedRate.p50Ms} ms, p99 ${fixedRate.p99Ms} ms`);
        measured.set(route, { monolith: { saturation, fixedRate }, rate, same: true });
      }
      {
        const rate = started[0]!.measured.get(route)!.rate;
        await warmUp(`${bare.url}${path}`, bare.child.pid!);
        const saturation = await wrk(`${bare.url}${path}`, bare.child.pid!, 0);
        const fixedRate = await wrk(`${bare.url}${path}`, bare.child.pid!, rate);
        log(`bare node:http ${route}: ${saturation.requestsPerSecond} req/s at saturation; at ${rate} req/s p50 ${fixedRate.p50Ms} ms, p99 ${fixedRate.p99Ms} ms`);
        floors.set(route, { saturation, fixedRate });
      }
      for (const cache of ['on', 'off'] as const) {
        for (const { label, monolith, services, measured } of started) {
          const service = services[cache];
          const [a, b] = await Promise.all([fetch(`${monolith.url}${path}`).then((r) => r.text()), fetch(`${service.url}${path}`).then((r) => r.text())]);
          const entry = measured.get(route)!;
          await warmUp(`${service.url}${path}`, service.child.pid!);
          const saturation = await wrk(`${service.url}${path}`, service.child.pid!, 0);
          const fixedRate = await wrk(`${service.url}${path}`, service.child.pid!, entry.rate);
          log(`catalog-service${label} (cache ${cache}) ${route}: ${saturation.requestsPerSecond} req/s at saturation; at ${entry.rate} req/s p50 ${fixedRate.p50Ms} ms, p99 ${fixedRate.p99Ms} ms`);
          entry[cache] = { saturation, fixedRate };
          entry.same &&= a === b;
        }
      }
    }
    const current = started[0]!.measured;
    const before = started[1]?.measured;
    const sides = (m: Measured) => ({ fixedRate: m.rate, monolith: m.monolith, serviceCacheOn: m.on!, serviceCacheOff: m.off!, sameAnswer: m.same });
    for (const { route, path } of paths) {
      const b = before?.get(route);
      routes.push({ route, path, bare: floors.get(route)!, ...sides(current.get(route)!), ...(b ? { baseline: sides(b) } : {}) });
    }
  } finally {
    for (const child of running) await stopProcess(child).catch(() => undefined);
    await postgres.stop();
    rmSync(STATE, { recursive: true, force: true });
  }

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverageAtStart: Math.round(load * 10) / 10 },
    settings: { seconds, connections, rateShare, loadGenerator: 'wrk 4 (Debian), 1 thread', logLevel: 'warn', databasePoolSize: 10, products: 2000 },
    routes,
  };
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'service.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'service.md'), markdown(result));
  log(`written ${join(RESULTS, 'service.json')} and service.md`);
}

function markdown(r: { date: string; machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string; loadAverageAtStart: number }; settings: { seconds: number; connections: number; rateShare: number }; routes: Route[] }): string {
  const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(1)}×` : 'n/a');
  const rowsOf = (route: string, x: Sides, label: string, floor?: Side) =>
    (
      [
        [`monolith${label}`, x.monolith],
        [`catalog-service${label}, cache on`, x.serviceCacheOn],
        [`catalog-service${label}, cache off`, x.serviceCacheOff],
        ...(floor ? ([['bare node:http, fixed JSON (the floor)', floor]] as const) : []),
      ] as const
    ).map(
      ([who, s]) =>
        `| ${route} | ${who} | ${s.saturation.requestsPerSecond} (${ratio(s.saturation.requestsPerSecond, x.monolith.saturation.requestsPerSecond)}) | ${s.saturation.cpuUsPerRequest} | ${x.fixedRate} | ${s.fixedRate.requestsPerSecond} | ${s.fixedRate.p50Ms} | ${s.fixedRate.p99Ms} (${ratio(s.fixedRate.p99Ms, x.monolith.fixedRate.p99Ms)}) | ${s.saturation.errors + s.saturation.non2xx + s.fixedRate.errors + s.fixedRate.non2xx} |`,
    );
  const rows = r.routes.flatMap((x) => [...rowsOf(x.route, x, '', x.bare), ...(x.baseline ? rowsOf(x.route, x.baseline, ' (baseline)') : [])]);
  const baseline = r.routes.some((x) => x.baseline) ? [`Baseline: the rows marked (baseline) are another checkout (\`BENCH_BASELINE_ROOT\`), measured in turn with the others route by route; their ratios are against the baseline's own monolith.`] : [];
  return [
    '# Service benchmark: the catalog reads, monolith against catalog-service',
    '',
    `Run \`npm run bench:service\` (${r.date}, ${r.machine.cpus} cores ${r.machine.cpuModel ?? ''}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; load average ${r.machine.loadAverageAtStart} at the start${r.machine.loadAverageAtStart >= 4 ? ': a busy machine, not comparable with an idle run' : ''}).`,
    `Same PostgreSQL 17 (embedded), same data (the seed: 2,000 products, 20 categories); wrk, 1 thread, ${r.settings.connections} connections, ${r.settings.seconds} s per run.`,
    `Saturation: as fast as wrk can. Fixed rate: ${Math.round(r.settings.rateShare * 100)} % of the monolith's saturation throughput on that route, the same rate for every side (paced per connection by wrk's script; the pause is not in the latency).`,
    "The floor: `bare node:http, fixed JSON` is a node:http server with the platform's server options that answers the route's path with the monolith's bytes and does nothing else (bench/src/bare-process.ts), measured like the others at the same fixed rate. Its p99 is what this machine, its scheduler and wrk give any Node server at that rate: a p99 near it is the machine's, not the server's; its ratios are against the monolith.",
    `Same answer: the service's body was byte for byte the monolith's on every route: ${r.routes.every((x) => x.sameAnswer && (x.baseline?.sameAnswer ?? true)) ? 'yes' : 'NO'}.`,
    ...baseline,
    '',
    '| route | server | req/s at saturation (× monolith) | server CPU µs per request | fixed rate req/s | achieved | p50 ms | p99 ms (× monolith) | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

await main();
