import type { Knex } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { readAccount, type AccountRow } from '../accounts/store';
import type { TokenCipher } from '../crypto/token-cipher';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import { isPlatformError, type PlatformError } from '../platforms/errors';
import type { MediaItem, Platform, PlatformClient, PlatformUsage, Profile } from '../platforms/types';
import type { BudgetDecision, BudgetRefusalReason, SyncBudget } from './budget';
import { computeEngagementRate } from './engagement';
import type { AccountLease } from './lease';
import {
  expectedMediaCalls,
  SYNC_ENDPOINTS,
  type AccountCalls,
  type EndpointKind,
  type PacingSettings,
} from './pacing';
import { persistAccountSync } from './persist';
import type { ProfileStash } from './profile-stash';

/**
 * One account's sync attempt, Temporal-free (the benchmark's plain-Node baseline runs exactly this code):
 * lease -> checks -> [budget -> profile] -> budget -> latest posts -> engagement -> one transaction.
 * Every platform call is charged to the shared budget before it is made: the profile call, then the media
 * pages the profile's media count needs (full pages), then, page by page, any page a platform's short pages
 * make necessary beyond that. The result reports the calls made, which is what the account cost. It decides
 * nothing about waiting: a spent budget, a pause or a 429 comes back as a result, so the workflow waits on a
 * durable timer and holds no worker slot; a transient error is thrown for the caller's retry policy. A
 * profile already read survives a refused media call (profile-stash.ts): the next attempt resumes at the
 * media.
 */

/** Longer than the activity's 2-minute start-to-close timeout, so a live attempt never loses its lease. */
export const SYNC_LEASE_TTL_MS = 150_000;
/** Meta publishes no time for X-App-Usage; usage is a rolling hour, re-read after a minute's pause. */
const USAGE_PAUSE_MS = 60_000;
/** Meta's app-level throttle (docs/platforms.md#instagram-errors); 17, 32, 613, 80002... throttle one account. */
const INSTAGRAM_APP_RATE_LIMIT_CODE = 4;

export interface AccountSyncDeps {
  db: Knex;
  cipher: TokenCipher;
  platforms: Record<Platform, PlatformClient>;
  budget: SyncBudget;
  lease: AccountLease;
  /** Where a profile read before a refused media call waits for the next attempt. */
  profiles: ProfileStash;
  pacing: PacingSettings;
  metrics: Pick<WorkerMetrics, 'syncAccounts' | 'syncDuration' | 'platformCalls'>;
  logger: Logger;
  now: () => Date;
  /** REFRESH_JIT_MARGIN_MINUTES: a token expiring sooner is refreshed before the sync. */
  jitMarginMinutes: number;
  /** INSTAGRAM_USAGE_SLOWDOWN_PERCENT: app-wide usage at or past it pauses every Instagram sync. */
  instagramUsageSlowdownPercent: number;
}

export type RateLimitScope = 'platform' | 'endpoint' | 'account';

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
      /** Platform calls this attempt made (each charged to the budget first): the fleet paces on them. */
      calls: AccountCalls;
    }
  | { kind: 'skipped'; platform: Platform | null; reason: 'not_found' | 'not_active' | 'recently_synced' }
  /** Another sync (fleet or on demand) holds this account right now. */
  | { kind: 'busy'; platform: Platform }
  /** The access token expires within the just-in-time margin: refresh it first (workflow side). */
  | { kind: 'needs_token_refresh'; platform: Platform; marginMinutes: number }
  /**
   * Wait `waitMs`, then try again. `platform` scope: a shared budget is spent or the platform throttles the
   * whole app, so every sync of that platform should wait; `endpoint` scope: one endpoint answered 429 and
   * is paused (every sync needs both endpoints, so the fleet holds its dispatches too); `account` scope: only
   * this account is throttled. `calls`: what this attempt made before it stopped.
   */
  | {
      kind: 'rate_limited';
      platform: Platform;
      waitMs: number;
      scope: RateLimitScope;
      reason: BudgetRefusalReason | 'platform_rate_limited';
      calls: AccountCalls;
    }
  /** The platform refused the token (revoked, expired, scope withdrawn). */
  | { kind: 'auth_revoked'; platform: Platform; errorCode: string };

/** Who runs the sync: the lease owner (stable across retries) and a liveness signal. */
export interface SyncRun {
  owner: string;
  workflowId: string;
  heartbeat(stage: string): void;
  /**
   * The sync's first attempt at this account: no earlier attempt can have stashed its profile, so the stash
   * is not read (one Redis round trip per account of a fleet, whose first attempts are nearly all of them).
   */
  firstAttempt?: boolean;
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
    const result = await new AccountAttempt(deps, account!, run, log).fetchAndStore();
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

/** Thrown by the media listing's page hook when the budget has no call left for one more page. */
class BudgetRefused extends Error {
  constructor(readonly decision: Extract<BudgetDecision, { granted: false }>) {
    super(`budget refused: ${decision.reason}`);
  }
}

/** One attempt's platform calls, counted as they are charged, so every result can say what it cost. */
class AccountAttempt {
  private readonly calls: AccountCalls = { profile: 0, media: 0 };
  private readonly platform: Platform;
  private readonly endpoints: (typeof SYNC_ENDPOINTS)[Platform];

