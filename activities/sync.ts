import { accountsPerMinute } from '../src/pacing/plan';
import { createSyncBudget } from '../src/pacing/redis-budget';
import { createAccountLease } from '../src/sync/account-lease';
import type { ActivityDeps } from './index';
import { createSyncAccountActivity } from './sync-account';
import type { DueAccount, ListAccountsDueInput, SyncSettings } from './sync-types';

export * from './sync-types';

/** The data-sync activities (issue 5): settings for the workflows, the due-account pages, one account's sync. */
export function createSyncActivities(deps: ActivityDeps) {
  const budget = createSyncBudget({ redis: deps.redis, keyPrefix: deps.config.redis.keyPrefix, config: deps.config.sync });
  const lease = createAccountLease({ redis: deps.redis, keyPrefix: deps.config.redis.keyPrefix });

  /** Workflows cannot read configuration: the fleet asks for its defaults and pacing rates here. */
  async function getSyncSettings(): Promise<SyncSettings> {
    const sync = deps.config.sync;
    return {
      minAgeHours: sync.minAgeHours,
      concurrency: sync.concurrency,
      postsLimit: sync.postsLimit,
      minSpacingMs: sync.minSpacingMs,
      accountsPerMinute: { instagram: accountsPerMinute('instagram', sync), tiktok: accountsPerMinute('tiktok', sync) },
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
      .andWhere((due) => due.whereNull('last_synced_at').orWhere('last_synced_at', '<', new Date(input.dueBefore)))
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
    syncAccount: createSyncAccountActivity({ ...deps, budget, lease }),
  };
}

export type SyncActivities = ReturnType<typeof createSyncActivities>;
