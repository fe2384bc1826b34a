import { ConflictError, deepFreeze, NotFoundError, offsetOf, type Page, pageOf, type PageRequest, ValidationError } from '@strangler/platform';
import type { CatalogStore, CategoryRecord, NewProduct, ProductPatch, ProductRecord, ProductSort } from './catalog-store-type.js';

/** What checkout, cart and inventory need of a product (the monolith's CatalogModule). */
export interface ProductForOrder {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
  active: boolean;
}

export interface ProductQuery extends PageRequest {
  q?: string;
  category?: string;
  sort: ProductSort;
}

/** A product as the API shows it: the stored record with ISO timestamps. */
export interface Product extends Omit<ProductRecord, 'createdAt' | 'updatedAt'> {
  createdAt: string;
  updatedAt: string;
}

export interface ProductInput {
  sku: string;
  name: string;
  description?: string;
  priceCents: number;
  currency?: string;
  categorySlug: string;
}

export type ProductChanges = Partial<ProductInput & { active: boolean }>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The catalog's rules, the same on both sides: active products only publicly, unknown slugs are a
 * 400 naming the field, a taken sku is a 409 sku_taken, a delete is soft.
 */
export class CatalogService {
  constructor(private readonly store: CatalogStore) {}

  async categories(): Promise<CategoryRecord[]> {
    return this.store.listCategories();
  }

  /** Active products only; an unknown category slug is a 400 naming `query.category`. */
  async searchProducts(query: ProductQuery): Promise<Page<Product>> {
    const category = query.category === undefined ? undefined : await this.categoryBySlug(query.category, 'query.category');
    const q = query.q?.trim();
    const found = await this.store.searchActiveProducts({
      ...(q ? { q } : {}),
      ...(category ? { categoryId: category.id } : {}),
      sort: query.sort,
      offset: offsetOf(query),
      limit: query.limit,
    });
    return answerOfPage(found, query);
  }

  /** Inactive (deleted) products are not found publicly. */
  async product(id: string): Promise<Product> {
    const product = await this.store.findProduct(id);
    if (!product || !product.active) throw productNotFound(id);
    return answerOf(product);
  }

  async createProduct(input: ProductInput): Promise<Product> {
    const category = await this.categoryBySlug(input.categorySlug, 'body.categorySlug');
    const product: NewProduct = {
      sku: input.sku,
      name: input.name,
      description: input.description ?? '',
      priceCents: input.priceCents,
      currency: input.currency ?? 'EUR',
      categoryId: category.id,
    };
    const created = await this.store.createProduct(product);
    if (created === 'sku_taken') throw skuTaken(input.sku);
    return toProduct(created);
  }

  /** Admins may also change inactive products (and reactivate them with `active: true`). */
  async updateProduct(id: string, changes: ProductChanges): Promise<Product> {
    const { categorySlug, ...fields } = changes;
    const patch: ProductPatch = { ...fields };
    if (categorySlug !== undefined) patch.categoryId = (await this.categoryBySlug(categorySlug, 'body.categorySlug')).id;
    const updated = await this.store.updateProduct(id, patch);
    if (updated === undefined) throw productNotFound(id);
    if (updated === 'sku_taken') throw skuTaken(changes.sku ?? '');
    return toProduct(updated);
  }

  /** A soft delete: the product leaves the catalog, orders keep their own copy of name and price. */
  async deleteProduct(id: string): Promise<void> {
    if (!(await this.store.deleteProduct(id))) throw productNotFound(id);
  }

  async productsForOrder(ids: string[]): Promise<ProductForOrder[]> {
    const wanted = [...new Set(ids.filter((id) => UUID.test(id)))];
    const products = await this.store.findProducts(wanted);
    return products.map((p) => ({ id: p.id, sku: p.sku, name: p.name, priceCents: p.priceCents, currency: p.currency, active: p.active }));
  }

  private async categoryBySlug(slug: string, field: string): Promise<CategoryRecord> {
    const category = await this.store.findCategoryBySlug(slug);
    if (!category) {
      const reason = `unknown category "${slug}"`;
      throw new ValidationError(`${field}: ${reason}`, [{ field, reason }]);
    }
    return category;
  }
}

function productNotFound(id: string): NotFoundError {
  return new NotFoundError(`No product with id ${id}`);
}

function skuTaken(sku: string): ConflictError {
  return new ConflictError(`A product with sku ${sku} already exists`, 'sku_taken');
}

// A store that caches its reads (catalog-service) shares each cached record between requests, frozen
// (deepFreeze): the answer made of such a record is made once and frozen too, so that the platform
// serializes it once (its JSON is kept with it) and every later request sends the same bytes. An
// answer lives as long as the cache keeps its record: a new record (after a change) gets a new answer.
const productAnswers = new WeakMap<ProductRecord, Product>();
const pageAnswers = new WeakMap<object, Page<Product>>();

function answerOf(record: ProductRecord): Product {
  if (!Object.isFrozen(record)) return toProduct(record);
  let answer = productAnswers.get(record);
  if (!answer) productAnswers.set(record, (answer = deepFreeze(toProduct(record))));
  return answer;
}

function answerOfPage(found: { items: ProductRecord[]; total: number }, request: PageRequest): Page<Product> {
  if (!Object.isFrozen(found)) return pageOf(found.items.map(answerOf), found.total, request);
  const known = pageAnswers.get(found);
  if (known && known.page === request.page && known.limit === request.limit) return known;
  const answer = deepFreeze(pageOf(found.items.map(answerOf), found.total, request));
  pageAnswers.set(found, answer);
  return answer;
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