  constructor(
    private readonly deps: AccountSyncDeps,
    private readonly account: AccountRow,
    private readonly run: SyncRun,
    private readonly log: Logger,
  ) {
    this.platform = account.platform;
    this.endpoints = SYNC_ENDPOINTS[account.platform];
  }

  async fetchAndStore(): Promise<SyncAttemptResult> {
    const { deps, account } = this;
    const client = deps.platforms[this.platform];
    const accessToken = deps.cipher.decrypt(account.accessTokenEnc!);
    const kept = this.run.firstAttempt ? null : await deps.profiles.read(account.id);
    let profile: Profile;
    let usage: PlatformUsage | null = null;
    if (kept) {
      profile = kept;
    } else {
      const refused = await this.charge('profile', 1);
      if (refused) return this.waitResult(refused);
      try {
        const reply = await this.countCalls('profile', 1, () => client.getProfile(accessToken));
        profile = reply.value;
        usage = reply.usage;
      } catch (error) {
        return this.throttledOrThrow(error);
      }
      this.run.heartbeat('profile');
    }
    let media: Awaited<ReturnType<PlatformClient['listRecentMedia']>>;
    try {
      media = await this.listMedia(client, accessToken, profile);
    } catch (error) {
      // Resume, don't redo: whatever stopped the media calls, the next attempt starts from this profile.
      if (!kept) await deps.profiles.save(account.id, profile);
      if (error instanceof BudgetRefused) return this.waitResult(error.decision);
      return this.throttledOrThrow(error);
    }
    this.run.heartbeat('media');
    const result = await this.store(profile, media.value, media.usage ?? usage);
    if (kept) await deps.profiles.clear(account.id);
    return result;
  }

  /**
   * The media pages the profile's count needs are charged together; a page beyond them (short pages) is
   * charged on its own before it is asked for, and when the budget has none left the listing stops.
   */
  private async listMedia(client: PlatformClient, accessToken: string, profile: Profile) {
    const { postsLimit } = this.deps.pacing;
    let charged = expectedMediaCalls(this.platform, postsLimit, profile.mediaCount);
    const refused = await this.charge('media', charged);
    if (refused) throw new BudgetRefused(refused);
    let made = 0;
    const beforePage = async () => {
      if (made >= charged) {
        const more = await this.charge('media', 1);
        if (more) throw new BudgetRefused(more);
        charged++;
      }
      made++;
      this.calls.media++;
    };
    try {
      const reply = await client.listRecentMedia(accessToken, postsLimit, { beforePage });
      this.countMetric('media', made, 'ok');
      return reply;
    } catch (error) {
      // A refused charge stops the listing before its page is asked for: every page made answered. A failed
      // page is the last one made.
      if (error instanceof BudgetRefused) this.countMetric('media', made, 'ok');
      else if (made > 0) {
        this.countMetric('media', made - 1, 'ok');
        this.countMetric('media', 1, outcomeOf(error));
      }
      throw error;
    }
  }

  /** A platform's 429 becomes a wait with this attempt's calls; anything else goes to resultOfFailure. */
  private throttledOrThrow(error: unknown): Promise<SyncAttemptResult> {
    if (isPlatformError(error) && error.kind === 'rate_limited') {
      this.log.warn({ error: error.toJSON() }, 'platform call failed during sync');
      return rateLimitedResult(this.deps, error, this.account.id, this.calls);
    }
    throw error;
  }

  /** null when the calls are charged; otherwise the refusal. */
  private async charge(kind: EndpointKind, calls: number) {
    const decision = await this.deps.budget.reserve(
      this.platform,
      [{ endpoint: this.endpoints[kind], calls }],
      this.account.id,
    );
    return decision.granted ? null : decision;
  }

  private async countCalls<T>(kind: EndpointKind, calls: number, call: () => Promise<T>): Promise<T> {
    this.calls[kind] += calls;
    try {
      const result = await call();
      this.countMetric(kind, calls, 'ok');
      return result;
    } catch (error) {
      this.countMetric(kind, calls, outcomeOf(error));
      throw error;
    }
  }

  private countMetric(kind: EndpointKind, calls: number, outcome: string): void {
    if (calls > 0)
      this.deps.metrics.platformCalls.inc({ platform: this.platform, endpoint: kind, outcome }, calls);
  }

