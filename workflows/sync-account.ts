import { ApplicationFailure, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AttemptedBatchItem } from '../activities/sync';
import type { SyncAttemptResult } from '../src/sync/account-syncer';
import type { AccountCalls } from '../src/sync/pacing';
import type { Platform } from '../src/platforms/types';
import {
  ACCOUNT_ID_SEARCH_ATTRIBUTE,
  decodeFailure,
  PLATFORM_SEARCH_ATTRIBUTE,
  progressQuery,
  SYNC_ACCOUNT_FAILED_TYPE,
  tagMissingSearchAttributes,
  TRIGGERED_BY_SEARCH_ATTRIBUTE,
  type SyncAccountInput,
  type SyncAccountProgress,
  type SyncAccountResult,
} from './contract';
import { notifyAccountReauthRequired } from './notify';
import { refreshAccountTokenDurably } from './refresh-tokens';
import { rateLimitedAccountBackoffMs, SYNC_ACCOUNT_RETRY, SYNC_FIRST_RETRY_MS } from './retry';
import { addCalls } from './sync-pacer';

/**
 * One account's data sync: the on-demand workflow, and the loop over the syncAccount activity that it shares
 * with the fleet (sync-all-accounts.ts). Every wait is a durable timer taken between activity attempts, so
 * no worker slot is held while a budget refills, a platform throttles, or another sync holds the account.
 */

const { syncAccount } = proxyActivities<Pick<Activities, 'syncAccount'>>({
  // Three platform calls of at most PLATFORM_TIMEOUT_MS (10 s) plus one transaction fit with room to spare.
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: SYNC_ACCOUNT_RETRY,
});

/** An on-demand sync waits this long between looks at an account another sync holds (a sync takes ~0.1-1 s). */
export const BUSY_RECHECK_MS = 2_000;
/** Waits of any kind before the account is given up as failed (retried by the next run). */
const MAX_ROUNDS = 50;
/** The fleet does not keep an account waiting longer than this for its own throttle (Meta BUC can say 1 h). */
const MAX_ACCOUNT_WAIT_MS = 10 * 60_000;

/**
 * One account's sync on demand (API, admin, CLI), id makeSyncAccountWorkflowId(accountId): starters use
 * workflowIdConflictPolicy USE_EXISTING, so a second start while it runs returns this run. The fleet never
 * syncs the account at the same time: both take the account's lease inside the syncAccount activity, and
 * this workflow waits (durably) while the fleet holds it.
 */
export async function syncAccountWorkflow(input: SyncAccountInput): Promise<SyncAccountResult> {
  const progress: SyncAccountProgress = {
    accountId: input.accountId,
    stage: 'starting',
    rateLimitedUntil: null,
    result: null,
  };
  setHandler(progressQuery, () => progress);
  tagMissingSearchAttributes([
    [ACCOUNT_ID_SEARCH_ATTRIBUTE, input.accountId],
    [TRIGGERED_BY_SEARCH_ATTRIBUTE, input.triggeredBy],
  ]);

  const result = await syncOneAccount({
    accountId: input.accountId,
    waitWhenBusy: true,
    onStage: (stage, rateLimitedUntil) => {
      progress.stage = stage;
      progress.rateLimitedUntil = rateLimitedUntil;
    },
    onPlatformKnown: (platform) => tagMissingSearchAttributes([[PLATFORM_SEARCH_ATTRIBUTE, platform]]),
  });
  progress.stage = 'done';
  progress.rateLimitedUntil = null;
  progress.result = result;
  // A failed sync fails the run: operators find it in the Web UI (ExecutionStatus="Failed" AND Platform=...)
  // and the API reports its code. Skipped and reauth_required are answers, not failures.
  if (result.outcome === 'failed') {
    throw ApplicationFailure.create({
      type: SYNC_ACCOUNT_FAILED_TYPE,
      message: `sync of account ${input.accountId} failed: ${result.errorCode ?? 'SYNC_FAILED'}`,
      nonRetryable: true,
      details: [result],
    });
  }
  return result;
}

