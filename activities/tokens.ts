import type { EntityManager } from '@mikro-orm/postgresql';
import { isPlatformError, type PlatformError } from '../src/platforms/errors';
import type { Platform, StoredTokens, TokenSet } from '../src/platforms/types';
import type { RefreshAccountTokenInput } from '../workflows/shared';
import { activityLogger } from './activity-context';
import { openIncident, warnExpiringOnce } from './accounts-incidents';
import {
  insertRefreshAttempt,
  lockAccount,
  readAccountExpiry,
  updateAccount,
  type LockedAccount,
} from './accounts-store';
import type { ActivityDeps } from './index';
import { awaitsWebhook, type StoredNotification } from './notifications-store';
import { toActivityFailure } from './platform-failure';
import { expiredTokenCode, isDue, refreshedSince } from './tokens-rules';

export interface RefreshAccountTokenActivityResult {
  outcome: 'refreshed' | 'skipped' | 'not_due' | 'expired';
  platform?: Platform;
  errorCode?: string;
  /** ISO; the access token's expiry after this call. */
  accessExpiresAt?: string;
  /** Notifications this call created (or found undelivered) that wait for their webhook. */
  notificationIds: string[];
}

type LockedDecision =
  | { kind: 'done'; result: RefreshAccountTokenActivityResult }
  | { kind: 'platform_error'; error: PlatformError; platform: Platform };

type Deps = Pick<ActivityDeps, 'config' | 'logger' | 'orm' | 'cipher' | 'platforms' | 'metrics' | 'now'>;

