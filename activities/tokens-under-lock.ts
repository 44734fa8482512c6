import type { EntityManager } from '@mikro-orm/postgresql';
import { isPlatformError, type PlatformError } from '../src/platforms/errors';
import type { Platform, StoredTokens, TokenSet } from '../src/platforms/types';
import type { RefreshAccountTokenInput } from '../workflows/shared';
import { openIncident, warnExpiringOnce } from './accounts-incidents';
import { insertRefreshAttempt, lockAccount, updateAccount, type LockedAccount } from './accounts-store';
import type { ActivityDeps } from './index';
import { idsAwaitingWebhook } from './notifications-store';
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

/** What the refresh decided under the lock: a result, or a platform refusal for the caller to record. */
export type LockedDecision =
  | { kind: 'done'; result: RefreshAccountTokenActivityResult }
  | { kind: 'platform_error'; error: PlatformError; platform: Platform };

type LockedRefreshDeps = Pick<ActivityDeps, 'config' | 'cipher' | 'platforms'>;

/**
 * The part of a token refresh that runs in the transaction holding the account's row lock: it decides on
 * the state re-read under the lock, calls the platform, and stores the rotated tokens or marks the token
 * expired, each with its TokenRefreshAttempt row.
 */
export function createLockedRefresh(deps: LockedRefreshDeps, clock: () => Date) {
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
      notificationIds: idsAwaitingWebhook(warning, deps.config.notifications.webhookUrl),
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
      notificationIds: idsAwaitingWebhook(notification, deps.config.notifications.webhookUrl),
    };
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

  return refreshUnderLock;
}

function done(result: RefreshAccountTokenActivityResult): LockedDecision {
  return { kind: 'done', result };
}
