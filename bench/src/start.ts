// `npm run bench:start`: how long `npm start` takes, as a user runs it. Starts `stack up` in a state
// folder of its own on free ports, times until the stable URL answers through the proxy and until
// every component is ready (the stack's "ready in" line), takes each start step's ready time from
// the stack's progress lines, stops it with Ctrl-C (SIGINT), and repeats: one cold start (fresh
// state folder: initdb, migrations, seed, KRaft format; the Maven fetch is done before and not
// counted) and `--warm N` warm ones (default 3). Results in bench/results/start.{json,md}.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureCdcRuntime } from '@strangler/cdc';
import { START_NEEDS } from '@strangler/stack';
import { freePort, RESULTS, ROOT } from './bench-stack.js';
import { cpuByPart } from './cpu-by-part.js';

type StepName = keyof typeof START_NEEDS;

interface StartRun {
  kind: 'cold' | 'warm';
  /** 1-minute load average just before the start. */
  loadBefore: number;
  /** From spawning `stack up` until GET /api/products through the stable URL answered 200. */
  stableUrlMs: number;
  /** From spawning `stack up` until it printed "ready in" (every component ready). */
  readyMs: number;
  /** What the stack itself printed as "ready in" (from its own start). */
  reportedReadyMs: number;
  /** Each step's ready time since the start graph began, from its "<step> ready (+x s)" line. */
  steps: Partial<Record<StepName, number>>;
  criticalPath: StepName[];
  /** From SIGINT until the stack process exited. */
  stopMs: number;
  /**
   * CPU seconds (user + system) used by `stack up` and every process under it, when it printed
   * "ready in": the work of a start, which the machine's other load does not change much.
   */
  cpuSeconds: number;
  /** The same, by part of the stack. */
  cpuByPart: Record<string, number>;
}

const STATE = join(ROOT, '.stack', 'bench-start');
const PORT_NAMES = ['PG_PORT', 'MONOLITH_PORT', 'PORT', 'ADMIN_PORT', 'UNLEASH_PORT', 'KAFKA_PORT', 'KAFKA_CONTROLLER_PORT', 'CONNECT_PORT', 'CATALOG_SERVICE_PORT', 'REVERSE_SYNC_PORT'];

