import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../test-support/global-setup.js';
import { runToExit, takenPort } from '../../../test-support/taken-port.js';

describe('the catalog service process', () => {
  it('on a port already taken, says so and exits 78 (a configuration error, never restarted) without consuming the CDC topics', { timeout: 120_000 }, async () => {
    const taken = await takenPort();
    try {
      const { code, output } = await runToExit(join(ROOT, 'extracted/catalog-service/dist/server.js'), {
        PORT: String(taken.port),
        DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none',
        MIGRATE_ON_START: 'false',
        KAFKA_BROKERS: '127.0.0.1:1',
      }, 110_000); // a loaded machine takes tens of seconds just to load the service's modules

      expect(code).toBe(78);
      expect(output).toContain(`cannot listen, not starting: 127.0.0.1:${taken.port} is already in use by another process`);
      expect(output).not.toMatch(/consum|listening"/i);
    } finally {
      await taken.release();
    }
  });
});
