import { fileURLToPath } from 'node:url';
import { applyMigrations as applyPrismaMigrations } from '@strangler/prisma-offline';

export { MigrationError } from '@strangler/prisma-offline';

/** The monolith's Prisma folder: schema.prisma and the standard migrations/ folders. */
export const PRISMA_DIR = fileURLToPath(new URL('../../prisma', import.meta.url));

/** Applies the monolith's pending migrations (as `prisma migrate deploy` does); returns the names applied. */
export function applyMigrations(databaseUrl: string, prismaDir: string = PRISMA_DIR): Promise<string[]> {
  return applyPrismaMigrations(databaseUrl, prismaDir);
}
