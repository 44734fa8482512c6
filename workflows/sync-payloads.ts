/**
 * Data sync (issue 5): payloads of syncAccountWorkflow and syncAllAccountsWorkflow. Ids and counters only.
 * Callers import it through shared.ts, which re-exports it; workflow code imports it, so no Node APIs here.
 */
import type { Platform, TriggeredBy } from './shared';

export interface SyncAccountInput {
  accountId: string;
  triggeredBy?: TriggeredBy;
}

/**
 * syncAccountWorkflow completes with synced, skipped or reauth_required; a `failed` sync fails the workflow
 * with an ApplicationFailure of type SYNC_ACCOUNT_FAILED_TYPE whose details[0] is this result (errorCode
 * included). The fleet counts `failed` per account in its own result.
 */
export type SyncAccountOutcome = 'synced' | 'skipped' | 'reauth_required' | 'failed';

export const SYNC_ACCOUNT_FAILED_TYPE = 'SyncAccountFailed';

export interface SyncAccountResult {
  accountId: string;
  outcome: SyncAccountOutcome;
  platform?: Platform;
  postsSynced?: number;
  followers?: number;
  /** Percent, see README "Engagement rate". */
  engagementRate?: number;
  /** Why a sync was skipped: `not_active`, `recently_synced`, `sync_in_progress`, `not_found`. */
  skippedReason?: string;
  /** Stable code of the failure or of the re-authorisation cause, e.g. `TT_access_token_invalid`. */
  errorCode?: string;
}

/** Progress of one account sync, answered by progressQuery on syncAccountWorkflow. */
export interface SyncAccountProgress {
  accountId: string;
  stage: 'starting' | 'refreshing_token' | 'syncing' | 'waiting_for_budget' | 'notifying' | 'done';
  rateLimitedUntil: string | null;
  result: SyncAccountResult | null;
}

export interface SyncAllAccountsInput {
  /** Accounts synced more recently than this are not due; default SYNC_MIN_AGE_HOURS (12). */
  minAgeHours?: number;
  /** Accounts synced at the same time; default SYNC_CONCURRENCY. */
  concurrency?: number;
  triggeredBy?: TriggeredBy;
  /** Only this platform's accounts; default both. */
  platform?: Platform;
  /** Account ids read per page; default 200. */
  pageSize?: number;
  /** Accounts one run handles before it continues as new; default 1000 (history stays well under limits). */
  maxAccountsPerRun?: number;
  /** Accounts per first-attempt activity; default 5 (1 to 20). */
  batchSize?: number;
  /** Set by the workflow itself when it continues as new; never by callers. */
  continuation?: SyncFleetContinuation;
}

export interface SyncFleetCounters {
  /** Due accounts found so far (the total grows page by page). */
  found: number;
  done: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** Included in `done`; counted apart from `failed`: the owner has to act, not the operator. */
  reauthRequired: number;
}

/** What a fleet run carries into its next run when it continues as new. */
export interface SyncFleetContinuation {
  startedAt: string;
  /** Accounts last synced before this instant are due; fixed for the whole fleet run. */
  dueBefore: string;
  /** Last account id dispatched; the next run pages after it. */
  cursor: string | null;
  counters: SyncFleetCounters;
  failures: SyncFleetFailure[];
  /** Runs before this one. */
  runsBefore: number;
  /** Calls synced accounts really made, per platform: the next run paces on them from its start. */
  pacingStats?: SyncFleetPacingStats;
}

export type SyncFleetPacingStats = Partial<
  Record<Platform, { accounts: number; profile: number; media: number }>
>;

export interface SyncFleetFailure {
  accountId: string;
  errorCode: string;
}

/** Answered by progressQuery on syncAllAccountsWorkflow. */
export interface SyncFleetProgress extends SyncFleetCounters {
  inFlight: number;
  /** Dispatching waits for a spent budget or a platform's rate limit until then (ISO), else null. */
  rateLimitedUntil: string | null;
  startedAt: string;
  platform: Platform | null;
  /** Runs of this fleet sync so far (continue-as-new), this one included. */
  runs: number;
  /** Every due account has been found (the last page was read). */
  allFound: boolean;
}

export interface SyncAllAccountsResult extends SyncFleetCounters {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Accounts done per second of wall time. */
  accountsPerSecond: number;
  runs: number;
  /** The first failures (at most 50) with their error codes; all of them are retried by the next run. */
  failures: SyncFleetFailure[];
}
