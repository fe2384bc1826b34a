import { describe, expect, it } from 'vitest';
import { FakeCatalogModule } from '../../testing/fake-catalog-module.js';
import type { ProductForOrder } from '../catalog/catalog-module.js';
import { CartService, MAX_CART_LINES } from './cart-service.js';
import { FakeCartStore } from './fake-cart-store.js';

const product = (id: string, overrides: Partial<ProductForOrder> = {}): ProductForOrder => ({ id, sku: `SKU-${id}`, name: `Product ${id}`, priceCents: 1000, currency: 'EUR', active: true, ...overrides });

function setup(products: ProductForOrder[] = [product('a', { priceCents: 1250 }), product('b', { priceCents: 399 })]) {
  const store = new FakeCartStore();
  const catalog = new FakeCatalogModule(products);
  return { store, catalog, service: new CartService({ store, catalog }) };
}

describe('the cart', () => {
  it('is empty for a user who never added anything', async () => {
    const { service } = setup();
    expect(await service.view('u1')).toEqual({ items: [], itemCount: 0, totalCents: 0, currency: null });
  });

  it('totals the lines at the current catalog prices', async () => {
    const { service, catalog } = setup();
    await service.setItem('u1', 'a', 2);
    await service.setItem('u1', 'b', 3);
    catalog.products.get('a')!.priceCents = 1300;
    const cart = await service.view('u1');
    expect(cart.items.map((i) => [i.productId, i.quantity, i.unitPriceCents, i.lineTotalCents])).toEqual([
      ['a', 2, 1300, 2600],
      ['b', 3, 399, 1197],
    ]);
    expect(cart).toMatchObject({ itemCount: 5, totalCents: 3797, currency: 'EUR' });
  });

  it('replaces the quantity when the same product is put again', async () => {
    const { service } = setup();
    await service.setItem('u1', 'a', 2);
    const cart = await service.setItem('u1', 'a', 5);
    expect(cart.items).toHaveLength(1);
    expect(cart.items[0]!.quantity).toBe(5);
  });

  it('keeps carts of different users apart', async () => {
    const { service } = setup();
    await service.setItem('u1', 'a', 1);
    expect((await service.view('u2')).items).toEqual([]);
  });

  it('refuses an unknown product with 404 product_not_found', async () => {
    const { service } = setup();
    await expect(service.setItem('u1', 'zzz', 1)).rejects.toMatchObject({ status: 404, code: 'product_not_found' });
  });

  it('refuses an inactive product with 422 product_inactive', async () => {
    const { service } = setup([product('a', { active: false })]);
    await expect(service.setItem('u1', 'a', 1)).rejects.toMatchObject({ status: 422, code: 'product_inactive' });
  });

  it('refuses quantities outside 1..100', async () => {
    const { service } = setup();
    await expect(service.setItem('u1', 'a', 0)).rejects.toMatchObject({ status: 422, code: 'invalid_quantity' });
    await expect(service.setItem('u1', 'a', 101)).rejects.toMatchObject({ status: 422, code: 'invalid_quantity' });
  });

  it('refuses a product priced in another currency than the cart', async () => {
    const { service } = setup([product('a'), product('b', { currency: 'USD' })]);
    await service.setItem('u1', 'a', 1);
    await expect(service.setItem('u1', 'b', 1)).rejects.toMatchObject({ status: 422, code: 'currency_mismatch' });
  });

  it(`refuses a ${MAX_CART_LINES + 1}th different product but still lets existing lines change`, async () => {
    const products = Array.from({ length: MAX_CART_LINES + 1 }, (_, i) => product(`p${String(i).padStart(3, '0')}`));
    const { service } = setup(products);
    for (const p of products.slice(0, MAX_CART_LINES)) await service.setItem('u1', p.id, 1);
    await expect(service.setItem('u1', products[MAX_CART_LINES]!.id, 1)).rejects.toMatchObject({ status: 422, code: 'cart_full' });
    expect((await service.setItem('u1', products[0]!.id, 7)).items[0]!.quantity).toBe(7);
  });

  it('shows a product that was deactivated or deleted as unavailable and leaves it out of the total', async () => {
    const { service, catalog } = setup();
    await service.setItem('u1', 'a', 1);
    await service.setItem('u1', 'b', 2);
    catalog.products.get('a')!.active = false;
    catalog.products.delete('b');
    const cart = await service.view('u1');
    expect(cart.items.map((i) => [i.productId, i.available])).toEqual([
      ['a', false],
      ['b', false],
    ]);
    expect(cart.items[1]).toMatchObject({ name: null, unitPriceCents: null });
    expect(cart).toMatchObject({ itemCount: 0, totalCents: 0 });
  });

  it('removes one line, and answers 404 cart_item_not_found for a product not in the cart', async () => {
    const { service } = setup();
    await service.setItem('u1', 'a', 1);
    await service.setItem('u1', 'b', 1);
    expect((await service.removeItem('u1', 'a')).items.map((i) => i.productId)).toEqual(['b']);
    await expect(service.removeItem('u1', 'a')).rejects.toMatchObject({ status: 404, code: 'cart_item_not_found' });
  });

  it('empties the whole cart', async () => {
    const { service } = setup();
    await service.setItem('u1', 'a', 1);
    await service.empty('u1');
    expect((await service.view('u1')).items).toEqual([]);
  });
});
