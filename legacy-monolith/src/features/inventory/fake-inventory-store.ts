import type { Tx } from '../../db/transaction.js';
import type { InventoryStore, MovementNote, StockLevelRecord, WarehouseRecord } from './inventory-store-type.js';

/** In-memory stock for unit tests. No rollback: the service itself must not write before it knows it can finish. */
export class FakeInventoryStore implements InventoryStore {
  readonly warehouseList: WarehouseRecord[] = [
    { id: 'ams', name: 'Amsterdam' },
    { id: 'ber', name: 'Berlin' },
  ];
  readonly stock = new Map<string, number>();
  readonly movements: (StockLevelRecord & MovementNote & { delta: number })[] = [];

  set(productId: string, warehouseId: string, quantity: number): void {
    this.stock.set(`${productId}/${warehouseId}`, quantity);
  }

  get(productId: string, warehouseId: string): number {
    return this.stock.get(`${productId}/${warehouseId}`) ?? 0;
  }

  async warehouses(): Promise<WarehouseRecord[]> {
    return [...this.warehouseList];
  }

  async levels(productIds: string[]): Promise<StockLevelRecord[]> {
    return [...this.stock.entries()]
      .map(([key, quantity]) => {
        const [productId, warehouseId] = key.split('/') as [string, string];
        return { productId, warehouseId, quantity };
      })
      .filter((l) => productIds.includes(l.productId))
      .sort((a, b) => (a.productId + a.warehouseId < b.productId + b.warehouseId ? -1 : 1));
  }

  async lockLevels(productIds: string[]): Promise<StockLevelRecord[]> {
    return this.levels(productIds);
  }

  async decrement(level: StockLevelRecord, note: MovementNote, _tx: Tx): Promise<boolean> {
    const current = this.get(level.productId, level.warehouseId);
    if (current < level.quantity) return false;
    this.set(level.productId, level.warehouseId, current - level.quantity);
    this.movements.push({ ...level, ...note, delta: -level.quantity });
    return true;
  }

  async increment(level: StockLevelRecord, note: MovementNote, _tx: Tx): Promise<void> {
    this.set(level.productId, level.warehouseId, this.get(level.productId, level.warehouseId) + level.quantity);
    this.movements.push({ ...level, ...note, delta: level.quantity });
  }
}
