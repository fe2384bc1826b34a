import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, copyOfRepository, fileOf, highestNumber, type Fixture } from './testing/fixture.js';

// The built command line (`npm run adr`), run as a user runs it: exit codes and messages.
const CLI = join(REPO_ROOT, 'tools/adr/dist/cli.js');
let fx: Fixture;

beforeEach(async () => {
  fx = await copyOfRepository();
});
afterEach(async () => {
  await fx.cleanup();
});

async function adr(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  return promisify(execFile)(process.execPath, [CLI, '--dir', fx.adrDir, '--manifests', fx.manifestDir, ...args], {
    env: { ...process.env, PROXY_DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:1/none' },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

describe('the adr command line', () => {
  it('exits 0 when lint finds nothing', async () => {
    const result = await adr('lint');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/no problems/);
  });

  it('exits 1 and names each problem on its own line when lint finds problems', async () => {
    await adr('status', '9', 'rejected');

    const result = await adr('lint');

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/catalog.yaml:\d+: adr: cites ADR 0009, which is rejected, not accepted\n/);
    expect(result.stderr).toMatch(/adr lint: 1 problem\(s\)/);
  });

  it('exits 2 with one clear line on stderr for bad input', async () => {
    const result = await adr('status', '3', 'approved');

    expect(result.code).toBe(2);
    expect(result.stderr).toBe('adr: "approved" is not a status; use one of proposed, accepted, rejected, deprecated, superseded\n');
  });

  it('exits 2 for an unknown command', async () => {
    const result = await adr('frobnicate');

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^adr: unknown command 'frobnicate'/);
  });

  it('writes a new record and says where', async () => {
    const next = (await highestNumber(fx.adrDir)) + 1;

    const result = await adr('new', 'Shard the orders table');

    expect(result.code).toBe(0);
    const file = await fileOf(fx.adrDir, next);
    expect(file).toBe(`${String(next).padStart(4, '0')}-shard-the-orders-table.md`);
    expect(result.stdout).toContain(`wrote ${join(fx.adrDir, file)}`);
  });

  it('shows a record and says the audit log cannot be read, exiting 0', async () => {
    const result = await adr('show', '9');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('# Extract the catalog domain first');
    expect(result.stdout).toMatch(/Flips citing ADR 0009: the audit log could not be read: nothing is listening at postgresql:\/\/postgres:\*\*\*@127.0.0.1:1\/none/);
  });
});
