import pg from 'pg';

/** Row count and checksum of one captured table over the columns both sides hold. */
export interface TableDigest {
  rows: number;
  checksum: string;
}

export interface SidesDigest {
  products: TableDigest;
  categories: TableDigest;
}

// The shared columns, in one order; the catalog service keeps deleted rows marked, the monolith drops them.
const PRODUCTS = 'id, sku, name, description, price_cents, currency, category_id, active, updated_at';
const CATEGORIES = 'id, slug, name, description, updated_at';

function digestSql(table: string, columns: string, where: string): string {
  return `SELECT count(*)::int AS rows, coalesce(md5(string_agg(md5(row(${columns})::text), '' ORDER BY id)), '') AS checksum FROM ${table} ${where}`;
}

/** The digests of products and categories on the monolith's side and on the catalog service's side. */
export async function digests(monolithUrl: string, catalogUrl: string): Promise<{ monolith: SidesDigest; catalog: SidesDigest }> {
  const read = async (url: string, where: string): Promise<SidesDigest> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // One snapshot for both tables.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const products = (await client.query<TableDigest>(digestSql('products', PRODUCTS, where))).rows[0]!;
      const categories = (await client.query<TableDigest>(digestSql('categories', CATEGORIES, where))).rows[0]!;
      await client.query('COMMIT');
      return { products, categories };
    } finally {
      await client.end();
    }
  };
  const [monolith, catalog] = await Promise.all([read(monolithUrl, ''), read(catalogUrl, 'WHERE NOT deleted')]);
  return { monolith, catalog };
}

export function sameDigests(d: { monolith: SidesDigest; catalog: SidesDigest }): boolean {
  return JSON.stringify(d.monolith) === JSON.stringify(d.catalog);
}

/** The ids among `ids` that a database lacks in `products` (lost writes). */
export async function missingProducts(url: string, ids: string[], where = ''): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      `SELECT wanted.id FROM unnest($1::uuid[]) AS wanted(id) WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.id = wanted.id ${where ? `AND ${where}` : ''})`,
      [ids],
    );
    return rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

/** How many rows each unsafe request's key (its sku) produced in the monolith's products. */
export async function rowsPerKey(url: string, keys: string[]): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ key: string; n: number }>('SELECT sku AS key, count(*)::int AS n FROM products WHERE sku = ANY($1::text[]) GROUP BY sku', [keys]);
    return new Map(rows.map((r) => [r.key, r.n]));
  } finally {
    await client.end();
  }
}

/** The ids of the monolith's products with these skus. */
export async function idsOfSkus(url: string, skus: string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ id: string }>('SELECT id FROM products WHERE sku = ANY($1::text[])', [skus])).rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

/** True once the database (the catalog service's, or the monolith's) holds product `id`. */
export async function catalogHas(databaseUrl: string, id: string): Promise<boolean> {
  return (await missingProducts(databaseUrl, [id])).length === 0;
}
