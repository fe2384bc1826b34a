import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/database.js';
import { runToExit, takenPort } from '../../../test-support/taken-port.js';
import { UNLEASH_MAIN } from './unleash-process.js';

// The Unleash process, like every process of ours, exits 78 when it cannot start as configured:
// the stack's supervisor then reports it once instead of restarting it in a loop (ADR-0024).
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('unleash_main');
});
afterAll(async () => {
  await database?.drop();
});

const tokens = { UNLEASH_ADMIN_TOKEN: '*:*.0123456789abcdef0123', UNLEASH_CLIENT_TOKEN: 'default:development.0123456789abcdef0123' };

describe('the Unleash process', () => {
  it('on a bad setting, exits 78 naming it', async () => {
    const { code, output } = await runToExit(UNLEASH_MAIN, { ...tokens, UNLEASH_DATABASE_URL: database.url, UNLEASH_ADMIN_TOKEN: 'not-a-token' });

    expect(code).toBe(78);
    expect(output).toContain('UNLEASH_ADMIN_TOKEN');
  });

  it('on a port already taken, exits 78 naming UNLEASH_PORT', { timeout: 120_000 }, async () => {
    const taken = await takenPort();
    try {
      const { code, output } = await runToExit(UNLEASH_MAIN, { ...tokens, UNLEASH_DATABASE_URL: database.url, UNLEASH_PORT: String(taken.port) }, 110_000);

      expect(code).toBe(78);
      expect(output).toContain(`set UNLEASH_PORT to a free port`);
    } finally {
      await taken.release();
    }
  });
});
