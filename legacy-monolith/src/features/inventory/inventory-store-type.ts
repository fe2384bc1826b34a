import type { Tx } from '../../db/transaction.js';

export interface WarehouseRecord {
  id: string;
  name: string;
}

/** Units of one product in one warehouse. */
export interface StockLevelRecord {
  productId: string;
  warehouseId: string;
  quantity: number;
}

/** Why stock moved, for the ledger (`stock_movements`). */
export interface MovementNote {
  reason: string;
  reference?: string;
}

export interface InventoryStore {
  warehouses(): Promise<WarehouseRecord[]>;
  /** Stock rows of the products (absent rows mean zero units). */
  levels(productIds: string[], tx?: Tx): Promise<StockLevelRecord[]>;
  /** Like `levels`, and locks the rows until `tx` ends, in a fixed order so that checkouts never deadlock. */
  lockLevels(productIds: string[], tx: Tx): Promise<StockLevelRecord[]>;
  /**
   * Takes `quantity` units only if that many are there (a guarded update), and writes the movement.
   * Returns false, changing nothing, when there are fewer.
   */
  decrement(level: StockLevelRecord, note: MovementNote, tx: Tx): Promise<boolean>;
  /** Adds `quantity` units (creating the row if needed) and writes the movement. */
  increment(level: StockLevelRecord, note: MovementNote, tx: Tx): Promise<void>;
}
