// Integration tests share one real PostgreSQL 17 (embedded, wal_level=logical) per run, on a free
// port, so that several checkouts can run their tests at once. Each test file gets its own
// database cloned from a migrated template (see database.ts).
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPostgres, type PostgresHandle } from '../stack/src/postgres.js';

export const ROOT = resolve(import.meta.dirname, '..');

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the integration-test PostgreSQL cluster (database `postgres`). */
    pgAdminUrl: string;
  }
}

let postgres: PostgresHandle | undefined;

export async function setup(project: TestProject): Promise<void> {
  const stateDir = resolve(ROOT, '.stack/test');
  mkdirSync(resolve(stateDir, 'logs'), { recursive: true });
  postgres = await startPostgres({
    dataDir: resolve(stateDir, 'postgres'),
    port: await freePort(),
    logFile: resolve(stateDir, 'logs/postgres.log'),
    ephemeral: true,
  });
  project.provide('pgAdminUrl', postgres.url('postgres'));
}

export async function teardown(): Promise<void> {
  await postgres?.stop();
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}