async function oneStart(kind: 'cold' | 'warm', ports: Record<string, number>, log: (line: string) => void): Promise<StartRun> {
  const loadBefore = loadavg()[0]!;
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'stack/dist/cli.js'), 'up'], {
    env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), STACK_STATE_DIR: STATE, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => ((exitCode = code), resolve())));

  let stableUrlMs: number | undefined;
  let readyMs: number | undefined;
  let cpuByParts: Record<string, number> = {};
  const deadline = Date.now() + 300_000;
  while (stableUrlMs === undefined || readyMs === undefined) {
    if (exitCode !== undefined) throw new Error(`the stack exited with ${exitCode} during start-up:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGINT');
      throw new Error(`the stack was not ready within 300 s:\n${output.slice(-3000)}`);
    }
    if (stableUrlMs === undefined && (await stableUrlAnswers(ports.PORT!))) stableUrlMs = performance.now() - t0;
    if (readyMs === undefined && output.includes('press Ctrl-C')) {
      readyMs = performance.now() - t0;
      cpuByParts = cpuByPart(child.pid!);
    }
    await sleep(50);
  }
  if (/not ready:/.test(output)) throw new Error(`a component failed during start-up:\n${output.slice(-3000)}`);
  const reported = /\[stack\] ready in ([0-9.]+) s/.exec(output);
  const steps: Partial<Record<StepName, number>> = {};
  for (const match of output.matchAll(/^\[stack\] ([a-z-]+) ready \(\+([0-9.]+) s\)$/gm)) {
    if (match[1]! in START_NEEDS) steps[match[1] as StepName] = Number(match[2]) * 1000;
  }
  const stopStarted = performance.now();
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  await exited;
  clearTimeout(killer);
  const run: StartRun = {
    kind,
    loadBefore,
    stableUrlMs: Math.round(stableUrlMs),
    readyMs: Math.round(readyMs),
    reportedReadyMs: reported ? Number(reported[1]) * 1000 : NaN,
    steps,
    criticalPath: criticalPath(steps),
    stopMs: Math.round(performance.now() - stopStarted),
    cpuSeconds: Number(Object.values(cpuByParts).reduce((a, b) => a + b, 0).toFixed(1)),
    cpuByPart: cpuByParts,
  };
  log(`${kind}: stable URL ${s(run.stableUrlMs)}, every component ready ${s(run.readyMs)} (load ${loadBefore.toFixed(2)}, ${run.cpuSeconds} CPU-s), stopped in ${s(run.stopMs)}; critical path ${run.criticalPath.join(' → ')}`);
  return run;
}

async function stableUrlAnswers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/products?limit=1`, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** From the step ready last back to the start: at each step, the need that was ready last held it up. */
function criticalPath(steps: Partial<Record<StepName, number>>): StepName[] {
  const names = Object.keys(steps) as StepName[];
  if (names.length === 0) return [];
  let current = names.reduce((a, b) => (steps[a]! >= steps[b]! ? a : b));
  const path: StepName[] = [current];
  for (;;) {
    const needs = START_NEEDS[current] as readonly StepName[];
    if (needs.length === 0) break;
    current = needs.reduce((a, b) => ((steps[a] ?? 0) >= (steps[b] ?? 0) ? a : b));
    path.unshift(current);
  }
  return path;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const warmIndex = process.argv.indexOf('--warm');
  const warmRuns = warmIndex === -1 ? 3 : Number(process.argv[warmIndex + 1]);
  if (!Number.isInteger(warmRuns) || warmRuns < 1) throw new Error('--warm takes a whole number of warm starts (at least 1)');
  const log = (line: string) => console.log(`[bench:start] ${line}`);
  // The one-time Maven fetch is not part of any start.
  await ensureCdcRuntime({ onProgress: log });

  rmSync(STATE, { recursive: true, force: true });
  mkdirSync(STATE, { recursive: true });
  // PostgreSQL runs as `postgres` when we are root: it must be able to traverse the folder.
  chmodSync(STATE, 0o755);
  const ports: Record<string, number> = {};
  for (const name of PORT_NAMES) ports[name] = await freePort();

  const runs: StartRun[] = [await oneStart('cold', ports, log)];
  for (let i = 0; i < warmRuns; i++) runs.push(await oneStart('warm', ports, log));
  rmSync(STATE, { recursive: true, force: true });

  const warm = runs.filter((r) => r.kind === 'warm');
  const stepNames = Object.keys(START_NEEDS) as StepName[];
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    loadAverage: { atEnd: loadavg().map((l) => Number(l.toFixed(2))) },
    warm: {
      runs: warm.length,
      readyMedianMs: median(warm.map((r) => r.readyMs)),
      readyWorstMs: Math.max(...warm.map((r) => r.readyMs)),
      stableUrlMedianMs: median(warm.map((r) => r.stableUrlMs)),
      stableUrlWorstMs: Math.max(...warm.map((r) => r.stableUrlMs)),
      stepMedianMs: Object.fromEntries(stepNames.map((n) => [n, median(warm.map((r) => r.steps[n] ?? NaN))])),
    },
    cold: runs.find((r) => r.kind === 'cold'),
    runs,
  };
  writeFileSync(join(RESULTS, 'start.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'start.md'), markdown(result, stepNames));
  log(`warm: every component ready median ${s(result.warm.readyMedianMs)}, worst ${s(result.warm.readyWorstMs)}; cold ${s(result.cold!.readyMs)}. Written to bench/results/start.{md,json}`);
}

function markdown(
  r: { date: string; machine: { cpus: number; cpuModel?: string; memoryGiB: number; node: string }; warm: { runs: number; readyMedianMs: number; readyWorstMs: number; stableUrlMedianMs: number; stableUrlWorstMs: number; stepMedianMs: Record<string, number> }; runs: StartRun[] },
  stepNames: StepName[],
): string {
  const cold = r.runs.find((run) => run.kind === 'cold')!;
  const warm = r.runs.filter((run) => run.kind === 'warm');
  const needs = (n: StepName) => (START_NEEDS[n] as readonly string[]).join(', ') || '-';
  return [
    '# `npm start`: time to ready',
    '',
    `Run \`npm run bench:start\` (${r.date}, ${r.machine.cpus} cores ${r.machine.cpuModel ?? ''}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}).`,
    '`stack up` as a user runs it, in a state folder of its own on free ports: one cold start (fresh folder: initdb, migrations,',
    'seed, KRaft format, no class-data archives yet; the one-time Maven fetch is excluded), then warm starts (everything there).',
    'Stable URL = GET /api/products through the proxy answers 200; ready = the stack prints "ready in" (every component ready).',
    'Times from spawning the command. Step times are the stack\'s own "<step> ready (+t)" lines (from the start of its graph).',
    '',
    'CPU = user + system seconds of `stack up` and every process under it when it printed "ready in" (the machine\'s other load changes it little).',
    '',
    '| run | load avg (1 min) before | stable URL | every component ready | CPU until ready | stop (Ctrl-C) | critical path |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...r.runs.map((run) => `| ${run.kind} | ${run.loadBefore.toFixed(2)} | ${s(run.stableUrlMs)} | ${s(run.readyMs)} | ${run.cpuSeconds.toFixed(1)} s | ${s(run.stopMs)} | ${run.criticalPath.join(' → ')} |`),
    '',
    `Warm (${r.warm.runs} runs): every component ready **median ${s(r.warm.readyMedianMs)}, worst ${s(r.warm.readyWorstMs)}**; stable URL median ${s(r.warm.stableUrlMedianMs)}, worst ${s(r.warm.stableUrlWorstMs)}. Cold: ${s(cold.readyMs)}.`,
    '',
    '## Each step: ready since the start (seconds)',
    '',
    `| step | needs | cold | ${warm.map((_, i) => `warm ${i + 1}`).join(' | ')} | warm median |`,
    `| --- | --- | ---: | ${warm.map(() => '---:').join(' | ')} | ---: |`,
    ...stepNames.map((n) => `| ${n} | ${needs(n)} | ${sec(cold.steps[n])} | ${warm.map((run) => sec(run.steps[n])).join(' | ')} | ${sec(r.warm.stepMedianMs[n])} |`),
    '',
    '## Where the CPU goes: CPU-seconds by part until ready',
    '',
    `| part | cold | ${warm.map((_, i) => `warm ${i + 1}`).join(' | ')} |`,
    `| --- | ---: | ${warm.map(() => '---:').join(' | ')} |`,
    ...[...new Set(r.runs.flatMap((run) => Object.keys(run.cpuByPart)))]
      .sort((a, b) => (cold.cpuByPart[b] ?? 0) - (cold.cpuByPart[a] ?? 0))
      .map((part) => `| ${part} | ${cpu(cold.cpuByPart[part])} | ${warm.map((run) => cpu(run.cpuByPart[part])).join(' | ')} |`),
    '',
  ].join('\n');
}

const cpu = (seconds: number | undefined) => (seconds === undefined ? '-' : seconds.toFixed(1));
const sec = (ms: number | undefined) => (ms === undefined || Number.isNaN(ms) ? '-' : (ms / 1000).toFixed(1));

await main();
