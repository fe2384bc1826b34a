import type { PrismaClient } from './prisma.js';
import { traceStatement } from './trace-message.js';

/**
 * An open database transaction, opaque to business code: services pass it from one module to the
 * next so that a checkout commits or rolls back as one, without knowing it is Prisma underneath.
 */
export interface Tx {
  readonly __tx: unique symbol;
}

export interface TransactionRunner {
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

type TxClient = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/**
 * Transactions on the real database (READ COMMITTED; stock updates are guarded row by row). Each
 * carries the request's trace context for CDC (ADR-0026).
 */
export function prismaTransactions(prisma: PrismaClient, options: { timeoutMs?: number } = {}): TransactionRunner {
  return {
    run: (work) =>
      prisma.$transaction(
        async (client) => {
          await traceStatement(client);
          return work(client as unknown as Tx);
        },
        { timeout: options.timeoutMs ?? 10_000, maxWait: 5_000 },
      ),
  };
}

/** For store files only: the Prisma client of the transaction, or the plain client outside one. */
export function clientOf(prisma: PrismaClient, tx?: Tx): TxClient | PrismaClient {
  return tx ? (tx as unknown as TxClient) : prisma;
}

/** For unit tests with fakes: runs the work with a placeholder transaction and no rollback. */
export const noTransactions: TransactionRunner = {
  run: (work) => work({} as Tx),
};