export interface AccountSyncOptions {
  accountId: string;
  /** The fleet's batched first attempt (syncAccounts); later attempts use syncAccount and its retries. */
  first?: AttemptedBatchItem;
  /** Known by the fleet from its page; learned from the first result otherwise. */
  platform?: Platform;
  /** Fleet runs: skip the account if someone synced it at or after this instant. */
  dueBefore?: string;
  /** On demand: wait for a sync that holds the account; fleet: skip it (it is being synced right now). */
  waitWhenBusy: boolean;
  /**
   * Before each attempt after the first (the fleet paces the first itself). `newTurn`: the attempt starts the
   * account's calls over (a spent budget, a refresh, an error), so the fleet gives it a pacing turn; false: it
   * resumes calls the account was already dispatched for (after an endpoint's or its own throttle), so it
   * only waits out a platform pause.
   */
  beforeRetry?: (platform: Platform | undefined, newTurn: boolean) => Promise<void>;
  /**
   * A spent budget or an app-wide throttle: the fleet holds the platform's dispatches for `waitMs` (its
   * beforeRetry then waits); without it, this account sleeps.
   */
  onPlatformPaused?: (platform: Platform, waitMs: number) => void;
  /** Any wait of this account for a throttle, for progress reports (the account sleeps it itself). */
  onThrottled?: (platform: Platform, waitMs: number) => void;
  onStage?: (stage: SyncAccountProgress['stage'], rateLimitedUntil: string | null) => void;
  /** What the synced account really cost in platform calls, over all its attempts (the fleet paces on it). */
  onCalls?: (platform: Platform, calls: AccountCalls) => void;
  onPlatformKnown?: (platform: Platform) => void;
}

/**
 * The final result an attempt gives without any wait or retry (synced, skipped; busy when the caller does
 * not wait for the other sync), else null. Pure and synchronous: the fleet settles most accounts with it
 * straight from their batched first attempt, without starting the per-account loop. Every promise workflow
 * code creates costs a captured stack trace in the SDK's sandbox (kept for the stack-trace query); the loop's
 * dozen awaits per account were most of the fleet workflow's CPU (2,000 Instagram accounts: ~3 ms each).
 */
export function settledOutcome(
  result: SyncAttemptResult,
  accountId: string,
  waitWhenBusy: boolean,
): SyncAccountResult | null {
  switch (result.kind) {
    case 'synced':
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
      return waitWhenBusy
        ? null
        : { accountId, platform: result.platform, outcome: 'skipped', skippedReason: 'sync_in_progress' };
    default:
      return null;
  }
}

/** The account's sync, attempt after attempt, until it has a final result. */
export function syncOneAccount(options: AccountSyncOptions): Promise<SyncAccountResult> {
  return new AccountSyncLoop(options).run();
}

/** null: sync again (after any wait already taken); otherwise the account's final result. */
type Step = SyncAccountResult | null;

class AccountSyncLoop {
  private platform: Platform | undefined;
  /** The token was just refreshed (or found fresh): later attempts skip the expiry check. */
  private skipTokenCheck = false;
  /** TikTok gets one forced refresh per sync after an auth refusal. */
  private forcedRefreshDone = false;
  /** Platform calls of every attempt so far that reported them (a thrown attempt cannot). */
  private calls: AccountCalls = { profile: 0, media: 0 };
  /** Whether the next attempt needs a pacing turn of its own (see AccountSyncOptions.beforeRetry). */
  private nextNeedsTurn = true;
  /** The platform's own refusals of this account so far (429s, Meta's throttling codes). */
  private refusals = 0;

  constructor(private readonly options: AccountSyncOptions) {
    this.platform = options.platform;
  }

