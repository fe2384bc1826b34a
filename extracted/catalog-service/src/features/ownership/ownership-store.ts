import { ConflictError } from '@strangler/platform';
import type pg from 'pg';

export const OWNERS = ['monolith', 'service'] as const;
export type Owner = (typeof OWNERS)[number];

/** Who owns a domain's writes (table `sync_ownership`, docs/adr/0022). */
export interface Ownership {
  domain: string;
  owner: Owner;
  /** Grows by one on every change of owner. */
  epoch: number;
  changedAt: string;
}

interface OwnershipRow {
  domain: string;
  owner: Owner;
  epoch: string;
  changed_at: Date;
}

function ownership(row: OwnershipRow): Ownership {
  return { domain: row.domain, owner: row.owner, epoch: Number(row.epoch), changedAt: row.changed_at.toISOString() };
}

/** A write reached this service for a domain it does not own (a stale proxy): nothing is applied. */
export class NotOwnerError extends ConflictError {
  constructor(domain: string, owner: string | undefined) {
    super(`catalog-service does not own the writes of ${domain} (owner: ${owner ?? 'none recorded'}); nothing was applied`, 'not_owner');
  }
}

/**
 * Inside a write transaction: takes the ownership row FOR SHARE (a change of owner waits for the
 * writes in flight, and writes after it see the new owner) and refuses unless the service owns the domain.
 */
export async function requireOwnership(client: pg.PoolClient, domain: string): Promise<void> {
  const owner = await ownerForShare(client, domain);
  if (owner !== 'service') throw new NotOwnerError(domain, owner);
}

/** Inside a transaction: the domain's owner, its row held FOR SHARE until the transaction ends (a named statement). */
export async function ownerForShare(client: pg.PoolClient, domain: string): Promise<string | undefined> {
  const { rows } = await client.query<{ owner: string }>({ name: 'catalog.ownership-for-share', text: 'SELECT owner FROM sync_ownership WHERE domain = $1 FOR SHARE', values: [domain] });
  return rows[0]?.owner;
}

export class PgOwnershipStore {
  constructor(private readonly pool: pg.Pool) {}

  async get(domain: string): Promise<Ownership | undefined> {
    const { rows } = await this.pool.query<OwnershipRow>('SELECT domain, owner, epoch, changed_at FROM sync_ownership WHERE domain = $1', [domain]);
    return rows[0] ? ownership(rows[0]) : undefined;
  }

  /**
   * Sets the owner and moves the epoch on by one, only from `expectedEpoch`. The UPDATE waits for
   * the writes that hold the row FOR SHARE. `mismatch` carries the current record when the epoch differs.
   */
  async set(domain: string, owner: Owner, expectedEpoch: number): Promise<{ changed: Ownership } | { mismatch: Ownership } | undefined> {
    const { rows } = await this.pool.query<OwnershipRow>(
      `UPDATE sync_ownership SET owner = $2, epoch = epoch + 1, changed_at = now()
        WHERE domain = $1 AND epoch = $3 RETURNING domain, owner, epoch, changed_at`,
      [domain, owner, expectedEpoch],
    );
    if (rows[0]) return { changed: ownership(rows[0]) };
    const current = await this.get(domain);
    return current ? { mismatch: current } : undefined;
  }
}
