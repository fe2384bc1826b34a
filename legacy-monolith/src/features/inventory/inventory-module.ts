// The inventory's interface to other modules. Other modules import this file only.
import type { Tx } from '../../db/transaction.js';

export interface StockRequest {
  productId: string;
  quantity: number;
}

/** Units taken from one warehouse for one product. */
export interface Allocation {
  productId: string;
  warehouseId: string;
  quantity: number;
}

export interface InventoryModule {
  /**
   * Reserves every requested unit inside `tx`, or none: throws a 409 `insufficient_stock`
   * ConflictError naming the products that lack stock. `reference` (e.g. the order id) goes to
   * the stock ledger.
   */
  reserve(items: StockRequest[], reference: string, tx: Tx): Promise<Allocation[]>;
  /** Puts reserved units back, e.g. when an order is cancelled. */
  release(allocations: Allocation[], reference: string, tx: Tx): Promise<void>;
}
