import { Router } from 'express';
import { z } from 'zod';
import { pageQueryFields, pageSchema } from '@strangler/platform';
import type { NotificationsService } from './notifications-service.js';
import type { MonolithApi } from '../../http/access-tokens.js';

export const NotificationSchema = z
  .object({
    id: z.uuid(),
    orderId: z.uuid().nullable(),
    type: z.string().meta({ description: 'order_placed, order_cancelled, ...' }),
    message: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Notification' });

const NotificationPageSchema = pageSchema(NotificationSchema, 'NotificationPage');

const PageQuery = z.object(pageQueryFields({ defaultLimit: 20, maxLimit: 100, maxPage: 10_000 }));

export function notificationsRouter(api: MonolithApi, service: NotificationsService): Router {
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
