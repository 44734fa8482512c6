/**
 * What workflows, activities, the worker, the API and the CLI agree on: the task queue, schedule and workflow
 * ids, queries, search attributes, failure types with the one failure decoder, and the payload types of
 * every workflow. A leaf: it imports no file of workflows/ or activities/, so every side can import it
 * without a cycle. Workflow code imports it, so it stays deterministic and free of Node APIs.
 * Payloads carry ids, counters, codes and ISO dates: never a token.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  defineSearchAttributeKey,
  SearchAttributeType,
  TimeoutFailure,
} from '@temporalio/common';
import { defineQuery, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Platform } from '../src/platforms/types';

export const DEFAULT_TASK_QUEUE = 'socialsync';

export const SCHEDULE_IDS = {
  tokenRefresh: 'token-refresh-daily',
  dataSync: 'data-sync-daily',
} as const;

// ---------------------------------------------------------------------------------------------------------
// Ids, queries, search attributes
// ---------------------------------------------------------------------------------------------------------

// Workflow ids come only from these functions: one place decides what "the same work" means.
export function makeSyncAccountWorkflowId(accountId: string): string {
  return `sync-account-${accountId}`;
}

export function makeRefreshAccountTokenWorkflowId(accountId: string): string {
  return `refresh-token-${accountId}`;
}

/** Scheduled runs get this id with a timestamp appended by Temporal; on-demand runs pass a run key. */
export function makeSyncAllAccountsWorkflowId(runKey?: string): string {
  return runKey ? `sync-all-accounts-${runKey}` : 'sync-all-accounts';
}

export function makeRefreshExpiringTokensWorkflowId(runKey?: string): string {
  return runKey ? `refresh-expiring-tokens-${runKey}` : 'refresh-expiring-tokens';
}

/** One delivery workflow per notification: starting it twice is harmless. */
export function makeDeliverNotificationWorkflowId(notificationId: string): string {
  return `deliver-notification-${notificationId}`;
}

/**
 * The webhook drainer: one per task queue, started by every worker at start-up (a second start finds it
 * running), so the number of delivery workflows stays one whatever the number of events.
 */
export function makeWebhookDrainerWorkflowId(taskQueue: string): string {
  return `deliver-webhook-events-${taskQueue}`;
}

/** Every long-running socialsync workflow answers this query with its own progress type. */
export const progressQuery = defineQuery<unknown>('progress');

/** Who started a workflow; a search attribute so operators can filter in the Web UI. */
export type TriggeredBy = 'schedule' | 'api' | 'admin' | 'cli';

export const ACCOUNT_ID_SEARCH_ATTRIBUTE = defineSearchAttributeKey('AccountId', SearchAttributeType.KEYWORD);
export const PLATFORM_SEARCH_ATTRIBUTE = defineSearchAttributeKey('Platform', SearchAttributeType.KEYWORD);
export const TRIGGERED_BY_SEARCH_ATTRIBUTE = defineSearchAttributeKey(
  'TriggeredBy',
  SearchAttributeType.KEYWORD,
);
/** Every custom attribute a Temporal server must know before socialsync's workflows can carry them. */
export const SEARCH_ATTRIBUTE_KEYS = [
  ACCOUNT_ID_SEARCH_ATTRIBUTE,
  PLATFORM_SEARCH_ATTRIBUTE,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
] as const;

type KeywordAttribute = (typeof SEARCH_ATTRIBUTE_KEYS)[number];

/**
 * Called inside a workflow: sets each attribute the starter did not set. Schedules, the API and the admin
 * command tag their runs; a plain `temporal workflow start` with JSON input does not, and every run must stay
 * filterable in the Web UI.
 */
export function tagMissingSearchAttributes(values: [KeywordAttribute, string | null | undefined][]): void {
  const present = workflowInfo().typedSearchAttributes;
  const updates = values
    .filter(([key, value]) => value && !present.get(key))
    .map(([key, value]) => ({ key, value: value as string }));
  if (updates.length > 0) upsertSearchAttributes(updates);
}

