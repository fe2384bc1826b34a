import { describe, expect, it } from 'vitest';
import { FakeNotificationsStore } from './fake-notifications-store.js';
import { NotificationsService } from './notifications-service.js';

describe('notifications', () => {
  it("lists only the user's own notifications, newest first, one page at a time", async () => {
    const service = new NotificationsService({ store: new FakeNotificationsStore() });
    for (let i = 1; i <= 3; i += 1) await service.record({ userId: 'u1', orderId: `o${i}`, type: 'order_placed', message: `Order ${i} placed` });
    await service.record({ userId: 'u2', type: 'order_placed', message: 'not yours' });

    const first = await service.list('u1', 1, 2);
    expect(first.items.map((n) => n.message)).toEqual(['Order 3 placed', 'Order 2 placed']);
    expect(first).toMatchObject({ page: 1, limit: 2, total: 3, totalPages: 2 });
    const second = await service.list('u1', 2, 2);
    expect(second.items.map((n) => n.message)).toEqual(['Order 1 placed']);
  });
});