  async run(): Promise<SyncAccountResult> {
    const { options } = this;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (round > 0) await options.beforeRetry?.(this.platform, this.nextNeedsTurn);
      this.nextNeedsTurn = true;
      options.onStage?.('syncing', null);
      const result =
        round === 0 && options.first ? await this.fromBatch(options.first) : await this.attempt();
      if (result === null) continue;
      if ('outcome' in result) return result;
      if (result.platform && result.platform !== this.platform) {
        this.platform = result.platform;
        options.onPlatformKnown?.(result.platform);
      }
      const final = await this.handle(result);
      if (final) return final;
    }
    return this.final('failed', { errorCode: 'SYNC_GAVE_UP_WAITING' });
  }

  /** A batch item: an error the single activity may fix is retried after the first step of its backoff. */
  private async fromBatch(item: AttemptedBatchItem): Promise<SyncAttemptResult | SyncAccountResult | null> {
    if (item.kind !== 'error') return item;
    if (!item.retryable) return this.final('failed', { errorCode: item.errorCode });
    await sleep(SYNC_FIRST_RETRY_MS);
    return null;
  }

  private async attempt(): Promise<SyncAttemptResult | SyncAccountResult> {
    try {
      return await syncAccount({
        accountId: this.options.accountId,
        dueBefore: this.options.dueBefore,
        skipTokenCheck: this.skipTokenCheck || undefined,
      });
    } catch (error) {
      return this.final('failed', { errorCode: decodeFailure(error).code });
    }
  }

  private async handle(result: SyncAttemptResult): Promise<Step> {
    const settled = settledOutcome(result, this.options.accountId, this.options.waitWhenBusy);
    if (settled) {
      if (result.kind === 'synced') {
        this.calls = addCalls(this.calls, callsOf(result));
        this.options.onCalls?.(result.platform, this.calls);
      }
      return { ...settled, platform: settled.platform ?? this.platform };
    }
    switch (result.kind) {
      case 'busy':
        await this.wait(BUSY_RECHECK_MS);
        return null;
      case 'rate_limited':
        return this.handleRateLimited(result);
      case 'needs_token_refresh':
        return this.refreshBeforeSync(result.marginMinutes);
      case 'auth_revoked':
        return this.handleAuthRevoked(result.errorCode);
      default:
        throw new Error(`sync attempt result ${result.kind} has no next step`);
    }
  }

  private async handleRateLimited(
    result: Extract<SyncAttemptResult, { kind: 'rate_limited' }>,
  ): Promise<Step> {
    this.calls = addCalls(this.calls, callsOf(result));
    if (result.scope === 'platform' && this.options.onPlatformPaused) {
      this.options.onPlatformPaused(result.platform, result.waitMs);
      return null;
    }
    // A paused endpoint (a 429) or a throttled account: only this account waits, then resumes where it
    // stopped; the fleet keeps dispatching others, whose calls the budget's pause keys hold back as needed.
    if (result.waitMs > MAX_ACCOUNT_WAIT_MS && !this.options.waitWhenBusy)
      return this.final('failed', { errorCode: 'RATE_LIMITED' });
    let waitMs = result.waitMs;
    if (result.reason === 'platform_rate_limited')
      waitMs = Math.max(waitMs, rateLimitedAccountBackoffMs(++this.refusals));
    this.options.onThrottled?.(result.platform, waitMs);
    await this.wait(waitMs);
    this.nextNeedsTurn = false;
    return null;
  }

  /** The token expires within the just-in-time margin: refresh it through the serialised refresh path. */
  private async refreshBeforeSync(marginMinutes: number): Promise<Step> {
    this.options.onStage?.('refreshing_token', null);
    const refresh = await refreshAccountTokenDurably({
      accountId: this.options.accountId,
      trigger: 'jit',
      onlyIfExpiresWithinMinutes: marginMinutes,
    });
    if (refresh.outcome === 'reauth_required' || refresh.outcome === 'expired')
      return this.final('reauth_required', { errorCode: refresh.errorCode });
    // Refreshed, not due (someone just did it), or failed while the token still lives a few minutes: sync now.
    this.skipTokenCheck = true;
    return null;
  }

  /**
   * TikTok access tokens live hours and can die early: one forced refresh through the serialised refresh
   * path, then the sync again; still refused (or Instagram, whose token cannot be refreshed once invalid) ->
   * reauth_required and the owner notified.
   */
  private async handleAuthRevoked(errorCode: string): Promise<Step> {
    const { accountId } = this.options;
    if (this.platform === 'tiktok' && !this.forcedRefreshDone && errorCode !== 'TOKEN_MISSING') {
      this.forcedRefreshDone = true;
      this.options.onStage?.('refreshing_token', null);
      const refresh = await refreshAccountTokenDurably({ accountId, trigger: 'jit' });
      if (refresh.outcome === 'refreshed') {
        this.skipTokenCheck = true;
        return null;
      }
      if (refresh.outcome === 'reauth_required' || refresh.outcome === 'expired')
        return this.final('reauth_required', { errorCode: refresh.errorCode ?? errorCode });
      if (refresh.outcome === 'failed')
        return this.final('failed', { errorCode: refresh.errorCode ?? errorCode });
    }
    this.options.onStage?.('notifying', null);
    await notifyAccountReauthRequired(accountId, errorCode);
    return this.final('reauth_required', { errorCode });
  }

  private async wait(ms: number): Promise<void> {
    this.options.onStage?.('waiting_for_budget', new Date(Date.now() + ms).toISOString());
    await sleep(ms);
  }

  private final(
    outcome: SyncAccountResult['outcome'],
    fields: Omit<SyncAccountResult, 'accountId' | 'outcome' | 'platform'>,
  ): SyncAccountResult {
    return { accountId: this.options.accountId, platform: this.platform, outcome, ...fields };
  }
}

/** Results recorded by workers from before calls were reported carry none: they count as zero. */
export function callsOf(result: { calls?: AccountCalls }): AccountCalls {
  return result.calls ?? { profile: 0, media: 0 };
}
