import type { Knex } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { readAccount, type AccountRow } from '../accounts/store';
import type { TokenCipher } from '../crypto/token-cipher';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import { isPlatformError, type PlatformError } from '../platforms/errors';
import type { MediaItem, Platform, PlatformClient, PlatformUsage, Profile } from '../platforms/types';
import type { SyncBudget } from './budget';
import { computeEngagementRate } from './engagement';
import type { AccountLease } from './lease';
import { expectedMediaCalls, SYNC_ENDPOINTS, type AccountCalls, type PacingSettings } from './pacing';
import { persistAccountSync } from './persist';

/**
 * One account's sync attempt, Temporal-free (the benchmark's plain-Node baseline runs exactly this code):
 * lease -> checks -> budget -> profile -> budget -> latest posts -> engagement -> one transaction.
 * Budgets are reserved per call phase and exactly: the media pages are counted from the profile's media count
 * (TikTok's video_count is the public videos video/list pages through), so what is reserved is what is
 * called. It decides nothing about waiting: a spent budget or a throttle comes back as a result, so the
 * workflow waits on a durable timer and holds no worker slot; a transient error is thrown for the caller's
 * retry policy.
 */

/** Longer than the activity's 2-minute start-to-close timeout, so a live attempt never loses its lease. */
export const SYNC_LEASE_TTL_MS = 150_000;
/** TikTok sends no Retry-After on 429 (docs/platforms.md#tiktok-rate-limits): its window is a sliding minute. */
const TIKTOK_RATE_LIMIT_WAIT_MS = 60_000;
/** Meta publishes no time for X-App-Usage; usage is a rolling hour, re-read after a minute's pause. */
const USAGE_PAUSE_MS = 60_000;
/** Meta's app-level throttle; 17, 80002... are per user (BUC) and only slow that one account. */
const INSTAGRAM_APP_RATE_LIMIT_CODES = new Set(['IG_4']);

export interface AccountSyncDeps {
  db: Knex;
  cipher: TokenCipher;
  platforms: Record<Platform, PlatformClient>;
  budget: SyncBudget;
  lease: AccountLease;
  pacing: PacingSettings;
  metrics: Pick<WorkerMetrics, 'syncAccounts' | 'syncDuration' | 'platformCalls'>;
  logger: Logger;
  now: () => Date;
  /** REFRESH_JIT_MARGIN_MINUTES: a token expiring sooner is refreshed before the sync. */
  jitMarginMinutes: number;
  /** INSTAGRAM_USAGE_SLOWDOWN_PERCENT: app-wide usage at or past it pauses every Instagram sync. */
  instagramUsageSlowdownPercent: number;
}

export interface SyncAttemptInput {
  accountId: string;
  /** Fleet runs: an account synced at or after this instant (by anyone) is skipped as recently synced. */
  dueBefore?: string;
  /** Set after a just-in-time refresh was tried, so an expiring token does not ask for it again. */
  skipTokenCheck?: boolean;
}

export type SyncAttemptResult =
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

/** Who runs the sync: the lease owner (stable across retries) and a liveness signal. */
export interface SyncRun {
  owner: string;
  workflowId: string;
  heartbeat(stage: string): void;
}

export async function syncAccountOnce(
  deps: AccountSyncDeps,
  input: SyncAttemptInput,
  run: SyncRun,
): Promise<SyncAttemptResult> {
  const started = Date.now();
  const log = deps.logger.child({ workflowId: run.workflowId, accountId: input.accountId });
  const count = (result: SyncAttemptResult) => countOutcome(deps, result);
  if (!(await deps.lease.acquire(input.accountId, run.owner, SYNC_LEASE_TTL_MS))) {
    const account = await readAccount(deps.db, input.accountId);
    return count(
      account
        ? { kind: 'busy', platform: account.platform }
        : { kind: 'skipped', platform: null, reason: 'not_found' },
    );
  }
  try {
    const account = await readAccount(deps.db, input.accountId);
    const early = checkBeforeCalls(account, input, deps.now(), deps.jitMarginMinutes);
    if (early) return count(early);
    const result = await fetchAndStore(deps, account!, run);
    if (result.kind === 'synced') {
      deps.metrics.syncDuration.observe({ platform: result.platform }, (Date.now() - started) / 1000);
      log.info({ platform: result.platform, postsSynced: result.postsSynced }, 'account synced');
    }
    return count(result);
  } catch (error) {
    return count(resultOfFailure(deps, error, log));
  } finally {
    await deps.lease.release(input.accountId, run.owner).catch(() => undefined);
  }
}

/** The checks that need no platform call; null when the account should be synced now. */
export function checkBeforeCalls(
  account: AccountRow | null,
  input: SyncAttemptInput,
  at: Date,
  marginMinutes: number,
): SyncAttemptResult | null {
  if (!account) return { kind: 'skipped', platform: null, reason: 'not_found' };
  const { platform } = account;
  if (account.status !== 'active') return { kind: 'skipped', platform, reason: 'not_active' };
  if (input.dueBefore && account.lastSyncedAt && account.lastSyncedAt >= new Date(input.dueBefore))
    return { kind: 'skipped', platform, reason: 'recently_synced' };
  if (!account.accessTokenEnc) return { kind: 'auth_revoked', platform, errorCode: 'TOKEN_MISSING' };
  const expiresSoon =
    account.accessExpiresAt !== null &&
    account.accessExpiresAt.getTime() - at.getTime() <= marginMinutes * 60_000;
  if (expiresSoon && !input.skipTokenCheck) return { kind: 'needs_token_refresh', platform, marginMinutes };
  return null;
}

