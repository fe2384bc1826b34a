import { clientOf, type Tx } from '../../db/transaction.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { NotificationRequest } from './notifications-module.js';
import type { NotificationRecord, NotificationsStore } from './notifications-store-type.js';

export class PrismaNotificationsStore implements NotificationsStore {
  constructor(private readonly prisma: PrismaClient) {}

  async create(n: NotificationRequest, tx?: Tx): Promise<NotificationRecord> {
    return clientOf(this.prisma, tx).notification.create({ data: { userId: n.userId, orderId: n.orderId ?? null, type: n.type, message: n.message } });
  }

  async listByUser(userId: string, page: { offset: number; limit: number }): Promise<{ items: NotificationRecord[]; total: number }> {
    const [items, total] = await Promise.all([
      this.prisma.notification.findMany({ where: { userId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: page.offset, take: page.limit }),
      this.prisma.notification.count({ where: { userId } }),
    ]);
    return { items, total };
  }
}
