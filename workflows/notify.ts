import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, proxyActivities, startChild } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { makeDeliverNotificationWorkflowId, type DeliverNotificationInput } from './contract';
import { DATABASE_RETRY, WEBHOOK_RETRY } from './retry';

const { markAccountReauthRequired } = proxyActivities<Pick<Activities, 'markAccountReauthRequired'>>({
  startToCloseTimeout: '1 minute',
  retry: DATABASE_RETRY,
});

const { deliverNotificationWebhook } = proxyActivities<Pick<Activities, 'deliverNotificationWebhook'>>({
  // One POST with a 10 s timeout, plus the database reads and write.
  startToCloseTimeout: '30s',
  retry: WEBHOOK_RETRY,
});

/** Delivers one notification to the webhook, retried by Temporal; its own workflow so no caller waits for it. */
export async function deliverNotificationWorkflow(input: DeliverNotificationInput) {
  return deliverNotificationWebhook(input);
}

/**
 * Starts one delivery workflow per notification and returns once they are started (not delivered): a slow
 * receiver must not hold up a fleet run. ABANDON keeps deliveries going after the caller completes or
 * continues as new. The per-notification id makes a second start a no-op.
 */
export async function startNotificationDeliveries(notificationIds: readonly string[]): Promise<void> {
  for (const notificationId of notificationIds) {
    try {
      await startChild(deliverNotificationWorkflow, {
        workflowId: makeDeliverNotificationWorkflowId(notificationId),
        args: [{ notificationId }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
}

/**
 * The shared "account needs re-authorisation" path for any workflow (token refresh, data sync): the account
 * becomes `reauth_required` with the error code, its owner is notified once per incident, and the webhook
 * is delivered durably in the background.
 */
export async function notifyAccountReauthRequired(
  accountId: string,
  errorCode: string,
): Promise<{ notificationId: string | null }> {
  const { notificationId, deliver } = await markAccountReauthRequired({ accountId, errorCode });
  if (notificationId && deliver) await startNotificationDeliveries([notificationId]);
  return { notificationId };
}
