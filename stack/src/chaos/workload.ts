import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** What the workload saw, for the checks at the end. */
export interface WorkloadCounts {
  /** Safe requests (GET) through the stable URL, by status; 0 for a connection error. */
  safe: Map<number, number>;
  /** Unsafe requests (POST /api/products) by status; 0 for a connection error. */
  unsafe: Map<number, number>;
  /** Each unsafe request's key (its sku) with the status it got. */
  unsafeAnswers: Map<string, number>;
  /** Product ids whose INSERT the monolith's database acknowledged (COMMIT returned). */
  insertedIds: string[];
  /** Price updates and category updates acknowledged. */
  updates: number;
  /** SQL writes that failed (never acknowledged: not expected anywhere). */
  sqlErrors: number;
}

export interface WorkloadOptions {
  stableUrl: string;
  monolithDatabaseUrl: string;
  /** An admin's access token for the monolith's write routes. */
  accessToken: string;
  runId: string;
  /** Pause between two steps of each loop. */
  readIntervalMs?: number;
  apiWriteIntervalMs?: number;
  sqlWriteIntervalMs?: number;
  /**
   * The catalog is owned by catalog-service (ADR-0025): the monolith's catalog tables refuse other
   * writers (ADR-0032), so every write goes through the stable URL to the service, and the probe is
   * a product created there that must reach the monolith through the reverse sync.
   */
  owned?: boolean;
}

/**
 * Drives the system at a steady rate until stopped: reads through the stable URL (products, one
 * product, categories), product creations through the stable URL, and writes straight to the
 * captured tables (new products, price and category changes), as another writer of the monolith's
 * database would. Counts what in flight at any moment, for the kill report.
 */
export class Workload {
  readonly counts: WorkloadCounts = { safe: new Map(), unsafe: new Map(), unsafeAnswers: new Map(), insertedIds: [], updates: 0, sqlErrors: 0 };
  private running = false;
  private loops: Promise<void>[] = [];
  private inFlightNow = 0;
  private pool: pg.Pool;
  private seq = 0;
  private probeCategory = '';

  constructor(private readonly options: WorkloadOptions) {
    this.pool = new pg.Pool({ connectionString: options.monolithDatabaseUrl, max: 3 });
    this.pool.on('error', () => undefined);
  }

  /** Requests and transactions started and not yet answered. */
  inFlight(): number {
    return this.inFlightNow;
  }

  async start(): Promise<void> {
    const { rows } = await this.pool.query<{ id: string }>('SELECT id FROM products WHERE active ORDER BY id LIMIT 50');
    const productIds = rows.map((r) => r.id);
    const { rows: categories } = await this.pool.query<{ id: string; slug: string }>('SELECT id, slug FROM categories ORDER BY slug');
    this.running = true;
    const o = this.options;
    this.loops = [
      this.loop(o.readIntervalMs ?? 50, (i) => this.read(i % 3 === 0 ? '/api/products?limit=5' : i % 3 === 1 ? `/api/products/${productIds[i % productIds.length]}` : '/api/categories')),
      this.loop(o.readIntervalMs ?? 50, (i) => this.read(i % 2 === 0 ? '/api/products?limit=20&offset=40' : `/api/products/${productIds[(i * 7) % productIds.length]}`)),
      this.loop(o.apiWriteIntervalMs ?? 250, () => this.createThroughStableUrl(categories[0]!.slug)),
      o.owned
        ? this.loop(o.sqlWriteIntervalMs ?? 100, (i) => this.writeThroughStableUrl(i, productIds, categories[0]!.slug))
        : this.loop(o.sqlWriteIntervalMs ?? 100, (i) => this.writeSql(i, productIds, categories)),
    ];
  }

  async stop(): Promise<WorkloadCounts> {
    this.running = false;
    await Promise.all(this.loops);
    await this.pool.end();
    return this.counts;
  }

