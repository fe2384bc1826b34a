import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@strangler/platform';
import { chaosTargets, type ComponentName } from '../components.js';
import { REPO_ROOT, type StackConfig, type StackSecrets } from '../config.js';
import { isAlive } from '../processes.js';
import { stackStateFile } from '../stack.js';
import { readStackState, type ComponentStatus } from '../supervisor.js';
import { catalogHas, digests, idsOfSkus, missingProducts, rowsPerKey, sameDigests, type SidesDigest } from './convergence.js';
import { Workload } from './workload.js';

export interface ChaosOptions {
  /** Kills per component (1: the short form in `npm test`). */
  rounds: number;
  /** Pause after a component is back before the next kill. */
  pauseMs: number;
  /** How long a killed component may take to be back, and the data to flow again. */
  recoveryDeadlineMs: number;
  /** How long both sides may take to agree once the workload stops. */
  convergenceDeadlineMs: number;
  /** The whole run stops (and fails) past this. */
  maxRunMs: number;
  /** Take the catalog on to `owned` first: writes go to catalog-service and flow back through the reverse sync. */
  owned?: boolean;
  report: (line: string) => void;
}

export interface KillResult {
  component: ComponentName;
  round: number;
  /** Requests and transactions of the workload in flight when the process was killed. */
  inFlight: number;
  /** From the kill until the supervisor had the component running again (null: it did not come back). */
  backMs: number | null;
  /** From the kill until a write made after it had reached the catalog service's database. */
  dataFlowingMs: number | null;
}

export interface ChaosResult {
  startedAt: string;
  durationMs: number;
  kills: KillResult[];
  safeRequests: number;
  safe5xx: number;
  /** Safe requests that got no answer at all (a connection error at the stable URL). */
  safeUnanswered: number;
  unsafeRequests: number;
  unsafeByStatus: Record<string, number>;
  /** Unsafe requests answered 503 that were applied anyway, or answered 201 and applied other than once. */
  unsafeMisapplied: string[];
  /** Acknowledged writes missing on the monolith's side or the catalog service's side after convergence. */
  lostWrites: string[];
  duplicatedWrites: number;
  acknowledgedInserts: number;
  acknowledgedUpdates: number;
  converged: boolean;
  convergenceMs: number | null;
  digests: { monolith: SidesDigest; catalog: SidesDigest };
  /** Components the supervisor reports failed at the end. */
  failedComponents: string[];
}

/** Where a stack runs and how to reach it. */
export interface StackUnderTest {
  config: Pick<StackConfig, 'STACK_STATE_DIR' | 'PG_PORT' | 'PORT' | 'ADMIN_PORT'>;
  secrets: Pick<StackSecrets, 'postgresPassword' | 'adminToken'>;
  /** The stack process, when this run started it. */
  pid?: number;
  /** Stops the stack when this run started it. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, deadlineMs: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`chaos: ${what} not reached within ${Math.round(deadlineMs / 1000)} s`);
    await sleep(250);
  }
}


/**
 * Starts `npm start` (the stack's CLI) in its own state folder on free loopback ports and waits until
 * it is ready. Stopping sends SIGINT, as Ctrl-C does, and waits for the stack to exit.
 */
export async function startStackForChaos(stateDir: string, report: (line: string) => void, readyTimeoutMs = 600_000): Promise<StackUnderTest> {
  mkdirSync(stateDir, { recursive: true });
  // PostgreSQL runs as `postgres` when we are root: it must be able to traverse the folder.
  chmodSync(stateDir, 0o755);
  const names = ['PG_PORT', 'MONOLITH_PORT', 'PORT', 'ADMIN_PORT', 'UNLEASH_PORT', 'KAFKA_PORT', 'KAFKA_CONTROLLER_PORT', 'CONNECT_PORT', 'CATALOG_SERVICE_PORT', 'REVERSE_SYNC_PORT'] as const;
  const ports = {} as Record<(typeof names)[number], number>;
  for (const name of names) ports[name] = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, 'stack/dist/cli.js'), 'up'], {
    env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), STACK_STATE_DIR: stateDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (d: Buffer) => {
    output += d.toString();
    for (const line of d.toString().split('\n')) if (line.startsWith('[stack]') && /restart|FAILED|running again|exited|killed/.test(line)) report(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      await exited;
      clearTimeout(timer);
    }
  };
  report(`starting a stack in ${stateDir} (log output of each component in ${join(stateDir, 'logs')})`);
  const deadline = Date.now() + readyTimeoutMs;
  let early: number | null | undefined;
  void exited.then((code) => (early = code));
  while (!output.includes('press Ctrl-C')) {
    if (early !== undefined) throw new Error(`the stack exited with ${early} during start-up:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the stack was not ready within ${readyTimeoutMs / 1000} s:\n${output.slice(-4000)}`);
    }
    await sleep(250);
  }
  const secrets = JSON.parse(readFileSync(join(stateDir, 'secrets.json'), 'utf8')) as StackSecrets;
  return { config: { STACK_STATE_DIR: stateDir, PG_PORT: ports.PG_PORT, PORT: ports.PORT, ADMIN_PORT: ports.ADMIN_PORT }, secrets, pid: child.pid, stop };
}

