import type pg from 'pg';

// The read model (ADR-0027): every product row carries its category's slug and name
// (`category_slug`, `category_name`; NULL while the category is missing or deleted), so that a
// read is one table in the shape the API serves. Whoever writes a product or a category keeps them
// in step, under a lock per category:
//   - a change of categories takes each category's lock exclusively, then rewrites its products' columns;
//   - a write of products takes its categories' locks shared, then joins them in.
// So a product written while its category changes waits for that change to commit (and then joins
// the new values), or the category's rewrite waits for the product to commit (and then sees it).

/** Products of these categories get the categories' current slug and name (NULL for a missing or deleted one). */
export const JOIN_CATEGORIES_INTO_PRODUCTS = `
  UPDATE products p SET category_slug = j.slug, category_name = j.name
    FROM (SELECT x.id, c.slug, c.name FROM unnest($1::uuid[]) AS x(id) LEFT JOIN categories c ON c.id = x.id AND NOT c.deleted) j
   WHERE p.category_id = j.id AND (p.category_slug IS DISTINCT FROM j.slug OR p.category_name IS DISTINCT FROM j.name)
  RETURNING p.id`;

/** One product gets its category's current slug and name. */
export const JOIN_CATEGORY_INTO_PRODUCT = `
  UPDATE products p SET (category_slug, category_name) = (SELECT c.slug, c.name FROM categories c WHERE c.id = p.category_id AND NOT c.deleted)
   WHERE p.id = $1`;

/**
 * Takes the transaction's lock of each category: exclusive for the categories it changes, shared for
 * those its products join. In one order for everyone (sorted ids), so two writers never deadlock.
 */
export async function lockCategories(client: pg.PoolClient, ids: { changed: Iterable<string>; joined: Iterable<string> }): Promise<void> {
  const changed = new Set(ids.changed);
  const all = [...new Set([...changed, ...ids.joined])].sort();
  for (const id of all) {
    const fn = changed.has(id) ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
    await client.query({ name: `catalog.lock.${fn}`, text: `SELECT ${fn}(hashtextextended('catalog.category:' || $1, 0))`, values: [id] });
  }
}
