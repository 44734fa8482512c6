import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../errors';
import { FLEET_STREAM } from '../../webhooks/events';
import { readOutboxOverview, retryDeadEvent } from '../../webhooks/outbox';

export interface WebhookSettings {
  /** NOTIFY_WEBHOOK_URL is set. */
  configured: boolean;
  /** WEBHOOK_EVENTS. */
  events: readonly string[];
}

/** The admin view of data event deliveries (src/webhooks/outbox.ts): counts, backlog age, last error, dead events. */
export async function webhookDeliveries(
  em: EntityManager,
  settings: WebhookSettings,
  input: { deadLimit: number; now?: Date },
) {
  const now = input.now ?? new Date();
  const overview = await readOutboxOverview(em.getKnex(), { deadLimit: input.deadLimit });
  return {
    configured: settings.configured,
    events: [...settings.events],
    counts: overview.counts,
    oldestPendingAgeSeconds: overview.oldestPendingAt
      ? Math.max(0, Math.round((now.getTime() - overview.oldestPendingAt.getTime()) / 1000))
      : null,
    lastError: overview.lastError
      ? {
          eventId: overview.lastError.eventId,
          kind: overview.lastError.kind,
          error: overview.lastError.error,
          httpStatus: overview.lastError.httpStatus,
          at: overview.lastError.at.toISOString(),
          status: overview.lastError.status,
        }
      : null,
    dead: overview.dead.map((event) => ({
      id: event.id,
      kind: event.kind,
      accountId: event.streamKey === FLEET_STREAM ? null : event.streamKey,
      attempts: event.attempts,
      lastError: event.lastError,
      lastHttpStatus: event.lastHttpStatus,
      createdAt: event.createdAt.toISOString(),
      lastAttemptAt: event.lastAttemptAt?.toISOString() ?? null,
    })),
  };
}

/** A dead event back to pending, due now; 404 for an unknown id, 409 for an event that is not dead. */
export async function retryDeadWebhook(em: EntityManager, id: string, now = new Date()) {
  const outcome = await retryDeadEvent(em.getKnex(), id, now);
  if (outcome === 'not_found') throw new AppError('NOT_FOUND', 'No such event.');
  if (outcome === 'not_dead')
    throw new AppError('CONFLICT', 'Only a dead event can be retried; this one is pending or delivered.');
  return { id, status: 'pending' as const };
}
