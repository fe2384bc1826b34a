import { fileURLToPath } from 'node:url';
import { applyMigrations as applyPrismaMigrations } from '@strangler/prisma-offline';

/** The service's Prisma folder: schema.prisma and the standard migrations/ folders. */
export const PRISMA_DIR = fileURLToPath(new URL('../../prisma', import.meta.url));

/** Applies the service's pending migrations to its own database; returns the names applied. */
export function applyMigrations(databaseUrl: string): Promise<string[]> {
  return applyPrismaMigrations(databaseUrl, PRISMA_DIR);
}
