import type { PlatformBudgetPlan } from '../src/pacing/plan';
import type { Platform } from '../src/platforms/types';

export type { PlatformBudgetPlan };

/** Payloads of the data-sync activities. Ids, counters and codes only: never a token. */

export interface SyncSettings {
  minAgeHours: number;
  concurrency: number;
  postsLimit: number;
  /** The replaced design's fixed 2 s between accounts survives as a configurable minimum (default 0). */
  minSpacingMs: number;
  /** The shared call budgets per platform; null: no app-wide cap (Instagram by default). */
  budgets: Record<Platform, PlatformBudgetPlan | null>;
}

export interface AccountCalls {
  profile: number;
  media: number;
}

export interface ListAccountsDueInput {
  /** ISO instant: accounts last synced before it (or never) are due. */
  dueBefore: string;
  /** Page after this account id (ids are the stable order); null for the first page. */
  after: string | null;
  limit: number;
  platform?: Platform;
}

export interface DueAccount {
  id: string;
  platform: Platform;
}

export interface SyncAccountActivityInput {
  accountId: string;
  /** Fleet runs: an account synced at or after this instant (by anyone) is skipped as recently synced. */
  dueBefore?: string;
  /** Set after a just-in-time refresh was tried, so an expiring token does not ask for it again. */
  skipTokenCheck?: boolean;
}

export type SyncAccountActivityResult =
  | {
      kind: 'synced';
      platform: Platform;
      postsSynced: number;
      followers: number;
      engagementRate: number;
      /** Highest usage percentage Instagram reported, when it did. */
      usagePercent: number | null;
      /** Platform calls made (and reserved) per endpoint kind: the fleet paces on what accounts really cost. */
      calls: AccountCalls;
    }
  | { kind: 'skipped'; platform: Platform | null; reason: 'not_found' | 'not_active' | 'recently_synced' }
  /** Another sync (fleet or on demand) holds this account right now. */
  | { kind: 'busy'; platform: Platform }
  /** The access token expires within the just-in-time margin: refresh it first (workflow side). */
  | { kind: 'needs_token_refresh'; platform: Platform; marginMinutes: number }
  /**
   * Wait `waitMs`, then try again. `platform` scope: a shared budget is spent or the platform throttles the
   * whole app, so every sync of that platform should wait; `account` scope: only this account is throttled.
   */
  | {
      kind: 'rate_limited';
      platform: Platform;
      waitMs: number;
      scope: 'platform' | 'account';
      reason: 'budget_spent' | 'platform_paused' | 'platform_rate_limited' | 'usage_high';
    }
  /** The platform refused the token (revoked, expired, scope withdrawn). */
  | { kind: 'auth_revoked'; platform: Platform; errorCode: string };

/** Several accounts in one activity: the fleet's first attempt at each, to spread Temporal's per-task cost. */
export interface SyncAccountsBatchInput {
  accounts: SyncAccountActivityInput[];
}

/**
 * One account's outcome in a batch. A failure that would throw in syncAccount is an `error` item here, so
 * one account never fails its neighbours: the workflow retries it alone with syncAccount's retry policy.
 */
export type SyncBatchItemResult =
  SyncAccountActivityResult | { kind: 'error'; accountId: string; errorCode: string; retryable: boolean };

export interface SyncAccountsBatchResult {
  results: SyncBatchItemResult[];
}