function componentStatus(stateDir: string, name: ComponentName): ComponentStatus | undefined {
  return readStackState(stackStateFile(stateDir))?.components.find((c) => c.name === name);
}

async function adminApi(stack: StackUnderTest, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${stack.config.ADMIN_PORT}/api${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.secrets.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, text: await res.text() };
}

/**
 * The chaos run against a running stack: the catalog moved to `new` (its reads on the catalog
 * service), a steady workload, then each supervised component SIGKILLed in turn; at the end the
 * invariants are measured (the caller decides what passes).
 */
export async function runChaos(stack: StackUnderTest, options: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const runDeadline = started + options.maxRunMs;
  const { report } = options;
  const stateDir = stack.config.STACK_STATE_DIR;
  const pgUrl = (db: string) => `postgresql://postgres:${encodeURIComponent(stack.secrets.postgresPassword)}@127.0.0.1:${stack.config.PG_PORT}/${db}`;
  const monolithDb = pgUrl('monolith');
  const catalogDb = pgUrl('catalog_service');
  const stableUrl = `http://127.0.0.1:${stack.config.PORT}`;

  report('waiting for the catalog service to hold the monolith\'s catalog');
  await until('the catalog service in step with the monolith', options.convergenceDeadlineMs, async () => sameDigests(await digests(monolithDb, catalogDb)));
  const target = options.owned ? 'owned (reads and writes served by the catalog service)' : 'new (reads served by the catalog service)';
  report(`moving the catalog domain to ${target} through the admin API`);
  for (const step of [{ stage: 'shadow' }, { stage: 'canary', percentage: 50 }, { stage: 'new' }, ...(options.owned ? [{ stage: 'owned' }] : [])]) {
    await until(`the flip to ${step.stage}`, 120_000, async () => {
      const res = await adminApi(stack, '/domains/catalog/flip', { ...step, adr: 9, reason: 'chaos run' });
      // Already there (a stack reused from an earlier run) counts as done.
      return res.status === 200 || /already at|same stage/i.test(res.text);
    });
  }

  const login = await fetch(`${stableUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@example.com', password: 'admin-demo-password' }),
  });
  if (!login.ok) throw new Error(`chaos: signing in as the seeded admin through the stable URL answered ${login.status}: ${await login.text()}`);
  const { accessToken } = (await login.json()) as { accessToken: string };

  const runId = randomBytes(4).toString('hex');
  const workload = new Workload({ stableUrl, monolithDatabaseUrl: monolithDb, accessToken, runId, owned: options.owned });
  await workload.start();
  report(
    options.owned
      ? `workload running (run ${runId}): reads, product creations and price changes through ${stableUrl}, all served by the catalog service and copied back to the monolith`
      : `workload running (run ${runId}): reads and product creations through ${stableUrl}, writes to products and categories in the monolith's database`,
  );
  // Where a new write must arrive to show the data flows again: the service, or (owned) the monolith.
  const downstreamDb = options.owned ? monolithDb : catalogDb;
  await sleep(options.pauseMs);

  const kills: KillResult[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const component of chaosTargets()) {
        if (Date.now() > runDeadline) throw new Error(`chaos: the run passed its ${options.maxRunMs / 1000} s limit`);
        const before = componentStatus(stateDir, component);
        if (!before?.pid || before.state !== 'running') {
          report(`${component}: not running (${before?.state ?? 'unknown'}); not killed`);
          kills.push({ component, round, inFlight: workload.inFlight(), backMs: null, dataFlowingMs: null });
          continue;
        }
        const inFlight = workload.inFlight();
        const killedAt = Date.now();
        process.kill(before.pid, 'SIGKILL');
        report(`round ${round}: SIGKILL ${component} (pid ${before.pid}), ${inFlight} requests/transactions in flight`);
        const result: KillResult = { component, round, inFlight, backMs: null, dataFlowingMs: null };
        kills.push(result);
        try {
          await until(`${component} back`, options.recoveryDeadlineMs, async () => {
            const now = componentStatus(stateDir, component);
            return now?.state === 'running' && now.pid !== before.pid && now.pid !== null && isAlive(now.pid);
          });
          result.backMs = Date.now() - killedAt;
          const probe = await workload.probe();
          await until(`data flowing after ${component} came back`, options.recoveryDeadlineMs, () => catalogHas(downstreamDb, probe));
          result.dataFlowingMs = Date.now() - killedAt;
          report(`${component} back after ${(result.backMs / 1000).toFixed(1)} s; a new write reached the ${options.owned ? 'monolith' : 'catalog service'} ${(result.dataFlowingMs / 1000).toFixed(1)} s after the kill`);
        } catch (err) {
          report(err instanceof Error ? err.message : String(err));
        }
        await sleep(options.pauseMs);
      }
    }
  } finally {
    await workload.stop();
  }
  const counts = workload.counts;

  report('workload stopped; waiting for both sides to agree');
  const convergeStarted = Date.now();
  let converged = false;
  let last = await digests(monolithDb, catalogDb);
  while (Date.now() - convergeStarted < options.convergenceDeadlineMs) {
    last = await digests(monolithDb, catalogDb);
    if (sameDigests(last)) {
      converged = true;
      break;
    }
    await sleep(500);
  }
  const convergenceMs = converged ? Date.now() - convergeStarted : null;

  const created = [...counts.unsafeAnswers].filter(([, status]) => status === 201).map(([key]) => key);
  const keys = [...counts.unsafeAnswers.keys()];
  const applied = await rowsPerKey(monolithDb, keys);
  const unsafeMisapplied = keys.flatMap((key) => {
    const status = counts.unsafeAnswers.get(key)!;
    const rows = applied.get(key) ?? 0;
    if (status === 201 && rows !== 1) return [`${key}: answered 201, ${rows} rows`];
    if (status === 503 && rows !== 0) return [`${key}: answered 503, yet applied`];
    return rows > 1 ? [`${key}: answered ${status}, ${rows} rows`] : [];
  });
  const createdIds = await idsOfSkus(monolithDb, created);
  const acknowledged = [...counts.insertedIds, ...createdIds];
  const lostWrites = [
    ...(await missingProducts(monolithDb, acknowledged)).map((id) => `${id} (monolith)`),
    ...(await missingProducts(catalogDb, acknowledged, 'NOT p.deleted')).map((id) => `${id} (catalog-service)`),
  ];
  const safeTotal = [...counts.safe.values()].reduce((a, b) => a + b, 0);
  const safe5xx = [...counts.safe].filter(([status]) => status >= 500).reduce((a, [, n]) => a + n, 0);
  const finalState = readStackState(stackStateFile(stateDir));
  return {
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    kills,
    safeRequests: safeTotal,
    safe5xx,
    safeUnanswered: counts.safe.get(0) ?? 0,
    unsafeRequests: keys.length,
    unsafeByStatus: Object.fromEntries([...counts.unsafe].map(([status, n]) => [String(status), n])),
    unsafeMisapplied,
    lostWrites,
    duplicatedWrites: [...applied.values()].filter((n) => n > 1).length,
    acknowledgedInserts: acknowledged.length,
    acknowledgedUpdates: counts.updates,
    converged,
    convergenceMs,
    digests: last,
    failedComponents: (finalState?.components ?? []).filter((c) => c.state === 'failed').map((c) => `${c.name}: ${c.reason ?? ''}`),
  };
}

/** The problems of a run: empty when every invariant holds. */
export function violations(result: ChaosResult): string[] {
  const problems: string[] = [];
  if (result.safe5xx > 0) problems.push(`${result.safe5xx} safe requests answered 5xx`);
  if (result.safeUnanswered > 0) problems.push(`${result.safeUnanswered} safe requests got no answer from the stable URL`);
  if (result.lostWrites.length > 0) problems.push(`${result.lostWrites.length} acknowledged writes missing: ${result.lostWrites.slice(0, 5).join(', ')}`);
  if (result.duplicatedWrites > 0) problems.push(`${result.duplicatedWrites} writes applied more than once`);
  if (result.unsafeMisapplied.length > 0) problems.push(`unsafe requests not applied exactly as answered: ${result.unsafeMisapplied.slice(0, 5).join('; ')}`);
  if (!result.converged) problems.push(`the two sides did not agree within the deadline: ${JSON.stringify(result.digests)}`);
  for (const kill of result.kills) if (kill.backMs === null || kill.dataFlowingMs === null) problems.push(`${kill.component} (round ${kill.round}) did not come back with data flowing`);
  if (result.failedComponents.length > 0) problems.push(`failed components: ${result.failedComponents.join('; ')}`);
  return problems;
}
