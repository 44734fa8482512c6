import { createAccountActivities } from './accounts';
import type { ActivityDeps } from './deps';
import { createNotificationActivities } from './notifications';
import { createSyncActivities } from './sync';
import { toActivityFailure } from './to-failure';
import { createTokenActivities } from './tokens';
import { createWebhookActivities } from './webhooks';

/**
 * Every activity the worker registers, as thin adapters over the plain code in src/ (src/tokens,
 * src/accounts, src/sync, src/webhooks): each adds the activity context (log fields, heartbeat, lease owner),
 * metrics, and the mapping of errors to ApplicationFailures (to-failure.ts). Whatever an activity still throws
 * raw (the database reads and writes of the settings, pages and state changes) goes through the same mapping
 * here, so a database outage is DATABASE_UNAVAILABLE everywhere and no driver message (it quotes SQL values)
 * reaches a workflow's history.
 */
export function createActivities(deps: ActivityDeps) {
  return mapFailures(
    {
      ...createTokenActivities(deps),
      ...createAccountActivities(deps),
      ...createNotificationActivities(deps),
      ...createSyncActivities(deps),
      ...createWebhookActivities(deps),
    },
    deps,
  );
}

export type Activities = ReturnType<typeof createActivities>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any activity signature
type ActivityFunction = (...args: any[]) => Promise<unknown>;

function mapFailures<T extends Record<string, ActivityFunction>>(activities: T, deps: ActivityDeps): T {
  const mapped: Record<string, ActivityFunction> = {};
  for (const [name, activity] of Object.entries(activities)) {
    // A named function: Temporal registers activities by their key, logs and tests see the same name.
    mapped[name] = {
      async [name](...args: unknown[]) {
        try {
          return await activity(...args);
        } catch (error) {
          throw toActivityFailure(error, { redis: deps.redis });
        }
      },
    }[name];
  }
  return mapped as T;
}
