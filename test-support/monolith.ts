import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@strangler/platform';
import { composeMonolith } from '../legacy-monolith/src/compose.js';
import { readConfig } from '../legacy-monolith/src/config.js';
import { createTestDatabase, MONOLITH_TEMPLATE, type TestDatabase } from './database.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TestMonolith {
  db: TestDatabase;
  monolith: ReturnType<typeof composeMonolith>;
  /** The Express app, for supertest. */
  app: ReturnType<typeof composeMonolith>['app'];
  /** Listens on a free port when `listen` was asked for. */
  url?: string;
  close(): Promise<void>;
}

/**
 * The real monolith on its own database cloned from the migrated template: the same wiring as
 * server.ts. With `listen`, also an HTTP server on a free port (for the proxy's tests).
 */
export async function startTestMonolith(options: { listen?: boolean; env?: Record<string, string> } = {}): Promise<TestMonolith> {
  const db = await createTestDatabase('monolith', MONOLITH_TEMPLATE);
  const config = readConfig({ DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '5', ...options.env });
  const monolith = composeMonolith(config, createLogger('legacy-monolith', config.LOG_LEVEL));
  let url: string | undefined;
  let server: Server | undefined;
  if (options.listen) {
    server = await new Promise((resolve) => {
      const s = monolith.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }
  return {
    db,
    monolith,
    app: monolith.app,
    url,
    close: async () => {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await monolith.close();
      await db.drop();
    },
  };
}
