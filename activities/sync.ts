import { pacingSettingsFromConfig, platformBudgetPlan, PLATFORM_WINDOW_MS } from '../src/pacing/plan';
import { createSyncBudget } from '../src/pacing/redis-budget';
import { createAccountLease } from '../src/sync/account-lease';
import type { ActivityDeps } from './index';
import { createSyncAccountActivity, createSyncAccountsActivity } from './sync-account-activities';
import type { DueAccount, ListAccountsDueInput, SyncSettings } from './sync-types';

export * from './sync-types';

/** The data-sync activities (issue 5): settings for the workflows, the due-account pages, one account's sync. */
export interface SyncActivityOptions {
  /**
   * The platforms' counting window (one minute). Whole-stack tests shrink it, with the simulator's, so a
   * quota binds within seconds; configured limits stay "per minute" and are scaled to it.
   */
  platformWindowMs?: number;
}

export function createSyncActivities(deps: ActivityDeps, options: SyncActivityOptions = {}) {
  const pacing = pacingSettingsFromConfig(deps.config.sync, options.platformWindowMs ?? PLATFORM_WINDOW_MS);
  const budget = createSyncBudget({
    redis: deps.redis,
    keyPrefix: deps.config.redis.keyPrefix,
    settings: pacing,
  });
  const lease = createAccountLease({ redis: deps.redis, keyPrefix: deps.config.redis.keyPrefix });

  /** Workflows cannot read configuration: the fleet asks for its defaults and pacing rates here. */
  async function getSyncSettings(): Promise<SyncSettings> {
    const sync = deps.config.sync;
    return {
      minAgeHours: sync.minAgeHours,
      concurrency: sync.concurrency,
      postsLimit: sync.postsLimit,
      minSpacingMs: sync.minSpacingMs,
      budgets: {
        instagram: platformBudgetPlan('instagram', pacing),
        tiktok: platformBudgetPlan('tiktok', pacing),
      },
    };
  }

  /**
   * One page of active accounts last synced before `dueBefore` (or never), in id order after `after`:
   * keyset paging, so accounts synced meanwhile drop out and none is read twice.
   */
  async function listAccountsDueForSync(input: ListAccountsDueInput): Promise<DueAccount[]> {
    const query = deps.orm.em
      .getKnex()('social_accounts')
      .select('id', 'platform')
      .where('status', 'active')
      .andWhere((due) =>
        due.whereNull('last_synced_at').orWhere('last_synced_at', '<', new Date(input.dueBefore)),
      )
      .orderBy('id')
      .limit(input.limit);
    if (input.after) query.andWhere('id', '>', input.after);
    if (input.platform) query.andWhere('platform', input.platform);
    const rows: { id: string; platform: DueAccount['platform'] }[] = await query;
    return rows.map((row) => ({ id: row.id, platform: row.platform }));
  }

  return {
    getSyncSettings,
    listAccountsDueForSync,
    syncAccount: createSyncAccountActivity({ ...deps, budget, lease, pacing }),
    syncAccounts: createSyncAccountsActivity({ ...deps, budget, lease, pacing }),
  };
}

export type SyncActivities = ReturnType<typeof createSyncActivities>;
