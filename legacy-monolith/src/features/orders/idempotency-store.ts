import { AppError } from '@strangler/platform';
import { clientOf, type Tx } from '../../db/transaction.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { IdempotencyClaim, IdempotencyStore } from './idempotency-store-type.js';

export class PrismaIdempotencyStore implements IdempotencyStore {
  constructor(private readonly prisma: PrismaClient) {}

  async claim(userId: string, key: string, requestHash: string, tx: Tx): Promise<IdempotencyClaim> {
    const db = clientOf(this.prisma, tx);
    // INSERT ... ON CONFLICT DO NOTHING: when another open transaction inserted the same primary key,
    // PostgreSQL blocks this insert until that transaction ends, then inserts (it rolled back) or
    // skips (it committed). The placeholder is never visible: the same transaction completes it.
    const { count } = await db.idempotencyKey.createMany({
      data: [{ userId, key, requestHash, responseStatus: 0, responseBody: {} }],
      skipDuplicates: true,
    });
    if (count === 1) return { claimed: true };
    const row = await db.idempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
    if (!row) throw new AppError(409, 'idempotency_key_in_progress', 'A request with this Idempotency-Key is still being processed; retry shortly', { retriable: true });
    return { claimed: false, stored: { requestHash: row.requestHash, status: row.responseStatus, body: row.responseBody } };
  }

  async complete(userId: string, key: string, response: { status: number; body: unknown }, tx: Tx): Promise<void> {
    await clientOf(this.prisma, tx).idempotencyKey.update({
      where: { userId_key: { userId, key } },
      data: { responseStatus: response.status, responseBody: response.body as Prisma.InputJsonValue },
    });
  }
}
