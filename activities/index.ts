import { createAccountActivities } from './accounts';
import type { ActivityDeps } from './deps';
import { createNotificationActivities } from './notifications';
import { createSyncActivities } from './sync';
import { createTokenActivities } from './tokens';
import { createWebhookActivities } from './webhooks';

/**
 * Every activity the worker registers, as thin adapters over the plain code in src/ (src/tokens,
 * src/accounts, src/sync, src/webhooks): each adds the activity context (log fields, heartbeat, lease owner), metrics, and
 * the mapping of errors to ApplicationFailures (to-failure.ts).
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createTokenActivities(deps),
    ...createAccountActivities(deps),
    ...createNotificationActivities(deps),
    ...createSyncActivities(deps),
    ...createWebhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
