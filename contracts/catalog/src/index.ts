// The catalog's API contract, one copy for both sides (docs/adr/0022): the monolith and
// catalog-service declare the same routes with the same schemas, rules and answers; only their
// stores differ (the monolith's tables, or the service's own database with its outbox).
export {
  CategorySchema,
  CreateProductBody,
  MAX_PAGE_SIZE,
  ProductIdParams,
  ProductPageSchema,
  ProductQuerySchema,
  ProductSchema,
  UpdateProductBody,
} from './catalog-schemas.js';
export { PRODUCT_SORTS, type CatalogStore, type CategoryRecord, type NewProduct, type ProductPatch, type ProductRecord, type ProductSearch, type ProductSort } from './catalog-store-type.js';
export { CatalogService, toProduct, type Product, type ProductChanges, type ProductForOrder, type ProductInput, type ProductQuery } from './catalog-service.js';
export { catalogRouter } from './catalog-router.js';
export {
  CATALOG_EVENT_TYPES,
  parseCatalogEvent,
  PRODUCT_EVENT_TYPES,
  productEvent,
  productRow,
  type AggregateType,
  type CatalogEvent,
  type CatalogEventType,
  type ProductRow,
} from './catalog-events.js';
