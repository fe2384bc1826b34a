import type { ApplyOutcome, PartitionPosition } from '@strangler/cdc/projection';
import { changeKeys, type CacheInvalidation } from '../catalog/catalog-cache.js';
import type { ProjectionStore, RowChange } from './projection-store-type.js';

/**
 * The projection's writes bracketed by the read cache's invalidation (ADR-0027): the rows of the
 * batch are kept out of the cache from before its transaction until after it committed, and dropped
 * again then. `apply` returns only after that, and the consumer moves the position (and so the
 * service's watermark) only after `apply` returns; a read of the batch's rows in between goes to the
 * database. So no cached answer is older than the watermark.
 */
export class InvalidatingProjectionStore implements ProjectionStore {
  constructor(
    private readonly store: ProjectionStore,
    private readonly cache: CacheInvalidation,
  ) {}

  async apply(changes: RowChange[], position: PartitionPosition): Promise<ApplyOutcome> {
    const keys = changeKeys(
      changes.filter((c) => c.table === 'products').map((c) => c.row.id),
      changes.filter((c) => c.table === 'categories').map((c) => c.row.id),
    );
    if (keys.length === 0) return this.store.apply(changes, position);
    this.cache.begin(keys);
    try {
      return await this.store.apply(changes, position);
    } finally {
      this.cache.end(keys);
    }
  }

  positions(): Promise<PartitionPosition[]> {
    return this.store.positions();
  }
}
