import { NotFoundError, offsetOf, pageOf, ValidationError, type Page, type PageRequest } from '@strangler/platform';
import type { CatalogStore, CategoryRecord, ProductRecord, ProductSort } from './catalog-store-type.js';

export interface ProductQuery extends PageRequest {
  q?: string;
  category?: string;
  sort: ProductSort;
}

/** A product as the API shows it: the projected record with ISO timestamps. */
export interface Product extends Omit<ProductRecord, 'createdAt' | 'updatedAt'> {
  createdAt: string;
  updatedAt: string;
}

/** The catalog's reads, with the monolith's rules: active products only, unknown slugs are a 400. */
export class CatalogService {
  constructor(private readonly store: CatalogStore) {}

  async categories(): Promise<CategoryRecord[]> {
    return this.store.listCategories();
  }

  /** Active products only; an unknown category slug is a 400 naming `query.category`. */
  async searchProducts(query: ProductQuery): Promise<Page<Product>> {
    let categoryId: string | undefined;
    if (query.category !== undefined) {
      const category = await this.store.findCategoryBySlug(query.category);
      if (!category) {
        const reason = `unknown category "${query.category}"`;
        throw new ValidationError(`query.category: ${reason}`, [{ field: 'query.category', reason }]);
      }
      categoryId = category.id;
    }
    const q = query.q?.trim();
    const { items, total } = await this.store.searchActiveProducts({
      ...(q ? { q } : {}),
      ...(categoryId ? { categoryId } : {}),
      sort: query.sort,
      offset: offsetOf(query),
      limit: query.limit,
    });
    return pageOf(items.map(toProduct), total, query);
  }

  /** Inactive (deleted) products are not found publicly. */
  async product(id: string): Promise<Product> {
    const product = await this.store.findProduct(id);
    if (!product || !product.active) throw new NotFoundError(`No product with id ${id}`);
    return toProduct(product);
  }
}

export function toProduct(p: ProductRecord): Product {
  return {
    id: p.id,
    sku: p.sku,
    name: p.name,
    description: p.description,
    priceCents: p.priceCents,
    currency: p.currency,
    active: p.active,
    category: { id: p.category.id, slug: p.category.slug, name: p.category.name },
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}
