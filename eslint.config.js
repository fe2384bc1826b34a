// One lint configuration for the whole repository; `npm run lint` fails on any warning.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '.stack/**', 'cdc/runtime/target/**', 'coverage/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      ecmaVersion: 2023,
      sourceType: 'module',
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // Prisma is reached only through store files (and the db folder that owns the client).
    files: ['legacy-monolith/src/**/*.ts', 'extracted/**/src/**/*.ts'],
    ignores: ['**/*-store.ts', '**/db/**', '**/*.int.test.ts', '**/test/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/generated/prisma/**', '@prisma/*'], message: 'Only *-store.ts files talk to Prisma.' }],
      }],
    },
  },
  {
    // The dashboard's script runs in the browser.
    files: ['strangler-proxy/src/dashboard/assets/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' },
  },
  {
    // Command-line entry points, scripts, benchmarks and tests may print.
    files: ['**/*-cli.ts', '**/cli.ts', '**/scripts/**', 'tools/prisma-offline/bin/**', '**/bench/**', '**/*.test.ts', '.ci/**'],
    rules: { 'no-console': 'off' },
  },
);
