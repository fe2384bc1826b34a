import { join } from 'node:path';
import { generateTokenKeyPair } from '@strangler/platform';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test-support/global-setup.js';
import { runToExit, takenPort } from '../../test-support/taken-port.js';

describe('the monolith process', () => {
  it('on a port already taken, says so and exits 78 (a configuration error, never restarted) instead of logging "listening"', async () => {
    const taken = await takenPort();
    try {
      const { code, output } = await runToExit(join(ROOT, 'legacy-monolith/dist/server.js'), {
        PORT: String(taken.port),
        DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none',
        JWT_PRIVATE_KEY: generateTokenKeyPair().privateKey,
      });

      expect(code).toBe(78);
      expect(output).toContain(`cannot listen, not starting: 127.0.0.1:${taken.port} is already in use by another process: stop it, or set PORT to a free port`);
      expect(output).not.toContain('listening"');
    } finally {
      await taken.release();
    }
  });
});
