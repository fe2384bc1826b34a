// `npm run bench:middleware`: what the platform's per-request middleware costs (request context,
// write log, HTTP metrics, health routes, JSON bodies, the route declaration, the error handling),
// against bare Express, on a trivial route (`GET /bench/trivial` answering `{"ok":true}`).
// Each side is its own process, measured with wrk (16 connections) at saturation: requests per
// second and the server's CPU time per request. The sides take turns, round after round, and the
// median round counts, so that a burst of load elsewhere on the machine hits every side alike.
// Results: bench/results/middleware.json and middleware.md.
// Options: BENCH_SECONDS (5 per run), BENCH_ROUNDS (3), BENCH_CONNECTIONS (16), WRK_PATH,
// BENCH_BASELINE_PLATFORM (the built `platform/dist/index.js` of another checkout, measured as a
// third side: the platform before and after a change, in one run).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type * as Platform from '@strangler/platform';
import express, { Router } from 'express';
import { RESULTS } from './bench-stack.js';

const ROUTE = '/bench/trivial';
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const WRK = process.env.WRK_PATH ?? 'wrk';
const baseline = process.env.BENCH_BASELINE_PLATFORM;

/** The app of one side. `platform` is built with buildServiceApp and a route declared with Api, as every service's are. */
async function buildApp(side: string, platformModule: string | undefined): Promise<express.Express> {
  if (side === 'express') {
    const app = express();
    app.get(ROUTE, (_req, res) => {
      res.json({ ok: true });
    });
    return app;
  }
  const platform = (await import(platformModule ? pathToFileURL(resolve(platformModule)).href : '@strangler/platform')) as typeof Platform;
  const api = new platform.Api();
  const router = Router();
  api.route(router, { method: 'get', path: ROUTE, summary: 'A trivial route', tags: ['bench'], responses: { 200: { description: 'ok' } } }, () => ({ status: 200, body: { ok: true } }));
  return platform.buildServiceApp({
    logger: platform.createLogger('bench-middleware', 'warn'),
    registry: platform.createMetricsRegistry('bench-middleware'),
    api,
    openApi: { title: 'bench', version: '1.0.0' },
    routers: [router],
    readiness: {},
  });
}

/** Child mode: serve one side on a free port and print the port. */
async function serveSide(side: string, platformModule: string | undefined): Promise<void> {
  const app = await buildApp(side, platformModule);
  const server = app.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

interface Sample {
  requestsPerSecond: number;
  cpuUsPerRequest: number;
}

function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function wrk(url: string, runSeconds: number): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(WRK, ['-t1', `-c${connections}`, `-d${runSeconds}s`, url]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolveRun(out) : reject(new Error(`wrk exited ${code}: ${out}`))));
  });
}

async function measure(url: string, pid: number): Promise<Sample> {
  const before = cpuUs(pid);
  const out = await wrk(url, seconds);
  const cpu = cpuUs(pid) - before;
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  if (!requests || /Non-2xx|Socket errors/.test(out)) throw new Error(`wrk saw errors or no requests: ${out}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  return { requestsPerSecond: Math.round(rps), cpuUsPerRequest: Math.round(cpu / requests) };
}

function start(side: string, platformModule?: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [process.argv[1]!, 'serve', side, ...(platformModule ? [platformModule] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveStart, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${side} side exited ${code}`)));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    lines.next().then(({ value }) => resolveStart({ child, url: `http://127.0.0.1:${String(value)}${ROUTE}` }), reject);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const load = loadavg()[0]!;
  const sides = [
    { name: 'bare Express', side: 'express', module: undefined },
    { name: 'platform', side: 'platform', module: undefined },
    ...(baseline ? [{ name: `platform (baseline: ${baseline})`, side: 'platform', module: baseline }] : []),
  ];
  const running = await Promise.all(sides.map((s) => start(s.side, s.module)));
  const samples = sides.map(() => [] as Sample[]);
  try {
    for (const { url } of running) await wrk(url, Math.max(1, Math.round(seconds / 2))); // warm-up (JIT)
    for (let round = 0; round < rounds; round++) {
      for (const [i, { url, child }] of running.entries()) {
        const sample = await measure(url, child.pid!);
        samples[i]!.push(sample);
        console.log(`[bench:middleware] round ${round + 1} ${sides[i]!.name}: ${sample.requestsPerSecond} req/s, ${sample.cpuUsPerRequest} µs CPU per request`);
      }
    }
  } finally {
    for (const { child } of running) child.kill('SIGTERM');
  }
  const results = sides.map((s, i) => ({ side: s.name, requestsPerSecond: median(samples[i]!.map((x) => x.requestsPerSecond)), cpuUsPerRequest: median(samples[i]!.map((x) => x.cpuUsPerRequest)), rounds: samples[i]! }));
  const bare = results[0]!;
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadAverageAtStart: Math.round(load * 10) / 10 },
    settings: { route: ROUTE, seconds, rounds, connections, loadGenerator: 'wrk 4 (Debian), 1 thread' },
    results,
  };
  const pct = (x: number, base: number) => `${x >= base ? '+' : ''}${Math.round(((x - base) / base) * 100)} %`;
  const md = [
    '# Middleware benchmark: the platform against bare Express on a trivial route',
    '',
    `Run \`npm run bench:middleware\` (${result.date}, ${result.machine.cpus} cores ${result.machine.cpuModel ?? ''}, Node ${result.machine.node}; load average ${result.machine.loadAverageAtStart} at the start${load >= 4 ? ': a busy machine, not comparable with an idle run' : ''}).`,
    `\`GET ${ROUTE}\` answering \`{"ok":true}\`; wrk, 1 thread, ${connections} connections, ${seconds} s per run, ${rounds} rounds taking turns; the median round.`,
    '',
    '| side | req/s at saturation (× bare) | server CPU µs per request (vs bare) |',
    '|---|---:|---:|',
    ...results.map((r) => `| ${r.side} | ${r.requestsPerSecond} (${(r.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}×) | ${r.cpuUsPerRequest} (${pct(r.cpuUsPerRequest, bare.cpuUsPerRequest)}) |`),
    '',
  ].join('\n');
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'middleware.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'middleware.md'), md);
  console.log(md);
}

if (process.argv[2] === 'serve') await serveSide(process.argv[3]!, process.argv[4]);
else await main();