// ---------------------------------------------------------------------------------------------------------
// Failures: the types activities throw, and the one decoder every reader uses
// ---------------------------------------------------------------------------------------------------------

/** Error types of the ApplicationFailures activities throw for platform errors (activities/to-failure.ts). */
export const PLATFORM_FAILURE_TYPES = {
  auth_revoked: 'PlatformAuthRevoked',
  permission_missing: 'PlatformPermissionMissing',
  invalid_request: 'PlatformInvalidRequest',
  rate_limited: 'PlatformRateLimited',
  transient: 'PlatformTransient',
} as const;
/** The failures after which only the user can help (re-authorisation): never retried. */
export const REAUTH_FAILURE_TYPES: readonly string[] = [
  PLATFORM_FAILURE_TYPES.auth_revoked,
  PLATFORM_FAILURE_TYPES.permission_missing,
];
/** A stored token that the current keys cannot decrypt: an operator problem, never retried, never blamed on the user. */
export const TOKEN_UNREADABLE_FAILURE_TYPE = 'TokenUnreadable';
/**
 * PostgreSQL or Redis is unreachable (details code DATABASE_UNAVAILABLE or REDIS_UNAVAILABLE): retried on the
 * activity's whole schedule (workflows/retry.ts) and never counted as the account's own failure.
 */
export const DEPENDENCY_UNAVAILABLE_FAILURE_TYPE = 'DependencyUnavailable';
/** Any error nothing classified (a bug, a driver error without a code): code INTERNAL_ERROR, message stripped. */
export const INTERNAL_FAILURE_TYPE = 'InternalError';
/** The webhook receiver refused a notification for good (a 4xx other than 408 and 429): not retried. */
export const WEBHOOK_REJECTED_FAILURE_TYPE = 'WebhookRejected';
/** A receiver that did not answer, answered 5xx, 408 or 429: retried. */
export const WEBHOOK_UNAVAILABLE_FAILURE_TYPE = 'WebhookUnavailable';
/**
 * syncAccountWorkflow fails with this type when the sync failed; details[0] is its SyncAccountResult
 * (errorCode included). The fleet counts `failed` per account in its own result instead.
 */
export const SYNC_ACCOUNT_FAILED_TYPE = 'SyncAccountFailed';

/** The stable codes of failures that are not a platform's (those carry the platform's own code). */
export const FAILURE_CODES = {
  databaseUnavailable: 'DATABASE_UNAVAILABLE',
  redisUnavailable: 'REDIS_UNAVAILABLE',
  internal: 'INTERNAL_ERROR',
  tokenUnreadable: 'TOKEN_UNREADABLE',
} as const;

/** Failure types socialsync's activities throw; any other type is reported as ACTIVITY_FAILED, never as itself. */
const KNOWN_FAILURE_TYPES: ReadonlySet<string> = new Set([
  ...Object.values(PLATFORM_FAILURE_TYPES),
  TOKEN_UNREADABLE_FAILURE_TYPE,
  DEPENDENCY_UNAVAILABLE_FAILURE_TYPE,
  INTERNAL_FAILURE_TYPE,
  WEBHOOK_REJECTED_FAILURE_TYPE,
  WEBHOOK_UNAVAILABLE_FAILURE_TYPE,
]);

/** What an activity failure carries for the workflow: codes and ids, never a token or a URL. */
export interface FailureDetails {
  code: string;
  platform?: string;
  kind?: string;
  endpoint?: string;
  httpStatus?: number | null;
  requestId?: string | null;
}

export interface DecodedFailure {
  /** The ApplicationFailure's type (what workflows branch on), `Timeout` or `Unknown`. */
  type: string;
  /**
   * A stable code for results and counters: the details' code, else one of our types, else ACTIVITY_FAILED
   * (an error class name, e.g. the `Error` a raw throw gets, is never a code).
   */
  code: string;
  retryable: boolean;
}

