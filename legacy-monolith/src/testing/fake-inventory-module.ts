import { ConflictError } from '@strangler/platform';
import type { Allocation, InventoryModule, StockRequest } from '../features/inventory/inventory-module.js';
import type { Snapshottable } from './fake-transactions.js';

/**
 * Stock per product per warehouse, in memory, with the InventoryModule contract: all or nothing,
 * 409 `insufficient_stock` naming the products that lack units. Warehouses are drawn in name order.
 */
export class FakeInventoryModule implements InventoryModule, Snapshottable {
  /** productId -> warehouseId -> units */
  stock = new Map<string, Map<string, number>>();
  reserveCalls = 0;
  releaseCalls: { allocations: Allocation[]; reference: string }[] = [];

  set(productId: string, warehouseId: string, units: number): this {
    const perWarehouse = this.stock.get(productId) ?? new Map<string, number>();
    perWarehouse.set(warehouseId, units);
    this.stock.set(productId, perWarehouse);
    return this;
  }

  units(productId: string, warehouseId?: string): number {
    const perWarehouse = this.stock.get(productId) ?? new Map<string, number>();
    if (warehouseId) return perWarehouse.get(warehouseId) ?? 0;
    return [...perWarehouse.values()].reduce((a, b) => a + b, 0);
  }

  async reserve(items: StockRequest[]): Promise<Allocation[]> {
    this.reserveCalls += 1;
    const lacking = items.filter((i) => this.units(i.productId) < i.quantity).map((i) => i.productId);
    if (lacking.length > 0) throw new ConflictError('Not enough stock', 'insufficient_stock', { productIds: lacking });
    const allocations: Allocation[] = [];
    for (const item of items) {
      let needed = item.quantity;
      const perWarehouse = this.stock.get(item.productId)!;
      for (const warehouseId of [...perWarehouse.keys()].sort()) {
        const take = Math.min(needed, perWarehouse.get(warehouseId)!);
        if (take === 0) continue;
        perWarehouse.set(warehouseId, perWarehouse.get(warehouseId)! - take);
        allocations.push({ productId: item.productId, warehouseId, quantity: take });
        needed -= take;
        if (needed === 0) break;
      }
    }
    return allocations;
  }

  async release(allocations: Allocation[], reference: string): Promise<void> {
    this.releaseCalls.push({ allocations, reference });
    for (const a of allocations) this.set(a.productId, a.warehouseId, this.units(a.productId, a.warehouseId) + a.quantity);
  }

  snapshot(): () => void {
    const saved = new Map([...this.stock].map(([id, perWarehouse]) => [id, new Map(perWarehouse)]));
    return () => {
      this.stock = saved;
    };
  }
}
