import type { CardDetails } from './payments-module.js';

export interface ProviderChargeRequest {
  amountCents: number;
  currency: string;
  card: CardDetails;
  /** Our reference for the charge (the order id), so the provider can deduplicate. */
  reference: string;
}

export type DeclineReason = 'payment_declined' | 'insufficient_funds' | 'card_expired';

export type ProviderChargeResult = { outcome: 'captured'; providerRef: string } | { outcome: 'declined'; reason: DeclineReason };

/** A card processor. The simulated one below is deterministic; a real one would call an acquirer's API. */
export interface PaymentProvider {
  charge(request: ProviderChargeRequest): Promise<ProviderChargeResult>;
  /** Refunds a captured charge in full. */
  refund(providerRef: string, amountCents: number): Promise<{ refundRef: string }>;
}
