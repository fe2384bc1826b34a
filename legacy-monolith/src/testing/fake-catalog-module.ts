import type { CatalogModule, ProductForOrder } from '../features/catalog/catalog-module.js';

/** The catalog as other modules see it, in memory: tests set products and prices directly. */
export class FakeCatalogModule implements CatalogModule {
  readonly products = new Map<string, ProductForOrder>();

  constructor(products: ProductForOrder[] = []) {
    for (const p of products) this.products.set(p.id, { ...p });
  }

  async productsForOrder(ids: string[]): Promise<ProductForOrder[]> {
    return [...new Set(ids)].flatMap((id) => {
      const p = this.products.get(id);
      return p ? [{ ...p }] : [];
    });
  }
}
