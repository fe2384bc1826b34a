import type pg from 'pg';
import type { CompareOutcome, Difference } from './answer-diff.js';

/** What one proxy learnt since its last flush; written by `PgCompareStore.flush`. */
interface Pending {
  counts: Map<string, { domain: string; route: string; minute: string } & Record<CompareOutcome, number>>;
  paths: Map<string, { domain: string; route: string; minute: string; path: string; kind: 'diff' | 'noise'; count: number }>;
  samples: { domain: string; route: string; traceId: string | undefined; differences: Difference[] }[];
  noise: Map<string, { domain: string; route: string; path: string; example: unknown; count: number }>;
}

export interface RouteDiffs {
  route: string;
  equal: number;
  different: number;
  failed: number;
  tooLarge: number;
  /** Different / (equal + different): noise and ignored paths left out; null before any comparison. */
  diffRate: number | null;
  topPaths: { path: string; count: number; example: { path: string; legacy: unknown; new: unknown; at: string; traceId: string | null } | null }[];
  noise: { path: string; count: number; firstSeen: string; lastSeen: string; example: unknown }[];
}

export interface DiffReport {
  domain: string;
  windowMinutes: number;
  routes: RouteDiffs[];
}

const minuteOf = (at: number) => new Date(Math.floor(at / 60_000) * 60_000).toISOString();

const empty = (): Pending => ({ counts: new Map(), paths: new Map(), samples: [], noise: new Map() });

/**
 * The comparisons' record in the proxy's database: counts and paths per minute (so that the rate
 * over a window sums every proxy instance), a bounded sample of differences with example values, and
 * the noise paths. Everything is kept in memory and written in one go every few seconds; at most
 * `samplesPerMinute` differences per route and minute are kept, and rows older than `retentionDays`
 * (or past `maxSamples`) are deleted.
 */
export class PgCompareStore {
  private pending = empty();
  private sampled = new Map<string, number>();
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { samplesPerMinute: number; maxSamples: number; retentionDays: number; now?: () => number } = { samplesPerMinute: 10, maxSamples: 10_000, retentionDays: 7 },
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  record(domain: string, route: string, outcome: CompareOutcome, differences: Difference[], noisePatterns: string[], traceId: string | undefined): void {
    const minute = minuteOf(this.now());
    const key = `${domain} ${route} ${minute}`;
    let counts = this.pending.counts.get(key);
    if (!counts) this.pending.counts.set(key, (counts = { domain, route, minute, equal: 0, different: 0, failed: 0, too_large: 0 }));
    counts[outcome]++;
    const bump = (path: string, kind: 'diff' | 'noise') => {
      const k = `${key} ${kind} ${path}`;
      const entry = this.pending.paths.get(k);
      if (entry) entry.count++;
      else this.pending.paths.set(k, { domain, route, minute, path, kind, count: 1 });
    };
    for (const pattern of new Set(differences.map((d) => d.pattern))) bump(pattern, 'diff');
    for (const pattern of new Set(noisePatterns)) bump(pattern, 'noise');
    if (differences.length) {
      const taken = this.sampled.get(key) ?? 0;
      if (taken < this.options.samplesPerMinute) {
        this.sampled.set(key, taken + 1);
        this.pending.samples.push({ domain, route, traceId, differences });
      }
    }
  }

  /** Paths that differed between two answers of the legacy side. */
  recordNoise(domain: string, route: string, differences: Difference[]): void {
    for (const d of differences) {
      const key = `${domain} ${route} ${d.pattern}`;
      const entry = this.pending.noise.get(key);
      if (entry) entry.count++;
      else this.pending.noise.set(key, { domain, route, path: d.pattern, example: { path: d.path, first: d.legacy, second: d.new }, count: 1 });
    }
  }

  /** Noise paths found by any proxy, per `domain route`. */
  async noise(): Promise<Map<string, Set<string>>> {
    const { rows } = await this.pool.query<{ domain: string; route: string; path: string }>('SELECT domain, route, path FROM compare_noise');
    const byRoute = new Map<string, Set<string>>();
    for (const r of rows) {
      const key = `${r.domain} ${r.route}`;
      if (!byRoute.has(key)) byRoute.set(key, new Set());
      byRoute.get(key)!.add(r.path);
    }
    return byRoute;
  }

