// npm run bench:proxy — the proxy's cost: the monolith directly vs through the proxy on a legacy
// route vs through the proxy on a route served by a second service, all with the same 1 KB JSON
// answer, at fixed rates and at saturation (autocannon). Plus a microbenchmark of the routing
// decision. Results: bench/results/proxy.json and bench/results/proxy.md at the repository root.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { routingMicrobenchmark } from './routing-micro.js';
import { compareMicrobenchmark } from './compare-micro.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');
// On a busy machine (load average ≥ 4 on its cores) only a short smoke run is made: its figures say
// that the code runs, not what it costs; BENCH_FORCE_FULL=1 runs the full benchmark anyway.
const LOAD = loadavg()[0]!;
const SMOKE = LOAD >= 4 && process.env.BENCH_FORCE_FULL !== '1';
const DURATION = Number(process.env.BENCH_DURATION ?? (SMOKE ? 2 : 10));
const RATES = (process.env.BENCH_RATES ?? (SMOKE ? '1000' : '500,1000,2000')).split(',').map(Number);
const children: ChildProcess[] = [];

function startChild<T>(script: string, args: string[] = [], env: Record<string, string> = {}): Promise<T> {
  const child = spawn(process.execPath, [resolve(HERE, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  children.push(child);
  return new Promise((resolveLine, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => resolveLine(JSON.parse(line) as T));
  });
}

interface Run {
  target: string;
  rate: number | 'saturation';
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  upstreamConnectionsPerRequest?: number;
  /** CPU time of the proxy process during the run, per request (ms). */
  proxyCpuMsPerRequest?: number;
  /** Comparisons finished during the run (shadow route). */
  compared?: number;
}

/** User + system CPU time of a process so far, in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function comparisons(adminUrl: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('strangler_compare_total{'))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function connectionsOpened(adminUrl: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('proxy_upstream_connections_opened_total'));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Session cookie sent by the load generator, as a returning browser would (no Set-Cookie per request). */
const COOKIE = 'strangler_sid=bench-session-0123456789abcdef';

function fire(url: string, connections: number, duration: number, connectionRate: number | undefined, latencies: number[]) {
  const instance = autocannon({ url, connections, duration, pipelining: 1, headers: { cookie: COOKIE }, ...(connectionRate ? { connectionRate } : {}) }) as unknown as Promise<autocannon.Result> &
    NodeJS.EventEmitter;
  // autocannon's own histogram has 1 ms resolution; keep the exact per-response times instead.
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode === 200) latencies.push(responseTime);
  });
  return instance;
}

/**
 * Fixed rate: autocannon's rate limit lets each connection send its per-second quota back to back,
 * so one instance with many connections measures bursts, not a steady rate. Instead, `rate / 100`
 * single-connection instances of 100 req/s each are started evenly spread over one second.
 * Saturation: one instance, 32 connections, no limit.
 */
async function load(target: string, url: string, rate: number | 'saturation', adminUrl?: string, duration = DURATION, pid?: number): Promise<Run> {
  const latencies: number[] = [];
  const before = adminUrl ? await connectionsOpened(adminUrl) : 0;
  const comparedBefore = adminUrl ? await comparisons(adminUrl) : 0;
  const cpuBefore = pid ? cpuMs(pid) : 0;
  let results: autocannon.Result[];
  let connections: number;
  if (rate === 'saturation') {
    connections = 32;
    results = [await fire(url, connections, duration, undefined, latencies)];
  } else {
    connections = Math.max(1, Math.ceil(rate / 100));
    const perConnection = rate / connections;
    results = await Promise.all(
      Array.from({ length: connections }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (i * 1000) / connections));
        return fire(url, 1, duration, perConnection, latencies);
      }),
    );
  }
  // Comparisons finish just after their answers (on the comparison thread): give the last ones a moment, and count their CPU.
  if (adminUrl) await new Promise((r) => setTimeout(r, 200));
  const cpuAfter = pid ? cpuMs(pid) : 0;
  const after = adminUrl ? await connectionsOpened(adminUrl) : 0;
  const comparedAfter = adminUrl ? await comparisons(adminUrl) : 0;
  const sorted = Float64Array.from(latencies).sort();
  const total = results.reduce((n, r) => n + r.requests.total, 0);
  const run: Run = {
    target,
    rate,
    connections,
    requests: total,
    rps: Math.round(total / duration),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
  };
  if (adminUrl) run.upstreamConnectionsPerRequest = (after - before) / Math.max(1, total);
  if (pid) run.proxyCpuMsPerRequest = (cpuAfter - cpuBefore) / Math.max(1, total);
  if (adminUrl && comparedAfter > comparedBefore) run.compared = comparedAfter - comparedBefore;
  return run;
}

