export { ensureDatabase, startPostgres, type PostgresHandle, type PostgresOptions } from './postgres.js';
