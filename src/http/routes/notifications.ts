import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../openapi/route';
import { presentNotification } from '../presenters';
import { idParams, limitQuery, notificationSchema } from '../schemas';
import { listNotifications, markNotificationRead } from '../services/notifications-service';

const notificationsQuery = z.object({
  unreadOnly: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe('true: unread only'),
  limit: limitQuery(50, 200),
});

export function notificationRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/notifications',
      operationId: 'listNotifications',
      tag: 'notifications',
      summary: 'Your notifications, newest first (re-authorisation needed, token expiring, ...)',
      auth: 'user',
      query: notificationsQuery,
      success: {
        status: 200,
        description: 'Notifications',
        schema: z.object({ notifications: z.array(notificationSchema) }),
      },
      errors: ['UNAUTHENTICATED', 'VALIDATION_FAILED'],
      handler: async (ctx, { query }) => {
        const rows = await listNotifications(ctx.state.em, ctx.state.user!.id, query);
        return { notifications: rows.map(presentNotification) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/notifications/:id/read',
      operationId: 'markNotificationRead',
      tag: 'notifications',
      summary: 'Mark one of your notifications read (idempotent)',
      description: "Another user's notification id answers 404.",
      auth: 'user',
      params: idParams,
      success: { status: 200, description: 'Read', schema: z.object({ notification: notificationSchema }) },
      errors: ['UNAUTHENTICATED', 'VALIDATION_FAILED', 'NOT_FOUND'],
      handler: async (ctx, { params }) => ({
        notification: presentNotification(
          await markNotificationRead(ctx.state.em, ctx.state.user!.id, params.id),
        ),
      }),
    }),
  ];
}
