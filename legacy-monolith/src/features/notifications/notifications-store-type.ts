import type { Tx } from '../../db/transaction.js';
import type { NotificationRequest } from './notifications-module.js';

export interface NotificationRecord {
  id: string;
  userId: string;
  orderId: string | null;
  type: string;
  message: string;
  createdAt: Date;
}

export interface NotificationsStore {
  create(notification: NotificationRequest, tx?: Tx): Promise<NotificationRecord>;
  /** The user's notifications, newest first, and how many there are in all. */
  listByUser(userId: string, page: { offset: number; limit: number }): Promise<{ items: NotificationRecord[]; total: number }>;
}
