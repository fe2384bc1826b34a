import { randomUUID } from 'node:crypto';
import { isExpired } from './card.js';
import type { PaymentProvider, ProviderChargeRequest, ProviderChargeResult } from './payment-provider.js';

/** Documented test cards with a fixed outcome (the same numbers as the big processors' test modes). */
export const DECLINED_CARD = '4000000000000002';
export const INSUFFICIENT_FUNDS_CARD = '4000000000009995';

/**
 * A provider with deterministic outcomes, for development, tests and demos: an expired card is
 * declined with `card_expired`, the two documented numbers are declined, every other card is captured.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  constructor(private readonly options: { now?: () => Date; newId?: () => string } = {}) {}

  async charge(request: ProviderChargeRequest): Promise<ProviderChargeResult> {
    const now = this.options.now?.() ?? new Date();
    if (isExpired(request.card, now)) return { outcome: 'declined', reason: 'card_expired' };
    if (request.card.number === DECLINED_CARD) return { outcome: 'declined', reason: 'payment_declined' };
    if (request.card.number === INSUFFICIENT_FUNDS_CARD) return { outcome: 'declined', reason: 'insufficient_funds' };
    return { outcome: 'captured', providerRef: `sim_ch_${this.newId()}` };
  }

  async refund(_providerRef: string, _amountCents: number): Promise<{ refundRef: string }> {
    return { refundRef: `sim_re_${this.newId()}` };
  }

  private newId(): string {
    return this.options.newId?.() ?? randomUUID();
  }
}