const ms = (v: number) => v.toFixed(3);

/** A process and its descendants (a cluster's workers, nginx's worker). */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    // pgrep exits 1 when there is none.
  }
  return [pid, ...children.flatMap(processTree)];
}

function treeCpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    try {
      return sum + cpuMs(pid);
    } catch {
      return sum;
    }
  }, 0);
}

interface Efficiency {
  target: string;
  rps: number;
  requests: number;
  p50: number;
  p99: number;
  /** CPU seconds the proxy's processes spent during the run. */
  proxyCpuSeconds: number;
  requestsPerCpuSecond: number;
  /** CPU seconds wrk itself spent (it shares the cores with what it measures). */
  loadGeneratorCpuSeconds: number;
}

const toMs = (value: string, unit: string) => Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);

/** wrk at saturation (one thread, 32 connections), with the CPU of the proxy's processes and of wrk itself. */
async function saturate(target: string, url: string, pids: number[], seconds: number): Promise<Efficiency> {
  const before = treeCpuMs(pids);
  // The shell reports its children's CPU (wrk's) once wrk has exited: fields cutime and cstime.
  const output = await new Promise<string>((done, fail) => {
    const run = spawn('sh', ['-c', `wrk -t1 -c32 -d${seconds}s --latency -H 'cookie: ${COOKIE}' '${url}' && cat /proc/$$/stat`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    run.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    run.once('exit', (code) => (code === 0 ? done(text) : fail(new Error(`wrk exited with ${code}: ${text}`))));
  });
  const proxyCpu = (treeCpuMs(pids) - before) / 1000;
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? 0);
  const latency = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const stat = output.slice(output.lastIndexOf(') ') + 2).split(' ');
  return {
    target,
    requests,
    rps: Math.round(requests / seconds),
    p50: latency('50'),
    p99: latency('99'),
    proxyCpuSeconds: proxyCpu,
    requestsPerCpuSecond: proxyCpu > 0 ? Math.round(requests / proxyCpu) : NaN,
    loadGeneratorCpuSeconds: (Number(stat[13]) + Number(stat[14])) / 100,
  };
}

/** nginx from Debian's packages as a reverse proxy to the same upstream: one worker, keep-alive to the upstream, no access log. */
async function startNginx(upstreamPort: number): Promise<{ url: string; pid: number }> {
  const dir = mkdtempSync(resolve(tmpdir(), 'bench-nginx-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(
    resolve(dir, 'nginx.conf'),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream monolith { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://monolith; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  const nginx = spawn('nginx', ['-p', dir, '-c', resolve(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(nginx);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${url}/bench/legacy`).then((r) => r.ok, () => false);
    if (ok) return { url, pid: nginx.pid! };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx did not start (see ${dir}/error.log)`);
}

async function main(): Promise<void> {
  // wrk and nginx from Debian's packages, installed when missing.
  execFileSync('sh', [resolve(HERE, '../../../tools/debian/ensure-commands.sh'), 'bench:proxy', 'wrk:wrk', 'nginx:nginx-light'], { stdio: 'inherit' });
  if (SMOKE) console.log(`load average ${LOAD.toFixed(1)} ≥ 4: a short smoke run only; measure the figures on an idle machine (BENCH_FORCE_FULL=1 to run it all anyway)`);
  const micro = await routingMicrobenchmark();
  console.log(`routing decision: ${(micro.totalNs / 1000).toFixed(2)} µs (normalise ${micro.normaliseNs.toFixed(0)} ns, match ${micro.matchNs.toFixed(0)} ns, decide ${micro.decideNs.toFixed(0)} ns)`);

  const compareMicro = await compareMicrobenchmark();
  for (const c of compareMicro) {
    console.log(`comparison of ${c.bodyBytes} bytes on the event loop: on the loop ${c.onLoop.medianUs.toFixed(1)} µs (max ${c.onLoop.maxUs.toFixed(1)}), handed to the thread ${c.onThread.medianUs.toFixed(1)} µs (max ${c.onThread.maxUs.toFixed(1)})`);
  }

  const ports = await startChild<{ monolith: number; service: number }>('upstreams.js');
  const proxy = await startChild<{ url: string; adminUrl: string; pid: number }>('proxy.js', [String(ports.monolith), String(ports.service)]);
  const targets = [
    { name: 'direct (monolith)', url: `http://127.0.0.1:${ports.monolith}/bench/legacy` },
    { name: 'proxy → monolith (legacy route)', url: `${proxy.url}/bench/legacy`, adminUrl: proxy.adminUrl },
    { name: 'proxy → second service (new route)', url: `${proxy.url}/bench/new`, adminUrl: proxy.adminUrl },
    { name: 'proxy → monolith, copy compared (shadow route)', url: `${proxy.url}/bench/shadow`, adminUrl: proxy.adminUrl },
  ];
  const LEGACY = targets[1]!.name;
  const SHADOW = targets[3]!.name;
  for (const t of targets) {
    const check = await fetch(t.url);
    console.log(`${t.name}: ${check.status} x-served-by=${check.headers.get('x-served-by') ?? '(direct)'} ${(await check.arrayBuffer()).byteLength} bytes`);
  }

  const runs: Run[] = [];
  for (const t of targets) await load(t.name, t.url, 'saturation', undefined, 3); // warm-up
  for (const rate of [...RATES, 'saturation' as const]) {
    for (const t of targets) {
      const run = await load(t.name, t.url, rate, t.adminUrl, DURATION, t.adminUrl ? proxy.pid : undefined);
      runs.push(run);
      console.log(
        `${String(rate).padEnd(10)} ${t.name.padEnd(46)} ${String(run.rps).padStart(6)} req/s  p50 ${ms(run.p50)} ms  p99 ${ms(run.p99)} ms  errors ${run.errors} non2xx ${run.non2xx}` +
          (run.upstreamConnectionsPerRequest !== undefined ? `  conn/req ${run.upstreamConnectionsPerRequest.toFixed(5)}` : '') +
          (run.proxyCpuMsPerRequest !== undefined ? `  proxy CPU ${(run.proxyCpuMsPerRequest * 1000).toFixed(0)} µs/req` : '') +
          (run.compared !== undefined ? `  compared ${run.compared}` : ''),
      );
    }
  }

  const byRate = (rate: number | 'saturation', target: string) => runs.find((r) => r.rate === rate && r.target === target)!;
  const summary = [...RATES, 'saturation' as const].map((rate) => {
    const direct = byRate(rate, targets[0]!.name);
    return {
      rate,
      directRps: direct.rps,
      ...Object.fromEntries(
        targets.slice(1).map((t) => {
          const r = byRate(rate, t.name);
          return [
            t.name,
            { addedP50Ms: r.p50 - direct.p50, addedP99Ms: r.p99 - direct.p99, throughputShareOfDirect: r.rps / direct.rps, upstreamConnectionsPerRequest: r.upstreamConnectionsPerRequest },
          ];
        }),
      ),
    };
  });
  // Answer comparison (ADR-0023): the shadow route against the same answer at legacy, per rate.
  const comparison = RATES.map((rate) => {
    const legacy = byRate(rate, LEGACY);
    const shadow = byRate(rate, SHADOW);
    const compared = shadow.compared ?? 0;
    return {
      rate,
      addedP50Ms: shadow.p50 - legacy.p50,
      addedP99Ms: shadow.p99 - legacy.p99,
      compared,
      comparedShare: compared / Math.max(1, shadow.requests),
      addedProxyCpuUsPerComparedRequest: compared ? (((shadow.proxyCpuMsPerRequest ?? 0) - (legacy.proxyCpuMsPerRequest ?? 0)) * shadow.requests * 1000) / compared : null,
    };
  });
  for (const c of comparison) {
    console.log(`shadow with comparison vs legacy at ${c.rate} req/s: +${ms(c.addedP50Ms)} ms p50, +${ms(c.addedP99Ms)} ms p99, ${c.compared} compared, proxy CPU +${c.addedProxyCpuUsPerComparedRequest?.toFixed(0) ?? '-'} µs per compared request`);
  }
  // Requests per CPU-second at saturation (wrk): this proxy, a bare node:http proxy, nginx, this proxy with two workers (ADR-0028), and http-proxy-middleware alone (ADR-0035).
  const effSeconds = SMOKE ? 3 : DURATION;
  const bare = await startChild<{ url: string; pid: number }>('bare-proxy.js', [String(ports.monolith)]);
  const hpmOnly = await startChild<{ url: string; pid: number }>('hpm-proxy.js', [String(ports.monolith)]);
  const nginx = await startNginx(ports.monolith);
  const workers2 = await startChild<{ url: string; adminUrl: string; pid: number }>('proxy.js', [String(ports.monolith), String(ports.service)], { PROXY_WORKERS: '2' });
  const efficiencyTargets = [
    { name: 'this proxy → monolith (legacy route)', url: `${proxy.url}/bench/legacy`, pids: [proxy.pid] },
    { name: 'this proxy → second service (new route)', url: `${proxy.url}/bench/new`, pids: [proxy.pid] },
    { name: 'bare node:http pass-through proxy', url: `${bare.url}/bench/legacy`, pids: [bare.pid] },
    { name: 'nginx (Debian package, 1 worker)', url: `${nginx.url}/bench/legacy`, pids: processTree(nginx.pid) },
    { name: 'this proxy, PROXY_WORKERS=2 (legacy route)', url: `${workers2.url}/bench/legacy`, pids: processTree(workers2.pid) },
    { name: 'http-proxy-middleware alone (as used here)', url: `${hpmOnly.url}/bench/legacy`, pids: [hpmOnly.pid] },
  ];
  const efficiency: Efficiency[] = [];
  for (const t of efficiencyTargets) {
    await saturate(t.name, t.url, t.pids, 2); // warm-up
    const e = await saturate(t.name, t.url, t.pids, effSeconds);
    efficiency.push(e);
    console.log(`${t.name.padEnd(46)} ${String(e.rps).padStart(6)} req/s  ${String(e.requestsPerCpuSecond).padStart(6)} req per proxy CPU-second  p50 ${ms(e.p50)} ms  p99 ${ms(e.p99)} ms  (wrk CPU ${e.loadGeneratorCpuSeconds.toFixed(2)} s)`);
  }
  const bareEfficiency = efficiency[2]!.requestsPerCpuSecond;
  const environment = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, durationSeconds: DURATION, date: new Date().toISOString(), loadAverage: LOAD, smoke: SMOKE };
  const outDir = resolve(ROOT, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(resolve(outDir, 'proxy.json'), `${JSON.stringify({ environment, routingDecision: micro, comparisonOnTheLoop: compareMicro, runs, summary, comparison, efficiency }, null, 2)}\n`);

  const md = [
    '# Strangler proxy benchmark',
    '',
    ...(SMOKE ? [`**Smoke run**: the machine's load average was ${LOAD.toFixed(1)} (≥ 4) when it started, so every run was short; these figures show that the benchmark works, not what the proxy costs. Measure on an idle machine.`, ''] : []),
    `Node ${environment.node}, ${environment.cpus} cores (${environment.cpuModel}), ${DURATION} s per run; autocannon, the proxy and the upstreams share the machine (three processes).`,
    'Every answer is the same 1 KB JSON. Latencies are exact per-response times (autocannon `response` events).',
    'Fixed rates: rate/100 single-connection autocannon instances of 100 req/s each, started evenly over one second (one instance with many connections would send each second\'s quota in a burst). Saturation: 32 connections, no limit.',
    '',
    `Routing decision (normalise + match + unleash-client evaluation): **${(micro.totalNs / 1000).toFixed(2)} µs** per request (normalise ${micro.normaliseNs.toFixed(0)} ns, match ${micro.matchNs.toFixed(0)} ns, flag decision ${micro.decideNs.toFixed(0)} ns).`,
    '',
    '| load | target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | share of direct | upstream conn/req | proxy CPU µs/req |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...runs.map((r) => {
      const direct = byRate(r.rate, targets[0]!.name);
      const isDirect = r.target === targets[0]!.name;
      return `| ${r.rate === 'saturation' ? 'saturation' : `${r.rate} req/s`} | ${r.target} | ${r.rps} | ${ms(r.p50)} | ${ms(r.p99)} | ${isDirect ? '' : ms(r.p50 - direct.p50)} | ${isDirect ? '' : ms(r.p99 - direct.p99)} | ${isDirect ? '' : `${Math.round((r.rps / direct.rps) * 100)} %`} | ${r.upstreamConnectionsPerRequest === undefined ? '' : r.upstreamConnectionsPerRequest.toFixed(5)} | ${r.proxyCpuMsPerRequest === undefined ? '' : (r.proxyCpuMsPerRequest * 1000).toFixed(0)} |`;
    }),
    '',
    '## Answer comparison (shadow route against the same route at legacy)',
    '',
    'The shadow route serves the monolith\'s answer and sends a copy to the service; both answers are read (bounded) and compared off the user\'s path, 10% with a second legacy answer for noise. The service answers the same JSON with its keys in another order, so every comparison is parsed and diffed (on the comparison thread, ADR-0031) rather than settled by equal bytes. The proxy writes no comparison to a database here (no PROXY_DATABASE_URL): this is the cost of copying, reading and comparing. CPU is the whole process\'s (the comparison thread included).',
    '',
    'Time one comparison holds the event loop (synchronous time per comparison of two JSON answers that differ in their bytes, median / max of 180): parsed and diffed on the loop as before ADR-0031, against handed to the comparison thread.',
    '',
    '| answer | on the loop µs | handed to the thread µs |',
    '| ---: | ---: | ---: |',
    ...compareMicro.map((c) => `| ${c.bodyBytes} bytes | ${c.onLoop.medianUs.toFixed(1)} / ${c.onLoop.maxUs.toFixed(1)} | ${c.onThread.medianUs.toFixed(1)} / ${c.onThread.maxUs.toFixed(1)} |`),
    '',
    '| load | added p50 ms | added p99 ms | compared | added proxy CPU per compared request |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...comparison.map((c) => `| ${c.rate} req/s | ${ms(c.addedP50Ms)} | ${ms(c.addedP99Ms)} | ${c.compared} (${Math.round(c.comparedShare * 100)} %) | ${c.addedProxyCpuUsPerComparedRequest === null ? '-' : `${c.addedProxyCpuUsPerComparedRequest.toFixed(0)} µs`} |`),
    '',
    '## Requests per CPU-second at saturation (wrk)',
    '',
    `wrk (one thread, 32 connections, ${effSeconds} s after a 2 s warm-up) against each proxy in front of the same upstream; CPU of the proxy's processes (a cluster's primary and workers, nginx's master and worker) from /proc. wrk's own CPU is given beside each figure: it shares the cores.`,
    '',
    '| proxy | req/s | proxy CPU s | req per CPU-second | share of the bare Node proxy | p50 ms | p99 ms | wrk CPU s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...efficiency.map((e) => `| ${e.target} | ${e.rps} | ${e.proxyCpuSeconds.toFixed(2)} | ${e.requestsPerCpuSecond} | ${Math.round((e.requestsPerCpuSecond / bareEfficiency) * 100)} % | ${ms(e.p50)} | ${ms(e.p99)} | ${e.loadGeneratorCpuSeconds.toFixed(2)} |`),
    '',
    `Throughput at saturation with PROXY_WORKERS=2: ${efficiency[4]!.rps} req/s against ${efficiency[0]!.rps} req/s with one process (legacy route).`,
    '',
  ].join('\n');
  writeFileSync(resolve(outDir, 'proxy.md'), md);
  console.log(`\nwrote ${resolve(outDir, 'proxy.json')} and proxy.md`);
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
}
