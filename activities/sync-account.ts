import { expectedMediaCalls, SYNC_ENDPOINTS, type PacingSettings } from '../src/pacing/plan';
import type { SyncBudget } from '../src/pacing/redis-budget';
import { isPlatformError, type PlatformError } from '../src/platforms/errors';
import { toActivityFailure } from './platform-failure';
import type { Platform, PlatformClient, PlatformUsage, Profile } from '../src/platforms/types';
import type { AccountLease } from '../src/sync/account-lease';
import { computeEngagementRate } from '../src/sync/engagement';
import { loadAccountForSync, persistAccountSync, type AccountSyncRow } from '../src/sync/persist-sync';
import type { ActivityDeps } from './index';
import { checkBeforeCalls, metricLabels, safeErrorName } from './sync-account-rules';
import type { SyncAccountActivityInput, SyncAccountActivityResult } from './sync-types';

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

/** Who runs the sync: the lease owner (stable across retries) and a liveness signal. */
export interface SyncRunContext {
  owner: string;
  workflowId: string;
  heartbeat(stage: string): void;
}

export type AccountSyncer = (
  input: SyncAccountActivityInput,
  run: SyncRunContext,
) => Promise<SyncAccountActivityResult>;

/**
 * One account's sync: lease -> checks -> budget -> profile -> budget -> latest posts -> engagement -> one
 * transaction. Budgets are reserved per call phase and exactly: the media pages are counted from the
 * profile's media count (TikTok's video_count is the public videos video/list pages through), so what is
 * reserved is what is called. Decides nothing about waiting: a spent budget or a throttle comes back as a
 * result so the workflow waits on a durable timer, holding no worker slot; transient errors throw.
 * Temporal-free, so the benchmark's plain-Node baseline runs exactly this code.
 */
