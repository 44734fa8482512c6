import { Context } from '@temporalio/activity';
import type { Activities } from '../../activities';
import { syncInLanes } from '../../activities/sync';
import type { DueAccount } from '../../src/accounts/store';
import type { SyncAttemptInput, SyncAttemptResult } from '../../src/sync/account-syncer';
import type { SyncSettings } from '../../src/sync/pacing';
import type { RefreshTokenResult } from '../../src/tokens/refresh';
import type { CheckFleetFreshnessInput, RefreshAccountTokenInput } from '../../workflows/contract';

/** The activities the sync workflows call, as fakes: workflow tests on the time-skipping server (docs/architecture.md: real parts at the edges, fakes in the middle). */
export type SyncWorkflowActivities = Pick<
  Activities,
  | 'getSyncSettings'
  | 'listAccountsDueForSync'
  | 'syncAccount'
  | 'syncAccounts'
  | 'refreshAccountToken'
  | 'recordRefreshFailure'
  | 'markAccountReauthRequired'
  | 'deliverNotificationWebhook'
  | 'checkFleetFreshness'
>;

export interface SyncCall {
  input: SyncAttemptInput;
  /** Through the fleet's batched first attempt, or the single-account activity. */
  via: 'batch' | 'single';
  attempt: number;
  /** Server time (virtual on the time-skipping server) when this attempt was scheduled. */
  scheduledAtMs: number;
  /** How many calls for this account came before this one. */
  callIndex: number;
}

export interface FakeSyncWorldOptions {
  accounts?: DueAccount[];
  settings?: Partial<SyncSettings>;
  /** Decides each call; default: synced. */
  sync?: (call: SyncCall, account: DueAccount | undefined) => Promise<SyncAttemptResult> | SyncAttemptResult;
  refresh?: (input: RefreshAccountTokenInput) => RefreshTokenResult;
}

export interface FakeSyncWorld {
  activities: SyncWorkflowActivities;
  /** Every per-account call, batched or not. */
  syncCalls: SyncCall[];
  /** Account ids of each syncAccounts batch. */
  batches: string[][];
  /** The most accounts of each batch that were syncing at the same moment. */
  batchWidths: number[];
  pages: Array<{ after: string | null; returned: number }>;
  refreshCalls: RefreshAccountTokenInput[];
  reauthMarks: Array<{ accountId: string; errorCode: string }>;
  /** The fleet's freshness check after its last run. */
  freshnessChecks: CheckFleetFreshnessInput[];
}

export const DEFAULT_FAKE_SETTINGS: SyncSettings = {
  minAgeHours: 12,
  concurrency: 10,
  postsLimit: 25,
  minSpacingMs: 0,
  budgets: { instagram: null, tiktok: null },
};

/** A synced account; `mediaCalls` is what its media listing cost (TikTok: 2 for 25 posts, 1 for 20 or fewer). */
export function syncedResult(account: DueAccount | undefined, mediaCalls?: number): SyncAttemptResult {
  const platform = account?.platform ?? 'instagram';
  const media = mediaCalls ?? (platform === 'tiktok' ? 2 : 1);
  return {
    kind: 'synced',
    platform,
    postsSynced: 25,
    followers: 1000,
    engagementRate: 1.5,
    usagePercent: null,
    calls: { profile: 1, media },
  };
}

/** A TikTok-like budget: `perWindow` calls per endpoint per minute window; 25 posts take 2 media calls at worst. */
export function tiktokBudget(profileLimit: number, mediaLimit: number) {
  return { windowMs: 60_000, profileLimit, mediaLimit, worstCase: { profile: 1, media: 2 } };
}

export function createFakeSyncWorld(options: FakeSyncWorldOptions = {}): FakeSyncWorld {
  const accounts = [...(options.accounts ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1));
  const byId = new Map(accounts.map((account) => [account.id, account]));
  const world: Omit<FakeSyncWorld, 'activities'> = {
    syncCalls: [],
    batches: [],
    batchWidths: [],
    pages: [],
    refreshCalls: [],
    reauthMarks: [],
    freshnessChecks: [],
  };
  const syncOne = async (input: SyncAttemptInput, via: SyncCall['via']): Promise<SyncAttemptResult> => {
    const { info } = Context.current();
    const callIndex = world.syncCalls.filter((call) => call.input.accountId === input.accountId).length;
    const call = {
      input,
      via,
      attempt: info.attempt,
      scheduledAtMs: info.currentAttemptScheduledTimestampMs,
      callIndex,
    };
    world.syncCalls.push(call);
    const account = byId.get(input.accountId);
    return options.sync ? options.sync(call, account) : syncedResult(account);
  };
  const activities: SyncWorkflowActivities = {
    async getSyncSettings() {
      return { ...DEFAULT_FAKE_SETTINGS, ...options.settings };
    },
    async listAccountsDueForSync(input) {
      const page = accounts
        .filter(
          (account) =>
            (!input.after || account.id > input.after) &&
            (!input.platform || account.platform === input.platform),
        )
        .slice(0, input.limit);
      world.pages.push({ after: input.after, returned: page.length });
      return page;
    },
    async syncAccount(input) {
      return syncOne(input, 'single');
    },
    async syncAccounts(input) {
      world.batches.push(input.accounts.map((account) => account.accountId));
      // The real batch's lanes; as the real activity, a throwing account becomes an error item.
      let running = 0;
      let widest = 0;
      const results = await syncInLanes(
        input.accounts,
        input.concurrency ?? input.accounts.length,
        async (account) => {
          widest = Math.max(widest, ++running);
          try {
            return await syncOne(account, 'batch');
          } catch {
            return { kind: 'error', accountId: account.accountId, errorCode: 'HTTP_503', retryable: true };
          } finally {
            running--;
          }
        },
      );
      world.batchWidths.push(widest);
      return { results };
    },
    async refreshAccountToken(input) {
      world.refreshCalls.push(input);
      return options.refresh
        ? options.refresh(input)
        : { outcome: 'refreshed', platform: 'tiktok', notificationIds: [] };
    },
    async recordRefreshFailure() {
      return { outcome: 'failed', consecutiveFailures: 1, notificationIds: [] };
    },
    async markAccountReauthRequired(input) {
      world.reauthMarks.push(input);
      return { notificationId: null, deliver: false };
    },
    async deliverNotificationWebhook() {
      return { status: 'not_configured' };
    },
    async checkFleetFreshness(input) {
      world.freshnessChecks.push(input);
      return { stale: 0, eventId: null };
    },
  };
  return { ...world, activities } as FakeSyncWorld;
}

/** Ids that sort in creation order, so pages and assertions line up. */
export function makeAccounts(
  platform: DueAccount['platform'],
  count: number,
  prefix = platform,
): DueAccount[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${String(i).padStart(4, '0')}`,
    platform,
  }));
}
