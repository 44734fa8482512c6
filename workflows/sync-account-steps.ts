import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import type {
  AccountCalls,
  SyncActivities,
  SyncAccountActivityResult,
  SyncBatchItemResult,
} from '../activities/sync';
import type { PlatformFailureDetails } from '../activities/platform-failure';
import type { Platform, SyncAccountProgress, SyncAccountResult } from './shared';
import { handleAuthRevoked, refreshBeforeSync, type TokenStepState } from './sync-account-token-steps';

/**
 * One account's sync as a loop over the syncAccount activity, shared by syncAccountWorkflow (on demand) and
 * syncAllAccountsWorkflow (the fleet). Every wait is a durable timer taken between activity attempts, so no
 * worker slot is held while a budget refills, a platform throttles, or another sync holds the account.
 */

const { syncAccount } = proxyActivities<SyncActivities>({
  // Three platform calls of at most PLATFORM_TIMEOUT_MS (10 s) plus one transaction fit with room to spare.
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  // Transient platform errors: 1 s, 2 s, 4 s, then the account counts as failed and the next run retries it.
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 4,
  },
});

/** The syncAccount retry policy's first interval, also used after a failed batch attempt. */
const FIRST_RETRY_DELAY_MS = 1_000;
/** An on-demand sync waits this long between looks at an account another sync holds (a sync takes ~0.1-1 s). */
export const BUSY_RECHECK_MS = 2_000;
/** Waits of any kind before the account is given up as failed (retried by the next run). */
const MAX_ROUNDS = 50;
/** The fleet does not keep an account waiting longer than this for its own throttle (Meta BUC can say 1 h). */
const MAX_ACCOUNT_WAIT_MS = 10 * 60_000;

export interface AccountSyncOptions {
  accountId: string;
  /** The fleet's batched first attempt (syncAccounts); later attempts use syncAccount and its retries. */
  first?: SyncBatchItemResult;
  /** Known by the fleet from its page; learned from the first result otherwise. */
  platform?: Platform;
  /** Fleet runs: skip the account if someone synced it at or after this instant. */
  dueBefore?: string;
  /** On demand: wait for a sync that holds the account; fleet: skip it (it is being synced right now). */
  waitWhenBusy: boolean;
  /** The fleet's pacing turn before each attempt after the first (the fleet paces the first itself). */
  beforeRetry?: (platform: Platform | undefined) => Promise<void>;
  /** The fleet pauses the whole platform (its beforeRetry then waits); without it, this account sleeps. */
  onPlatformPaused?: (platform: Platform, waitMs: number) => void;
  onStage?: (stage: SyncAccountProgress['stage'], rateLimitedUntil: string | null) => void;
  /** What the sync really cost in platform calls (the fleet paces on it). */
  onCalls?: (platform: Platform, calls: AccountCalls) => void;
  onPlatformKnown?: (platform: Platform) => void;
}

/** The loop keeps no state beyond what it shares with the token steps. */
type LoopState = TokenStepState;

export async function syncOneAccount(options: AccountSyncOptions): Promise<SyncAccountResult> {
  const state: LoopState = { platform: options.platform, skipTokenCheck: false, forcedRefreshDone: false };
  const { accountId } = options;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (round > 0) await options.beforeRetry?.(state.platform);
    options.onStage?.('syncing', null);
    const attempt =
      round === 0 && options.first
        ? await fromBatch(options, state, options.first)
        : await attemptSync(options, state);
    if ('again' in attempt) continue;
    if ('final' in attempt) return attempt.final;
    const result = attempt.result;
    if (result.platform && result.platform !== state.platform) {
      state.platform = result.platform;
      options.onPlatformKnown?.(result.platform);
    }
    const final = await handleResult(options, state, result);
    if (final) return final;
  }
  return { accountId, platform: state.platform, outcome: 'failed', errorCode: 'SYNC_GAVE_UP_WAITING' };
}

type Attempt = { result: SyncAccountActivityResult } | { final: SyncAccountResult } | { again: true };

/** A batch item: an error the single activity may fix is retried after the first step of its backoff. */
async function fromBatch(
  options: AccountSyncOptions,
  state: LoopState,
  item: SyncBatchItemResult,
): Promise<Attempt> {
  if (item.kind !== 'error') return { result: item };
  if (!item.retryable)
    return {
      final: {
        accountId: options.accountId,
        platform: state.platform,
        outcome: 'failed',
        errorCode: item.errorCode,
      },
    };
  await sleep(FIRST_RETRY_DELAY_MS);
  return { again: true };
}

async function attemptSync(options: AccountSyncOptions, state: LoopState): Promise<Attempt> {
  try {
    const result = await syncAccount({
      accountId: options.accountId,
      dueBefore: options.dueBefore,
      skipTokenCheck: state.skipTokenCheck || undefined,
    });
    return { result };
  } catch (error) {
    const errorCode = failureCode(error);
    return {
      final: { accountId: options.accountId, platform: state.platform, outcome: 'failed', errorCode },
    };
  }
}

/** null: loop again (after any wait already taken); otherwise the account's final result. */
async function handleResult(
  options: AccountSyncOptions,
  state: LoopState,
  result: SyncAccountActivityResult,
): Promise<SyncAccountResult | null> {
  const { accountId } = options;
  switch (result.kind) {
    case 'synced':
      options.onCalls?.(result.platform, result.calls);
      return {
        accountId,
        platform: result.platform,
        outcome: 'synced',
        postsSynced: result.postsSynced,
        followers: result.followers,
        engagementRate: result.engagementRate,
      };
    case 'skipped':
      return {
        accountId,
        platform: result.platform ?? undefined,
        outcome: 'skipped',
        skippedReason: result.reason,
      };
    case 'busy':
      if (!options.waitWhenBusy)
        return {
          accountId,
          platform: result.platform,
          outcome: 'skipped',
          skippedReason: 'sync_in_progress',
        };
      await waitFor(options, BUSY_RECHECK_MS);
      return null;
    case 'rate_limited':
      return handleRateLimited(options, result);
    case 'needs_token_refresh':
      return refreshBeforeSync(options, state, result.marginMinutes);
    case 'auth_revoked':
      return handleAuthRevoked(options, state, result.platform, result.errorCode);
  }
}

async function handleRateLimited(
  options: AccountSyncOptions,
  result: Extract<SyncAccountActivityResult, { kind: 'rate_limited' }>,
): Promise<SyncAccountResult | null> {
  if (result.scope === 'platform' && options.onPlatformPaused) {
    options.onPlatformPaused(result.platform, result.waitMs);
    return null;
  }
  if (result.waitMs > MAX_ACCOUNT_WAIT_MS && !options.waitWhenBusy) {
    return {
      accountId: options.accountId,
      platform: result.platform,
      outcome: 'failed',
      errorCode: 'RATE_LIMITED',
    };
  }
  await waitFor(options, result.waitMs);
  return null;
}

async function waitFor(options: AccountSyncOptions, ms: number): Promise<void> {
  options.onStage?.('waiting_for_budget', new Date(Date.now() + ms).toISOString());
  await sleep(ms);
}

/** The activity's error code (details of its ApplicationFailure), a timeout, or the failure type. */
function failureCode(error: unknown): string {
  if (!(error instanceof ActivityFailure)) throw error;
  const cause = error.cause;
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as Partial<PlatformFailureDetails> | undefined;
    return details?.code ?? cause.type ?? 'SYNC_FAILED';
  }
  if (cause instanceof TimeoutFailure) return 'SYNC_TIMEOUT';
  return 'SYNC_FAILED';
}
