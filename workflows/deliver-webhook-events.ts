import {
  ActivityFailure,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  progressQuery,
  type DeliverWebhookEventsInput,
  type WebhookDrainerProgress,
  type WebhookDrainerTotals,
} from './contract';
import { DATABASE_RETRY } from './retry';

/**
 * The webhook drainer: one long-running workflow per task queue (id makeWebhookDrainerWorkflowId) that
 * delivers the outbox's data events batch after batch, so 10,000 events cost one workflow and a few dozen
 * activities, not 10,000 workflows. Each batch activity waits up to IDLE_WAIT_MS for due events (polling the
 * outbox, heartbeating), so an idle drainer costs one activity every 20 s. Which event goes when, retries and
 * dead events are the outbox's business (src/webhooks/delivery.ts); the workflow only loops, pauses when the
 * receiver is down, and continues as new so its history stays small.
 */

const { deliverWebhookEvents } = proxyActivities<Pick<Activities, 'deliverWebhookEvents'>>({
  // A batch starts no new stream after 60 s and each request times out after 10 s; the wait is 20 s at most.
  startToCloseTimeout: '2 minutes',
  // The activity heartbeats every 2 s: a killed worker's batch is handed to another worker within 15 s.
  heartbeatTimeout: '15 seconds',
  // HTTP failures are outcomes, recorded in the outbox; what throws is the database (or a lost worker).
  retry: DATABASE_RETRY,
});

const { pruneWebhookEvents } = proxyActivities<Pick<Activities, 'pruneWebhookEvents'>>({
  startToCloseTimeout: '1 minute',
  retry: DATABASE_RETRY,
});

/** Longest wait for due events inside one batch activity; also how fast a stopping worker lets it go. */
const IDLE_WAIT_MS = 20_000;
/**
 * About 6 history events per batch (activity and workflow task), 9 with a pause: 500 batches keep a run
 * under 5,000 events, far below the 51,200-event limit; an idle run lasts about 3 hours.
 */
const BATCHES_PER_RUN = 500;
/** After a batch's retries ran out (the database unreachable for half an hour): wait, then go on. */
const FAILED_BATCH_PAUSE_MS = 60_000;

export async function deliverWebhookEventsWorkflow(input: DeliverWebhookEventsInput = {}): Promise<void> {
  const totals: WebhookDrainerTotals = {
    batches: 0,
    delivered: 0,
    retrying: 0,
    dead: 0,
    skipped: 0,
    ...input.totals,
  };
  const runs = (input.runsBefore ?? 0) + 1;
  let downStreak = input.downStreak ?? 0;
  let pausedUntil: string | null = null;
  setHandler(progressQuery, (): WebhookDrainerProgress => ({ ...totals, runs, downStreak, pausedUntil }));

  const batchesPerRun = input.batchesPerRun ?? BATCHES_PER_RUN;
  for (let batch = 0; batch < batchesPerRun && !workflowInfo().continueAsNewSuggested; batch++) {
    let result;
    try {
      result = await deliverWebhookEvents({ maxWaitMs: IDLE_WAIT_MS, downStreak });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      await sleep(FAILED_BATCH_PAUSE_MS);
      continue;
    }
    totals.batches++;
    totals.delivered += result.delivered;
    totals.retrying += result.retrying;
    totals.dead += result.dead;
    totals.skipped += result.skipped;
    if (result.receiverUnavailable) {
      downStreak++;
      pausedUntil = new Date(Date.now() + result.pauseMs).toISOString();
      await sleep(result.pauseMs);
      pausedUntil = null;
    } else if (result.delivered > 0) {
      downStreak = 0;
    }
  }
  await pruneWebhookEvents();
  await continueAsNew<typeof deliverWebhookEventsWorkflow>({
    ...input,
    downStreak,
    runsBefore: runs,
    totals,
  });
}
