import type { EntityManager } from '@mikro-orm/postgresql';
import type { NotificationKind } from '../src/db/entities';

export interface NewNotification {
  userId: string;
  kind: NotificationKind;
  /** Ids, platform, error code, dates: never a token. */
  payload: Record<string, unknown>;
  /** One notification per key, ever: retries and concurrent callers converge on the same row. */
  dedupeKey: string;
}

export interface StoredNotification {
  id: string;
  created: boolean;
  deliveredAt: Date | null;
}

/** Inserts the notification unless one with the same dedupe key exists; returns the row either way. */
export async function createNotificationOnce(
  em: EntityManager,
  notification: NewNotification,
): Promise<StoredNotification> {
  const inserted = await em.execute<{ id: string }[]>(
    `insert into notifications (user_id, kind, payload, dedupe_key) values (?, ?, ?::jsonb, ?)
     on conflict (dedupe_key) do nothing returning id`,
    [notification.userId, notification.kind, JSON.stringify(notification.payload), notification.dedupeKey],
  );
  if (inserted[0]) return { id: inserted[0].id, created: true, deliveredAt: null };
  const [existing] = await em.execute<{ id: string; deliveredAt: Date | null }[]>(
    'select id, delivered_at as "deliveredAt" from notifications where dedupe_key = ?',
    [notification.dedupeKey],
  );
  return {
    id: existing.id,
    created: false,
    deliveredAt: existing.deliveredAt ? new Date(existing.deliveredAt) : null,
  };
}

/** A notification still waiting for its webhook, when a webhook is configured at all. */
export function awaitsWebhook(notification: StoredNotification, webhookUrl: string | undefined): boolean {
  return Boolean(webhookUrl) && notification.deliveredAt === null;
}

/** The notification's id when it waits for its webhook, else none: the ids a workflow starts deliveries for. */
export function idsAwaitingWebhook(
  notification: StoredNotification | null,
  webhookUrl: string | undefined,
): string[] {
  return notification && awaitsWebhook(notification, webhookUrl) ? [notification.id] : [];
}
