import { describe, expect, it } from 'vitest';
import { noTransactions, type Tx } from '../../db/transaction.js';
import type { ProductForOrder } from '../catalog/catalog-module.js';
import { FakeInventoryStore } from './fake-inventory-store.js';
import { InventoryService, mergeRequests, planAllocations } from './inventory-service.js';

const KETTLE = '00000000-0000-4000-8000-00000000000a';
const MUG = '00000000-0000-4000-8000-00000000000b';
const tx = {} as Tx;

function setup() {
  const store = new FakeInventoryStore();
  const known = new Set([KETTLE, MUG]);
  const catalog = {
    productsForOrder: async (ids: string[]): Promise<ProductForOrder[]> =>
      ids.filter((id) => known.has(id)).map((id) => ({ id, sku: id.slice(-4), name: id, priceCents: 100, currency: 'EUR', active: true })),
  };
  return { store, service: new InventoryService(store, catalog, noTransactions) };
}

describe('planAllocations', () => {
  it('takes from the fullest warehouse first and splits only when it must', () => {
    const levels = [
      { productId: KETTLE, warehouseId: 'ams', quantity: 3 },
      { productId: KETTLE, warehouseId: 'ber', quantity: 5 },
    ];
    expect(planAllocations([{ productId: KETTLE, quantity: 4 }], levels)).toEqual({ allocations: [{ productId: KETTLE, warehouseId: 'ber', quantity: 4 }] });
    expect(planAllocations([{ productId: KETTLE, quantity: 7 }], levels)).toEqual({
      allocations: [
        { productId: KETTLE, warehouseId: 'ber', quantity: 5 },
        { productId: KETTLE, warehouseId: 'ams', quantity: 2 },
      ],
    });
  });

  it('names every product that lacks units', () => {
    const levels = [{ productId: KETTLE, warehouseId: 'ams', quantity: 1 }];
    expect(planAllocations([{ productId: KETTLE, quantity: 2 }, { productId: MUG, quantity: 1 }], levels)).toEqual({ lacking: [KETTLE, MUG] });
  });
});

describe('mergeRequests', () => {
  it('adds up repeated products and orders them by id', () => {
    expect(mergeRequests([{ productId: MUG, quantity: 1 }, { productId: KETTLE, quantity: 2 }, { productId: MUG, quantity: 3 }])).toEqual([
      { productId: KETTLE, quantity: 2 },
      { productId: MUG, quantity: 4 },
    ]);
  });

  it.each([0, -1, 1.5])('refuses a quantity of %s', (quantity) => {
    expect(() => mergeRequests([{ productId: KETTLE, quantity }])).toThrow(/positive integer/);
  });
});

describe('InventoryService.reserve', () => {
  it('reserves every unit and writes one reservation movement per warehouse touched', async () => {
    const { store, service } = setup();
    store.set(KETTLE, 'ams', 2);
    store.set(KETTLE, 'ber', 1);
    store.set(MUG, 'ber', 4);
    const allocations = await service.reserve([{ productId: KETTLE, quantity: 3 }, { productId: MUG, quantity: 4 }], 'order-1', tx);
    expect(allocations).toHaveLength(3);
    expect([store.get(KETTLE, 'ams'), store.get(KETTLE, 'ber'), store.get(MUG, 'ber')]).toEqual([0, 0, 0]);
    expect(store.movements.map((m) => [m.reason, m.reference, m.delta])).toEqual([
      ['reservation', 'order-1', -2],
      ['reservation', 'order-1', -1],
      ['reservation', 'order-1', -4],
    ]);
  });

  it('reserves nothing at all when one product lacks stock, and names it in a 409 insufficient_stock', async () => {
    const { store, service } = setup();
    store.set(KETTLE, 'ams', 10);
    store.set(MUG, 'ams', 1);
    const error = await service.reserve([{ productId: KETTLE, quantity: 2 }, { productId: MUG, quantity: 2 }], 'order-2', tx).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 409, code: 'insufficient_stock', options: { details: { productIds: [MUG] } } });
    expect(store.get(KETTLE, 'ams')).toBe(10);
    expect(store.movements).toEqual([]);
  });

  it('counts a product listed twice as one request for the sum', async () => {
    const { store, service } = setup();
    store.set(KETTLE, 'ams', 3);
    const error = await service.reserve([{ productId: KETTLE, quantity: 2 }, { productId: KETTLE, quantity: 2 }], 'order-3', tx).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'insufficient_stock' });
    expect(store.get(KETTLE, 'ams')).toBe(3);
  });

  it('refuses to oversell when the units vanish between the check and the update', async () => {
    const { store, service } = setup();
    store.set(KETTLE, 'ams', 1);
    store.lockLevels = async () => [{ productId: KETTLE, warehouseId: 'ams', quantity: 5 }];
    await expect(service.reserve([{ productId: KETTLE, quantity: 3 }], 'order-4', tx)).rejects.toMatchObject({ code: 'insufficient_stock' });
    expect(store.get(KETTLE, 'ams')).toBe(1);
  });
});

