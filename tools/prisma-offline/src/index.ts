export { applyMigrations, MigrationError } from './migrate.js';
