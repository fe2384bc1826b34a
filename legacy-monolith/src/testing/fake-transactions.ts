import type { TransactionRunner, Tx } from '../db/transaction.js';

/** A fake store whose state can be captured and put back, as a database does on rollback. */
export interface Snapshottable {
  /** Captures the current state; the returned function restores it. */
  snapshot(): () => void;
}

/**
 * For unit tests: a transaction runner over in-memory fakes that restores every given fake when
 * the work throws, so all-or-nothing rules can be tested without a database.
 */
export function fakeTransactions(...participants: Snapshottable[]): TransactionRunner & { runs: number; rollbacks: number } {
  const runner = {
    runs: 0,
    rollbacks: 0,
    async run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      runner.runs += 1;
      const restores = participants.map((p) => p.snapshot());
      try {
        return await work({} as Tx);
      } catch (err) {
        runner.rollbacks += 1;
        for (const restore of restores) restore();
        throw err;
      }
    },
  };
  return runner;
}
