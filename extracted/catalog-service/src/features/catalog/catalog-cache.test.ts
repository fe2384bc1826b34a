import type { ProductRecord } from '@strangler/catalog-contract';
import { describe, expect, it } from 'vitest';
import { CatalogCache, changeKeys } from './catalog-cache.js';

const at = new Date('2026-12-02T10:00:00.000Z');
function product(id: string, priceCents: number, categoryId = 'cat-1'): ProductRecord {
  return { id, sku: `SKU-${id}`, name: 'Espresso', description: '', priceCents, currency: 'EUR', active: true, category: { id: categoryId, slug: 'coffee', name: 'Coffee' }, createdAt: at, updatedAt: at };
}

/** A database of one product whose reads the test can hold up, to interleave them with a writer. */
function database() {
  const db = { price: 100, categoryId: 'cat-1', reads: 0 };
  let release: (() => void) | undefined;
  return {
    db,
    /** Reads now. */
    read: async () => {
      db.reads++;
      return product('p1', db.price, db.categoryId);
    },
    /** Reads the row as it is now, but answers only when `finish` is called. */
    slowRead: () => {
      db.reads++;
      const seen = product('p1', db.price, db.categoryId);
      return { promise: new Promise<ProductRecord>((resolve) => (release = () => resolve(seen))), finish: () => release!() };
    },
  };
}

describe('the catalog cache', () => {
  it('answers a second read from memory, and reads again after the product changed', async () => {
    const cache = new CatalogCache();
    const { db, read } = database();
    await cache.findProduct('p1', read);
    await cache.findProduct('p1', read);
    expect(db.reads).toBe(1);

    cache.begin(changeKeys(['p1'], []));
    db.price = 200;
    cache.end(changeKeys(['p1'], []));

    await expect(cache.findProduct('p1', read)).resolves.toMatchObject({ priceCents: 200 });
  });

  it('does not keep what a read saw just before a commit it overlapped (the old row cannot come back)', async () => {
    const cache = new CatalogCache();
    const { db, read, slowRead } = database();
    const before = slowRead(); // reads the old price, then is held up
    const pending = cache.findProduct('p1', () => before.promise);

    cache.begin(changeKeys(['p1'], []));
    db.price = 200;
    cache.end(changeKeys(['p1'], []));
    before.finish();
    await expect(pending).resolves.toMatchObject({ priceCents: 100 }); // that request began before the commit

    await expect(cache.findProduct('p1', read)).resolves.toMatchObject({ priceCents: 200 });
  });

  it('reads the database while a change is being committed, and caches nothing of it', async () => {
    const cache = new CatalogCache();
    const { db, read } = database();
    await cache.findProduct('p1', read);

    cache.begin(changeKeys(['p1'], []));
    db.price = 200; // committed; the writer has not called end yet
    await expect(cache.findProduct('p1', read)).resolves.toMatchObject({ priceCents: 200 });
    cache.end(changeKeys(['p1'], []));

    expect(db.reads).toBe(2);
    await cache.findProduct('p1', read);
    expect(db.reads).toBe(3);
  });

  it('drops the products of a category that changed, and only those', async () => {
    const cache = new CatalogCache();
    let reads = 0;
    const load = (id: string, categoryId: string) => async () => {
      reads++;
      return product(id, 100, categoryId);
    };
    await cache.findProduct('p1', load('p1', 'cat-1'));
    await cache.findProduct('p2', load('p2', 'cat-2'));

    cache.begin(changeKeys([], ['cat-1']));
    cache.end(changeKeys([], ['cat-1']));

    await cache.findProduct('p1', load('p1', 'cat-1'));
    await cache.findProduct('p2', load('p2', 'cat-2'));
    expect(reads).toBe(3);
  });

  it('drops every list page on any product change, and the categories on any category change', async () => {
    const cache = new CatalogCache();
    let reads = 0;
    const page = async () => {
      reads++;
      return { items: [], total: reads };
    };
    const categories = async () => {
      reads++;
      return [];
    };
    await cache.searchActiveProducts('name|0|20||', page);
    await cache.listCategories(categories);
    expect(reads).toBe(2);

    cache.begin(changeKeys(['p9'], []));
    cache.end(changeKeys(['p9'], []));
    await cache.searchActiveProducts('name|0|20||', page);
    await cache.listCategories(categories);
    expect(reads).toBe(3);

    cache.begin(changeKeys([], ['cat-9']));
    cache.end(changeKeys([], ['cat-9']));
    await cache.searchActiveProducts('name|0|20||', page);
    await cache.listCategories(categories);
    expect(reads).toBe(5);
  });

  it('does not remember an unknown product', async () => {
    const cache = new CatalogCache();
    let reads = 0;
    const missing = async () => {
      reads++;
      return undefined;
    };
    await cache.findProduct('nope', missing);
    await cache.findProduct('nope', missing);
    expect(reads).toBe(2);
  });

  it('keeps what it caches frozen (shared by every request), and hands the first reader the same frozen value', async () => {
    const cache = new CatalogCache();
    const { read } = database();
    const first = await cache.findProduct('p1', read);
    const second = await cache.findProduct('p1', read);
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first!.category)).toBe(true);
  });

  it('changes its version at the start and the end of every change that names a key, and for no other call', async () => {
    const cache = new CatalogCache();
    const { read } = database();
    const at0 = cache.version;
    await cache.findProduct('p1', read);
    cache.begin([]);
    cache.end([]);
    expect(cache.version).toBe(at0);
    cache.begin(changeKeys(['p1'], []));
    const during = cache.version;
    cache.end(changeKeys(['p1'], []));
    expect(new Set([at0, during, cache.version]).size).toBe(3);
  });
});