/**
 * Reads an activity's failure the same way everywhere: a workflow's ActivityFailure (its cause), or an
 * ApplicationFailure an activity built before throwing it (a batch turns it into an item). A timeout is
 * `ACTIVITY_TIMEOUT`; anything else without a code of ours is `ACTIVITY_FAILED`.
 */
export function decodeFailure(error: unknown): DecodedFailure {
  const failure = error instanceof ActivityFailure ? error.cause : error;
  if (failure instanceof ApplicationFailure) {
    const details = failure.details?.[0] as Partial<FailureDetails> | undefined;
    const type = failure.type ?? 'Error';
    const fallback = KNOWN_FAILURE_TYPES.has(type) ? type : 'ACTIVITY_FAILED';
    return {
      type,
      code: typeof details?.code === 'string' ? details.code : fallback,
      retryable: !failure.nonRetryable,
    };
  }
  if (failure instanceof TimeoutFailure)
    return { type: 'Timeout', code: 'ACTIVITY_TIMEOUT', retryable: true };
  return { type: 'Unknown', code: 'ACTIVITY_FAILED', retryable: true };
}

// ---------------------------------------------------------------------------------------------------------
// Token refresh payloads
// ---------------------------------------------------------------------------------------------------------

/** What asked for a refresh; recorded on every TokenRefreshAttempt row. */
export type RefreshTrigger = 'fleet' | 'jit' | 'api' | 'admin' | 'cli';

export interface RefreshAccountTokenInput {
  accountId: string;
  trigger: RefreshTrigger;
  /**
   * Refresh only when the access token expires within this many minutes (checked again under the account's
   * row lock, so a refresh that someone else just did is not repeated). Omitted: refresh now.
   */
  onlyIfExpiresWithinMinutes?: number;
  /**
   * ISO instant on the activities' clock: skip (`not_due`) an account refreshed at or after it. A fleet run
   * passes its start so an account refreshed meanwhile (just in time by a sync) is not refreshed again.
   */
  notRefreshedSince?: string;
}

/**
 * - refreshed: new token stored. skipped: nothing to do by rule (Instagram token under 24 h old, account not
 *   active or gone). not_due: the token does not expire within the margin (maybe someone just refreshed it).
 * - reauth_required: the platform revoked access; the account is `reauth_required` and its owner notified.
 * - expired: the token actually expired; the account is `expired` and its owner notified.
 * - failed: retries exhausted (transient, rate limit, timeout); the account stays active, failures counted.
 */
export type RefreshAccountOutcome =
  'refreshed' | 'skipped' | 'not_due' | 'reauth_required' | 'expired' | 'failed';

export interface RefreshAccountTokenResult {
  accountId: string;
  outcome: RefreshAccountOutcome;
  /** Platform or internal error code (e.g. `TT_invalid_grant`, `HTTP_503`, `IG_TOO_YOUNG`). */
  errorCode?: string;
  /** ISO date of the access token's expiry after this call, when known. */
  accessExpiresAt?: string;
}

export interface RefreshFleetCounters {
  /** Accounts taken from the due list and handed to a refresh. */
  considered: number;
  refreshed: number;
  skipped: number;
  notDue: number;
  reauthRequired: number;
  expired: number;
  failed: number;
}

/**
 * Where a fleet run is in the due list: the last account id handed out. Paging by id, not by expiry: a
 * refreshed TikTok token (2-24 h) is still inside a 7-day window, so an expiry keyset would meet it again.
 */
export interface RefreshFleetCursor {
  id: string;
}

/** What a fleet run carries across continue-as-new. Internal: callers start a run with `{}` or the options. */
export interface RefreshFleetCarriedState {
  startedAt: string;
  /** Accounts whose access token expires before this instant are due; fixed for the whole run. */
  cutoff: string;
  /** The activities' clock when the run read its first page (see RefreshAccountTokenInput.notRefreshedSince). */
  asOf: string;
  cursor: RefreshFleetCursor | null;
  counters: RefreshFleetCounters;
  /** 1 for the first run, +1 per continue-as-new. */
  run: number;
}

