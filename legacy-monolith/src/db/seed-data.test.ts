import { describe, expect, it } from 'vitest';
import { DEMO_USERS, seedCategories, seedProducts, seedUuid } from './seed-data.js';

describe('seed data', () => {
  it('is the same on every run', () => {
    expect(seedProducts()).toEqual(seedProducts());
    expect(seedCategories()).toEqual(seedCategories());
  });

  it('has 20 categories and 2,000 products with unique skus, ids and names', () => {
    const products = seedProducts();
    expect(seedCategories()).toHaveLength(20);
    expect(products).toHaveLength(2000);
    expect(new Set(products.map((p) => p.sku)).size).toBe(2000);
    expect(new Set(products.map((p) => p.id)).size).toBe(2000);
    expect(new Set(products.map((p) => p.name)).size).toBe(2000);
  });

  it('prices every product in whole cents of euro and stocks it in both warehouses', () => {
    for (const p of seedProducts()) {
      expect(Number.isInteger(p.priceCents) && p.priceCents > 0).toBe(true);
      expect(p.currency).toBe('EUR');
      expect(p.stock.map((s) => s.warehouseId)).toEqual(['ams', 'ber']);
      expect(p.stock.reduce((sum, s) => sum + s.quantity, 0)).toBeGreaterThan(0);
    }
  });

  it('derives ids from the sku or slug as version-5 UUIDs', () => {
    const [first] = seedProducts();
    expect(first!.id).toBe(seedUuid(`product:${first!.sku}`));
    expect(seedUuid('product:LAP-0001')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(seedUuid('a')).not.toBe(seedUuid('b'));
  });

  it('includes one admin and documented customer passwords of at least 10 characters', () => {
    expect(DEMO_USERS.filter((u) => u.role === 'admin').map((u) => u.email)).toEqual(['admin@example.com']);
    for (const u of DEMO_USERS) expect(u.password.length).toBeGreaterThanOrEqual(10);
  });
});
