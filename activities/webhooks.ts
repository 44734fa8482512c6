import { Context } from '@temporalio/activity';
import {
  deliverDueEvents,
  type DeliverEventsInput,
  type DeliverEventsResult,
  type EventDeliveryDeps,
} from '../src/webhooks/delivery';
import { pruneFinishedEvents } from '../src/webhooks/outbox';
import { activityLogger } from './context';
import type { ActivityDeps } from './deps';

/** Rows deleted per prune: one run of the drainer keeps up with 10,000 events a day several times over. */
const PRUNE_LIMIT = 20_000;
/** Well inside the drainer's 15-second heartbeat timeout, whatever a batch is waiting for. */
const HEARTBEAT_EVERY_MS = 2_000;

/** The webhook drainer's activities: one batch of data events (src/webhooks/delivery.ts), and clean-up. */
export function createWebhookActivities(deps: ActivityDeps) {
  const delivery: EventDeliveryDeps = {
    db: deps.orm.em.getKnex(),
    now: deps.now,
    webhook: {
      url: deps.config.notifications.webhookUrl,
      secret: deps.config.notifications.webhookSecret,
    },
    kinds: deps.config.webhooks.events,
    concurrency: deps.config.webhooks.concurrency,
    backoff: deps.webhookBackoff,
    onOutcome: (kind, outcome, count) => deps.metrics.webhookEvents.inc({ kind, outcome }, count),
  };

  /**
   * Waits up to `maxWaitMs` for due events, then sends one batch. Ends early when the activity is cancelled
   * or the worker starts to stop (deps.stopping): the drainer's next batch runs on a worker that stays.
   */
  async function deliverWebhookEvents(input: DeliverEventsInput): Promise<DeliverEventsResult> {
    const context = Context.current();
    const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
    const signal = deps.stopping
      ? AbortSignal.any([context.cancellationSignal, deps.stopping])
      : context.cancellationSignal;
    try {
      const result = await deliverDueEvents(delivery, input, signal);
      if (result.claimed > 0 || result.skipped > 0) {
        activityLogger(deps.logger, {}).info(
          {
            claimed: result.claimed,
            delivered: result.delivered,
            retrying: result.retrying,
            dead: result.dead,
            skipped: result.skipped,
            receiverUnavailable: result.receiverUnavailable,
          },
          'webhook events batch',
        );
      }
      return result;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Deletes delivered and skipped events past their keeping time (src/webhooks/outbox.ts). */
  async function pruneWebhookEvents(): Promise<{ deleted: number }> {
    const deleted = await pruneFinishedEvents(delivery.db, { now: deps.now(), limit: PRUNE_LIMIT });
    return { deleted };
  }

  return { deliverWebhookEvents, pruneWebhookEvents };
}
