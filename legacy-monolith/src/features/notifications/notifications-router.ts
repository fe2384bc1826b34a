import { Router } from 'express';
import { z } from 'zod';
import type { Api } from '../../http/api.js';
import type { NotificationsService } from './notifications-service.js';

export const NotificationSchema = z
  .object({
    id: z.uuid(),
    orderId: z.uuid().nullable(),
    type: z.string().meta({ description: 'order_placed, order_cancelled, ...' }),
    message: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Notification' });

const NotificationPageSchema = z
  .object({ items: z.array(NotificationSchema), page: z.number().int(), limit: z.number().int(), total: z.number().int(), totalPages: z.number().int() })
  .meta({ id: 'NotificationPage' });

const PageQuery = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export function notificationsRouter(api: Api, service: NotificationsService): Router {
  const router = Router();
  api.route(
    router,
    {
      method: 'get',
      path: '/api/notifications',
      summary: "The caller's notifications, newest first",
      tags: ['notifications'],
      auth: 'user',
      query: PageQuery,
      responses: { 200: { description: 'One page of notifications', schema: NotificationPageSchema } },
    },
    async ({ user, query }) => ({ status: 200, body: await service.list(user.sub, query.page, query.limit) }),
  );
  return router;
}
