import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { makeWebhookDrainerWorkflowId } from '../../workflows/contract';
import { deliverWebhookEventsWorkflow } from '../../workflows';

/**
 * Starts the task queue's webhook drainer unless it runs already (every worker calls this at start-up; with
 * two replicas the second finds the first one's). Started whether or not NOTIFY_WEBHOOK_URL is set: without
 * it, the drainer marks events skipped so the outbox does not grow.
 */
export async function ensureWebhookDrainer(
  client: Client,
  taskQueue: string,
): Promise<{ workflowId: string; runId: string }> {
  const handle = await client.workflow.start(deliverWebhookEventsWorkflow, {
    taskQueue,
    workflowId: makeWebhookDrainerWorkflowId(taskQueue),
    args: [{}],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
}