export function createAccountSyncer(deps: SyncAccountDeps): AccountSyncer {
  const now = deps.now ?? (() => new Date());

  return async function syncAccountOnce(input, run) {
    const started = Date.now();
    const log = deps.logger.child({ workflowId: run.workflowId, accountId: input.accountId });
    if (!(await deps.lease.acquire(input.accountId, run.owner, SYNC_LEASE_TTL_MS))) {
      const account = await loadAccountForSync(deps.orm.em.getKnex(), input.accountId);
      return count(
        account
          ? { kind: 'busy', platform: account.platform }
          : { kind: 'skipped', platform: null, reason: 'not_found' },
      );
    }
    try {
      const account = await loadAccountForSync(deps.orm.em.getKnex(), input.accountId);
      const early = checkBeforeCalls(account, input, now(), deps.config.refresh.jitMarginMinutes);
      if (early) return count(early);
      const result = await fetchAndStore(account!, run);
      if (result.kind === 'synced') {
        deps.metrics.syncDuration.observe({ platform: result.platform }, (Date.now() - started) / 1000);
        log.info({ platform: result.platform, postsSynced: result.postsSynced }, 'account synced');
      }
      return count(result);
    } catch (error) {
      return count(handleFailure(error, log));
    } finally {
      await deps.lease.release(input.accountId, run.owner).catch(() => undefined);
    }
  };

  async function fetchAndStore(
    account: AccountSyncRow,
    run: SyncRunContext,
  ): Promise<SyncAccountActivityResult> {
    const { platform } = account;
    const client = deps.platforms[platform];
    const endpoints = SYNC_ENDPOINTS[platform];
    const profileBudget = await reserve(platform, endpoints.profile, 1);
    if (profileBudget) return profileBudget;
    const accessToken = deps.cipher.decrypt(account.accessTokenEnc!);
    const profile = await countCall(platform, 'profile', () => client.getProfile(accessToken));
    run.heartbeat('profile');
    const mediaCalls = expectedMediaCalls(platform, deps.pacing.postsLimit, profile.value.mediaCount);
    const mediaBudget = await reserve(platform, endpoints.media, mediaCalls);
    if (mediaBudget) return mediaBudget;
    const media = await countCall(platform, 'media', () =>
      client.listRecentMedia(accessToken, deps.pacing.postsLimit),
    );
    run.heartbeat('media');
    return store(account, platform, profile.value, media.value, media.usage ?? profile.usage, mediaCalls);
  }

  async function store(
    account: AccountSyncRow,
    platform: Platform,
    profile: Profile,
    media: Awaited<ReturnType<PlatformClient['listRecentMedia']>>['value'],
    usage: PlatformUsage | null,
    mediaCalls: number,
  ): Promise<SyncAccountActivityResult> {
    const engagementRate = computeEngagementRate(media, profile.followers);
    await persistAccountSync(deps.orm.em.getKnex(), {
      accountId: account.id,
      profile,
      media,
      engagementRate,
      syncedAt: now(),
    });
    await slowDownWhenUsageHigh(platform, usage);
    return {
      kind: 'synced',
      platform,
      postsSynced: media.length,
      followers: profile.followers,
      engagementRate,
      usagePercent: usage?.maxPercent ?? null,
      calls: { profile: 1, media: mediaCalls },
    };
  }

  /** null when granted; otherwise the rate_limited result to hand back. */
  async function reserve(
    platform: Platform,
    endpoint: string,
    calls: number,
  ): Promise<SyncAccountActivityResult | null> {
    const decision = await deps.budget.reserve(platform, [{ endpoint, calls }]);
    if (decision.granted) return null;
    return {
      kind: 'rate_limited',
      platform,
      waitMs: decision.waitMs,
      scope: 'platform',
      reason: decision.reason,
    };
  }

  async function countCall<T>(
    platform: Platform,
    endpoint: 'profile' | 'media',
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      const result = await call();
      deps.metrics.platformCalls.inc({ platform, endpoint, outcome: 'ok' });
      return result;
    } catch (error) {
      deps.metrics.platformCalls.inc({
        platform,
        endpoint,
        outcome: isPlatformError(error) ? error.kind : 'error',
      });
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
    if (appPeak >= threshold)
      await deps.budget.pausePlatform('instagram', Math.max(USAGE_PAUSE_MS, regainMs));
  }

  function handleFailure(error: unknown, log: ActivityDeps['logger']): SyncAccountActivityResult {
    if (!isPlatformError(error)) {
      log.warn({ err: safeErrorName(error) }, 'account sync failed');
      // An undecryptable token becomes non-retryable there; a database hiccup stays retryable.
      throw failed(error, 'unknown', safeErrorName(error));
    }
    log.warn({ error: error.toJSON() }, 'platform call failed during sync');
    if (error.kind === 'auth_revoked' || error.kind === 'permission_missing')
      return { kind: 'auth_revoked', platform: error.platform, errorCode: error.code };
    if (error.kind === 'rate_limited') return rateLimitedResult(error);
    // Transient: retried with backoff; invalid_request: our bug, not retried (the one mapping, habit 6).
    throw failed(error, error.platform, error.code);
  }

  /** A failed attempt is thrown, not returned: counted here (the alert on outcome="failed"), then mapped. */
  function failed(error: unknown, platform: string, reason: string): unknown {
    deps.metrics.syncAccounts.inc({ platform, outcome: 'failed', reason });
    return toActivityFailure(error);
  }

  function rateLimitedResult(error: PlatformError): SyncAccountActivityResult {
    const platformWide = error.platform === 'tiktok' || INSTAGRAM_APP_RATE_LIMIT_CODES.has(error.code);
    const waitMs =
      error.retryAfterMs ?? (error.platform === 'tiktok' ? TIKTOK_RATE_LIMIT_WAIT_MS : USAGE_PAUSE_MS);
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
    const [outcome, reason] = metricLabels(result);
    deps.metrics.syncAccounts.inc({ platform: result.platform ?? 'unknown', outcome, reason });
    return result;
  }
}
