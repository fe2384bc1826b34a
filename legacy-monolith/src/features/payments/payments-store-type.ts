import type { Tx } from '../../db/transaction.js';

export type PaymentStatus = 'captured' | 'refunded';

export interface PaymentRecord {
  id: string;
  orderId: string;
  amountCents: number;
  currency: string;
  status: PaymentStatus;
  cardLast4: string;
  providerRef: string;
  createdAt: Date;
  refundedAt: Date | null;
}

export interface NewPayment {
  orderId: string;
  amountCents: number;
  currency: string;
  cardLast4: string;
  providerRef: string;
}

export interface PaymentsStore {
  createCaptured(payment: NewPayment, tx?: Tx): Promise<PaymentRecord>;
  findByOrder(orderId: string, tx?: Tx): Promise<PaymentRecord | undefined>;
  /** Moves the order's payment from captured to refunded; false when it was not captured (e.g. already refunded). */
  markRefunded(orderId: string, at: Date, tx?: Tx): Promise<boolean>;
}
