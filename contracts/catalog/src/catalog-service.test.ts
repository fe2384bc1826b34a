import { deepFreeze } from '@strangler/platform';
import { describe, expect, it } from 'vitest';
import { ProductQuerySchema, UpdateProductBody } from './catalog-schemas.js';
import { CatalogService } from './catalog-service.js';
import type { ProductRecord } from './catalog-store-type.js';
import { FakeCatalogStore } from './fake-catalog-store.js';

function setup() {
  const store = new FakeCatalogStore();
  const coffee = store.addCategory('coffee', 'Coffee');
  const tea = store.addCategory('tea', 'Tea');
  return { store, coffee, tea, service: new CatalogService(store) };
}

describe('product query validation', () => {
  it('defaults to the first page of 20 sorted by name', () => {
    expect(ProductQuerySchema.parse({})).toEqual({ sort: 'name', page: 1, limit: 20 });
  });

  it('reads page and limit from query strings', () => {
    expect(ProductQuerySchema.parse({ page: '3', limit: '100' })).toMatchObject({ page: 3, limit: 100 });
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ page: '0' }, 'page'],
    [{ page: '1.5' }, 'page'],
    [{ sort: 'price desc' }, 'sort'],
    [{ q: ['a', 'b'] }, 'q'],
  ])('rejects %j naming %s', (query, field) => {
    const result = ProductQuerySchema.safeParse(query);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([field]);
  });

  it('refuses an empty product update', () => {
    expect(UpdateProductBody.safeParse({}).success).toBe(false);
  });

  it('refuses unknown fields in a product update', () => {
    expect(UpdateProductBody.safeParse({ name: 'x', stock: 3 }).success).toBe(false);
  });
});

describe('CatalogService.searchProducts', () => {
  it('turns page and limit into an offset and counts the pages', async () => {
    const { store, coffee, service } = setup();
    for (let i = 0; i < 45; i++) store.addProduct({ category: coffee });
    const page = await service.searchProducts({ sort: 'name', page: 3, limit: 20 });
    expect(store.lastSearch).toMatchObject({ offset: 40, limit: 20 });
    expect(page).toMatchObject({ page: 3, limit: 20, total: 45, totalPages: 3 });
    expect(page.items).toHaveLength(5);
  });

  it('answers a page past the end with no items and the true total', async () => {
    const { store, coffee, service } = setup();
    for (let i = 0; i < 3; i++) store.addProduct({ category: coffee });
    const page = await service.searchProducts({ sort: 'name', page: 9, limit: 2 });
    expect(page).toMatchObject({ items: [], total: 3, totalPages: 2, page: 9 });
  });

  it('filters by category slug and by text in name, description or sku, ignoring case', async () => {
    const { store, coffee, tea, service } = setup();
    store.addProduct({ category: coffee, name: 'Espresso Beans', sku: 'COF-1' });
    store.addProduct({ category: coffee, name: 'Filter Paper', description: 'for ESPRESSO lovers too', sku: 'COF-2' });
    store.addProduct({ category: tea, name: 'Green Tea', sku: 'espresso-not' });
    const hits = await service.searchProducts({ q: 'espresso', category: 'coffee', sort: 'name', page: 1, limit: 20 });
    expect(hits.items.map((p) => p.sku)).toEqual(['COF-1', 'COF-2']);
  });

  it('treats a blank q as no text filter', async () => {
    const { store, coffee, service } = setup();
    store.addProduct({ category: coffee });
    await service.searchProducts({ q: '   ', sort: 'name', page: 1, limit: 20 });
    expect(store.lastSearch).not.toHaveProperty('q');
  });

  it('rejects an unknown category with 400 naming query.category', async () => {
    const { service } = setup();
    await expect(service.searchProducts({ category: 'nope', sort: 'name', page: 1, limit: 20 })).rejects.toMatchObject({
      status: 400,
      message: 'query.category: unknown category "nope"',
    });
  });

  it('lists only active products', async () => {
    const { store, coffee, service } = setup();
    store.addProduct({ category: coffee, sku: 'ON' });
    store.addProduct({ category: coffee, sku: 'OFF', active: false });
    const page = await service.searchProducts({ sort: 'name', page: 1, limit: 20 });
    expect(page.items.map((p) => p.sku)).toEqual(['ON']);
  });
});