describe('InventoryService.release', () => {
  it('puts back exactly the reserved units, with release movements', async () => {
    const { store, service } = setup();
    store.set(KETTLE, 'ams', 2);
    store.set(KETTLE, 'ber', 2);
    const allocations = await service.reserve([{ productId: KETTLE, quantity: 3 }], 'order-5', tx);
    await service.release(allocations, 'order-5', tx);
    expect([store.get(KETTLE, 'ams'), store.get(KETTLE, 'ber')]).toEqual([2, 2]);
    expect(store.movements.filter((m) => m.reason === 'release').reduce((sum, m) => sum + m.delta, 0)).toBe(3);
  });
});

describe('InventoryService.adjust', () => {
  it('adds received units and records who and why', async () => {
    const { store, service } = setup();
    const result = await service.adjust(KETTLE, { warehouseId: 'ber', delta: 7, reason: 'delivery 42' }, 'user:admin');
    expect(result).toEqual({
      productId: KETTLE,
      total: 7,
      warehouses: [
        { warehouseId: 'ams', name: 'Amsterdam', quantity: 0 },
        { warehouseId: 'ber', name: 'Berlin', quantity: 7 },
      ],
    });
    expect(store.movements).toEqual([expect.objectContaining({ delta: 7, reason: 'adjustment: delivery 42', reference: 'user:admin' })]);
  });

  it('never takes stock below zero: 409 insufficient_stock and nothing changes', async () => {
    const { store, service } = setup();
    store.set(KETTLE, 'ams', 2);
    await expect(service.adjust(KETTLE, { warehouseId: 'ams', delta: -3, reason: 'broken' }, 'user:admin')).rejects.toMatchObject({ status: 409, code: 'insufficient_stock' });
    expect(store.get(KETTLE, 'ams')).toBe(2);
    expect(store.movements).toEqual([]);
  });

  it('writes off down to exactly zero', async () => {
    const { store, service } = setup();
    store.set(KETTLE, 'ams', 2);
    const result = await service.adjust(KETTLE, { warehouseId: 'ams', delta: -2, reason: 'broken' }, 'user:admin');
    expect(result.total).toBe(0);
  });

  it('refuses an unknown warehouse with 400 naming body.warehouseId', async () => {
    const { service } = setup();
    await expect(service.adjust(KETTLE, { warehouseId: 'xyz', delta: 1, reason: 'x' }, 'user:admin')).rejects.toMatchObject({
      status: 400,
      message: 'body.warehouseId: unknown warehouse "xyz"',
    });
  });

  it('answers an unknown product with 404', async () => {
    const { service } = setup();
    await expect(service.adjust('00000000-0000-4000-8000-0000000000ff', { warehouseId: 'ams', delta: 1, reason: 'x' }, 'user:admin')).rejects.toMatchObject({ status: 404 });
  });
});
