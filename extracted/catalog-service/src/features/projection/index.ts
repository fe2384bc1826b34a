// The projection's parts, for tools that compose them differently from the service (the benchmark).
export { CatalogProjection, type CatalogChange } from './catalog-projection.js';
export { PgProjectionStore } from './projection-store.js';
