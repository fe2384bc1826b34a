import type { PaymentProvider, ProviderChargeRequest, ProviderChargeResult } from './payment-provider.js';
import { SimulatedPaymentProvider } from './simulated-payment-provider.js';

/**
 * For unit tests: the simulated provider at a fixed time, recording every charge and refund that
 * reaches it, so a test can assert that the provider was or was not called.
 */
export class RecordingPaymentProvider implements PaymentProvider {
  private readonly inner: SimulatedPaymentProvider;
  readonly charges: ProviderChargeRequest[] = [];
  readonly refunds: string[] = [];

  constructor(now: Date) {
    this.inner = new SimulatedPaymentProvider({ now: () => now });
  }

  async charge(request: ProviderChargeRequest): Promise<ProviderChargeResult> {
    this.charges.push(request);
    return this.inner.charge(request);
  }

  async refund(providerRef: string, amountCents: number): Promise<{ refundRef: string }> {
    this.refunds.push(providerRef);
    return this.inner.refund(providerRef, amountCents);
  }
}
