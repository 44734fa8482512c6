import { ApplicationFailure, Context } from '@temporalio/activity';
import { callsPerAccount, type PacingSettings } from '../src/pacing/plan';
import type { SyncBudget } from '../src/pacing/redis-budget';
import { isPlatformError, type PlatformError } from '../src/platforms/errors';
import type { MediaItem, Platform, PlatformClient, PlatformUsage, Profile } from '../src/platforms/types';
import type { AccountLease } from '../src/sync/account-lease';
import { computeEngagementRate } from '../src/sync/engagement';
import { loadAccountForSync, persistAccountSync, type AccountSyncRow } from '../src/sync/persist-sync';
import type { ActivityDeps } from './index';
import {
  SYNC_FAILURE_TYPES,
  type SyncAccountActivityInput,
  type SyncAccountActivityResult,
  type SyncFailureDetails,
} from './sync-types';

/** Longer than the activity's 2-minute start-to-close timeout, so a live attempt never loses its lease. */
export const SYNC_LEASE_TTL_MS = 150_000;
/** TikTok sends no Retry-After on 429 (contract 2.8): its window is a sliding minute. */
const TIKTOK_RATE_LIMIT_WAIT_MS = 60_000;
/** Meta publishes no time for X-App-Usage; usage is a rolling hour, re-read after a minute's pause. */
const USAGE_PAUSE_MS = 60_000;
/** Meta's app-level throttle; 17, 80002... are per user (BUC) and only slow that one account. */
const INSTAGRAM_APP_RATE_LIMIT_CODES = new Set(['IG_4']);

export interface SyncAccountDeps extends ActivityDeps {
  budget: SyncBudget;
  lease: AccountLease;
  pacing: PacingSettings;
}

interface FetchedAccount {
  profile: Profile;
  media: MediaItem[];
  usage: PlatformUsage | null;
}

/**
 * One account's sync: lease -> checks -> budget -> profile -> latest posts -> engagement -> one transaction.
 * Decides nothing about waiting: budget and throttling come back as results so the workflow waits with a
 * durable timer and holds no worker slot; only transient platform errors throw (Temporal retries them).
 */
export function createSyncAccountActivity(deps: SyncAccountDeps) {
  const now = deps.now ?? (() => new Date());

  return async function syncAccount(input: SyncAccountActivityInput): Promise<SyncAccountActivityResult> {
    const info = Context.current().info;
    const workflowId = info.workflowExecution?.workflowId ?? 'standalone';
    const owner = `${workflowId}/${info.activityId}`;
    const started = Date.now();
    const log = deps.logger.child({ workflowId, accountId: input.accountId });
    if (!(await deps.lease.acquire(input.accountId, owner, SYNC_LEASE_TTL_MS))) {
      const account = await loadAccountForSync(deps.orm.em.getKnex(), input.accountId);
      return count({ kind: 'busy', platform: account?.platform ?? 'instagram' });
    }
    try {
      const account = await loadAccountForSync(deps.orm.em.getKnex(), input.accountId);
      const early = checkBeforeCalls(account, input, now(), deps.config.refresh.jitMarginMinutes);
      if (early) return count(early);
      const { platform } = account!;
      const decision = await deps.budget.reserve(platform, callsPerAccount(platform, deps.pacing.postsLimit));
      if (!decision.granted)
        return count({ kind: 'rate_limited', platform, waitMs: decision.waitMs, scope: 'platform', reason: decision.reason });
      const result = await fetchAndStore(account!, platform);
      deps.metrics.syncDuration.observe({ platform }, (Date.now() - started) / 1000);
      log.info({ platform, postsSynced: result.kind === 'synced' ? result.postsSynced : 0 }, 'account synced');
      return count(result);
    } catch (error) {
      return count(handleFailure(error, log));
    } finally {
      await deps.lease.release(input.accountId, owner).catch(() => undefined);
    }
  };

  async function fetchAndStore(account: AccountSyncRow, platform: Platform): Promise<SyncAccountActivityResult> {
    const accessToken = deps.cipher.decrypt(account.accessTokenEnc!);
    const fetched = await fetchAccount(deps.platforms[platform], accessToken, deps.config.sync.postsLimit);
    const engagementRate = computeEngagementRate(fetched.media, fetched.profile.followers);
    await persistAccountSync(deps.orm.em.getKnex(), {
      accountId: account.id,
      profile: fetched.profile,
      media: fetched.media,
      engagementRate,
      syncedAt: now(),
    });
    const usagePercent = fetched.usage?.maxPercent ?? null;
    await slowDownWhenUsageHigh(platform, fetched.usage);
    return {
      kind: 'synced',
      platform,
      postsSynced: fetched.media.length,
      followers: fetched.profile.followers,
      engagementRate,
      usagePercent,
    };
  }

  async function fetchAccount(client: PlatformClient, accessToken: string, limit: number): Promise<FetchedAccount> {
    const platform = client.platform;
    const profile = await countCall(platform, 'profile', () => client.getProfile(accessToken));
    Context.current().heartbeat('profile');
    const media = await countCall(platform, 'media', () => client.listRecentMedia(accessToken, limit));
    Context.current().heartbeat('media');
    return { profile: profile.value, media: media.value, usage: media.usage ?? profile.usage };
  }

  async function countCall<T>(platform: Platform, endpoint: 'profile' | 'media', call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      deps.metrics.platformCalls.inc({ platform, endpoint, outcome: 'ok' });
      return result;
    } catch (error) {
      deps.metrics.platformCalls.inc({ platform, endpoint, outcome: isPlatformError(error) ? error.kind : 'error' });
      throw error;
    }
  }

  /** Instagram usage at or past INSTAGRAM_USAGE_SLOWDOWN_PERCENT (90): app-wide usage pauses every worker. */
  async function slowDownWhenUsageHigh(platform: Platform, usage: PlatformUsage | null): Promise<void> {
    const threshold = deps.config.sync.instagramUsageSlowdownPercent;
    if (platform !== 'instagram' || !usage || usage.maxPercent < threshold) return;
    const app = usage.appUsage;
    const appPeak = app ? Math.max(app.callCount, app.totalTime, app.totalCputime) : 0;
    const regainMs = (usage.businessUseCase?.regainAccessSeconds ?? 0) * 1000;
    if (appPeak >= threshold) await deps.budget.pausePlatform('instagram', Math.max(USAGE_PAUSE_MS, regainMs));
  }

  function handleFailure(error: unknown, log: ActivityDeps['logger']): SyncAccountActivityResult {
    if (!isPlatformError(error)) {
      log.warn({ err: safeErrorName(error) }, 'account sync failed');
      // A token that no key decrypts will not decrypt on a retry either.
      if (safeErrorName(error) === 'TokenCipherError') throw permanentFailure('TOKEN_UNREADABLE', 'stored token cannot be decrypted');
      throw error;
    }
    log.warn({ error: error.toJSON() }, 'platform call failed during sync');
    if (error.kind === 'auth_revoked' || error.kind === 'permission_missing')
      return { kind: 'auth_revoked', platform: error.platform, errorCode: error.code };
    if (error.kind === 'rate_limited') return rateLimitedResult(error);
    throw toApplicationFailure(error);
  }

  function rateLimitedResult(error: PlatformError): SyncAccountActivityResult {
    const platformWide = error.platform === 'tiktok' || INSTAGRAM_APP_RATE_LIMIT_CODES.has(error.code);
    const waitMs = error.retryAfterMs ?? (error.platform === 'tiktok' ? TIKTOK_RATE_LIMIT_WAIT_MS : USAGE_PAUSE_MS);
    if (platformWide) void deps.budget.pausePlatform(error.platform, waitMs).catch(() => undefined);
    return {
      kind: 'rate_limited',
      platform: error.platform,
      waitMs,
      scope: platformWide ? 'platform' : 'account',
      reason: 'platform_rate_limited',
    };
  }

  function count(result: SyncAccountActivityResult): SyncAccountActivityResult {
    const platform = result.platform ?? 'unknown';
    const [outcome, reason] = metricLabels(result);
    deps.metrics.syncAccounts.inc({ platform, outcome, reason });
    return result;
  }
}

