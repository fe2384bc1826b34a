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

export interface NewProduct {
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  categoryId: string;
}

export type ProductPatch = Partial<NewProduct & { active: boolean }>;

export interface CatalogStore {
  listCategories(): Promise<CategoryRecord[]>;
  findCategoryBySlug(slug: string): Promise<CategoryRecord | undefined>;
  searchActiveProducts(search: ProductSearch): Promise<{ items: ProductRecord[]; total: number }>;
  /** Active or not. */
  findProduct(id: string): Promise<ProductRecord | undefined>;
  findProducts(ids: string[]): Promise<ProductRecord[]>;
  createProduct(product: NewProduct): Promise<ProductRecord | 'sku_taken'>;
  /** `undefined` when no product has this id. */
  updateProduct(id: string, patch: ProductPatch): Promise<ProductRecord | 'sku_taken' | undefined>;
  /** The soft delete (`active` false, the row stays); `false` when no product has this id. */
  deleteProduct(id: string): Promise<boolean>;
}
