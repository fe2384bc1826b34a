import { defineConfig } from 'prisma/config';

// Used by `prisma generate`. Migrations are applied by src/db/migrate.ts (offline, see ADR-0003).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
