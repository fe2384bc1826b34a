import { clientOf, type Tx } from '../../db/transaction.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { Payment } from '../../generated/prisma/client.js';
import type { NewPayment, PaymentRecord, PaymentsStore } from './payments-store-type.js';

export class PrismaPaymentsStore implements PaymentsStore {
  constructor(private readonly prisma: PrismaClient) {}

  async createCaptured(payment: NewPayment, tx?: Tx): Promise<PaymentRecord> {
    const row = await clientOf(this.prisma, tx).payment.create({ data: { ...payment, status: 'captured' } });
    return toRecord(row);
  }

  async findByOrder(orderId: string, tx?: Tx): Promise<PaymentRecord | undefined> {
    const row = await clientOf(this.prisma, tx).payment.findUnique({ where: { orderId } });
    return row ? toRecord(row) : undefined;
  }

  async markRefunded(orderId: string, at: Date, tx?: Tx): Promise<boolean> {
    const { count } = await clientOf(this.prisma, tx).payment.updateMany({ where: { orderId, status: 'captured' }, data: { status: 'refunded', refundedAt: at } });
    return count === 1;
  }
}

function toRecord(row: Payment): PaymentRecord {
  return {
    id: row.id,
    orderId: row.orderId,
    amountCents: row.amountCents,
    currency: row.currency,
    status: row.status,
    cardLast4: row.cardLast4,
    providerRef: row.providerRef,
    createdAt: row.createdAt,
    refundedAt: row.refundedAt,
  };
}
