// The notifications' interface to other modules. Other modules import this file only.
import type { Tx } from '../../db/transaction.js';

export interface NotificationRequest {
  userId: string;
  orderId?: string;
  /** e.g. order_placed, order_cancelled, payment_refunded */
  type: string;
  message: string;
}

export interface NotificationsModule {
  /** One record per order event, written in the caller's transaction. */
  record(notification: NotificationRequest, tx?: Tx): Promise<void>;
}
