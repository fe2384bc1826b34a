import { CatalogService, catalogRouter, type ProductRecord, type ProductSearch } from '@strangler/catalog-contract';
import { FakeCatalogStore } from '@strangler/catalog-contract/testing';
import { Api, buildServiceApp, createLogger, createMetricsRegistry } from '@strangler/platform';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { CatalogCache, changeKeys } from './catalog-cache.js';
import { CachedCatalogStore } from './cached-catalog-store.js';
import { catalogFastLane } from './catalog-fast-lane.js';

/** An in-memory database that, as PostgreSQL does, answers every read with new rows. */
class Database extends FakeCatalogStore {
  override async findProduct(id: string): Promise<ProductRecord | undefined> {
    return structuredClone(await super.findProduct(id));
  }
  override async listCategories() {
    return structuredClone(await super.listCategories());
  }
  override async findCategoryBySlug(slug: string) {
    return structuredClone(await super.findCategoryBySlug(slug));
  }
  override async searchActiveProducts(search: ProductSearch) {
    return structuredClone(await super.searchActiveProducts(search));
  }
}

/** The store behind the catalog's routes, counting the reads that reach it: a lane answer never does. */
class CountingStore extends CachedCatalogStore {
  reads = 0;
  override findProduct(id: string): Promise<ProductRecord | undefined> {
    this.reads++;
    return super.findProduct(id);
  }
  override listCategories() {
    this.reads++;
    return super.listCategories();
  }
}

/** One database with a product, and the catalog's reads over it wired as compose.ts wires them with CATALOG_CACHE on. */
function catalog() {
  const database = new Database();
  const coffee = database.addCategory('coffee', 'Coffee');
  const product = database.addProduct({ category: coffee, name: 'Espresso', priceCents: 250 });
  const service = (options: { lane: boolean }) => {
    const cache = new CatalogCache();
    const store = new CountingStore(database, cache);
    const api = new Api();
    const app = buildServiceApp({
      logger: createLogger('catalog-service', 'warn', new PassThrough()),
      registry: createMetricsRegistry('catalog-service'),
      api,
      openApi: { title: 'catalog', version: '1' },
      routers: [catalogRouter(api, new CatalogService(store))],
      readiness: {},
      ...(options.lane ? { fastLane: catalogFastLane(cache) } : {}),
    });
    /** A change as the projection applies it: bracketed by the cache's invalidation of its keys. */
    const project = (change: () => void, keys = changeKeys([product.id], [])) => {
      cache.begin(keys);
      change();
      cache.end(keys);
    };
    return { app, store, project };
  };
  return { product, service };
}

function seen(res: request.Response) {
  const { date: _date, traceparent: _traceparent, ...headers } = res.headers as Record<string, string>;
  return { status: res.status, headers: Object.entries(headers), text: res.text };
}

describe('the catalog service’s fast lane', () => {
  it.each(['/api/products/:id', '/api/products?limit=20', '/api/categories'])('answers a cached %s with the bytes and headers of the service without the lane', async (route) => {
    const { product, service } = catalog();
    const [withLane, without] = [service({ lane: true }), service({ lane: false })];
    const path = route.replace(':id', product.id);
    await request(withLane.app).get(path).expect(200);
    const lane = await request(withLane.app).get(path).set('x-request-id', 'r-1').expect(200);
    const normal = await request(without.app).get(path).set('x-request-id', 'r-1').expect(200);
    expect(seen(lane)).toEqual(seen(normal));
  });

  it('answers a repeated read without reaching the catalog, and the projected change at the next read', async () => {
    const { product, service } = catalog();
    const { app, store, project } = service({ lane: true });
    const path = `/api/products/${product.id}`;
    await request(app).get(path).expect(200);
    await request(app).get(path).expect(200);
    expect(store.reads).toBe(1);
    project(() => (product.priceCents = 300));
    const after = await request(app).get(path).expect(200);
    expect(after.body.priceCents).toBe(300);
    expect(store.reads).toBe(2);
  });

  it('keeps answering from the lane across a heartbeat (a change that names no key)', async () => {
    const { service } = catalog();
    const { app, store, project } = service({ lane: true });
    await request(app).get('/api/categories').expect(200);
    project(() => undefined, []);
    const again = await request(app).get('/api/categories').expect(200);
    expect(again.body).toEqual([expect.objectContaining({ slug: 'coffee' })]);
    expect(store.reads).toBe(1);
  });

  it('answers a deleted product with the 404 of the normal path', async () => {
    const { product, service } = catalog();
    const { app, store, project } = service({ lane: true });
    const path = `/api/products/${product.id}`;
    await request(app).get(path).expect(200);
    project(() => (product.active = false));
    await request(app).get(path).expect(404);
    await request(app).get(path).expect(404);
    expect(store.reads).toBe(3);
  });
});
