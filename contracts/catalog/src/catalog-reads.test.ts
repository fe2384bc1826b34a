import { describe, expect, it } from 'vitest';
import { CatalogService } from './catalog-service.js';
import { FakeCatalogStore } from './fake-catalog-store.js';

function setup() {
  const store = new FakeCatalogStore();
  const coffee = store.addCategory('coffee', 'Coffee');
  return { store, coffee, service: new CatalogService(store) };
}

describe('the catalog service’s reads', () => {
  it('pages active products only, counting the pages as the monolith does', async () => {
    const { store, coffee, service } = setup();
    for (let i = 0; i < 5; i++) store.addProduct({ category: coffee });
    store.addProduct({ category: coffee, active: false });

    const page = await service.searchProducts({ sort: 'name', page: 2, limit: 2 });

    expect(store.lastSearch).toMatchObject({ offset: 2, limit: 2 });
    expect(page).toMatchObject({ page: 2, limit: 2, total: 5, totalPages: 3 });
  });

  it('answers an unknown category with a 400 naming query.category', async () => {
    await expect(setup().service.searchProducts({ category: 'tea', sort: 'name', page: 1, limit: 20 })).rejects.toMatchObject({
      status: 400,
      message: 'query.category: unknown category "tea"',
    });
  });

  it('does not find an inactive product', async () => {
    const { store, coffee, service } = setup();
    const gone = store.addProduct({ category: coffee, active: false });
    await expect(service.product(gone.id)).rejects.toMatchObject({ status: 404, code: 'not_found', message: `No product with id ${gone.id}` });
  });

  it('shows timestamps as ISO text', async () => {
    const { store, coffee, service } = setup();
    const p = store.addProduct({ category: coffee, createdAt: new Date('2026-01-02T03:04:05.006Z') });
    await expect(service.product(p.id)).resolves.toMatchObject({ createdAt: '2026-01-02T03:04:05.006Z', category: { slug: 'coffee' } });
  });
});