describe('CatalogService product administration', () => {
  it('creates a product in the category named by slug, in EUR by default', async () => {
    const { tea, service } = setup();
    const product = await service.createProduct({ sku: 'TEA-1', name: 'Sencha', priceCents: 899, categorySlug: 'tea' });
    expect(product).toMatchObject({ sku: 'TEA-1', currency: 'EUR', description: '', active: true, category: { id: tea.id, slug: 'tea' } });
  });

  it('refuses a taken sku with 409 sku_taken', async () => {
    const { service } = setup();
    await service.createProduct({ sku: 'TEA-1', name: 'Sencha', priceCents: 899, categorySlug: 'tea' });
    await expect(service.createProduct({ sku: 'TEA-1', name: 'Other', priceCents: 1, categorySlug: 'tea' })).rejects.toMatchObject({ status: 409, code: 'sku_taken' });
  });

  it('refuses an unknown category with 400 naming body.categorySlug', async () => {
    const { service } = setup();
    await expect(service.createProduct({ sku: 'X-1', name: 'X', priceCents: 1, categorySlug: 'ghost' })).rejects.toMatchObject({
      status: 400,
      message: 'body.categorySlug: unknown category "ghost"',
    });
  });

  it('deletes softly: the product is gone publicly but still known to orders', async () => {
    const { store, coffee, service } = setup();
    const product = store.addProduct({ category: coffee, priceCents: 1250 });
    await service.deleteProduct(product.id);
    await expect(service.product(product.id)).rejects.toMatchObject({ status: 404, code: 'not_found' });
    expect(await service.productsForOrder([product.id])).toEqual([expect.objectContaining({ id: product.id, priceCents: 1250, active: false })]);
  });

  it('lets an admin reactivate a deleted product', async () => {
    const { store, coffee, service } = setup();
    const product = store.addProduct({ category: coffee, active: false });
    await service.updateProduct(product.id, { active: true, priceCents: 500 });
    expect(await service.product(product.id)).toMatchObject({ active: true, priceCents: 500 });
  });

  it('answers 404 for changes to an unknown product', async () => {
    const { service } = setup();
    await expect(service.updateProduct('00000000-0000-4000-8000-000000000000', { name: 'x' })).rejects.toMatchObject({ status: 404 });
    await expect(service.deleteProduct('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404 });
  });
});

describe('CatalogService.productsForOrder', () => {
  it('returns known products once each and leaves out unknown and malformed ids', async () => {
    const { store, coffee, service } = setup();
    const product = store.addProduct({ category: coffee, sku: 'COF-9', name: 'Mocha', priceCents: 700, currency: 'EUR' });
    const found = await service.productsForOrder([product.id, product.id, '11111111-1111-4111-8111-111111111111', 'not-a-uuid']);
    expect(found).toEqual([{ id: product.id, sku: 'COF-9', name: 'Mocha', priceCents: 700, currency: 'EUR', active: true }]);
  });
});

describe('answers of shared records', () => {
  /** A store whose records are shared between reads, frozen, as catalog-service's cache keeps them. */
  function sharedSetup() {
    const { store, coffee } = setup();
    const product = store.addProduct({ category: coffee, name: 'Espresso', priceCents: 250 });
    const found = new Map<string, ProductRecord>();
    const findProduct = store.findProduct.bind(store);
    store.findProduct = async (id) => {
      if (!found.has(id)) found.set(id, deepFreeze(structuredClone((await findProduct(id))!)));
      return found.get(id);
    };
    return { store, product, found, service: new CatalogService(store) };
  }

  it('answers a shared (frozen) record with one frozen answer, built once', async () => {
    const { product, service } = sharedSetup();
    const first = await service.product(product.id);
    expect(await service.product(product.id)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(first).toMatchObject({ id: product.id, name: 'Espresso', priceCents: 250, createdAt: product.createdAt.toISOString() });
  });

  it('answers a new record (after a change) with a new answer', async () => {
    const { store, product, found, service } = sharedSetup();
    const before = await service.product(product.id);
    await store.updateProduct(product.id, { priceCents: 300 });
    found.clear(); // what the cache's invalidation does
    const after = await service.product(product.id);
    expect(after).not.toBe(before);
    expect(after.priceCents).toBe(300);
  });

  it('answers a record that is not shared with a new object every time', async () => {
    const { store, coffee, service } = setup();
    const product = store.addProduct({ category: coffee, name: 'Espresso' });
    expect(await service.product(product.id)).not.toBe(await service.product(product.id));
  });
});
