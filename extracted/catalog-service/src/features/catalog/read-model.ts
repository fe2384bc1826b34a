import type pg from 'pg';

// The read model (ADR-0027): every product row carries its category's slug and name
// (`category_slug`, `category_name`; NULL while the category is missing or deleted), so that a
// read is one table in the shape the API serves. Triggers keep them in step (migration
// 20261202110000_read_model), each under the category's lock: a change of a category takes it
// exclusively, a write of a product shared.

/**
 * Takes the transaction's lock of each category before the triggers do, all at once and in one order
 * for everyone (sorted ids), so that two writers of several categories never deadlock: exclusive for
 * the categories it changes, shared for those its products join.
 */
export async function lockCategories(client: pg.PoolClient, ids: { changed: Iterable<string>; joined: Iterable<string> }): Promise<void> {
  const changed = new Set(ids.changed);
  const all = [...new Set([...changed, ...ids.joined])].sort();
  for (const id of all) {
    const fn = changed.has(id) ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
    await client.query({ name: `catalog.lock.${fn}`, text: `SELECT ${fn}(hashtextextended('catalog.category:' || $1, 0))`, values: [id] });
  }
}
