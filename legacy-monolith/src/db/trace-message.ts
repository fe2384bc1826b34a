import { currentContext, TRACE_MESSAGE_PREFIX } from '@strangler/platform';
import type { Prisma } from '../generated/prisma/client.js';
import type { PrismaClient } from './prisma.js';

type RawClient = Pick<PrismaClient, '$executeRaw'>;

/**
 * The statement that records the current request's W3C trace context in the transaction that runs
 * it: a transactional logical decoding message, which costs no table and which Debezium captures
 * with the transaction's changes, so the projection that applies them can log the same trace id
 * (ADR-0026). Undefined outside a request.
 */
export function traceStatement(client: RawClient): Prisma.PrismaPromise<number> | undefined {
  const traceparent = currentContext()?.traceparent;
  return traceparent ? client.$executeRaw`SELECT pg_logical_emit_message(true, ${TRACE_MESSAGE_PREFIX}::text, ${traceparent}::text)` : undefined;
}

/** Runs one write in a transaction with the request's trace context (just the write outside a request). */
export async function traced<T>(prisma: PrismaClient, write: Prisma.PrismaPromise<T>): Promise<T> {
  const statement = traceStatement(prisma);
  if (!statement) return write;
  // The same wait for a connection as every other transaction of the monolith (TransactionRunner): Prisma's
  // default of 2 s answered 500 to writes that only waited for a connection on a loaded machine.
  const [, result] = await prisma.$transaction([statement, write], { maxWait: 5_000 });
  return result;
}
