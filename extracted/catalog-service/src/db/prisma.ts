import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient };

export interface Database {
  /** For the stores' reads. */
  prisma: PrismaClient;
  /** The same connections, for the projection's writes (plain SQL, exact SQLSTATE codes). */
  pool: pg.Pool;
  close(): Promise<void>;
}

/** One pool of connections to the service's own database, shared by Prisma (driver adapter) and plain SQL. */
export function openDatabase(databaseUrl: string, options: { maxConnections?: number } = {}): Database {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
