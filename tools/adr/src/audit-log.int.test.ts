import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { AuditLogUnavailable, PgAuditLogReader, proxyDatabaseUrl } from './audit-log.js';
import { showRecord } from './show.js';
import { REPO_ROOT } from './testing/fixture.js';

// The audit log's table exactly as the proxy creates it (the contract `adr show` reads).
const AUDIT_LOG = readFileSync(join(REPO_ROOT, 'strangler-proxy/sql/0001_audit_log.sql'), 'utf8');

describe('reading flips from the proxy database audit log', () => {
  let withLog: TestDatabase;
  let withoutLog: TestDatabase;

  beforeAll(async () => {
    withLog = await createTestDatabase('adr_audit');
    withoutLog = await createTestDatabase('adr_no_audit');
    const client = new pg.Client({ connectionString: withLog.url });
    await client.connect();
    try {
      await client.query(AUDIT_LOG);
      await client.query(
        `INSERT INTO audit_log (at, actor, domain, from_stage, to_stage, from_percentage, to_percentage, adr, reason, mode) VALUES
           ('2026-11-23T10:00:00Z', 'ana', 'catalog', 'legacy', 'shadow', 0, 0, 9, 'start comparing', 'manual'),
           ('2026-11-23T11:00:00Z', 'proxy', 'catalog', 'shadow', 'canary', 0, 10, 9, 'diff rate below threshold', 'automatic'),
           ('2026-11-23T12:00:00Z', 'bo', 'orders', 'legacy', 'shadow', 0, 0, 5, 'unrelated', 'manual')`,
      );
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await withLog?.drop();
    await withoutLog?.drop();
  });

  it('returns the flips that cite a record, oldest first', async () => {
    const flips = await new PgAuditLogReader(withLog.url).flipsCiting(9);

    expect(flips.map((f) => [f.at.toISOString(), f.actor, f.fromStage, f.toStage, f.toPercentage, f.mode])).toEqual([
      ['2026-11-23T10:00:00.000Z', 'ana', 'legacy', 'shadow', 0, 'manual'],
      ['2026-11-23T11:00:00.000Z', 'proxy', 'shadow', 'canary', 10, 'automatic'],
    ]);
  });

  it('shows those flips under the record', async () => {
    const out = await showRecord('9', { dir: `${REPO_ROOT}/docs/adr`, manifestDir: `${REPO_ROOT}/migrations`, auditLog: new PgAuditLogReader(withLog.url) });

    expect(out).toMatch(/Flips citing ADR 0009:\n/);
    expect(out).toMatch(/catalog\s+│\s+shadow 0%\s+│\s+canary 10%\s+│\s+automatic\s+│\s+proxy/);
    expect(out).not.toContain('unrelated');
  });

  it('says the database has no audit log yet when the table is missing', async () => {
    const read = new PgAuditLogReader(withoutLog.url).flipsCiting(9);

    await expect(read).rejects.toThrow(AuditLogUnavailable);
    await expect(read).rejects.toThrow(/has no audit_log table yet/);
  });

  it('says nothing is listening when the database is not running', async () => {
    const url = new URL(withLog.url);
    url.port = '1';

    await expect(new PgAuditLogReader(url.toString()).flipsCiting(9)).rejects.toThrow(/nothing is listening at postgresql:\/\/postgres:\*\*\*@127.0.0.1:1\//);
  });
});

describe('where adr show finds the audit log', () => {
  it("uses PROXY_DATABASE_URL, else npm start's database with the generated password from secrets.json", () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'adr-state-'));
    try {
      writeFileSync(join(stateDir, 'secrets.json'), JSON.stringify({ postgresPassword: 'gen/erated' }));
      expect(proxyDatabaseUrl({ PROXY_DATABASE_URL: 'postgresql://u:p@db/x' }, REPO_ROOT)).toBe('postgresql://u:p@db/x');
      expect(proxyDatabaseUrl({ STACK_STATE_DIR: stateDir, PG_PORT: '6000' }, REPO_ROOT)).toBe('postgresql://postgres:gen%2Ferated@127.0.0.1:6000/strangler_proxy');
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
