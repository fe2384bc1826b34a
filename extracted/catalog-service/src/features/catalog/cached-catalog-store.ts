import type { CatalogStore, CategoryRecord, NewProduct, ProductPatch, ProductRecord, ProductSearch } from '@strangler/catalog-contract';
import { changeKeys, type CatalogCache, type ChangeKey } from './catalog-cache.js';

/**
 * The catalog's reads through the in-process cache (CATALOG_CACHE=on, ADR-0027), and its writes
 * bracketed by the cache's invalidation: the product's keys are kept out of the cache from before
 * the write's transaction until after it committed, and dropped again then, before the answer goes out.
 */
export class CachedCatalogStore implements CatalogStore {
  constructor(
    private readonly store: CatalogStore,
    private readonly cache: CatalogCache,
  ) {}

  listCategories(): Promise<CategoryRecord[]> {
    return this.cache.listCategories(() => this.store.listCategories());
  }

  findCategoryBySlug(slug: string): Promise<CategoryRecord | undefined> {
    return this.cache.findCategoryBySlug(slug, () => this.store.findCategoryBySlug(slug));
  }

  searchActiveProducts(search: ProductSearch): Promise<{ items: ProductRecord[]; total: number }> {
    const key = `${search.sort}|${search.offset}|${search.limit}|${search.categoryId ?? ''}|${search.q ?? ''}`;
    return this.cache.searchActiveProducts(key, () => this.store.searchActiveProducts(search));
  }

  findProduct(id: string): Promise<ProductRecord | undefined> {
    return this.cache.findProduct(id, () => this.store.findProduct(id));
  }

  /** Not a route of the service (the monolith's checkout uses it): read through, never cached. */
  findProducts(ids: string[]): Promise<ProductRecord[]> {
    return this.store.findProducts(ids);
  }

  async createProduct(product: NewProduct): Promise<ProductRecord | 'sku_taken'> {
    // A new id has no cached answer (unknown ids are never cached): only the list pages change.
    const created = await this.changing(['products'], () => this.store.createProduct(product));
    return created;
  }

  updateProduct(id: string, patch: ProductPatch): Promise<ProductRecord | 'sku_taken' | undefined> {
    return this.changing(changeKeys([id], []), () => this.store.updateProduct(id, patch));
  }

  deleteProduct(id: string): Promise<boolean> {
    return this.changing(changeKeys([id], []), () => this.store.deleteProduct(id));
  }

  private async changing<T>(keys: ChangeKey[], write: () => Promise<T>): Promise<T> {
    this.cache.begin(keys);
    try {
      return await write();
    } finally {
      this.cache.end(keys);
    }
  }
}
