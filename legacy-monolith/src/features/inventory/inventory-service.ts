import { ConflictError, NotFoundError, ValidationError } from '@strangler/platform';
import type { Tx, TransactionRunner } from '../../db/transaction.js';
import type { CatalogModule } from '../catalog/catalog-module.js';
import type { Allocation, InventoryModule, StockRequest } from './inventory-module.js';
import type { InventoryStore, StockLevelRecord } from './inventory-store-type.js';

export interface ProductInventory {
  productId: string;
  total: number;
  warehouses: { warehouseId: string; name: string; quantity: number }[];
}

export interface Adjustment {
  warehouseId: string;
  /** Non-zero: positive receives units, negative writes them off. */
  delta: number;
  reason: string;
}

/**
 * Splits each request over the warehouses, fullest first (fewest splits), or names every product
 * that lacks units. Pure: the caller decides what to write.
 */
export function planAllocations(requests: StockRequest[], levels: StockLevelRecord[]): { allocations: Allocation[] } | { lacking: string[] } {
  const allocations: Allocation[] = [];
  const lacking: string[] = [];
  for (const request of requests) {
    const sources = levels
      .filter((l) => l.productId === request.productId && l.quantity > 0)
      .sort((a, b) => b.quantity - a.quantity || (a.warehouseId < b.warehouseId ? -1 : 1));
    let remaining = request.quantity;
    const taken: Allocation[] = [];
    for (const source of sources) {
      if (remaining === 0) break;
      const quantity = Math.min(remaining, source.quantity);
      taken.push({ productId: request.productId, warehouseId: source.warehouseId, quantity });
      remaining -= quantity;
    }
    if (remaining > 0) lacking.push(request.productId);
    else allocations.push(...taken);
  }
  return lacking.length > 0 ? { lacking } : { allocations };
}

/** Sums the quantities of repeated products, in product order (the order rows are locked in). */
export function mergeRequests(items: StockRequest[]): StockRequest[] {
  const totals = new Map<string, number>();
  for (const item of items) {
    if (!Number.isSafeInteger(item.quantity) || item.quantity <= 0) {
      throw new ValidationError(`quantity of ${item.productId} must be a positive integer`, [{ field: 'quantity', reason: 'must be a positive integer' }]);
    }
    totals.set(item.productId, (totals.get(item.productId) ?? 0) + item.quantity);
  }
  return [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([productId, quantity]) => ({ productId, quantity }));
}

function insufficient(productIds: string[]): ConflictError {
  return new ConflictError(`Not enough stock for ${productIds.join(', ')}`, 'insufficient_stock', { productIds });
}

export class InventoryService implements InventoryModule {
  constructor(
    private readonly store: InventoryStore,
    private readonly catalog: Pick<CatalogModule, 'productsForOrder'>,
    private readonly transactions: TransactionRunner,
  ) {}

  /** Stock per warehouse (every warehouse listed, zero where there is none) of a known product. */
  async inventory(productId: string, tx?: Tx): Promise<ProductInventory> {
    await this.requireProduct(productId);
    const [warehouses, levels] = await Promise.all([this.store.warehouses(), this.store.levels([productId], tx)]);
    const rows = warehouses.map((w) => ({ warehouseId: w.id, name: w.name, quantity: levels.find((l) => l.warehouseId === w.id)?.quantity ?? 0 }));
    return { productId, total: rows.reduce((sum, r) => sum + r.quantity, 0), warehouses: rows };
  }

  /** An admin's correction; stock never goes below zero (409 insufficient_stock). */
  async adjust(productId: string, adjustment: Adjustment, actor: string): Promise<ProductInventory> {
    await this.requireProduct(productId);
    const warehouses = await this.store.warehouses();
    if (!warehouses.some((w) => w.id === adjustment.warehouseId)) {
      const reason = `unknown warehouse "${adjustment.warehouseId}"`;
      throw new ValidationError(`body.warehouseId: ${reason}`, [{ field: 'body.warehouseId', reason }]);
    }
    if (!Number.isSafeInteger(adjustment.delta) || adjustment.delta === 0) {
      throw new ValidationError('body.delta: must be a non-zero integer', [{ field: 'body.delta', reason: 'must be a non-zero integer' }]);
    }
    const level = { productId, warehouseId: adjustment.warehouseId, quantity: Math.abs(adjustment.delta) };
    const note = { reason: `adjustment: ${adjustment.reason}`, reference: actor };
    await this.transactions.run(async (tx) => {
      if (adjustment.delta > 0) await this.store.increment(level, note, tx);
      else if (!(await this.store.decrement(level, note, tx))) throw insufficient([productId]);
    });
    return this.inventory(productId);
  }

  async reserve(items: StockRequest[], reference: string, tx: Tx): Promise<Allocation[]> {
    const requests = mergeRequests(items);
    if (requests.length === 0) return [];
    const levels = await this.store.lockLevels(
      requests.map((r) => r.productId),
      tx,
    );
    const plan = planAllocations(requests, levels);
    if ('lacking' in plan) throw insufficient(plan.lacking);
    for (const allocation of plan.allocations) {
      // Under the row locks this cannot fail; the guard still stops an oversell if it ever could.
      if (!(await this.store.decrement(allocation, { reason: 'reservation', reference }, tx))) throw insufficient([allocation.productId]);
    }
    return plan.allocations;
  }

  async release(allocations: Allocation[], reference: string, tx: Tx): Promise<void> {
    const merged = new Map<string, Allocation>();
    for (const a of allocations) {
      const key = `${a.productId}/${a.warehouseId}`;
      const existing = merged.get(key);
      merged.set(key, { ...a, quantity: (existing?.quantity ?? 0) + a.quantity });
    }
    const ordered = [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, a]) => a);
    for (const allocation of ordered) {
      if (allocation.quantity > 0) await this.store.increment(allocation, { reason: 'release', reference }, tx);
    }
  }

  private async requireProduct(productId: string): Promise<void> {
    const [product] = await this.catalog.productsForOrder([productId]);
    if (!product) throw new NotFoundError(`No product with id ${productId}`);
  }
}
