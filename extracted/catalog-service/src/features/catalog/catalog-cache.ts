import type { CategoryRecord, ProductRecord } from '@strangler/catalog-contract';
import { deepFreeze } from '@strangler/platform';

/**
 * What a change touches, as the cache's invalidation keys (ADR-0027):
 * `product:<id>` one product; `products` any product (every list page); `category:<id>` one
 * category (its products' joined slug and name); `categories` any category (the category list, the
 * slug look-ups and every list page).
 */
export type ChangeKey = `product:${string}` | 'products' | `category:${string}` | 'categories';

/** The keys a change of these products and categories touches. */
export function changeKeys(productIds: Iterable<string>, categoryIds: Iterable<string>): ChangeKey[] {
  const keys: ChangeKey[] = [];
  for (const id of productIds) keys.push(`product:${id}`);
  if (keys.length > 0) keys.push('products');
  const before = keys.length;
  for (const id of categoryIds) keys.push(`category:${id}`);
  if (keys.length > before) keys.push('categories');
  return keys;
}

/** The side of the cache that a writer (the projection, the service's writes) calls around its transaction. */
export interface CacheInvalidation {
  /**
   * Before the transaction may commit: drops what the keys cover and keeps them out of the cache
   * (reads go to the database) until `end` of the same keys.
   */
  begin(keys: ChangeKey[]): void;
  /** After the commit (or the rollback), before anyone can learn that it committed: drops again and lets them back. */
  end(keys: ChangeKey[]): void;
}

interface Entry<T> {
  value: T;
}

const MAX_PRODUCTS = 20_000;
const MAX_PAGES = 2_000;

/**
 * An in-process cache of the catalog's reads that is never older than the database it fronts:
 *
 * - a key being changed (between `begin` and `end`) is never read from or stored in the cache;
 * - a load stores its result only when none of the keys it depends on was invalidated while it ran
 *   (a load that read the old row just before a commit cannot put it back after the commit).
 *
 * So once a writer's `end` has run, every cached answer was read after its commit. The projection
 * and the service's writes call `end` before their position (and so the service's watermark) or
 * their answer can be seen: a cached answer is never older than the watermark.
 */
export class CatalogCache implements CacheInvalidation {
  private generation = 0;
  private changes = 0;
  /** The generation at which a key was last invalidated; pruned when no load is running. */
  private readonly touched = new Map<ChangeKey, number>();
  private readonly busy = new Map<ChangeKey, number>();
  private readonly running = new Set<number>();

  private categories: Entry<CategoryRecord[]> | undefined;
  private readonly slugs = new Map<string, Entry<CategoryRecord | undefined>>();
  private readonly products = new Map<string, Entry<ProductRecord>>();
  private readonly pages = new Map<string, Entry<{ items: ProductRecord[]; total: number }>>();

  begin(keys: ChangeKey[]): void {
    for (const key of keys) this.busy.set(key, (this.busy.get(key) ?? 0) + 1);
    this.invalidate(keys);
  }

  end(keys: ChangeKey[]): void {
    this.invalidate(keys);
    for (const key of keys) {
      const n = (this.busy.get(key) ?? 1) - 1;
      if (n <= 0) this.busy.delete(key);
      else this.busy.set(key, n);
    }
  }

  listCategories(load: () => Promise<CategoryRecord[]>): Promise<CategoryRecord[]> {
    if (this.categories && !this.isBusy(['categories'])) return Promise.resolve(this.categories.value);
    return this.load(load, () => ['categories'], (value) => (this.categories = { value }));
  }

  findCategoryBySlug(slug: string, load: () => Promise<CategoryRecord | undefined>): Promise<CategoryRecord | undefined> {
    const hit = this.slugs.get(slug);
    if (hit && !this.isBusy(['categories'])) return Promise.resolve(hit.value);
    return this.load(load, () => ['categories'], (value) => this.remember(this.slugs, slug, { value }, MAX_PAGES));
  }

  findProduct(id: string, load: () => Promise<ProductRecord | undefined>): Promise<ProductRecord | undefined> {
    const hit = this.products.get(id);
    if (hit && !this.isBusy([`product:${id}`, `category:${hit.value.category.id}`])) return Promise.resolve(hit.value);
    return this.load(
      load,
      (value) => (value ? [`product:${id}`, `category:${value.category.id}`] : [`product:${id}`]),
      // An unknown id is not remembered: nothing would ever invalidate a key that no row has yet.
      (value) => value && this.remember(this.products, id, { value }, MAX_PRODUCTS),
    );
  }

  searchActiveProducts(key: string, load: () => Promise<{ items: ProductRecord[]; total: number }>): Promise<{ items: ProductRecord[]; total: number }> {
    const hit = this.pages.get(key);
    if (hit && !this.isBusy(['products', 'categories'])) return Promise.resolve(hit.value);
    return this.load(load, () => ['products', 'categories'], (value) => this.remember(this.pages, key, { value }, MAX_PAGES));
  }

  /**
   * Changes at every `begin` and `end` that names a key: an answer read from this cache (or from the
   * database behind it) while it did not change is still the current one (the service's fast lane, ADR-0036).
   */
  get version(): number {
    return this.changes;
  }

  /** How many answers it holds (for tests and metrics). */
  size(): number {
    return (this.categories ? 1 : 0) + this.slugs.size + this.products.size + this.pages.size;
  }

  private isBusy(keys: ChangeKey[]): boolean {
    return this.busy.size > 0 && keys.some((k) => this.busy.has(k));
  }

  private async load<T>(load: () => Promise<T>, dependsOn: (value: T) => ChangeKey[], store: (value: T) => void): Promise<T> {
    const started = ++this.generation;
    this.running.add(started);
    try {
      const value = await load();
      const keys = dependsOn(value);
      // Stored frozen: a cached record is shared by every request that reads it (and its answer's JSON is kept with it).
      if (!this.isBusy(keys) && keys.every((k) => (this.touched.get(k) ?? 0) < started)) store(deepFreeze(value));
      return value;
    } finally {
      this.running.delete(started);
      if (this.running.size === 0) this.touched.clear();
    }
  }

  private invalidate(keys: ChangeKey[]): void {
    if (keys.length > 0) this.changes++;
    const generation = ++this.generation;
    for (const key of keys) {
      if (this.running.size > 0) this.touched.set(key, generation);
      if (key === 'products') this.pages.clear();
      else if (key === 'categories') {
        this.categories = undefined;
        this.slugs.clear();
        this.pages.clear();
      } else if (key.startsWith('product:')) this.products.delete(key.slice('product:'.length));
      else if (key.startsWith('category:')) {
        const categoryId = key.slice('category:'.length);
        for (const [id, entry] of this.products) if (entry.value.category.id === categoryId) this.products.delete(id);
      }
    }
  }

  private remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
    map.delete(key);
    if (map.size >= max) map.delete(map.keys().next().value as K);
    map.set(key, value);
  }
}
