import { randomUUID } from 'node:crypto';
import type { Snapshottable } from '../../testing/fake-transactions.js';
import type { NewPayment, PaymentRecord, PaymentsStore } from './payments-store-type.js';

export class FakePaymentsStore implements PaymentsStore, Snapshottable {
  payments: PaymentRecord[] = [];

  async createCaptured(payment: NewPayment): Promise<PaymentRecord> {
    if (this.payments.some((p) => p.orderId === payment.orderId)) throw new Error(`duplicate payment for order ${payment.orderId}`);
    const record: PaymentRecord = { ...payment, id: randomUUID(), status: 'captured', createdAt: new Date(), refundedAt: null };
    this.payments.push(record);
    return { ...record };
  }

  async findByOrder(orderId: string): Promise<PaymentRecord | undefined> {
    const found = this.payments.find((p) => p.orderId === orderId);
    return found ? { ...found } : undefined;
  }

  async markRefunded(orderId: string, at: Date): Promise<boolean> {
    const found = this.payments.find((p) => p.orderId === orderId && p.status === 'captured');
    if (!found) return false;
    found.status = 'refunded';
    found.refundedAt = at;
    return true;
  }

  snapshot(): () => void {
    const saved = this.payments.map((p) => ({ ...p }));
    return () => {
      this.payments = saved;
    };
  }
}
