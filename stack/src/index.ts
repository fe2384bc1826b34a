export { ensureDatabase, startPostgres, type PostgresHandle, type PostgresOptions } from './postgres.js';
export { START_NEEDS } from './stack.js';
