import { ApplicationFailure } from '@temporalio/common';
import { postSignedWebhook, type FetchLike } from '../src/notifications/webhook';
import { WEBHOOK_REJECTED_FAILURE_TYPE, type DeliverNotificationInput } from '../workflows/shared';
import { activityLogger } from './activity-context';
import type { ActivityDeps } from './index';

export interface DeliverNotificationWebhookResult {
  status: 'delivered' | 'already_delivered' | 'not_configured' | 'not_found';
  httpStatus?: number;
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

const WEBHOOK_TIMEOUT_MS = 10_000;

type Deps = Pick<ActivityDeps, 'config' | 'logger' | 'orm' | 'now'> & { webhookFetch?: FetchLike };

export function createNotificationActivities(deps: Deps) {
  const clock = deps.now ?? (() => new Date());

  /**
   * POSTs one notification to NOTIFY_WEBHOOK_URL, signed, and sets `deliveredAt`. Retried by Temporal
   * (5xx, 408, 429 with the receiver's Retry-After, network errors); a 4xx refusal is final. Idempotent: a
   * delivered notification is not sent again, and the delivery id lets receivers drop a repeat caused by a
   * crash between their 2xx and our `deliveredAt`.
   */
  async function deliverNotificationWebhook(
    input: DeliverNotificationInput,
  ): Promise<DeliverNotificationWebhookResult> {
    const { webhookUrl, webhookSecret } = deps.config.notifications;
    if (!webhookUrl) return { status: 'not_configured' };
    const em = deps.orm.em.fork();
    const [row] = await em.execute<
      Array<{
        id: string;
        kind: string;
        userId: string;
        payload: Record<string, unknown>;
        createdAt: Date;
        deliveredAt: Date | null;
      }>
    >(
      `select id, kind, user_id as "userId", payload, created_at as "createdAt", delivered_at as "deliveredAt"
       from notifications where id = ?`,
      [input.notificationId],
    );
    if (!row) return { status: 'not_found' };
    if (row.deliveredAt) return { status: 'already_delivered' };
    const log = activityLogger(deps.logger, { notificationId: row.id, kind: row.kind });
    const body: NotificationWebhookBody = {
      id: row.id,
      kind: row.kind,
      userId: row.userId,
      payload: row.payload,
      createdAt: new Date(row.createdAt).toISOString(),
      sentAt: clock().toISOString(),
    };
    const reply = await postSignedWebhook(
      { url: webhookUrl, secret: webhookSecret, timeoutMs: WEBHOOK_TIMEOUT_MS },
      { id: row.id, body: JSON.stringify(body) },
      deps.webhookFetch,
    );
    if (reply.kind === 'rejected') {
      log.warn({ httpStatus: reply.status }, 'notification webhook rejected');
      throw ApplicationFailure.create({
        type: WEBHOOK_REJECTED_FAILURE_TYPE,
        message: `webhook answered HTTP ${reply.status}`,
        nonRetryable: true,
      });
    }
    if (reply.kind === 'retry') {
      log.warn({ reason: reply.reason }, 'notification webhook failed, will retry');
      throw ApplicationFailure.create({
        type: 'WebhookUnavailable',
        message: `webhook delivery failed (${reply.reason})`,
        nextRetryDelay: reply.retryAfterMs ?? undefined,
      });
    }
    await em.execute(
      'update notifications set delivered_at = ?, updated_at = now() where id = ? and delivered_at is null',
      [clock(), row.id],
      'run',
    );
    log.info({ httpStatus: reply.status }, 'notification webhook delivered');
    return { status: 'delivered', httpStatus: reply.status };
  }

  return { deliverNotificationWebhook };
}
