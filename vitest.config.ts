import { defineConfig } from 'vitest/config';

// Two projects: `unit` (fast, no I/O, fakes) and `int` (real PostgreSQL and friends).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['**/src/**/*.test.ts', '**/test/**/*.test.ts', 'docs/**/*.test.ts', 'tools/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', '**/dist/**'],
        },
      },
      {
        test: {
          name: 'int',
          sequence: { groupOrder: 1 },
          include: ['**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
          globalSetup: ['./test-support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
          // Two cores: keep real components from starving each other.
          maxWorkers: 2,
        },
      },
    ],
  },
});
