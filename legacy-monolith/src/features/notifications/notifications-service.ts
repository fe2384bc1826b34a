import type { Tx } from '../../db/transaction.js';
import { offsetOf, pageOf, type Page } from '@strangler/platform';
import type { NotificationRequest, NotificationsModule } from './notifications-module.js';
import type { NotificationsStore } from './notifications-store-type.js';

export interface NotificationView {
  id: string;
  orderId: string | null;
  type: string;
  message: string;
  createdAt: string;
}

export class NotificationsService implements NotificationsModule {
  constructor(private readonly deps: { store: NotificationsStore }) {}

  async record(notification: NotificationRequest, tx?: Tx): Promise<void> {
    await this.deps.store.create(notification, tx);
  }

  /** The user's own notifications, newest first; `page` starts at 1. */
  async list(userId: string, page: number, limit: number): Promise<Page<NotificationView>> {
    const { items, total } = await this.deps.store.listByUser(userId, { offset: offsetOf({ page, limit }), limit });
    const views = items.map((n) => ({ id: n.id, orderId: n.orderId, type: n.type, message: n.message, createdAt: n.createdAt.toISOString() }));
    return pageOf(views, total, { page, limit });
  }
}
