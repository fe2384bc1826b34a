import { AppError, ValidationError } from '@strangler/platform';
import type { Tx } from '../../db/transaction.js';
import { last4, passesLuhn } from './card.js';
import type { DeclineReason, PaymentProvider } from './payment-provider.js';
import type { ChargeRequest, PaymentsModule } from './payments-module.js';
import type { PaymentsStore } from './payments-store-type.js';

const DECLINE_MESSAGES: Record<DeclineReason, string> = {
  payment_declined: 'The card was declined',
  insufficient_funds: 'The card was declined for insufficient funds',
  card_expired: 'The card has expired',
};

/** Charges and refunds through a PaymentProvider; stores only the last four digits of a card. */
export class PaymentsService implements PaymentsModule {
  private readonly now: () => Date;

  constructor(private readonly deps: { store: PaymentsStore; provider: PaymentProvider; now?: () => Date }) {
    this.now = deps.now ?? (() => new Date());
  }

  async charge(request: ChargeRequest, tx: Tx): Promise<{ paymentId: string; status: 'captured' }> {
    if (!passesLuhn(request.card.number)) {
      const reason = 'is not a valid card number (Luhn check failed)';
      throw new ValidationError(`card.number: ${reason}`, [{ field: 'card.number', reason }]);
    }
    if (!Number.isInteger(request.amountCents) || request.amountCents <= 0) throw new Error(`charge amount must be a positive number of cents, got ${request.amountCents}`);
    const result = await this.deps.provider.charge({ amountCents: request.amountCents, currency: request.currency, card: request.card, reference: request.orderId });
    if (result.outcome === 'declined') throw new AppError(402, result.reason, DECLINE_MESSAGES[result.reason]);
    const payment = await this.deps.store.createCaptured(
      { orderId: request.orderId, amountCents: request.amountCents, currency: request.currency, cardLast4: last4(request.card.number), providerRef: result.providerRef },
      tx,
    );
    return { paymentId: payment.id, status: 'captured' };
  }

  /** Refunds the order's captured payment in full; refunding an already refunded payment is a no-op. */
  async refund(orderId: string, tx: Tx): Promise<void> {
    const payment = await this.deps.store.findByOrder(orderId, tx);
    if (!payment) throw new AppError(409, 'payment_not_found', `Order ${orderId} has no payment to refund`);
    if (payment.status === 'refunded') return;
    // Claim the refund in the database first: of two concurrent refunds only one reaches the provider.
    if (!(await this.deps.store.markRefunded(orderId, this.now(), tx))) return;
    await this.deps.provider.refund(payment.providerRef, payment.amountCents);
  }
}
