import { createHash } from 'node:crypto';
import { AppError } from '@strangler/platform';
import type pg from 'pg';
import { Slots } from '../upstreams/slots.js';

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

/** A write of a domain that waited the longest allowed for its turn (the domain's writes in flight at their limit): refused, never forwarded. */
export class WritesAtLimitError extends AppError {
  constructor(domain: string, limit: number, heldMs: number, retryAfterSeconds: number) {
    super(503, 'writes_at_limit', `${limit} writes of the ${domain} domain are in flight on this proxy, its limit (FENCE_MAX_WRITES_IN_FLIGHT), and this one waited ${heldMs} ms for its turn; nothing was applied, retry in ${retryAfterSeconds} s`, {
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
  /** The longest a write waits at a raised fence, or for its turn, before a 503 (FENCE_HOLD_MS). */
  holdMs: number;
  /**
   * The most writes of one domain this instance forwards at once (FENCE_MAX_WRITES_IN_FLIGHT); the
   * others wait their turn here, in order, not yet sent: a raise waits for these few only (ADR-0038).
   */
  maxInFlight?: number;
  /** How often a held write looks again. */
  pollMs?: number;
  retryAfterSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A lease with no write in flight is given back after this long (a steady stream keeps one lease). */
const LEASE_IDLE_MS = 2_000;
/** How often a lease looks for a raise it was not told of. */
const LEASE_WATCH_MS = 250;

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

/** A fence about to be raised tells every instance's lease at once (ADR-0033); the lease's own poll is the fallback. */
const RAISE_CHANNEL = 'strangler_write_fence';

/**
 * One instance's hold on a domain's writes: the domain's advisory lock in shared mode, held by one
 * connection for as many writes as this instance has in flight (ADR-0033). The fence row is read
 * once, when the lease is taken: while any lease holds the lock no fence can go up, and the row's
 * side only changes while the fence is up.
 */
class Lease {
  inFlight = 0;
  /** A raise is waiting for the lock: no new write joins, and the lock goes back once the last one ends. */
  draining = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private watch: NodeJS.Timeout | undefined;
  private ended = false;
  /** Resolves once the lease is given back (drained, idle, broken or closed). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly domain: string,
    readonly side: WriteSide,
    private readonly client: pg.PoolClient,
    private readonly lock: ReturnType<typeof fenceLock>,
    private readonly timing: { idleMs: number; watchMs: number },
    private readonly onEnd: (lease: Lease) => void,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    client.on('notification', this.onNotification);
    client.on('error', this.onError);
    this.watch = setInterval(() => void this.poll(), timing.watchMs);
    this.watch.unref();
    this.armIdle();
  }

  private readonly onNotification = (msg: { channel: string; payload?: string }) => {
    if (msg.channel === RAISE_CHANNEL && msg.payload === this.domain) this.drain();
  };

  private readonly onError = () => {
    // The connection, and with it the lock, is gone: the writes still in flight are no longer
    // covered (a raise may now go up), and no new write may join them.
    void this.end(new Error('lease connection lost'));
  };

  /** The fallback for a missed notification: a raise waiting for the lock shows in pg_locks. */
  private async poll(): Promise<void> {
    if (this.ended || this.draining) return;
    try {
      const { rows } = await this.client.query<{ fenced: boolean }>(FENCED_OR_RAISING, [this.domain, this.lock.classid, this.lock.objid]);
      if (rows[0]?.fenced) this.drain();
    } catch {
      // onError ends the lease.
    }
  }

  join(): void {
    this.inFlight += 1;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  leave(): void {
    this.inFlight -= 1;
    if (this.inFlight > 0) return;
    if (this.draining) void this.end();
    else this.armIdle();
  }

  private armIdle(): void {
    this.idleTimer = setTimeout(() => {
      if (this.inFlight === 0) void this.end();
    }, this.timing.idleMs);
    this.idleTimer.unref();
  }

  drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.onEnd(this); // no new write joins this lease
    if (this.inFlight === 0) void this.end();
  }

  /** Gives the lock and the connection back (the pool's connection is dropped if it failed). */
  async end(err?: Error): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.draining = true;
    this.onEnd(this);
    clearInterval(this.watch);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    let broken = err;
    try {
      if (!broken) await this.client.query(`UNLISTEN ${RAISE_CHANNEL}; SELECT pg_advisory_unlock_shared(${this.lock.key})`);
    } catch (failed) {
      broken = failed instanceof Error ? failed : new Error(String(failed));
    } finally {
      this.client.removeListener('notification', this.onNotification);
      this.client.removeListener('error', this.onError);
      // A broken connection is dropped by the pool, which gives the session's lock back too.
      this.client.release(broken);
      this.resolveDone();
    }
  }
}

/**
 * The write fence of the domains that may be owned by their service (ADR-0025, ADR-0033), shared by
 * every proxy instance through the proxy's database (`write_fences`):
 * - the row, not a flag each instance polls, says where writes go (`writes_to`): all instances switch at once;
 * - each instance holds the domain's advisory lock in shared mode while it has writes of the domain in
 *   flight: one connection per domain and instance (a lease), however many writes; the row is read when
 *   the lease is taken;
 * - raising the fence tells every lease (NOTIFY), then takes that lock exclusively, so it waits until no
 *   write is in flight on any instance; an instance told of a raise admits no new write and gives its lock
 *   back when its last write ends; a write that arrives meanwhile cannot take a new lease (the try fails
 *   while a raise waits: PostgreSQL queues a request behind a waiting one) and waits without a connection;
 * - while the fence is up, writes wait (up to `holdMs`) and then go where the lifted fence sends them,
 *   or get a 503 `write_fenced` with Retry-After. Reads never look at the fence.
 */
export class WriteFence {
  private readonly pollMs: number;
  private readonly polls = new Map<string, Promise<void>>();
  /** Each covered domain's advisory lock, computed once (not per write). */
  private readonly locks: Map<string, ReturnType<typeof fenceLock>>;
  /** Each domain's current lease on this instance, or the promise of one being taken. */
  private readonly leases = new Map<string, Lease | Promise<Lease | undefined>>();
  private readonly given = new Set<Lease>();
  /** Each domain's turns: at most `maxInFlight` writes admitted at once on this instance. */
  private readonly turns = new Map<string, Slots>();
  private closed = false;

  /**
   * @param pool the leases' connections: one per covered domain while its writes are in flight.
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

  /**
   * Waits for its turn (at most `maxInFlight` writes of the domain in flight on this instance) and for
   * the fence (if up), and admits the write: the caller forwards it to `side` and releases afterwards.
   */
  async admit(domain: string): Promise<Admission> {
    const started = Date.now();
    let turns = this.turns.get(domain);
    const limit = this.options.maxInFlight ?? Number.MAX_SAFE_INTEGER;
    if (!turns) this.turns.set(domain, (turns = new Slots(limit)));
    if (!turns.tryAcquire() && !(await turns.wait(this.options.holdMs))) throw new WritesAtLimitError(domain, limit, Date.now() - started, this.options.retryAfterSeconds);
    let lease: Lease;
    try {
      lease = await this.join(domain, started);
    } catch (err) {
      turns.release();
      throw err;
    }
    let released = false;
    return {
      side: lease.side,
      release: async () => {
        if (released) return;
        released = true;
        // The lease first: a raise waiting for this write may go up before the next write's turn.
        lease.leave();
        turns.release();
      },
    };
  }

  /** Joins this instance's lease of the domain once no fence is up or being raised (up to `holdMs` from `started`). */
  private async join(domain: string, started: number): Promise<Lease> {
    for (;;) {
      let lease = this.leases.get(domain);
      if (lease === undefined) {
        const taking = this.take(domain);
        this.leases.set(domain, taking);
        lease = await taking.finally(() => {
          if (this.leases.get(domain) === taking) this.leases.delete(domain);
        });
        if (lease && !lease.draining) this.leases.set(domain, lease);
      } else if (!(lease instanceof Lease)) lease = await lease;
      if (lease && !lease.draining) {
        lease.join();
        return lease;
      }
      const held = Date.now() - started;
      if (held >= this.options.holdMs) throw new WriteFencedError(domain, held, this.options.retryAfterSeconds);
      await this.lifted(domain, started + this.options.holdMs);
    }
  }

  /**
   * Takes this instance's lease of a domain: the shared lock (only tried, never waited for) and the
   * row. Undefined when a fence is up or being raised; throws when the database cannot be read.
   */
  private async take(domain: string): Promise<Lease | undefined> {
    if (this.closed) throw new FenceUnavailableError(domain, 'the proxy is stopping', this.options.retryAfterSeconds);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new FenceUnavailableError(domain, err instanceof Error ? err.message : String(err), this.options.retryAfterSeconds);
    }
    const lock = this.lockOf(domain);
    try {
      // Listening first, so a raise that starts after the lock is taken is never missed.
      const [, locked] = (await client.query(`LISTEN ${RAISE_CHANNEL}; SELECT pg_try_advisory_lock_shared(${lock.key}) AS got`)) as unknown as [unknown, { rows: { got: boolean }[] }];
      const row = locked.rows[0]?.got
        ? (await client.query<{ writes_to: WriteSide; fenced: boolean }>('SELECT writes_to, fenced_since IS NOT NULL AS fenced FROM write_fences WHERE domain = $1', [domain])).rows[0]
        : undefined;
      if (locked.rows[0]?.got && row && !row.fenced) {
        const lease = new Lease(domain, row.writes_to, client, lock, { idleMs: LEASE_IDLE_MS, watchMs: LEASE_WATCH_MS }, (ended) => {
          if (this.leases.get(domain) === ended) this.leases.delete(domain);
        });
        this.given.add(lease);
        void lease.done.then(() => this.given.delete(lease));
        return lease;
      }
      await client.query(`UNLISTEN ${RAISE_CHANNEL}${locked.rows[0]?.got ? `; SELECT pg_advisory_unlock_shared(${lock.key})` : ''}`);
      client.release();
      if (locked.rows[0]?.got && !row) throw new FenceUnavailableError(domain, 'no write_fences row for the domain', this.options.retryAfterSeconds);
      return undefined;
    } catch (err) {
      if (err instanceof FenceUnavailableError) throw err;
      client.release(err instanceof Error ? err : new Error(String(err)));
      throw new FenceUnavailableError(domain, err instanceof Error ? err.message : String(err), this.options.retryAfterSeconds);
    }
  }

  /** Gives back every lease this instance holds (at shutdown, before the pool ends). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.given].map((lease) => lease.end()));
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
      // Every instance's lease hears of the raise now and stops taking new writes (a NOTIFY inside the
      // transaction would only be delivered at its commit).
      await client.query('SELECT pg_notify($1, $2)', [RAISE_CHANNEL, domain]);
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