async function fetchAndStore(
  deps: AccountSyncDeps,
  account: AccountRow,
  run: SyncRun,
): Promise<SyncAttemptResult> {
  const { platform } = account;
  const client = deps.platforms[platform];
  const endpoints = SYNC_ENDPOINTS[platform];
  const profileBudget = await reserve(deps, platform, endpoints.profile, 1);
  if (profileBudget) return profileBudget;
  const accessToken = deps.cipher.decrypt(account.accessTokenEnc!);
  const profile = await countCall(deps, platform, 'profile', () => client.getProfile(accessToken));
  run.heartbeat('profile');
  const mediaCalls = expectedMediaCalls(platform, deps.pacing.postsLimit, profile.value.mediaCount);
  const mediaBudget = await reserve(deps, platform, endpoints.media, mediaCalls);
  if (mediaBudget) return mediaBudget;
  const media = await countCall(deps, platform, 'media', () =>
    client.listRecentMedia(accessToken, deps.pacing.postsLimit),
  );
  run.heartbeat('media');
  return store(deps, account, profile.value, media.value, media.usage ?? profile.usage, mediaCalls);
}

async function store(
  deps: AccountSyncDeps,
  account: AccountRow,
  profile: Profile,
  media: MediaItem[],
  usage: PlatformUsage | null,
  mediaCalls: number,
): Promise<SyncAttemptResult> {
  const engagementRate = computeEngagementRate(media, profile.followers);
  await persistAccountSync(deps.db, {
    accountId: account.id,
    profile,
    media,
    engagementRate,
    syncedAt: deps.now(),
  });
  await slowDownWhenUsageHigh(deps, account.platform, usage);
  return {
    kind: 'synced',
    platform: account.platform,
    postsSynced: media.length,
    followers: profile.followers,
    engagementRate,
    usagePercent: usage?.maxPercent ?? null,
    calls: { profile: 1, media: mediaCalls },
  };
}

/** null when granted; otherwise the rate_limited result to hand back. */
async function reserve(
  deps: AccountSyncDeps,
  platform: Platform,
  endpoint: string,
  calls: number,
): Promise<SyncAttemptResult | null> {
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
  deps: AccountSyncDeps,
  platform: Platform,
  endpoint: 'profile' | 'media',
  call: () => Promise<T>,
): Promise<T> {
  try {
    const result = await call();
    deps.metrics.platformCalls.inc({ platform, endpoint, outcome: 'ok' });
    return result;
  } catch (error) {
    const outcome = isPlatformError(error) ? error.kind : 'error';
    deps.metrics.platformCalls.inc({ platform, endpoint, outcome });
    throw error;
  }
}

/** Instagram usage at or past INSTAGRAM_USAGE_SLOWDOWN_PERCENT (90): app-wide usage pauses every worker. */
async function slowDownWhenUsageHigh(
  deps: AccountSyncDeps,
  platform: Platform,
  usage: PlatformUsage | null,
): Promise<void> {
  const threshold = deps.instagramUsageSlowdownPercent;
  if (platform !== 'instagram' || !usage || usage.maxPercent < threshold) return;
  const app = usage.appUsage;
  const appPeak = app ? Math.max(app.callCount, app.totalTime, app.totalCputime) : 0;
  const regainMs = (usage.businessUseCase?.regainAccessSeconds ?? 0) * 1000;
  if (appPeak >= threshold) await deps.budget.pausePlatform('instagram', Math.max(USAGE_PAUSE_MS, regainMs));
}

/**
 * A revoked token and a throttle are results; anything else is thrown again for the caller's retry policy
 * (transient platform errors, database errors) or to fail the attempt (our own invalid request, an
 * undecryptable token), counted first as outcome="failed" (the series operators alert on).
 */
function resultOfFailure(deps: AccountSyncDeps, error: unknown, log: Logger): SyncAttemptResult {
  if (!isPlatformError(error)) {
    const name = error instanceof Error ? error.name : typeof error;
    log.warn({ err: name }, 'account sync failed');
    deps.metrics.syncAccounts.inc({ platform: 'unknown', outcome: 'failed', reason: name });
    throw error;
  }
  log.warn({ error: error.toJSON() }, 'platform call failed during sync');
  if (error.kind === 'auth_revoked' || error.kind === 'permission_missing')
    return { kind: 'auth_revoked', platform: error.platform, errorCode: error.code };
  if (error.kind === 'rate_limited') return rateLimitedResult(deps, error);
  deps.metrics.syncAccounts.inc({ platform: error.platform, outcome: 'failed', reason: error.code });
  throw error;
}

function rateLimitedResult(deps: AccountSyncDeps, error: PlatformError): SyncAttemptResult {
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

function countOutcome(deps: AccountSyncDeps, result: SyncAttemptResult): SyncAttemptResult {
  const [outcome, reason] = metricLabels(result);
  deps.metrics.syncAccounts.inc({ platform: result.platform ?? 'unknown', outcome, reason });
  return result;
}

function metricLabels(result: SyncAttemptResult): [string, string] {
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