/** The checks that need no platform call; null when the account should be synced now. */
function checkBeforeCalls(
  account: AccountSyncRow | null,
  input: SyncAccountActivityInput,
  at: Date,
  marginMinutes: number,
): SyncAccountActivityResult | null {
  if (!account) return { kind: 'skipped', platform: null, reason: 'not_found' };
  const { platform } = account;
  if (account.status !== 'active') return { kind: 'skipped', platform, reason: 'not_active' };
  if (input.dueBefore && account.lastSyncedAt && account.lastSyncedAt >= new Date(input.dueBefore))
    return { kind: 'skipped', platform, reason: 'recently_synced' };
  if (!account.accessTokenEnc) return { kind: 'auth_revoked', platform, errorCode: 'TOKEN_MISSING' };
  const expiresSoon =
    account.accessExpiresAt !== null && account.accessExpiresAt.getTime() - at.getTime() <= marginMinutes * 60_000;
  if (expiresSoon && !input.skipTokenCheck) return { kind: 'needs_token_refresh', platform, marginMinutes };
  return null;
}

function metricLabels(result: SyncAccountActivityResult): [string, string] {
  switch (result.kind) {
    case 'synced':
      return ['synced', ''];
    case 'skipped':
      return ['skipped', result.reason];
    case 'busy':
      return ['skipped', 'sync_in_progress'];
    case 'auth_revoked':
      return ['reauth_required', result.errorCode];
    case 'rate_limited':
      return ['deferred', result.reason];
    case 'needs_token_refresh':
      return ['deferred', 'token_refresh'];
  }
}

/** Transient errors are retried by Temporal's policy; anything else is a bug or a bad account: no retry. */
function toApplicationFailure(error: PlatformError): ApplicationFailure {
  const details: SyncFailureDetails = { errorCode: error.code };
  return ApplicationFailure.create({
    type: error.kind === 'transient' ? SYNC_FAILURE_TYPES.transient : SYNC_FAILURE_TYPES.permanent,
    message: error.message,
    nonRetryable: error.kind !== 'transient',
    details: [details],
  });
}

function permanentFailure(errorCode: string, message: string): ApplicationFailure {
  const details: SyncFailureDetails = { errorCode };
  return ApplicationFailure.create({ type: SYNC_FAILURE_TYPES.permanent, message, nonRetryable: true, details: [details] });
}

function safeErrorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
