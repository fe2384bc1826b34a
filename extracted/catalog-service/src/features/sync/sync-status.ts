import type pg from 'pg';
import type { PgOwnershipStore } from '../ownership/ownership-store.js';

/** What `GET /cdc` says of the catalog's data sync (ADR-0025). */
export interface SyncStatusBody extends Record<string, unknown> {
  /** forward: the monolith owns the writes, its changes are projected here; reverse: this service owns them, its events flow back. */
  direction: 'forward' | 'reverse' | null;
  owner: string | null;
  epoch: number | null;
  changedAt: string | null;
  /** Every domain event this service has written to its outbox. */
  outbox: { events: number };
  /** The reverse sync's own status (`GET /status` of catalog-reverse-sync), or why it is not known. */
  reverse: (Record<string, unknown> & { reachable: true }) | { reachable: false; problem: string } | null;
}

/**
 * The catalog's sync status: the ownership record, the outbox's size, and the reverse sync's status
 * (its lag, pending events, events handled, and the monolith's WAL position) asked over HTTP.
 */
export function syncStatus(deps: { domain: string; ownership: Pick<PgOwnershipStore, 'get'>; pool: pg.Pool; reverseSyncUrl: string | undefined }) {
  return async (): Promise<SyncStatusBody> => {
    const [record, outbox, reverse] = await Promise.all([
      deps.ownership.get(deps.domain),
      // The sum of the trigger-kept counts (ADR-0037): the outbox is never pruned, count(*) would grow with it.
      deps.pool.query<{ n: string }>('SELECT coalesce(sum(events), 0)::text AS n FROM outbox_counts'),
      reverseStatus(deps.reverseSyncUrl),
    ]);
    return {
      direction: record ? (record.owner === 'service' ? 'reverse' : 'forward') : null,
      owner: record?.owner ?? null,
      epoch: record?.epoch ?? null,
      changedAt: record?.changedAt ?? null,
      outbox: { events: Number(outbox.rows[0]!.n) },
      reverse,
    };
  };
}

async function reverseStatus(url: string | undefined): Promise<SyncStatusBody['reverse']> {
  if (!url) return null;
  try {
    const res = await fetch(new URL('/status', url), { signal: AbortSignal.timeout(1_500) });
    if (!res.ok) return { reachable: false, problem: `GET /status answered ${res.status}` };
    return { reachable: true, ...((await res.json()) as Record<string, unknown>) };
  } catch (err) {
    return { reachable: false, problem: err instanceof Error ? err.message : String(err) };
  }
}