export function createTokenActivities(deps: Deps) {
  const clock = deps.now ?? (() => new Date());

  /**
   * Refreshes one account's token, serialised system-wide by the account's row lock, deciding on state
   * re-read after the lock is taken (a refresh someone else just did is not repeated: under TikTok's strict
   * rotation a second refresh with the old refresh token would be answered invalid_grant). Platform errors
   * are thrown as ApplicationFailures (platform-failure.ts); expected outcomes are returned.
   */
  async function refreshAccountToken(
    input: RefreshAccountTokenInput,
  ): Promise<RefreshAccountTokenActivityResult> {
    const log = activityLogger(deps.logger, { accountId: input.accountId, trigger: input.trigger });
    if (await clearlyNotDue(input)) return { outcome: 'not_due', notificationIds: [] };
    const started = Date.now();
    const observeDuration = (platform: string, outcome: string) =>
      deps.metrics.refreshDuration.observe({ platform, outcome }, (Date.now() - started) / 1000);
    let decision: LockedDecision;
    try {
      decision = await deps.orm.em.fork().transactional((tx) => refreshUnderLock(tx as EntityManager, input));
    } catch (error) {
      log.warn(
        { err: { name: (error as Error).name, message: (error as Error).message } },
        'token refresh attempt failed',
      );
      throw toActivityFailure(error);
    }
    if (decision.kind === 'platform_error') {
      observeDuration(decision.platform, decision.error.kind);
      await recordPlatformError(input, decision.platform, decision.error);
      log.warn(
        { platform: decision.platform, error: decision.error.toJSON() },
        'token refresh refused by platform',
      );
      throw toActivityFailure(decision.error);
    }
    const { result } = decision;
    if (result.outcome === 'not_due') {
      // Not an attempt: a just-in-time check before every TikTok sync would drown the real numbers.
      log.debug({ platform: result.platform }, 'token refresh not due');
      return result;
    }
    deps.metrics.refreshAttempts.inc({
      platform: result.platform ?? 'unknown',
      outcome: result.outcome,
      reason: result.errorCode ?? 'ok',
    });
    observeDuration(result.platform ?? 'unknown', result.outcome);
    log.info(
      {
        platform: result.platform,
        outcome: result.outcome,
        errorCode: result.errorCode,
        accessExpiresAt: result.accessExpiresAt,
      },
      'token refresh',
    );
    return result;
  }

  /** Unlocked pre-check: most just-in-time calls find a fresh token and never touch the lock. */
  async function clearlyNotDue(input: RefreshAccountTokenInput): Promise<boolean> {
    if (input.onlyIfExpiresWithinMinutes === undefined) return false;
    const state = await readAccountExpiry(deps.orm.em.fork(), input.accountId);
    return (
      state?.status === 'active' && !isDue(state.accessExpiresAt, clock(), input.onlyIfExpiresWithinMinutes)
    );
  }

  async function refreshUnderLock(
    tx: EntityManager,
    input: RefreshAccountTokenInput,
  ): Promise<LockedDecision> {
    const account = await lockAccount(tx, input.accountId);
    if (!account) return done({ outcome: 'skipped', errorCode: 'ACCOUNT_NOT_FOUND', notificationIds: [] });
    const base = { platform: account.platform, notificationIds: [] as string[] };
    if (account.status !== 'active') {
      return done({ ...base, outcome: 'skipped', errorCode: `ACCOUNT_${account.status.toUpperCase()}` });
    }
    const now = clock();
    if (
      refreshedSince(account, input) ||
      (input.onlyIfExpiresWithinMinutes !== undefined &&
        !isDue(account.accessExpiresAt, now, input.onlyIfExpiresWithinMinutes))
    ) {
      return done({ ...base, outcome: 'not_due', accessExpiresAt: account.accessExpiresAt?.toISOString() });
    }
    const expiredCode = expiredTokenCode(account, now);
    if (expiredCode) return done(await markExpired(tx, account, expiredCode, input, now));
    const stored = readStoredTokens(account);
    let reply;
    try {
      reply = await deps.platforms[account.platform].refreshToken(stored);
    } catch (error) {
      if (isPlatformError(error)) return { kind: 'platform_error', error, platform: account.platform };
      throw error;
    }
    if (reply.value.kind === 'too_young') {
      await insertRefreshAttempt(tx, {
        accountId: account.id,
        platform: account.platform,
        outcome: 'skipped',
        errorCode: 'IG_TOO_YOUNG',
        trigger: input.trigger,
      });
      return done({
        ...base,
        outcome: 'skipped',
        errorCode: 'IG_TOO_YOUNG',
        accessExpiresAt: account.accessExpiresAt?.toISOString(),
      });
    }
    return done(await storeRefreshedTokens(tx, account, reply.value.tokens, input, now));
  }

  async function storeRefreshedTokens(
    tx: EntityManager,
    account: LockedAccount,
    tokens: TokenSet,
    input: RefreshAccountTokenInput,
    now: Date,
  ): Promise<RefreshAccountTokenActivityResult> {
    await updateAccount(tx, account, {
      access_token_enc: deps.cipher.encrypt(tokens.accessToken),
      access_expires_at: tokens.accessExpiresAt,
      // Rotation: the new refresh token replaces the old one in the same transaction (the old one is dead).
      ...(tokens.refreshToken ? { refresh_token_enc: deps.cipher.encrypt(tokens.refreshToken) } : {}),
      ...(tokens.refreshExpiresAt ? { refresh_expires_at: tokens.refreshExpiresAt } : {}),
      token_obtained_at: tokens.obtainedAt,
      scopes: tokens.scopes.length ? tokens.scopes.join(',') : account.scopes,
      status: 'active',
      last_error_code: null,
      consecutive_failures: 0,
      incident_opened_at: null,
      expiry_warned_at: null,
      last_refreshed_at: now,
    });
    await insertRefreshAttempt(tx, {
      accountId: account.id,
      platform: account.platform,
      outcome: 'refreshed',
      errorCode: null,
      trigger: input.trigger,
    });
    const warning = tokens.refreshExpiresAt
      ? await warnExpiringOnce(tx, account, {
          tokenKind: 'refresh',
          expiresAt: tokens.refreshExpiresAt,
          now,
          warnDays: deps.config.refresh.warnDays,
        })
      : null;
    return {
      outcome: 'refreshed',
      platform: account.platform,
      accessExpiresAt: tokens.accessExpiresAt.toISOString(),
      notificationIds: pending(warning),
    };
  }

  async function markExpired(
    tx: EntityManager,
    account: LockedAccount,
    errorCode: string,
    input: RefreshAccountTokenInput,
    now: Date,
  ): Promise<RefreshAccountTokenActivityResult> {
    const notification = await openIncident(tx, account, {
      status: 'expired',
      kind: 'token_expired',
      errorCode,
      now,
    });
    await insertRefreshAttempt(tx, {
      accountId: account.id,
      platform: account.platform,
      outcome: 'expired',
      errorCode,
      trigger: input.trigger,
    });
    return {
      outcome: 'expired',
      platform: account.platform,
      errorCode,
      notificationIds: pending(notification),
    };
  }

  /** Non-retryable refusals are final: their attempt row is written now (retryable ones by recordRefreshFailure). */
  async function recordPlatformError(
    input: RefreshAccountTokenInput,
    platform: Platform,
    error: PlatformError,
  ): Promise<void> {
    const final = error.kind !== 'transient' && error.kind !== 'rate_limited';
    const outcome =
      error.kind === 'auth_revoked' || error.kind === 'permission_missing' ? 'reauth_required' : 'failed';
    deps.metrics.refreshAttempts.inc({ platform, outcome: final ? outcome : 'retrying', reason: error.code });
    if (!final) return;
    await insertRefreshAttempt(deps.orm.em.fork(), {
      accountId: input.accountId,
      platform,
      outcome,
      errorCode: error.code,
      trigger: input.trigger,
    });
  }

  function readStoredTokens(account: LockedAccount): StoredTokens {
    return {
      accessToken: deps.cipher.decrypt(account.accessTokenEnc ?? ''),
      refreshToken: account.refreshTokenEnc ? deps.cipher.decrypt(account.refreshTokenEnc) : null,
      obtainedAt: account.tokenObtainedAt ?? new Date(0),
      externalId: account.externalId,
      scopes: account.scopes ? account.scopes.split(/[\s,]+/).filter(Boolean) : undefined,
    };
  }

  function pending(notification: StoredNotification | null): string[] {
    return notification && awaitsWebhook(notification, deps.config.notifications.webhookUrl)
      ? [notification.id]
      : [];
  }

  return { refreshAccountToken };
}

function done(result: RefreshAccountTokenActivityResult): LockedDecision {
  return { kind: 'done', result };
}
