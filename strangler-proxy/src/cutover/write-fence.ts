import { createHash } from 'node:crypto';
import { AppError } from '@strangler/platform';
import type pg from 'pg';

export type WriteSide = 'legacy' | 'new';

/** A write let through the fence: forward it to `side`, then `release()` (which lets a cutover proceed). */
export interface Admission {
  side: WriteSide;
  release(): Promise<void>;
}

/** A write of a fenced domain that waited the longest allowed: refused, never forwarded. */
export class WriteFencedError extends AppError {
  constructor(domain: string, heldMs: number, retryAfterSeconds: number) {
    super(503, 'write_fenced', `writes of the ${domain} domain are paused for a cutover (held ${heldMs} ms); nothing was applied, retry in ${retryAfterSeconds} s`, {
      retriable: true,
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

/** The fence's database cannot be reached: a write of an ownable domain is refused rather than sent to a side that may not own it. */
export class FenceUnavailableError extends AppError {
  constructor(domain: string, detail: string, retryAfterSeconds: number) {
    super(503, 'write_side_unknown', `the write side of the ${domain} domain cannot be read (${detail}); nothing was applied, retry in ${retryAfterSeconds} s`, {
      retriable: true,
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  }
}

export interface WriteFenceOptions {
  /** The longest a write waits at a raised fence before a 503 (FENCE_HOLD_MS). */
  holdMs: number;
  /** How often a held write looks again. */
  pollMs?: number;
  retryAfterSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The advisory lock of a domain's fence: a 64-bit key from the domain's name, the same on every
 * instance, and the two halves `pg_locks` shows it by (classid, objid).
 */
function fenceLock(domain: string): { key: string; classid: number; objid: number } {
  const digest = createHash('sha256').update(`strangler.write_fence:${domain}`).digest();
  return { key: digest.readBigInt64BE(0).toString(), classid: digest.readUInt32BE(0), objid: digest.readUInt32BE(4) };
}

/** Fenced, or a fence being raised (its exclusive lock granted or waiting): a write should wait without a connection. */
const FENCED_OR_RAISING = `SELECT coalesce((SELECT fenced_since IS NOT NULL FROM write_fences WHERE domain = $1), false)
  OR EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock' AND classid = $2 AND objid = $3 AND objsubid = 1) AS fenced`;

/**
 * The write fence of the domains that may be owned by their service (ADR-0025), shared by every proxy
 * instance through the proxy's database (`write_fences`). Each write of such a domain holds the
 * domain's advisory lock in shared mode until its answer is back, then reads the domain's row, so:
 * - the row, not a flag each instance polls, says where writes go (`writes_to`): all instances switch at once;
 * - raising the fence takes that lock exclusively, so it waits until no write is in flight on any
 *   instance; a write that arrives meanwhile does not get the lock (it only tries) and waits without
 *   a connection (a row lock FOR SHARE let a steady stream of writes overtake the fence's UPDATE: at
 *   50 writes/s it waited up to 13 s; a blocking shared lock queued them, each holding a connection);
 * - while the fence is up, writes wait (up to `holdMs`) and then go where the lifted fence sends them,
 *   or get a 503 `write_fenced` with Retry-After. Reads never look at the fence.
 */
export class WriteFence {
  private readonly pollMs: number;
  private readonly polls = new Map<string, Promise<void>>();
  /** Each covered domain's advisory lock, computed once (not per write). */
  private readonly locks: Map<string, ReturnType<typeof fenceLock>>;

  /**
   * @param pool the writes' connections: each write of a fenced domain holds one while it is forwarded.
   * @param control the fence's own connections (raise, lift, state, the held writes' shared poll): a
   *   separate pool, so a cutover is never starved by the writes it is fencing.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly domains: ReadonlySet<string>,
    private readonly options: WriteFenceOptions,
    private readonly control: pg.Pool = pool,
  ) {
    this.pollMs = options.pollMs ?? 25;
    this.locks = new Map([...domains].map((d) => [d, fenceLock(d)]));
  }

  private lockOf(domain: string): ReturnType<typeof fenceLock> {
    let lock = this.locks.get(domain);
    if (!lock) this.locks.set(domain, (lock = fenceLock(domain)));
    return lock;
  }

  covers(domain: string): boolean {
    return this.domains.has(domain);
  }

  /** Creates each covered domain's row if missing, writing to the side its stage gives (`owned`: the service). */
  async prepare(initial: Map<string, WriteSide>): Promise<void> {
    for (const domain of this.domains) {
      await this.pool.query('INSERT INTO write_fences (domain, writes_to) VALUES ($1, $2) ON CONFLICT (domain) DO NOTHING', [domain, initial.get(domain) ?? 'legacy']);
    }
  }

  /** Waits for the fence (if up) and admits the write: the caller forwards it to `side` and releases afterwards. */
  async admit(domain: string): Promise<Admission> {
    const started = Date.now();
    for (;;) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw new FenceUnavailableError(domain, err instanceof Error ? err.message : String(err), this.options.retryAfterSeconds);
      }
      let row: { writes_to: WriteSide; fenced: boolean } | undefined;
      try {
        // The lock first, the row after it (a statement of its own, so it sees a fence raised meanwhile).
        // Never waiting for the lock: while a raise waits for it or holds it, the try fails (PostgreSQL
        // queues a request behind a waiting one), and the write waits below without a connection.
        const [, locked] = (await client.query(`BEGIN; SELECT pg_try_advisory_xact_lock_shared(${this.lockOf(domain).key}) AS got`)) as unknown as [unknown, { rows: { got: boolean }[] }];
        row = locked.rows[0]?.got
          ? (await client.query<{ writes_to: WriteSide; fenced: boolean }>('SELECT writes_to, fenced_since IS NOT NULL AS fenced FROM write_fences WHERE domain = $1', [domain])).rows[0]
          : { writes_to: 'legacy', fenced: true };
      } catch (err) {
        client.release(err instanceof Error ? err : new Error(String(err)));
        throw new FenceUnavailableError(domain, err instanceof Error ? err.message : String(err), this.options.retryAfterSeconds);
      }
      if (row && !row.fenced) {
        let released = false;
        return {
          side: row.writes_to,
          release: async () => {
            if (released) return;
            released = true;
            try {
              await client.query('COMMIT');
              client.release();
            } catch (err) {
              client.release(err instanceof Error ? err : new Error(String(err)));
            }
          },
        };
      }
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      if (!row) throw new FenceUnavailableError(domain, 'no write_fences row for the domain', this.options.retryAfterSeconds);
      const held = Date.now() - started;
      if (held >= this.options.holdMs) throw new WriteFencedError(domain, held, this.options.retryAfterSeconds);
      await this.lifted(domain, started + this.options.holdMs);
    }
  }

  /**
   * Resolves when the domain's fence is down, or at `until`. Every write held on this instance shares
   * one poll per domain (a plain read, no lock, no connection held between polls), so a crowd of held
   * writes costs the database no more than one.
   */
  private lifted(domain: string, until: number): Promise<void> {
    let poll = this.polls.get(domain);
    if (!poll) {
      const stopAt = Date.now() + this.options.holdMs + this.pollMs;
      poll = (async () => {
        try {
          while (Date.now() < stopAt) {
            await sleep(this.pollMs);
            const lock = this.lockOf(domain);
            const { rows } = await this.control.query<{ fenced: boolean }>(FENCED_OR_RAISING, [domain, lock.classid, lock.objid]);
            if (!rows[0]?.fenced) return;
          }
        } catch {
          // The admission that follows reports the database's problem.
        } finally {
          this.polls.delete(domain);
        }
      })();
      this.polls.set(domain, poll);
    }
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([poll, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, until - Date.now()))))]).finally(() => clearTimeout(timer));
  }

  /**
   * Raises the fence: returns once no write of the domain is in flight on any instance and every new
   * one waits. Refused when a fence is already up (another cutover), or when the writes in flight
   * do not finish within `drainMs`.
   */
  async raise(domain: string, drainMs: number): Promise<{ raisedAt: Date; writesTo: WriteSide }> {
    const client = await this.control.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(drainMs))}`);
      await client.query(`SELECT pg_advisory_xact_lock(${this.lockOf(domain).key})`);
      const { rows } = await client.query<{ writes_to: WriteSide; raised_at: Date }>(
        'UPDATE write_fences SET fenced_since = clock_timestamp(), updated_at = now() WHERE domain = $1 AND fenced_since IS NULL RETURNING writes_to, fenced_since AS raised_at',
        [domain],
      );
      await client.query('COMMIT');
      const row = rows[0];
      if (!row) throw new Error(`the write fence of ${domain} is already up (another cutover is running, or one was interrupted: see the status)`);
      return { raisedAt: row.raised_at, writesTo: row.writes_to };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if ((err as { code?: string }).code === '55P03') throw new Error(`writes of ${domain} in flight did not finish within ${drainMs} ms`);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Lifts the fence, sending the domain's writes to `writesTo` from now on (on every instance at once). */
  async lift(domain: string, writesTo: WriteSide): Promise<void> {
    await this.control.query('UPDATE write_fences SET fenced_since = NULL, writes_to = $2, updated_at = now() WHERE domain = $1', [domain, writesTo]);
  }

  async state(domain: string): Promise<{ writesTo: WriteSide; fencedSince: Date | null } | undefined> {
    const { rows } = await this.control.query<{ writes_to: WriteSide; fenced_since: Date | null }>('SELECT writes_to, fenced_since FROM write_fences WHERE domain = $1', [domain]);
    return rows[0] && { writesTo: rows[0].writes_to, fencedSince: rows[0].fenced_since };
  }
}