  private waitResult(refusal: Extract<BudgetDecision, { granted: false }>): SyncAttemptResult {
    return {
      kind: 'rate_limited',
      platform: this.platform,
      waitMs: refusal.waitMs,
      scope: scopeOfRefusal(refusal.reason),
      reason: refusal.reason,
      calls: { ...this.calls },
    };
  }

  private async store(profile: Profile, media: MediaItem[], usage: PlatformUsage | null) {
    const { deps, account } = this;
    const engagementRate = computeEngagementRate(media, profile.followers);
    await persistAccountSync(deps.db, {
      accountId: account.id,
      profile,
      media,
      engagementRate,
      syncedAt: deps.now(),
    });
    await slowDownWhenUsageHigh(deps, account, usage);
    return {
      kind: 'synced' as const,
      platform: account.platform,
      postsSynced: media.length,
      followers: profile.followers,
      engagementRate,
      usagePercent: usage?.maxPercent ?? null,
      calls: { ...this.calls },
    };
  }
}

function scopeOfRefusal(reason: BudgetRefusalReason): RateLimitScope {
  if (reason === 'endpoint_paused') return 'endpoint';
  if (reason === 'account_paused') return 'account';
  return 'platform';
}

function outcomeOf(error: unknown): string {
  return isPlatformError(error) ? error.kind : 'error';
}

/**
 * Usage at or past INSTAGRAM_USAGE_SLOWDOWN_PERCENT (90) slows down before Meta has to refuse: app usage
 * pauses every Instagram sync, an account's business-use-case usage pauses that account, for a minute or
 * Meta's regain time, whichever is longer.
 */
async function slowDownWhenUsageHigh(
  deps: AccountSyncDeps,
  account: AccountRow,
  usage: PlatformUsage | null,
): Promise<void> {
  const threshold = deps.instagramUsageSlowdownPercent;
  if (account.platform !== 'instagram' || !usage || usage.maxPercent < threshold) return;
  const peak = (parts?: { callCount: number; totalTime: number; totalCputime: number }) =>
    parts ? Math.max(parts.callCount, parts.totalTime, parts.totalCputime) : 0;
  const pauseMs = Math.max(USAGE_PAUSE_MS, (usage.businessUseCase?.regainAccessSeconds ?? 0) * 1000);
  if (peak(usage.appUsage) >= threshold) await deps.budget.pausePlatform('instagram', pauseMs);
  if (peak(usage.businessUseCase) >= threshold)
    await deps.budget.pauseAccount('instagram', account.id, pauseMs);
}

/**
 * A revoked token is a result (a throttle already became one where its call was made); anything else is
 * thrown again for the caller's retry policy (transient platform errors, database errors) or to fail the
 * attempt (our own invalid request, an undecryptable token), counted first as outcome="failed" (the series
 * operators alert on).
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
  deps.metrics.syncAccounts.inc({ platform: error.platform, outcome: 'failed', reason: error.code });
  throw error;
}

/**
 * Who a 429 pauses, and for how long (docs/operations.md#pacing-and-quotas):
 * - TikTok counts each endpoint on its own: the endpoint that answered is paused for the Retry-After when one
 *   came, else until the oldest call of our window log leaves the window (the budget computes it);
 * - Instagram code 4 is the app's limit: every Instagram sync waits; the other codes (17 user, 32 page,
 *   613 custom, 80000-80014 business use case...) throttle one account: only it waits. Meta's waits are its
 *   regain time, else Retry-After, else 5 minutes (windows of an hour or a day: a shorter guess fails again).
 */
async function rateLimitedResult(
  deps: AccountSyncDeps,
  error: PlatformError,
  accountId: string,
  calls: AccountCalls,
): Promise<SyncAttemptResult> {
  const limited = (scope: RateLimitScope, waitMs: number): SyncAttemptResult => ({
    kind: 'rate_limited',
    platform: error.platform,
    waitMs,
    scope,
    reason: 'platform_rate_limited',
    calls: { ...calls },
  });
  if (error.platform === 'tiktok') {
    const waitMs = await deps.budget.pauseEndpointAfterRateLimit(
      'tiktok',
      error.endpoint,
      error.retryAfterMs,
    );
    return limited('endpoint', waitMs);
  }
  const waitMs = error.retryAfterMs ?? USAGE_PAUSE_MS;
  if (metaCode(error.code) === INSTAGRAM_APP_RATE_LIMIT_CODE) {
    await deps.budget.pausePlatform('instagram', waitMs);
    return limited('platform', waitMs);
  }
  await deps.budget.pauseAccount('instagram', accountId, waitMs);
  return limited('account', waitMs);
}

/** `IG_4` and `IG_4_1234` -> 4; null for codes that are not Meta's (HTTP_429). */
function metaCode(code: string): number | null {
  const match = /^IG_(\d+)/.exec(code);
  return match ? Number(match[1]) : null;
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
