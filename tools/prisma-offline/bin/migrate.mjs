// Applies a workspace's pending Prisma migrations to DATABASE_URL, as `prisma migrate deploy` does,
// offline. Usage: node tools/prisma-offline/bin/migrate.mjs [prisma folder, default ./prisma]
// (a workspace's `npm run db:migrate`; docker-compose's one-shot migration).
import { resolve } from 'node:path';
import { applyMigrations } from '../dist/index.js';

const prismaDir = resolve(process.argv[2] ?? 'prisma');
const url = process.env.DATABASE_URL;
if (!url) {
  console.error(`DATABASE_URL is not set: point it at the database that ${prismaDir} describes (postgresql://...).`);
  process.exit(2);
}
try {
  const applied = await applyMigrations(url, prismaDir);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
