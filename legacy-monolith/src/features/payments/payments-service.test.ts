import { describe, expect, it } from 'vitest';
import { noTransactions, type Tx } from '../../db/transaction.js';
import { FakePaymentsStore } from './fake-payments-store.js';
import type { PaymentProvider, ProviderChargeRequest } from './payment-provider.js';
import { PaymentsService } from './payments-service.js';
import { DECLINED_CARD, INSUFFICIENT_FUNDS_CARD, SimulatedPaymentProvider } from './simulated-payment-provider.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const tx = {} as Tx;
const card = (number: string, expiry: { expMonth: number; expYear: number } = { expMonth: 12, expYear: 2030 }) => ({ number, cvc: '123', ...expiry });

/** Records what reaches the provider, so a test can assert that the provider was or was not called. */
class RecordingProvider implements PaymentProvider {
  readonly inner = new SimulatedPaymentProvider({ now: () => NOW });
  charges: ProviderChargeRequest[] = [];
  refunds: string[] = [];
  async charge(request: ProviderChargeRequest) {
    this.charges.push(request);
    return this.inner.charge(request);
  }
  async refund(providerRef: string, amountCents: number) {
    this.refunds.push(providerRef);
    return this.inner.refund(providerRef, amountCents);
  }
}

function setup() {
  const store = new FakePaymentsStore();
  const provider = new RecordingProvider();
  const service = new PaymentsService({ store, provider, now: () => NOW });
  return { store, provider, service };
}

describe('the simulated payment provider', () => {
  const provider = new SimulatedPaymentProvider({ now: () => NOW, newId: () => 'fixed' });
  const charge = (number: string, expiry?: { expMonth: number; expYear: number }) => provider.charge({ amountCents: 100, currency: 'EUR', card: card(number, expiry), reference: 'o1' });

  it('captures any valid card that is not one of the documented declines', async () => {
    expect(await charge('4242424242424242')).toEqual({ outcome: 'captured', providerRef: 'sim_ch_fixed' });
  });

  it('always declines 4000000000000002 with payment_declined', async () => {
    expect(await charge(DECLINED_CARD)).toEqual({ outcome: 'declined', reason: 'payment_declined' });
  });

  it('declines 4000000000009995 with insufficient_funds', async () => {
    expect(await charge(INSUFFICIENT_FUNDS_CARD)).toEqual({ outcome: 'declined', reason: 'insufficient_funds' });
  });

  it('declines a card whose expiry month has passed with card_expired', async () => {
    expect(await charge('4242424242424242', { expMonth: 10, expYear: 2026 })).toEqual({ outcome: 'declined', reason: 'card_expired' });
  });
});

describe('payments', () => {
  it('stores a captured payment with only the last four digits of the card', async () => {
    const { store, service } = setup();
    const result = await service.charge({ orderId: 'order-1', amountCents: 2599, currency: 'EUR', card: card('4242424242424242') }, tx);
    expect(result.status).toBe('captured');
    expect(store.payments).toHaveLength(1);
    const stored = store.payments[0]!;
    expect(stored).toMatchObject({ id: result.paymentId, orderId: 'order-1', amountCents: 2599, currency: 'EUR', status: 'captured', cardLast4: '4242', refundedAt: null });
    expect(JSON.stringify(stored)).not.toContain('4242424242424242');
    expect(JSON.stringify(stored)).not.toContain('"123"');
  });

  it.each([
    [DECLINED_CARD, { expMonth: 12, expYear: 2030 }, 'payment_declined'],
    [INSUFFICIENT_FUNDS_CARD, { expMonth: 12, expYear: 2030 }, 'insufficient_funds'],
    ['4242424242424242', { expMonth: 1, expYear: 2026 }, 'card_expired'],
  ])('turns a decline of %s into a 402 %s and records nothing', async (number, expiry, code) => {
    const { store, service } = setup();
    const attempt = service.charge({ orderId: 'order-1', amountCents: 100, currency: 'EUR', card: card(number, expiry) }, tx);
    await expect(attempt).rejects.toMatchObject({ status: 402, code });
    expect(store.payments).toEqual([]);
  });

  it('rejects a number that fails the Luhn check before it reaches the provider', async () => {
    const { provider, service } = setup();
    await expect(service.charge({ orderId: 'o', amountCents: 100, currency: 'EUR', card: card('4242424242424241') }, tx)).rejects.toMatchObject({ status: 400, code: 'validation_failed' });
    expect(provider.charges).toEqual([]);
  });

  it('refunds a captured payment once: status refunded with a refund time, and a second refund is a no-op', async () => {
    const { store, provider, service } = setup();
    await service.charge({ orderId: 'order-1', amountCents: 500, currency: 'EUR', card: card('4242424242424242') }, tx);
    await noTransactions.run((t) => service.refund('order-1', t));
    await noTransactions.run((t) => service.refund('order-1', t));
    expect(store.payments[0]).toMatchObject({ status: 'refunded', refundedAt: NOW });
    expect(provider.refunds).toHaveLength(1);
  });

  it('refuses to refund an order without a payment', async () => {
    const { service } = setup();
    await expect(service.refund('nope', tx)).rejects.toMatchObject({ status: 409, code: 'payment_not_found' });
  });
});
