import type { FastLaneOptions } from '@strangler/platform';
import type { CatalogCache } from './catalog-cache.js';

/**
 * The catalog's hot reads that the platform's fast lane may answer again from kept bytes (ADR-0036):
 * GET routes without auth whose answer depends on the URL and the catalog's data only, kept only
 * while the cache has seen no change (its `version`), so never older than what the cache would answer.
 */
export function catalogFastLane(cache: CatalogCache): FastLaneOptions {
  // 4,096 URLs, about the pages the cache keeps (2,000) and as many products: a stream of distinct
  // valid searches cannot grow it past that (when full it starts again empty).
  return { routes: ['/api/categories', '/api/products', '/api/products/:id'], version: () => cache.version, maxEntries: 4_096 };
}