export interface RefreshExpiringTokensInput {
  /** Default REFRESH_WINDOW_DAYS. */
  windowDays?: number;
  /** Accounts refreshed at once; default REFRESH_CONCURRENCY. */
  concurrency?: number;
  /** Durable timer between two dispatches, in ms; default REFRESH_SPACING_MS. */
  spacingMs?: number;
  /** Accounts fetched per page activity; default 100. */
  pageSize?: number;
  /** Continue-as-new after this many accounts (or sooner when Temporal suggests it); default 500. */
  accountsPerRun?: number;
  triggeredBy?: TriggeredBy;
  /** Internal: set by continue-as-new. */
  carried?: RefreshFleetCarriedState;
}

export interface RefreshFleetProgress extends RefreshFleetCounters {
  inFlight: number;
  startedAt: string;
  cutoff: string | null;
  run: number;
  /** null until the run has read its settings (its first activity). */
  windowDays: number | null;
  concurrency: number | null;
  done: boolean;
}

export interface RefreshExpiringTokensResult extends RefreshFleetCounters {
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Runs of the workflow chain (1 + continue-as-new count). */
  runs: number;
  windowDays: number;
}

// ---------------------------------------------------------------------------------------------------------
// Data sync payloads
// ---------------------------------------------------------------------------------------------------------

export interface SyncAccountInput {
  accountId: string;
  triggeredBy?: TriggeredBy;
}

/** syncAccountWorkflow completes with synced, skipped or reauth_required; `failed` fails the run. */
export type SyncAccountOutcome = 'synced' | 'skipped' | 'reauth_required' | 'failed';

export interface SyncAccountResult {
  accountId: string;
  outcome: SyncAccountOutcome;
  platform?: Platform;
  postsSynced?: number;
  followers?: number;
  /** Percent, see docs/api.md "Engagement rate". */
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
  /** Accounts per first-attempt activity, synced up to 10 side by side; default and most 40. */
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

/** Calls synced accounts really made, per platform. */
export type SyncFleetPacingStats = Partial<
  Record<Platform, { accounts: number; profile: number; media: number }>
>;

export interface SyncFleetFailure {
  accountId: string;
  errorCode: string;
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
  /** The next run paces on these from its start. */
  pacingStats?: SyncFleetPacingStats;
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

// ---------------------------------------------------------------------------------------------------------
// Notification payloads
// ---------------------------------------------------------------------------------------------------------

export interface DeliverNotificationInput {
  notificationId: string;
}

// ---------------------------------------------------------------------------------------------------------
// Data event payloads
// ---------------------------------------------------------------------------------------------------------

export interface WebhookDrainerTotals {
  batches: number;
  delivered: number;
  retrying: number;
  dead: number;
  skipped: number;
}

/** What the drainer carries across continue-as-new; callers start it with `{}`. */
export interface DeliverWebhookEventsInput {
  /** Batches in a row that found the receiver down (its pause grows with it). */
  downStreak?: number;
  /** Runs of this drainer before this one. */
  runsBefore?: number;
  totals?: WebhookDrainerTotals;
  /** Batches before it continues as new; default 500 (tests shorten it). */
  batchesPerRun?: number;
}

/** Answered by progressQuery on deliverWebhookEventsWorkflow. */
export interface WebhookDrainerProgress extends WebhookDrainerTotals {
  runs: number;
  downStreak: number;
  /** Paused for an unavailable receiver until then (ISO), else null. */
  pausedUntil: string | null;
}

/** After a fleet data sync: the freshness gauges, and the fleet.stale_accounts event when any is stale. */
export interface CheckFleetFreshnessInput {
  /** The fleet run's workflow id and first run id: one event per fleet run, whatever the retries. */
  fleetWorkflowId: string;
  fleetRunId: string;
}