  /** Writes what was recorded since the last flush (one flush at a time). */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    this.pending = empty();
    const current = minuteOf(this.now());
    for (const key of this.sampled.keys()) if (!key.endsWith(current)) this.sampled.delete(key);
    if (!batch.counts.size && !batch.noise.size) return;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const c of batch.counts.values()) {
        await client.query(
          `INSERT INTO compare_counts (minute, domain, route, equal, different, failed, too_large) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (domain, route, minute) DO UPDATE SET equal = compare_counts.equal + EXCLUDED.equal, different = compare_counts.different + EXCLUDED.different,
             failed = compare_counts.failed + EXCLUDED.failed, too_large = compare_counts.too_large + EXCLUDED.too_large`,
          [c.minute, c.domain, c.route, c.equal, c.different, c.failed, c.too_large],
        );
      }
      for (const p of batch.paths.values()) {
        await client.query(
          `INSERT INTO compare_paths (minute, domain, route, path, kind, count) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (domain, route, kind, path, minute) DO UPDATE SET count = compare_paths.count + EXCLUDED.count`,
          [p.minute, p.domain, p.route, p.path, p.kind, p.count],
        );
      }
      for (const s of batch.samples) {
        await client.query('INSERT INTO compare_diffs (domain, route, trace_id, paths, differences) VALUES ($1, $2, $3, $4, $5)', [
          s.domain,
          s.route,
          s.traceId ?? null,
          [...new Set(s.differences.map((d) => d.pattern))],
          JSON.stringify(s.differences),
        ]);
      }
      for (const n of batch.noise.values()) {
        await client.query(
          `INSERT INTO compare_noise (domain, route, path, count, example) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (domain, route, path) DO UPDATE SET count = compare_noise.count + EXCLUDED.count, last_seen = now(), example = EXCLUDED.example`,
          [n.domain, n.route, n.path, n.count, JSON.stringify(n.example)],
        );
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Deletes what is past the retention, and samples past the cap. */
  async prune(): Promise<void> {
    const days = this.options.retentionDays;
    await this.pool.query(`DELETE FROM compare_counts WHERE minute < now() - make_interval(days => $1)`, [days]);
    await this.pool.query(`DELETE FROM compare_paths WHERE minute < now() - make_interval(days => $1)`, [days]);
    await this.pool.query(`DELETE FROM compare_diffs WHERE at < now() - make_interval(days => $1) OR id <= (SELECT max(id) FROM compare_diffs) - $2`, [days, this.options.maxSamples]);
  }

  /** Per route of the domain over the last `windowMinutes`: counts, diff rate, top differing paths with an example each, noise. */
  async report(domain: string, windowMinutes: number, topPaths = 10): Promise<DiffReport> {
    const since = new Date(Math.floor(this.now() / 60_000) * 60_000 - (windowMinutes - 1) * 60_000).toISOString();
    const counts = await this.pool.query<{ route: string; equal: string; different: string; failed: string; too_large: string }>(
      `SELECT route, sum(equal) AS equal, sum(different) AS different, sum(failed) AS failed, sum(too_large) AS too_large
       FROM compare_counts WHERE domain = $1 AND minute >= $2 GROUP BY route ORDER BY route`,
      [domain, since],
    );
    const paths = await this.pool.query<{ route: string; path: string; count: string }>(
      `SELECT route, path, sum(count) AS count FROM compare_paths WHERE domain = $1 AND kind = 'diff' AND minute >= $2 GROUP BY route, path ORDER BY sum(count) DESC, path`,
      [domain, since],
    );
    const noise = await this.pool.query<{ route: string; path: string; count: number; first_seen: Date; last_seen: Date; example: unknown }>(
      'SELECT route, path, count, first_seen, last_seen, example FROM compare_noise WHERE domain = $1 ORDER BY route, count DESC, path',
      [domain],
    );
    const routes = new Map<string, RouteDiffs>();
    const routeOf = (route: string) => {
      let r = routes.get(route);
      if (!r) routes.set(route, (r = { route, equal: 0, different: 0, failed: 0, tooLarge: 0, diffRate: null, topPaths: [], noise: [] }));
      return r;
    };
    for (const row of counts.rows) {
      const r = routeOf(row.route);
      Object.assign(r, { equal: Number(row.equal), different: Number(row.different), failed: Number(row.failed), tooLarge: Number(row.too_large) });
      r.diffRate = r.equal + r.different > 0 ? r.different / (r.equal + r.different) : null;
    }
    for (const row of paths.rows) {
      const r = routeOf(row.route);
      if (r.topPaths.length >= topPaths) continue;
      const example = await this.pool.query<{ at: Date; trace_id: string | null; differences: Difference[] }>(
        'SELECT at, trace_id, differences FROM compare_diffs WHERE domain = $1 AND route = $2 AND $3 = ANY(paths) ORDER BY id DESC LIMIT 1',
        [domain, row.route, row.path],
      );
      const sample = example.rows[0];
      const d = sample?.differences.find((x) => x.pattern === row.path);
      r.topPaths.push({ path: row.path, count: Number(row.count), example: sample && d ? { path: d.path, legacy: d.legacy, new: d.new, at: sample.at.toISOString(), traceId: sample.trace_id } : null });
    }
    for (const row of noise.rows) {
      routeOf(row.route).noise.push({ path: row.path, count: row.count, firstSeen: row.first_seen.toISOString(), lastSeen: row.last_seen.toISOString(), example: row.example });
    }
    return { domain, windowMinutes, routes: [...routes.values()] };
  }
}
