import type { EntityManager } from '@mikro-orm/postgresql';
import { Notification } from '../../db/entities';
import { AppError } from '../../errors';

export async function listNotifications(
  em: EntityManager,
  userId: string,
  options: { unreadOnly: boolean; limit: number },
) {
  const where = options.unreadOnly ? { user: userId, readAt: null } : { user: userId };
  return em.find(Notification, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: options.limit });
}

/** Idempotent: reading an already read notification keeps its first read time. */
export async function markNotificationRead(em: EntityManager, userId: string, id: string, now = new Date()) {
  const notification = await em.findOne(Notification, { id, user: userId });
  if (!notification) throw new AppError('NOT_FOUND', 'No such notification.');
  if (!notification.readAt) {
    notification.readAt = now;
    await em.flush();
  }
  return notification;
}
