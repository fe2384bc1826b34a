// npm run bench:proxy:profile — where the proxy's CPU goes: the proxy of the benchmark (bench/proxy.ts)
// profiled with V8's sampling profiler while wrk saturates one route (after a warm-up), then the
// functions with the most self time. The .cpuprofile opens in Chrome DevTools or speedscope as a flame graph.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../..');
const OUT = resolve(ROOT, 'bench/results');
const ROUTE = process.env.BENCH_ROUTE ?? '/bench/legacy';
const SECONDS = Number(process.env.BENCH_DURATION ?? 10);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

function start(script: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, [resolve(HERE, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return { child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
}

const nextLine = async (lines: AsyncIterator<string>) => (await lines.next()).value as string;
const wrk = (url: string, seconds: number) => execFileSync('wrk', ['-t1', '-c32', `-d${seconds}s`, '-H', 'cookie: strangler_sid=bench-session-0123456789abcdef', url], { encoding: 'utf8' });

/** Self time per function (file:line), idle time left out, as shares of the busy samples. */
function topSelfTime(profile: { nodes: ProfileNode[]; samples: number[] }, count: number): { share: number; fn: string }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    const file = frame.url.replace(/.*node_modules\//, '').replace(`file://${ROOT}/`, '');
    const key = `${frame.functionName || '(anonymous)'} ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + 1);
    busy++;
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([fn, n]) => ({ share: n / busy, fn }));
}

/** Packages (and the proxy's own code) whose frames are on the stack, as shares of the busy samples: inclusive time. */
const PACKAGES = ['http-proxy-middleware', 'httpxy', 'opossum', 'unleash-client', 'prom-client', 'strangler-proxy/dist', 'platform/dist'];

function packageShares(profile: { nodes: (ProfileNode & { children?: number[] })[]; samples: number[] }): { share: number; pkg: string }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const counts = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    busy++;
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const url = byId.get(cur)!.callFrame.url;
      for (const pkg of PACKAGES) if (url.includes(pkg)) seen.add(pkg);
    }
    for (const pkg of seen) counts.set(pkg, (counts.get(pkg) ?? 0) + 1);
  }
  return PACKAGES.map((pkg) => ({ pkg, share: (counts.get(pkg) ?? 0) / Math.max(1, busy) }));
}

const children: ChildProcess[] = [];
try {
  execFileSync('sh', [resolve(HERE, '../../../tools/debian/ensure-commands.sh'), 'bench:proxy', 'wrk:wrk', 'nginx:nginx-light'], { stdio: 'inherit' });
  mkdirSync(OUT, { recursive: true });
  const upstreams = start('upstreams.js', []);
  children.push(upstreams.child);
  const ports = JSON.parse(await nextLine(upstreams.lines)) as { monolith: number; service: number };
  const proxy = start('proxy.js', [String(ports.monolith), String(ports.service)], { BENCH_PROFILE_DIR: OUT });
  children.push(proxy.child);
  const { url, pid } = JSON.parse(await nextLine(proxy.lines)) as { url: string; pid: number };
  wrk(`${url}${ROUTE}`, 3); // warm-up
  process.kill(pid, 'SIGUSR2');
  await nextLine(proxy.lines); // profiling
  const result = wrk(`${url}${ROUTE}`, SECONDS);
  process.kill(pid, 'SIGUSR2');
  await nextLine(proxy.lines); // profile written
  const file = resolve(OUT, `proxy-${pid}.cpuprofile`);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const top = topSelfTime(profile, 25);
  const packages = packageShares(profile);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(result)?.[1];
  const md = [
    '# Strangler proxy profile',
    '',
    `\`npm run bench:proxy:profile\`: ${ROUTE} at saturation (wrk, 32 connections, ${SECONDS} s, ${rps} req/s), ${new Date().toISOString()}. Self time of the busy samples; the profile is \`${file.replace(`${ROOT}/`, '')}\` (a flame graph in Chrome DevTools or speedscope).`,
    '',
    '| self time | function |',
    '| ---: | --- |',
    ...top.map((t) => `| ${(t.share * 100).toFixed(1)} % | \`${t.fn}\` |`),
    '',
    'Busy samples with a frame of each package on the stack (inclusive; a sample can count for several):',
    '',
    '| on the stack | package |',
    '| ---: | --- |',
    ...packages.map((p) => `| ${(p.share * 100).toFixed(1)} % | \`${p.pkg}\` |`),
    '',
  ].join('\n');
  writeFileSync(resolve(OUT, 'proxy-profile.md'), md);
  console.log(md);
} finally {
  for (const child of children) child.kill('SIGTERM');
}
