import { defineConfig } from 'prisma/config';

// Used by `prisma generate`. Migrations are applied by src/db/migrate.ts (see docs/adr, offline migrations).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
