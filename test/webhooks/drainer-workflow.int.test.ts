import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities } from '../../activities';
import type { DeliverEventsInput, DeliverEventsResult } from '../../src/webhooks/delivery';
import { progressQuery, type WebhookDrainerProgress } from '../../workflows/contract';
import { deliverWebhookEventsWorkflow } from '../../workflows';
import { createTestWorker, createTimeSkippingEnv, uniqueTaskQueue } from '../helpers/temporal';

jest.setTimeout(120_000);

type DrainerActivities = Pick<Activities, 'deliverWebhookEvents' | 'pruneWebhookEvents'>;

const idle: DeliverEventsResult = {
  claimed: 0,
  delivered: 0,
  retrying: 0,
  dead: 0,
  skipped: 0,
  receiverUnavailable: false,
  pauseMs: 0,
};

/**
 * The drainer's loop on the time-skipping server with fake batch activities: it pauses for as long as a batch
 * asks when the receiver is down (a durable timer), passes the growing streak to the next batch, resets it
 * once events go through, prunes and continues as new with its totals every `batchesPerRun` batches.
 */
describe('webhook drainer workflow (time-skipping)', () => {
  let testEnv: TestWorkflowEnvironment;
  beforeAll(async () => {
    testEnv = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await testEnv?.teardown();
  });

  it('pauses for an unavailable receiver, resets after a delivery, continues as new with its totals', async () => {
    const script: DeliverEventsResult[] = [
      { ...idle, claimed: 8, retrying: 4, receiverUnavailable: true, pauseMs: 60_000 },
      { ...idle, claimed: 8, retrying: 4, receiverUnavailable: true, pauseMs: 120_000 },
      { ...idle, claimed: 8, delivered: 8 },
      { ...idle, claimed: 3, delivered: 2, dead: 1, skipped: 4 },
      idle,
      // Parks the drainer on a year-long timer: nothing more happens while the test looks.
      { ...idle, receiverUnavailable: true, pauseMs: 365 * 86_400_000 },
    ];
    const calls: Array<{ input: DeliverEventsInput; atMs: number }> = [];
    let prunes = 0;
    const activities: DrainerActivities = {
      async deliverWebhookEvents(input) {
        calls.push({ input, atMs: Context.current().info.currentAttemptScheduledTimestampMs });
        return script[calls.length - 1] ?? idle;
      },
      async pruneWebhookEvents() {
        prunes++;
        return { deleted: 0 };
      },
    };
    const taskQueue = uniqueTaskQueue('drainer-ts');
    const worker = await createTestWorker({ connection: testEnv.nativeConnection, taskQueue, activities });
    await worker.runUntil(async () => {
      const handle = await testEnv.client.workflow.start(deliverWebhookEventsWorkflow, {
        taskQueue,
        workflowId: `drainer-${taskQueue}`,
        args: [{ batchesPerRun: 2 }],
      });
      await testEnv.sleep('10 minutes');
      const progress = (await handle.query(progressQuery)) as WebhookDrainerProgress;
      await handle.terminate('test done');

      expect(calls.map((call) => call.input.downStreak)).toEqual([0, 1, 2, 0, 0, 0]);
      // The pause between the first two batches is the first result's 60 s; then 120 s; then none.
      expect(calls[1].atMs - calls[0].atMs).toBeGreaterThanOrEqual(60_000);
      expect(calls[2].atMs - calls[1].atMs).toBeGreaterThanOrEqual(120_000);
      expect(calls[3].atMs - calls[2].atMs).toBeLessThan(60_000);
      // Two batches a run: the sixth batch runs in the third run, after a prune before each continue-as-new.
      expect(prunes).toBe(2);
      expect(progress).toMatchObject({
        runs: 3,
        downStreak: 1,
        pausedUntil: expect.any(String),
        batches: 6,
        delivered: 10,
        retrying: 8,
        dead: 1,
        skipped: 4,
      });
    });
  });
});
