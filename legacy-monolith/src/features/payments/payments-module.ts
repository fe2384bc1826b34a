// The payments' interface to other modules. Other modules import this file only.
import type { Tx } from '../../db/transaction.js';

export interface CardDetails {
  number: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

export interface ChargeRequest {
  orderId: string;
  amountCents: number;
  currency: string;
  card: CardDetails;
}

export interface PaymentsModule {
  /** Charges the card; a declined card throws a 402 `payment_declined` AppError and records nothing. */
  charge(request: ChargeRequest, tx: Tx): Promise<{ paymentId: string; status: 'captured' }>;
  /** Refunds the order's captured payment in full. */
  refund(orderId: string, tx: Tx): Promise<void>;
}

/** The request schema of a card (shape and Luhn check), for routes that take card details. */
export { CardSchema } from './card.js';
