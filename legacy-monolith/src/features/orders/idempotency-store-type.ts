import type { Tx } from '../../db/transaction.js';

export interface StoredResponse {
  requestHash: string;
  status: number;
  body: unknown;
}

export type IdempotencyClaim = { claimed: true } | { claimed: false; stored: StoredResponse };

/** Checkout outcomes per (user, Idempotency-Key), written in the checkout's own transaction. */
export interface IdempotencyStore {
  /**
   * Claims the key inside `tx`. When another transaction holds the same key, waits until it ends:
   * if it committed, returns its stored response; if it rolled back, the claim succeeds.
   */
  claim(userId: string, key: string, requestHash: string, tx: Tx): Promise<IdempotencyClaim>;
  /** Records the response of a claimed key (same transaction as the claim). */
  complete(userId: string, key: string, response: { status: number; body: unknown }, tx: Tx): Promise<void>;
}
