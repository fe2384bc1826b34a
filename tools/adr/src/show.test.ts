import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redactUrl } from './audit-log.js';
import { UsageError } from './errors.js';
import { showRecord } from './show.js';
import { copyOfRepository, fileOf, type Fixture } from './testing/fixture.js';
import { FakeAuditLog, flip } from './testing/fake-audit-log.js';

let fx: Fixture;

beforeEach(async () => {
  fx = await copyOfRepository();
});
afterEach(async () => {
  await fx.cleanup();
});

const show = (n: string, auditLog: FakeAuditLog): Promise<string> => showRecord(n, { dir: fx.adrDir, manifestDir: fx.manifestDir, auditLog });

describe('adr show', () => {
  it('prints the record, the domains whose manifest cites it and the flips that cite it', async () => {
    const auditLog = new FakeAuditLog([
      flip({ id: '1', toStage: 'shadow', reason: 'start comparing' }),
      flip({ id: '2', fromStage: 'shadow', toStage: 'canary', toPercentage: 10, actor: 'bo', mode: 'automatic', reason: 'diff rate below 0.1%' }),
      flip({ id: '3', adr: 5, domain: 'orders', reason: 'unrelated' }),
    ]);

    const out = await show('9', auditLog);

    expect(out).toContain(await fx.read(await fileOf(fx.adrDir, 9)).then((t) => t.trimEnd()));
    expect(out).toMatch(/Domains citing ADR 0009:\n {2}catalog {2}\(.*catalog.yaml:\d+, adr\)/);
    expect(out).toMatch(/2026-11-23T10:00:00.000Z\s+│\s+catalog\s+│\s+legacy 0%\s+│\s+shadow 0%\s+│\s+manual\s+│\s+ana\s+│\s+start comparing/);
    expect(out).toMatch(/shadow 0%\s+│\s+canary 10%\s+│\s+automatic\s+│\s+bo\s+│\s+diff rate below 0.1%/);
    expect(out).not.toContain('unrelated');
  });

  it('says when no domain and no flip cites the record', async () => {
    const out = await show('4', new FakeAuditLog([flip()]));

    expect(out).toContain('Domains citing ADR 0004: none.');
    expect(out).toContain('Flips citing ADR 0004: none in the audit log.');
  });

  it('finds a domain that cites the record deeper in its manifest', async () => {
    await writeFile(join(fx.manifestDir, 'orders.yaml'), 'domain: orders\nadr: 9\nroutes:\n  - { method: GET, path: /api/orders, adr: 4 }\n');

    expect(await show('4', new FakeAuditLog())).toMatch(/Domains citing ADR 0004:\n {2}orders {2}\(.*orders.yaml:4, routes.0.adr\)/);
  });

  it('still shows the record and the domains when the audit log cannot be read, and says why', async () => {
    const out = await show('9', new FakeAuditLog([], 'nothing is listening at postgresql://postgres:***@127.0.0.1:5433/strangler_proxy'));

    expect(out).toContain('# Extract the catalog domain first');
    expect(out).toMatch(/Domains citing ADR 0009:\n {2}catalog/);
    expect(out).toContain('Flips citing ADR 0009: the audit log could not be read: nothing is listening at postgresql://postgres:***@127.0.0.1:5433/strangler_proxy.');
  });

  it('refuses an unknown number', async () => {
    await expect(show('123', new FakeAuditLog())).rejects.toThrow(UsageError);
  });
});

describe('database URLs in messages', () => {
  it('hide the password', () => {
    expect(redactUrl('postgresql://postgres:s3cret@127.0.0.1:5433/strangler_proxy')).toBe('postgresql://postgres:***@127.0.0.1:5433/strangler_proxy');
  });
});
