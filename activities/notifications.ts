import { ApplicationFailure } from '@temporalio/common';
import { deliverNotification } from '../src/accounts/notifications';
import {
  WEBHOOK_REJECTED_FAILURE_TYPE,
  WEBHOOK_UNAVAILABLE_FAILURE_TYPE,
  type DeliverNotificationInput,
} from '../workflows/contract';
import { activityLogger } from './context';
import type { ActivityDeps } from './deps';

export interface DeliverNotificationWebhookResult {
  status: 'delivered' | 'already_delivered' | 'not_configured' | 'not_found';
  httpStatus?: number;
}

export function createNotificationActivities(deps: ActivityDeps) {
  const db = deps.orm.em.getKnex();
  const webhook = {
    url: deps.config.notifications.webhookUrl,
    secret: deps.config.notifications.webhookSecret,
  };

  /**
   * One notification to NOTIFY_WEBHOOK_URL (src/accounts/notifications.ts). Retried by Temporal on 5xx, 408,
   * 429 (with the receiver's Retry-After as the next delay) and network errors; any other 4xx is final.
   */
  async function deliverNotificationWebhook(
    input: DeliverNotificationInput,
  ): Promise<DeliverNotificationWebhookResult> {
    const log = activityLogger(deps.logger, { notificationId: input.notificationId });
    const delivery = await deliverNotification({ db, now: deps.now, webhook }, input.notificationId);
    switch (delivery.outcome) {
      case 'delivered':
        log.info({ httpStatus: delivery.httpStatus }, 'notification webhook delivered');
        return { status: 'delivered', httpStatus: delivery.httpStatus };
      case 'rejected':
        log.warn({ httpStatus: delivery.httpStatus }, 'notification webhook rejected');
        throw ApplicationFailure.create({
          type: WEBHOOK_REJECTED_FAILURE_TYPE,
          message: `webhook answered HTTP ${delivery.httpStatus}`,
          nonRetryable: true,
        });
      case 'retry':
        log.warn({ reason: delivery.reason }, 'notification webhook failed, will retry');
        throw ApplicationFailure.create({
          type: WEBHOOK_UNAVAILABLE_FAILURE_TYPE,
          message: `webhook delivery failed (${delivery.reason})`,
          nextRetryDelay: delivery.retryAfterMs ?? undefined,
        });
      default:
        return { status: delivery.outcome };
    }
  }

  return { deliverNotificationWebhook };
}
