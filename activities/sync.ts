import { listDueForSync, type DueAccount } from '../src/accounts/store';
import {
  syncAccountOnce,
  type AccountSyncDeps,
  type SyncAttemptInput,
  type SyncAttemptResult,
} from '../src/sync/account-syncer';
import { createSyncBudget } from '../src/sync/budget';
import { createAccountLease } from '../src/sync/lease';
import { createProfileStash } from '../src/sync/profile-stash';
import {
  pacingSettingsFromConfig,
  PLATFORM_WINDOW_MS,
  syncSettings,
  type SyncSettings,
} from '../src/sync/pacing';
import type { Platform } from '../src/platforms/types';
import { decodeFailure } from '../workflows/contract';
import { SYNC_OWN_ERROR_ATTEMPTS } from '../workflows/retry';
import { currentAttempt, currentSyncRun } from './context';
import type { ActivityDeps } from './deps';
import { toActivityFailure } from './to-failure';

/** The data-sync activities: settings for the workflows, the due-account pages, one account's sync. */

export interface ListAccountsDueInput {
  /** ISO instant: accounts last synced before it (or never) are due. */
  dueBefore: string;
  /** Page after this account id (ids are the stable order); null for the first page. */
  after: string | null;
  limit: number;
  platform?: Platform;
}

/** Several accounts in one activity: the fleet's first attempt at each, to spread Temporal's per-task cost. */
export interface SyncAccountsBatchInput {
  accounts: SyncAttemptInput[];
  /**
   * Accounts synced side by side, the next one starting as soon as one finishes (the fleet's concurrency
   * slots this batch holds). Omitted: all at once.
   */
  concurrency?: number;
}

/**
 * One account's outcome in a batch. A failure that would throw in syncAccount is an `error` item here, so
 * one account never fails its neighbours: the workflow retries it alone with syncAccount's retry policy.
 */
export type SyncBatchItemResult =
  | SyncAttemptResult
  | { kind: 'error'; accountId: string; errorCode: string; retryable: boolean }
  /** Not attempted: an account before it met a platform-wide pause; the fleet queues it again. */
  | { kind: 'not_started'; accountId: string };

/** A batch item of an account the batch did attempt. */
export type AttemptedBatchItem = Exclude<SyncBatchItemResult, { kind: 'not_started' }>;

/**
 * A batch's accounts, `width` of them side by side, each lane taking the next account as soon as its last one
 * finished. Once an account comes back paused for the whole platform (a spent budget, an app-wide throttle),
 * no lane starts another: the rest come back `not_started` for the fleet to dispatch after the pause, instead
 * of each meeting the same refusal. Shared by the activity and the workflow tests' fake of it.
 */
export async function syncInLanes(
  accounts: readonly SyncAttemptInput[],
  width: number,
  syncOne: (account: SyncAttemptInput) => Promise<SyncBatchItemResult>,
): Promise<SyncBatchItemResult[]> {
  const results: SyncBatchItemResult[] = accounts.map((account) => ({
    kind: 'not_started',
    accountId: account.accountId,
  }));
  let next = 0;
  let platformPaused = false;
  const lane = async () => {
    while (next < accounts.length && !platformPaused) {
      const index = next++;
      const result = await syncOne(accounts[index]);
      results[index] = result;
      if (result.kind === 'rate_limited' && result.scope === 'platform') platformPaused = true;
    }
  };
  const lanes = Math.max(1, Math.min(width, accounts.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return results;
}

export interface SyncAccountsBatchResult {
  results: SyncBatchItemResult[];
}

/** The account syncer's dependencies from the worker's; the benchmark's plain-Node baseline builds them alike. */
export function accountSyncDeps(deps: ActivityDeps): AccountSyncDeps {
  const pacing = pacingSettingsFromConfig(deps.config.sync, deps.platformWindowMs ?? PLATFORM_WINDOW_MS);
  const keyPrefix = deps.config.redis.keyPrefix;
  return {
    db: deps.orm.em.getKnex(),
    cipher: deps.cipher,
    platforms: deps.platforms,
    budget: createSyncBudget({ redis: deps.redis, keyPrefix, settings: pacing }),
    lease: createAccountLease({ redis: deps.redis, keyPrefix }),
    profiles: createProfileStash({ redis: deps.redis, keyPrefix }),
    pacing,
    metrics: deps.metrics,
    logger: deps.logger,
    now: deps.now,
    jitMarginMinutes: deps.config.refresh.jitMarginMinutes,
    instagramUsageSlowdownPercent: deps.config.sync.instagramUsageSlowdownPercent,
  };
}

export function createSyncActivities(deps: ActivityDeps) {
  const syncDeps = accountSyncDeps(deps);
  const { db, pacing } = syncDeps;

  /** Workflows cannot read configuration: the fleet asks for its defaults and pacing rates here. */
  async function getSyncSettings(): Promise<SyncSettings> {
    return syncSettings(deps.config.sync, pacing);
  }

  async function listAccountsDueForSync(input: ListAccountsDueInput): Promise<DueAccount[]> {
    return listDueForSync(db, { ...input, dueBefore: new Date(input.dueBefore) });
  }

  /** One account's sync (src/sync/account-syncer.ts); its lease owner is this workflow at this account. */
  async function syncAccount(input: SyncAttemptInput): Promise<SyncAttemptResult> {
    try {
      return await syncAccountOnce(syncDeps, input, currentSyncRun(input.accountId));
    } catch (error) {
      throw toActivityFailure(error, {
        attempt: currentAttempt(),
        ownErrorAttempts: SYNC_OWN_ERROR_ATTEMPTS,
        redis: deps.redis,
      });
    }
  }

  /**
   * The fleet's batched first attempt: each account synced as by syncAccount, `concurrency` of them side by
   * side (the fleet's slots this batch holds), each with its lease (the owner later single attempts use as
   * well); failures become items instead of failing the batch.
   */
  async function syncAccounts(input: SyncAccountsBatchInput): Promise<SyncAccountsBatchResult> {
    // The fleet's first attempts: a retry of the whole batch may find profiles its first try stashed.
    const firstAttempt = currentAttempt() === 1;
    const results = await syncInLanes(input.accounts, input.concurrency ?? input.accounts.length, (account) =>
      syncAccountOnce(syncDeps, account, currentSyncRun(account.accountId, { firstAttempt })).catch(
        (error: unknown): SyncBatchItemResult => {
          const { code, retryable } = decodeFailure(toActivityFailure(error, { redis: deps.redis }));
          return { kind: 'error', accountId: account.accountId, errorCode: code, retryable };
        },
      ),
    );
    return { results };
  }

  return { getSyncSettings, listAccountsDueForSync, syncAccount, syncAccounts };
}
