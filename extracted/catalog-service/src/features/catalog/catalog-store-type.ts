export interface CategoryRecord {
  id: string;
  slug: string;
  name: string;
  description: string;
}

export interface ProductRecord {
  id: string;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  active: boolean;
  category: { id: string; slug: string; name: string };
  createdAt: Date;
  updatedAt: Date;
}

export const PRODUCT_SORTS = ['name', '-name', 'price', '-price', 'newest'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

/** A page of active products; `q` matches name, description or sku, case-insensitively. */
export interface ProductSearch {
  q?: string;
  categoryId?: string;
  sort: ProductSort;
  offset: number;
  limit: number;
}

/**
 * Reads of the projected catalog. Deleted rows (tombstones) and products whose category has not
 * arrived yet are not found: the monolith never shows a product without its category.
 */
export interface CatalogStore {
  listCategories(): Promise<CategoryRecord[]>;
  findCategoryBySlug(slug: string): Promise<CategoryRecord | undefined>;
  searchActiveProducts(search: ProductSearch): Promise<{ items: ProductRecord[]; total: number }>;
  /** Active or not. */
  findProduct(id: string): Promise<ProductRecord | undefined>;
}
