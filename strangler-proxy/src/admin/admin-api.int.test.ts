import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { startStandIn, type StandIn } from '../../test-support/stand-in.js';
import { capturingLogger, startTestProxy, startTestUnleash, writeManifests, type UnleashFixture } from '../../test-support/proxy-fixture.js';
import { UnleashAdmin } from '../flags/unleash-admin.js';
import type { UnleashFlagReader } from '../flags/unleash-flag-reader.js';
import type { AuditRecord } from '../audit/audit-log.js';
import type { RunningProxy } from '../runtime.js';
import type { DomainStatus } from './status.js';

const ANA = 'ana-token-0123456789abcdef';
const BO = 'bo-token-0123456789abcdef';
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

let monolith: StandIn;
let catalog: StandIn;
let unleash: UnleashFixture;
let database: TestDatabase;
let first: RunningProxy;
let second: RunningProxy;
let db: pg.Client;
let unleashAdmin: UnleashAdmin;
/** The configuration both proxy instances share. */
let env: Record<string, string>;
const firstLog = capturingLogger();

/** The admin API's answers, loosely: each test reads the fields of the answer it expects. */
interface ApiBody {
  error: { code: string; message: string };
  domains: DomainStatus[];
  entries: AuditRecord[];
}

async function api(proxy: RunningProxy, method: string, path: string, options: { token?: string | null; body?: unknown } = {}) {
  const token = options.token === undefined ? ANA : options.token;
  const res = await fetch(`${proxy.adminUrl}/api${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(options.body ? { 'content-type': 'application/json' } : {}) },
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH, STRANGLER_ADMIN_URL: first.adminUrl, STRANGLER_ADMIN_TOKEN: BO, STACK_STATE_DIR: '/nonexistent', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

async function auditRows(domain: string) {
  return (await db.query('SELECT actor, domain, from_stage, to_stage, from_percentage, to_percentage, adr, reason, mode FROM audit_log WHERE domain = $1 ORDER BY id', [domain])).rows;
}

/** Polls the proxy's own routing until `path` is served by `servedBy`; returns how long it took. */
async function routedBy(proxy: RunningProxy, path: string, servedBy: string, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await fetch(`${proxy.url}${path}`, { headers: { cookie: 'strangler_sid=fixed-session-0123456789' } });
    await res.arrayBuffer();
    if (res.headers.get('x-served-by') === servedBy) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${path} still served by ${res.headers.get('x-served-by')} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  [monolith, catalog, unleash, database] = await Promise.all([startStandIn('legacy-monolith'), startStandIn('catalog-service'), startTestUnleash(), createTestDatabase('proxy_admin')]);
  // orders-service points at a port where nothing listens: its target is never healthy.
  const manifestDir = writeManifests({ catalog: [catalog.url], orders: ['http://127.0.0.1:9'] }, {}, { catalog: ['legacy', 'shadow', 'canary', 'new'] });
  env = {
    MONOLITH_URLS: monolith.url,
    MANIFEST_DIR: manifestDir,
    UNLEASH_URL: unleash.unleash.url,
    UNLEASH_CLIENT_TOKEN: unleash.clientToken,
    UNLEASH_ADMIN_TOKEN: unleash.adminToken,
    PROXY_DATABASE_URL: database.url,
    ADMIN_TOKENS: `ana=${ANA},bo=${BO}`,
  };
  // Two instances on one Unleash and one database, started together (migrations must not collide).
  // The second polls Unleash at the default interval (1 s), so its measured delay is the production one.
  [first, second] = await Promise.all([startTestProxy(env, { logger: firstLog.logger }), startTestProxy({ ...env, UNLEASH_REFRESH_MS: '1000' })]);
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
  unleashAdmin = new UnleashAdmin(unleash.unleash.url, unleash.adminToken);
  // Let the first health checks mark the orders target unhealthy.
  await new Promise((r) => setTimeout(r, 700));
});

afterAll(async () => {
  await db?.end();
  await Promise.all([first?.close(), second?.close()]);
  await Promise.all([monolith?.close(), catalog?.close()]);
  await unleash?.stop();
  await database?.drop();
});

describe('the admin API token', () => {
  it('answers 401 without a token', async () => {
    const res = await api(first, 'GET', '/domains', { token: null });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('admin_token_missing');
  });

  it('answers 401 to a wrong token, and the flip is not made', async () => {
    const res = await api(first, 'POST', '/domains/catalog/flip', { token: 'not-the-admin-token-at-all', body: { stage: 'shadow' } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('admin_token_invalid');
    expect(await auditRows('catalog')).toEqual([]);
  });
});

describe('flipping a domain through the admin API', () => {
  it('moves catalog to shadow, records who and why, and both proxy instances follow', async () => {
    const res = await api(first, 'POST', '/domains/catalog/flip', { body: { stage: 'shadow', adr: 9, reason: 'start comparing' } });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ domain: 'catalog', from: { stage: 'legacy', percentage: 0 }, to: { stage: 'shadow', percentage: 0 } });
    expect((first.flags as UnleashFlagReader).heldStage('strangler.catalog')).toMatchObject({ stage: 'shadow' });
    expect(await auditRows('catalog')).toEqual([
      { actor: 'ana', domain: 'catalog', from_stage: 'legacy', to_stage: 'shadow', from_percentage: 0, to_percentage: 0, adr: 9, reason: 'start comparing', mode: 'manual' },
    ]);
  });

  it('moves catalog to canary 100%: both instances route to catalog-service', async () => {
    const res = await api(first, 'POST', '/domains/catalog/flip', { body: { stage: 'canary', percentage: 100, adr: 9, reason: 'all users' } });
    expect(res.status).toBe(200);

    // Applied at once on the instance that made the flip; the other follows at its next poll.
    await expect(routedBy(first, '/api/products/1', 'catalog-service', 0)).resolves.toBeGreaterThanOrEqual(0);
    const followedAfterMs = await routedBy(second, '/api/products/1', 'catalog-service');
    console.info(`flip propagation: the second proxy instance (polling every 1000 ms) routed by the new stage ${followedAfterMs} ms after the flip returned`);
  });

  it('shows the live stage and the targets with their last minute in the status', async () => {
    const res = await api(second, 'GET', '/domains');

    expect(res.status).toBe(200);
    const catalogStatus = res.body.domains.find((d) => d.domain === 'catalog')!;
    expect(catalogStatus).toMatchObject({ stage: 'canary', percentage: 100, service: 'catalog-service', adr: 9 });
    expect(catalogStatus.targets).toEqual([expect.objectContaining({ url: catalog.url, healthy: true, breaker: 'closed', errorRate: 0 })]);
    expect(catalogStatus.targets[0]!.requests).toBeGreaterThan(0);
    expect(catalogStatus.targets[0]!.p99Ms).toBeGreaterThan(0);
    const ordersStatus = res.body.domains.find((d) => d.domain === 'orders')!;
    expect(ordersStatus.targets).toEqual([expect.objectContaining({ healthy: false, requests: 0, p50Ms: null })]);
  });

  it('refuses a flip towards an unhealthy target, and records nothing', async () => {
    const res = await api(first, 'POST', '/domains/orders/flip', { body: { stage: 'shadow', reason: 'try' } });

    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'target_unhealthy' });
    expect(res.body.error.message).toMatch(/orders-service has no healthy instance/);
    expect(await auditRows('orders')).toEqual([]);
  });

  it('refuses a forward jump of more than one stage', async () => {
    const res = await api(first, 'POST', '/domains/orders/flip', { body: { stage: 'canary', percentage: 10 } });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'stage_not_allowed', message: expect.stringMatching(/orders domain is at legacy; .* \(next: shadow\)/) });
  });

  it('refuses a stage the manifest does not allow, naming the manifest and its stages', async () => {
    const res = await api(first, 'POST', '/domains/catalog/flip', { body: { stage: 'owned' } });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'stage_not_allowed', message: expect.stringMatching(/catalog\.yaml allows legacy, shadow, canary, new for catalog; not owned$/) });
  });

  it('answers 404 for an unknown domain and 400 for an invalid stage', async () => {
    const unknown = await api(first, 'POST', '/domains/billing/flip', { body: { stage: 'shadow' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('unknown_domain');

    const invalid = await api(first, 'POST', '/domains/catalog/flip', { body: { stage: 'sideways' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toMatch(/invalid stage "sideways"/);
  });

  it('rolls catalog back to its previous stage in one call, and audits it', async () => {
    const res = await api(second, 'POST', '/domains/catalog/rollback', { token: BO });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: { stage: 'canary', percentage: 100 }, to: { stage: 'shadow', percentage: 0 } });
    await routedBy(first, '/api/products/1', 'legacy-monolith');
    expect((await auditRows('catalog')).at(-1)).toMatchObject({ actor: 'bo', from_stage: 'canary', to_stage: 'shadow', adr: 9, mode: 'manual', reason: expect.stringMatching(/^rollback of flip #\d+$/) });
  });

  it('reads the audit log, newest first', async () => {
    const res = await api(first, 'GET', '/audit?domain=catalog');

    expect(res.status).toBe(200);
    expect(res.body.entries.map((e) => `${e.actor} ${e.toStage}`)).toEqual(['bo shadow', 'ana canary', 'ana shadow']);
  });
});

describe('the audit log table', () => {
  it('refuses updates and deletes, even by its owner', async () => {
    await expect(db.query("UPDATE audit_log SET actor = 'mallory'")).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    // CASCADE: the cutovers journal refers to audit rows, and even taking it along is refused.
    await expect(db.query('TRUNCATE audit_log CASCADE')).rejects.toThrow(/append-only/);
  });
});

describe('the strangler CLI', () => {
  it('flips, rolls back and shows the audit log, exiting 0', async () => {
    const flip = await cli(['flip', 'catalog', '--stage', 'canary', '--percent', '10', '--adr', '9', '--reason', 'ten percent']);
    expect(flip).toMatchObject({ code: 0, stderr: '' });
    expect(flip.stdout).toMatch(/flipped catalog: shadow 0% → canary 10%/);

    const rollback = await cli(['rollback', 'catalog']);
    expect(rollback.code).toBe(0);
    expect(rollback.stdout).toMatch(/rolled back catalog: canary 10% → shadow 0%/);

    const audit = await cli(['audit', '--domain', 'catalog', '--json']);
    expect(audit.code).toBe(0);
    const entries = JSON.parse(audit.stdout) as { actor: string; toStage: string; reason: string }[];
    expect(entries.slice(0, 2).map((e) => `${e.actor} ${e.toStage}`)).toEqual(['bo shadow', 'bo canary']);
    expect((await auditRows('catalog')).at(-2)).toMatchObject({ actor: 'bo', to_stage: 'canary', to_percentage: 10, reason: 'ten percent' });
  });

  it('prints the status as a table', async () => {
    const status = await cli(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/catalog\s+│\s+shadow\s+│\s+0\s+│\s+catalog-service/);
    expect(status.stdout).toMatch(/UNHEALTHY, breaker closed/);
  });

  it('exits 2 with a clear error for an unknown domain or an invalid stage', async () => {
    const unknown = await cli(['flip', 'billing', '--stage', 'shadow']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown domain "billing"/);

    const invalid = await cli(['flip', 'catalog', '--stage', 'sideways']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/Allowed choices are legacy, shadow, canary, new, owned/);
  });

  it('exits 1 when the flip is refused or the token is wrong', async () => {
    const refused = await cli(['flip', 'orders', '--stage', 'shadow']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no healthy instance/);

    const wrongToken = await cli(['status'], { STRANGLER_ADMIN_TOKEN: 'wrong-token-0123456789' });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toMatch(/admin token is not valid/);
  });

  it('exits 3 when the proxy is unreachable', async () => {
    const res = await cli(['status'], { STRANGLER_ADMIN_URL: 'http://127.0.0.1:9' });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/unreachable/);
  });
});

describe('flips of one domain from two proxy instances at once', () => {
  it('queue up on the domain lock: the second starts from the stage the first set', async () => {
    const before = (await auditRows('catalog')).length;

    const answers = await Promise.all([
      api(first, 'POST', '/domains/catalog/flip', { body: { stage: 'canary', percentage: 10, reason: 'from the first instance' } }),
      api(second, 'POST', '/domains/catalog/flip', { token: BO, body: { stage: 'canary', percentage: 20, reason: 'from the second instance' } }),
    ]);

    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const [earlier, later] = (await auditRows('catalog')).slice(before);
    expect(later).toMatchObject({ from_stage: earlier!.to_stage, from_percentage: earlier!.to_percentage });
    expect(await unleashAdmin.stageOf('strangler.catalog')).toMatchObject({ stage: 'canary', percentage: later!.to_percentage });
  });
});

describe('a flip the audit log cannot record', () => {
  /** Makes the proxy's database refuse audit rows for one test: at INSERT, or (deferred) at COMMIT. */
  async function refusingAuditRows<T>(when: 'insert' | 'commit', act: () => Promise<T>): Promise<T> {
    await db.query(`CREATE FUNCTION refuse_audit_rows() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'this test refuses audit rows'; END $$`);
    await db.query(
      when === 'insert'
        ? 'CREATE TRIGGER refuse_audit_rows BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit_rows()'
        : 'CREATE CONSTRAINT TRIGGER refuse_audit_rows AFTER INSERT ON audit_log DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_audit_rows()',
    );
    try {
      return await act();
    } finally {
      await db.query('DROP TRIGGER refuse_audit_rows ON audit_log');
      await db.query('DROP FUNCTION refuse_audit_rows()');
    }
  }

  it('when the row is refused, is not made: Unleash keeps the old stage, no row exists, and the client gets a 503 saying why', async () => {
    const stageBefore = await unleashAdmin.stageOf('strangler.catalog');
    const rowsBefore = await auditRows('catalog');

    const res = await refusingAuditRows('insert', () => api(first, 'POST', '/domains/catalog/flip', { body: { stage: 'new', reason: 'refused row' } }));

    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'audit_log_unavailable', message: expect.stringMatching(/could not append a row for catalog: this test refuses audit rows/) });
    expect(await unleashAdmin.stageOf('strangler.catalog')).toEqual(stageBefore);
    expect(await auditRows('catalog')).toEqual(rowsBefore);
  });

  it('when the commit fails after Unleash took the flip, puts Unleash back to the old stage, keeps no row, and says so', async () => {
    const stageBefore = await unleashAdmin.stageOf('strangler.catalog');
    const rowsBefore = await auditRows('catalog');

    const res = await refusingAuditRows('commit', () => api(first, 'POST', '/domains/catalog/flip', { body: { stage: 'new', reason: 'refused commit' } }));

    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'flip_undone', message: expect.stringMatching(/could not commit the flip of catalog .*this test refuses audit rows.*Unleash was put back to canary/) });
    expect(await unleashAdmin.stageOf('strangler.catalog')).toEqual(stageBefore);
    expect(await auditRows('catalog')).toEqual(rowsBefore);
  });
});

describe('a flip made in Unleash directly, bypassing the admin API', () => {
  const settled = () => Promise.all([first, second].map((p) => p.externalChanges!.settled()));

  it('is recorded once, as an external change by unleash, though two proxy instances notice it', async () => {
    await settled();
    const before = await auditRows('catalog');
    const last = before.at(-1)!;

    await unleashAdmin.setStage('strangler.catalog', 'new', 100);
    // Each instance fetches the new stage, and each then compares Unleash with the audit log.
    await Promise.all([first, second].map((p) => (p.flags as UnleashFlagReader).refreshUntil('strangler.catalog', 'new', 100)));
    await settled();

    expect((await auditRows('catalog')).slice(before.length)).toEqual([
      {
        actor: 'unleash',
        domain: 'catalog',
        from_stage: last.to_stage,
        to_stage: 'new',
        from_percentage: last.to_percentage,
        to_percentage: 100,
        adr: null,
        reason: 'changed in Unleash outside the strangler admin API',
        mode: 'external',
      },
    ]);
  });

  it('is undone by a rollback, back to the stage before the change', async () => {
    const [external] = (await api(first, 'GET', '/audit?domain=catalog&limit=1')).body.entries;

    const res = await api(second, 'POST', '/domains/catalog/rollback', { token: BO });

    expect(external).toMatchObject({ mode: 'external', toStage: 'new' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ from: { stage: 'new', percentage: 100 }, to: { stage: external!.fromStage, percentage: external!.fromPercentage } });
    expect(await unleashAdmin.stageOf('strangler.catalog')).toMatchObject({ stage: external!.fromStage, percentage: external!.fromPercentage });
  });
});

describe('the traffic split in the status', () => {
  it('with catalog at canary 50 %, shows 200 requests of 200 users served by both sides, counted once each', async () => {
    // A fresh instance: its last minute holds only this test's requests.
    const third = await startTestProxy(env);
    try {
      const flip = await api(first, 'POST', '/domains/catalog/flip', { body: { stage: 'canary', percentage: 50, reason: 'half of the users' } });
      expect(flip.status).toBe(200);
      await (third.flags as UnleashFlagReader).refreshUntil('strangler.catalog', 'canary', 50);

      for (let i = 0; i < 200; i++) {
        const res = await fetch(`${third.url}/api/products/${i}`, { headers: { cookie: `strangler_sid=split-user-${String(i).padStart(4, '0')}-abcdefgh` } });
        await res.arrayBuffer();
      }
      const status = await api(third, 'GET', '/domains');
      const cliStatus = await cli(['status'], { STRANGLER_ADMIN_URL: third.adminUrl });

      const split = status.body.domains.find((d) => d.domain === 'catalog')!.split;
      expect(split).toMatchObject({ requests: 200, shadow: 0 });
      expect(split.new).toBeGreaterThan(0);
      expect(split.legacy).toBeGreaterThan(0);
      expect(split.new + split.legacy).toBe(200);
      expect(split.newPercent).toBe(split.new / 2);
      expect(cliStatus.stdout).toContain(`new ${split.newPercent}% / legacy ${split.legacyPercent}% (200 req)`);
    } finally {
      await third.close();
    }
  });
});

describe("the proxy's logs", () => {
  it('never contain an admin token, right or wrong', async () => {
    await api(first, 'GET', '/domains', { token: 'wrong-token-that-must-not-be-logged' });
    await api(first, 'POST', '/domains/catalog/flip', { body: { stage: 'sideways' } });

    const log = firstLog.lines.join('\n');
    expect(log).toMatch(/request rejected/);
    expect(log).not.toContain(ANA);
    expect(log).not.toContain(BO);
    expect(log).not.toContain('wrong-token-that-must-not-be-logged');
  });
});
