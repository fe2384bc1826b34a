import { randomUUID } from 'node:crypto';
import type { CatalogStore, CategoryRecord, NewProduct, ProductPatch, ProductRecord, ProductSearch } from './catalog-store-type.js';

/** In-memory catalog for unit tests, with the same search, sort and paging semantics as the real store. */
export class FakeCatalogStore implements CatalogStore {
  readonly categories: CategoryRecord[] = [];
  readonly products: ProductRecord[] = [];
  /** The last search the service asked for, so tests can check how a query was translated. */
  lastSearch: ProductSearch | undefined;

  addCategory(slug: string, name = slug): CategoryRecord {
    const category = { id: randomUUID(), slug, name, description: '' };
    this.categories.push(category);
    return category;
  }

  addProduct(fields: Partial<ProductRecord> & { category: CategoryRecord }): ProductRecord {
    const now = new Date();
    const product: ProductRecord = {
      id: randomUUID(),
      sku: `SKU-${this.products.length + 1}`,
      name: `Product ${this.products.length + 1}`,
      description: '',
      priceCents: 1000,
      currency: 'EUR',
      active: true,
      createdAt: now,
      updatedAt: now,
      ...fields,
      category: { id: fields.category.id, slug: fields.category.slug, name: fields.category.name },
    };
    this.products.push(product);
    return product;
  }

  async listCategories(): Promise<CategoryRecord[]> {
    return [...this.categories].sort((a, b) => a.name.localeCompare(b.name));
  }

  async findCategoryBySlug(slug: string): Promise<CategoryRecord | undefined> {
    return this.categories.find((c) => c.slug === slug);
  }

  async searchActiveProducts(search: ProductSearch): Promise<{ items: ProductRecord[]; total: number }> {
    this.lastSearch = search;
    const q = search.q?.toLowerCase();
    const matching = this.products.filter(
      (p) =>
        p.active &&
        (!search.categoryId || p.category.id === search.categoryId) &&
        (!q || [p.name, p.description, p.sku].some((text) => text.toLowerCase().includes(q))),
    );
    const byId = (a: ProductRecord, b: ProductRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const compare: Record<ProductSearch['sort'], (a: ProductRecord, b: ProductRecord) => number> = {
      name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : byId(a, b)),
      '-name': (a, b) => (a.name > b.name ? -1 : a.name < b.name ? 1 : byId(a, b)),
      price: (a, b) => a.priceCents - b.priceCents || byId(a, b),
      '-price': (a, b) => b.priceCents - a.priceCents || byId(a, b),
      newest: (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || -byId(a, b),
    };
    matching.sort(compare[search.sort]);
    return { items: matching.slice(search.offset, search.offset + search.limit), total: matching.length };
  }

  async findProduct(id: string): Promise<ProductRecord | undefined> {
    return this.products.find((p) => p.id === id);
  }

  async findProducts(ids: string[]): Promise<ProductRecord[]> {
    return this.products.filter((p) => ids.includes(p.id));
  }

  async createProduct(product: NewProduct): Promise<ProductRecord | 'sku_taken'> {
    if (this.products.some((p) => p.sku === product.sku)) return 'sku_taken';
    const category = this.categories.find((c) => c.id === product.categoryId);
    if (!category) throw new Error(`fake: unknown category ${product.categoryId}`);
    const { categoryId: _categoryId, ...fields } = product;
    return this.addProduct({ ...fields, category });
  }

  async updateProduct(id: string, patch: ProductPatch): Promise<ProductRecord | 'sku_taken' | undefined> {
    const product = this.products.find((p) => p.id === id);
    if (!product) return undefined;
    if (patch.sku && this.products.some((p) => p.sku === patch.sku && p.id !== id)) return 'sku_taken';
    const { categoryId, ...fields } = patch;
    Object.assign(product, fields, { updatedAt: new Date() });
    if (categoryId) {
      const category = this.categories.find((c) => c.id === categoryId);
      if (!category) throw new Error(`fake: unknown category ${categoryId}`);
      product.category = { id: category.id, slug: category.slug, name: category.name };
    }
    return product;
  }

  async deleteProduct(id: string): Promise<boolean> {
    const updated = await this.updateProduct(id, { active: false });
    return updated !== undefined && updated !== 'sku_taken';
  }
}
