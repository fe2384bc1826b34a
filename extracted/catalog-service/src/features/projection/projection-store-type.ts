import type { ApplyOutcome, PartitionPosition } from '@strangler/cdc/projection';

export interface CategoryRow {
  id: string;
  slug: string;
  name: string;
  description: string;
  /** ISO-8601 with its offset, as Debezium sends it: PostgreSQL reads the text itself (no Date in between). */
  createdAt: string;
  updatedAt: string;
}

export interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  currency: string;
  categoryId: string;
  active: boolean;
  /** ISO-8601 with its offset, as Debezium sends it. */
  createdAt: string;
  updatedAt: string;
}

/** One row's new state in the projection: written, or deleted (kept as a tombstone), at a source LSN. */
export type RowChange =
  | { table: 'categories'; lsn: bigint; deleted: boolean; row: CategoryRow }
  | { table: 'products'; lsn: bigint; deleted: boolean; row: ProductRow };

/** The projection's writes: rows and positions, in one transaction. */
export interface ProjectionStore {
  /**
   * Applies each change only if its LSN is greater than the row's (a replay or an older change is
   * skipped) and records the partition's position, atomically. Throws PoisonMessageError when the
   * database refuses the data itself.
   */
  apply(changes: RowChange[], position: PartitionPosition): Promise<ApplyOutcome>;
  positions(): Promise<PartitionPosition[]>;
}
