/**
 * Token refresh (issue 4). Inputs and results carry ids, outcomes, error codes and ISO dates: never a token.
 * Callers import it through shared.ts, which re-exports it; workflow code imports it, so no Node APIs here.
 */
import type { TriggeredBy } from './shared';

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