  /**
   * One product written and acknowledged: the probe of how far CDC has come. Straight to the monolith's
   * database; when the catalog is owned, created through the stable URL (retried until the service
   * acknowledges it, up to `timeoutMs`).
   */
  async probe(timeoutMs = 120_000): Promise<string> {
    if (this.options.owned) return this.probeThroughStableUrl(timeoutMs);
    const id = randomUUID();
    await this.pool.query(
      `INSERT INTO products (id, sku, name, description, price_cents, currency, category_id, active, updated_at)
       SELECT $1, $2, 'chaos probe', '', 100, 'EUR', id, true, now() FROM categories ORDER BY slug LIMIT 1`,
      [id, `probe-${this.options.runId}-${++this.seq}`],
    );
    this.counts.insertedIds.push(id);
    return id;
  }

  private async probeThroughStableUrl(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const key = `probe-${this.options.runId}-${++this.seq}`;
      const answer = await this.send('POST', '/api/products', { sku: key, name: 'chaos probe', priceCents: 100, categorySlug: this.probeCategory });
      if (answer.status === 201) {
        const id = (answer.body as { id: string }).id;
        this.counts.insertedIds.push(id);
        return id;
      }
      if (Date.now() > deadline) throw new Error(`chaos: no product could be created through the stable URL within ${timeoutMs / 1000} s (last answer ${answer.status})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** The owned catalog's writes: probes and price changes, through the stable URL to the service. */
  private async writeThroughStableUrl(i: number, productIds: string[], categorySlug: string): Promise<void> {
    this.probeCategory = categorySlug;
    if (i % 3 === 0) {
      await this.probe(0).catch(() => undefined);
      return;
    }
    const status = await this.request('PATCH', `/api/products/${productIds[i % productIds.length]}`, { priceCents: 1 + (i % 90_000) });
    if (status === 200) this.counts.updates++;
  }

  private async loop(intervalMs: number, step: (i: number) => Promise<void>): Promise<void> {
    for (let i = 0; this.running; i++) {
      this.inFlightNow++;
      try {
        await step(i);
      } finally {
        this.inFlightNow--;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  private async read(path: string): Promise<void> {
    const status = await this.request('GET', path);
    count(this.counts.safe, status);
  }

  private async createThroughStableUrl(categorySlug: string): Promise<void> {
    const key = `chaos-${this.options.runId}-${++this.seq}`;
    const status = await this.request('POST', '/api/products', { sku: key, name: key, priceCents: 1234, categorySlug });
    count(this.counts.unsafe, status);
    this.counts.unsafeAnswers.set(key, status);
  }

  private async writeSql(i: number, productIds: string[], categories: { id: string }[]): Promise<void> {
    try {
      if (i % 3 === 0) {
        await this.probe();
      } else if (i % 3 === 1) {
        await this.pool.query('UPDATE products SET price_cents = price_cents % 90000 + 1, updated_at = now() WHERE id = $1', [productIds[i % productIds.length]]);
        this.counts.updates++;
      } else {
        await this.pool.query("UPDATE categories SET description = 'changed by the chaos run ' || $2, updated_at = now() WHERE id = $1", [categories[i % categories.length]!.id, `${this.options.runId}-${i}`]);
        this.counts.updates++;
      }
    } catch {
      this.counts.sqlErrors++;
    }
  }

  /** The status of one request through the stable URL; 0 when no answer came. */
  private async request(method: string, path: string, body?: unknown): Promise<number> {
    return (await this.send(method, path, body, false)).status;
  }

  /** One request through the stable URL; its answer parsed only when `parse` (the probe needs the id). */
  private async send(method: string, path: string, body?: unknown, parse = true): Promise<{ status: number; body: unknown }> {
    try {
      const res = await fetch(`${this.options.stableUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.options.accessToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(30_000),
      });
      if (!parse) {
        await res.arrayBuffer();
        return { status: res.status, body: null };
      }
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      return { status: res.status, body: parsed };
    } catch {
      return { status: 0, body: null };
    }
  }
}

function count(map: Map<number, number>, status: number): void {
  map.set(status, (map.get(status) ?? 0) + 1);
}
