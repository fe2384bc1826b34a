// `npm run db:seed -w legacy-monolith`: loads the demo data into DATABASE_URL (migrate first).
// Safe to run again: a second run changes nothing.
import { DEMO_USERS, seedDatabase } from './seed.js';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set: point it at the migrated monolith database (postgresql://...).');
  process.exit(2);
}
try {
  const report = await seedDatabase(url);
  const line = (name: string, r: { inserted: number; updated?: number }) =>
    `${name.padEnd(12)} inserted ${String(r.inserted).padStart(5)}${r.updated === undefined ? '' : `, updated ${r.updated}`}`;
  console.log(
    [
      line('warehouses', report.warehouses),
      line('categories', report.categories),
      line('products', report.products),
      line('stock levels', report.stockLevels),
      line('users', report.users),
      `demo users: ${DEMO_USERS.map((u) => `${u.email} (${u.role})`).join(', ')}`,
    ].join('\n'),
  );
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
