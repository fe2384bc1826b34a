// Generates the Prisma client of the workspace it runs in (its prisma.config.ts), offline. The Prisma
// CLI insists on a schema-engine binary it cannot download here; `generate` never uses it, so any
// existing file satisfies the check. Usage, as a workspace's prebuild script:
//   node ../tools/prisma-offline/bin/prisma-generate.mjs
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve('prisma/package.json')), 'build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate', '--no-hints'], {
  cwd: process.cwd(),
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
process.exit(result.status ?? 1);
