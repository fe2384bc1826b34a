import { randomUUID } from 'node:crypto';
import type { Snapshottable } from '../../testing/fake-transactions.js';
import type { NotificationRequest } from './notifications-module.js';
import type { NotificationRecord, NotificationsStore } from './notifications-store-type.js';

export class FakeNotificationsStore implements NotificationsStore, Snapshottable {
  notifications: NotificationRecord[] = [];
  private clock = Date.parse('2026-01-01T00:00:00Z');

  async create(n: NotificationRequest): Promise<NotificationRecord> {
    // A strictly increasing clock, so "newest first" is well defined in tests.
    this.clock += 1000;
    const record: NotificationRecord = { id: randomUUID(), userId: n.userId, orderId: n.orderId ?? null, type: n.type, message: n.message, createdAt: new Date(this.clock) };
    this.notifications.push(record);
    return { ...record };
  }

  async listByUser(userId: string, page: { offset: number; limit: number }): Promise<{ items: NotificationRecord[]; total: number }> {
    const mine = this.notifications.filter((n) => n.userId === userId).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    return { items: mine.slice(page.offset, page.offset + page.limit), total: mine.length };
  }

  snapshot(): () => void {
    const saved = [...this.notifications];
    return () => {
      this.notifications = saved;
    };
  }
}
