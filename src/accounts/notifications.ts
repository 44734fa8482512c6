import type { NotificationKind } from '../db/entities';
import { postSignedWebhook } from '../webhooks/signed-post';
import type { Db } from './store';

/**
 * Notification rows as the worker writes and delivers them (the API lists and marks them read through the
 * Notification entity). One row per dedupe key, ever: retries and concurrent callers converge on it.
 */

export interface NewNotification {
  userId: string;
  kind: NotificationKind;
  /** Ids, platform, error code, dates: never a token. */
  payload: Record<string, unknown>;
  dedupeKey: string;
}

export interface StoredNotification {
  id: string;
  created: boolean;
  deliveredAt: Date | null;
}

/** Inserts the notification unless one with the same dedupe key exists; returns the row either way. */
export async function createNotificationOnce(
  db: Db,
  notification: NewNotification,
): Promise<StoredNotification> {
  const inserted: { id: string }[] = await db('notifications')
    .insert({
      user_id: notification.userId,
      kind: notification.kind,
      payload: JSON.stringify(notification.payload),
      dedupe_key: notification.dedupeKey,
    })
    .onConflict('dedupe_key')
    .ignore()
    .returning('id');
  if (inserted[0]) return { id: inserted[0].id, created: true, deliveredAt: null };
  const existing = await db('notifications')
    .select('id', 'delivered_at')
    .where({ dedupe_key: notification.dedupeKey })
    .first();
  return {
    id: existing.id,
    created: false,
    deliveredAt: existing.delivered_at ? new Date(existing.delivered_at) : null,
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

export interface NotificationForDelivery {
  id: string;
  kind: string;
  userId: string;
  payload: Record<string, unknown>;
  createdAt: Date;
  deliveredAt: Date | null;
}

export async function readNotification(db: Db, id: string): Promise<NotificationForDelivery | null> {
  const row = await db('notifications')
    .select('id', 'kind', 'user_id', 'payload', 'created_at', 'delivered_at')
    .where({ id })
    .first();
  if (!row) return null;
  return {
    id: row.id,
    kind: row.kind,
    userId: row.user_id,
    payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
    createdAt: new Date(row.created_at),
    deliveredAt: row.delivered_at ? new Date(row.delivered_at) : null,
  };
}

/** The first delivery time is kept: a repeat (after a crash between the receiver's 2xx and this) changes nothing. */
export async function markNotificationDelivered(db: Db, id: string, at: Date): Promise<void> {
  await db('notifications')
    .where({ id })
    .whereNull('delivered_at')
    .update({ delivered_at: at, updated_at: db.fn.now() });
}

/** The JSON a webhook receiver gets: ids, kind, platform, error code, dates. Never a token. */
export interface NotificationWebhookBody {
  id: string;
  kind: string;
  userId: string;
  payload: Record<string, unknown>;
  createdAt: string;
  sentAt: string;
}

export type NotificationDelivery =
  | { outcome: 'delivered'; httpStatus: number }
  | { outcome: 'already_delivered' | 'not_configured' | 'not_found' }
  /** The receiver refused it for good (a 4xx other than 408 and 429). */
  | { outcome: 'rejected'; httpStatus: number }
  /** Worth retrying: 5xx, 408, 429 (with the receiver's Retry-After), timeouts, connection errors. */
  | { outcome: 'retry'; reason: string; retryAfterMs: number | null };

const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * POSTs one notification to the webhook, signed, and records its delivery. Idempotent: a delivered
 * notification is not sent again, and the delivery id lets receivers drop a repeat caused by a crash between
 * their 2xx and our `delivered_at`. A refusal or a failure to answer is returned for the caller to retry.
 */
export async function deliverNotification(
  deps: { db: Db; now: () => Date; webhook: { url: string | undefined; secret: string | undefined } },
  notificationId: string,
): Promise<NotificationDelivery> {
  const { url, secret } = deps.webhook;
  if (!url) return { outcome: 'not_configured' };
  const row = await readNotification(deps.db, notificationId);
  if (!row) return { outcome: 'not_found' };
  if (row.deliveredAt) return { outcome: 'already_delivered' };
  const body: NotificationWebhookBody = {
    id: row.id,
    kind: row.kind,
    userId: row.userId,
    payload: row.payload,
    createdAt: row.createdAt.toISOString(),
    sentAt: deps.now().toISOString(),
  };
  const reply = await postSignedWebhook(
    { url, secret, timeoutMs: WEBHOOK_TIMEOUT_MS },
    { id: row.id, body: JSON.stringify(body) },
  );
  if (reply.kind === 'rejected') return { outcome: 'rejected', httpStatus: reply.status };
  if (reply.kind === 'retry')
    return { outcome: 'retry', reason: reply.reason, retryAfterMs: reply.retryAfterMs };
  await markNotificationDelivered(deps.db, row.id, deps.now());
  return { outcome: 'delivered', httpStatus: reply.status };
}
