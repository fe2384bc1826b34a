// `npm run db:migrate -w legacy-monolith`: applies pending migrations to DATABASE_URL.
import { applyMigrations } from './migrate.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set: point it at the monolith database (postgresql://...).');
  process.exit(2);
}
try {
  const applied = await applyMigrations(url);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
