import type { Knex } from '@mikro-orm/postgresql';
import type { TokenCipher } from '../crypto/token-cipher';
import { idsAwaitingWebhook } from '../accounts/notifications';
import { openIncident, warnExpiringOnce } from '../accounts/incidents';
import {
  insertRefreshAttempt,
  listDueForRefresh,
  lockAccount,
  readAccount,
  updateAccount,
  type AccountRow,
  type DueAccount,
} from '../accounts/store';
import { isPlatformError, type PlatformError } from '../platforms/errors';
import type { Platform, PlatformClient, StoredTokens, TokenSet } from '../platforms/types';
import type { RefreshAccountTokenInput, RefreshFleetCursor, RefreshTrigger } from '../../workflows/contract';
import { expiredTokenCode, isDue, refreshedSince } from './rules';

/**
 * One account's token refresh, Temporal-free: decide -> call the platform -> store, in one transaction that
 * holds the account's row lock, so refreshes of one account are serialised system-wide and every decision is
 * made on state re-read under the lock (a refresh someone else just did is not repeated: under TikTok's
 * strict rotation a second refresh with the old refresh token would be answered invalid_grant).
 * Expected outcomes are returned; a platform refusal is thrown as the PlatformError it is.
 */

export interface TokenRefreshDeps {
  db: Knex;
  cipher: TokenCipher;
  platforms: Record<Platform, PlatformClient>;
  now: () => Date;
  /** REFRESH_WARN_DAYS: an unextendable token expiring within this many days warns its owner. */
  warnDays: number;
  /** NOTIFY_WEBHOOK_URL: notifications wait for their webhook only when one is configured. */
  webhookUrl: string | undefined;
}

export interface RefreshTokenResult {
  outcome: 'refreshed' | 'skipped' | 'not_due' | 'expired';
  platform?: Platform;
  errorCode?: string;
  /** ISO; the access token's expiry after this call. */
  accessExpiresAt?: string;
  /** Notifications this call created (or found undelivered) that wait for their webhook. */
  notificationIds: string[];
}

export async function refreshAccountToken(
  deps: TokenRefreshDeps,
  input: RefreshAccountTokenInput,
): Promise<RefreshTokenResult> {
  if (await clearlyNotDue(deps, input)) return { outcome: 'not_due', notificationIds: [] };
  try {
    return await deps.db.transaction((trx) => refreshUnderLock(deps, trx, input));
  } catch (error) {
    if (isPlatformError(error)) await recordFinalRefusal(deps.db, input, error);
    throw error;
  }
}

/** Unlocked pre-check: most just-in-time calls find a fresh token and never touch the lock. */
async function clearlyNotDue(deps: TokenRefreshDeps, input: RefreshAccountTokenInput): Promise<boolean> {
  if (input.onlyIfExpiresWithinMinutes === undefined) return false;
  const account = await readAccount(deps.db, input.accountId);
  return (
    account?.status === 'active' &&
    !isDue(account.accessExpiresAt, deps.now(), input.onlyIfExpiresWithinMinutes)
  );
}

async function refreshUnderLock(
  deps: TokenRefreshDeps,
  trx: Knex.Transaction,
  input: RefreshAccountTokenInput,
): Promise<RefreshTokenResult> {
  const account = await lockAccount(trx, input.accountId);
  if (!account) return { outcome: 'skipped', errorCode: 'ACCOUNT_NOT_FOUND', notificationIds: [] };
  const base = { platform: account.platform, notificationIds: [] as string[] };
  if (account.status !== 'active') {
    return { ...base, outcome: 'skipped', errorCode: `ACCOUNT_${account.status.toUpperCase()}` };
  }
  const now = deps.now();
  if (
    refreshedSince(account, input) ||
    (input.onlyIfExpiresWithinMinutes !== undefined &&
      !isDue(account.accessExpiresAt, now, input.onlyIfExpiresWithinMinutes))
  ) {
    return { ...base, outcome: 'not_due', accessExpiresAt: account.accessExpiresAt?.toISOString() };
  }
  const expiredCode = expiredTokenCode(account, now);
  if (expiredCode) return markExpired(deps, trx, account, expiredCode, input.trigger, now);
  const reply = await deps.platforms[account.platform].refreshToken(readStoredTokens(deps.cipher, account));
  if (reply.value.kind === 'too_young') {
    await insertRefreshAttempt(trx, {
      accountId: account.id,
      platform: account.platform,
      outcome: 'skipped',
      errorCode: 'IG_TOO_YOUNG',
      trigger: input.trigger,
    });
    return {
      ...base,
      outcome: 'skipped',
      errorCode: 'IG_TOO_YOUNG',
      accessExpiresAt: account.accessExpiresAt?.toISOString(),
    };
  }
  return storeRefreshedTokens(deps, trx, account, reply.value.tokens, input.trigger, now);
}

async function storeRefreshedTokens(
  deps: TokenRefreshDeps,
  trx: Knex.Transaction,
  account: AccountRow,
  tokens: TokenSet,
  trigger: RefreshTrigger,
  now: Date,
): Promise<RefreshTokenResult> {
  await updateAccount(trx, account, {
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
  await insertRefreshAttempt(trx, {
    accountId: account.id,
    platform: account.platform,
    outcome: 'refreshed',
    errorCode: null,
    trigger,
  });
  const warning = tokens.refreshExpiresAt
    ? await warnExpiringOnce(trx, account, {
        tokenKind: 'refresh',
        expiresAt: tokens.refreshExpiresAt,
        now,
        warnDays: deps.warnDays,
      })
    : null;
  return {
    outcome: 'refreshed',
    platform: account.platform,
    accessExpiresAt: tokens.accessExpiresAt.toISOString(),
    notificationIds: idsAwaitingWebhook(warning, deps.webhookUrl),
  };
}

async function markExpired(
  deps: TokenRefreshDeps,
  trx: Knex.Transaction,
  account: AccountRow,
  errorCode: string,
  trigger: RefreshTrigger,
  now: Date,
): Promise<RefreshTokenResult> {
  const notification = await openIncident(trx, account, {
    status: 'expired',
    kind: 'token_expired',
    errorCode,
    now,
  });
  await insertRefreshAttempt(trx, {
    accountId: account.id,
    platform: account.platform,
    outcome: 'expired',
    errorCode,
    trigger,
  });
  return {
    outcome: 'expired',
    platform: account.platform,
    errorCode,
    notificationIds: idsAwaitingWebhook(notification, deps.webhookUrl),
  };
}

function readStoredTokens(cipher: TokenCipher, account: AccountRow): StoredTokens {
  return {
    accessToken: cipher.decrypt(account.accessTokenEnc ?? ''),
    refreshToken: account.refreshTokenEnc ? cipher.decrypt(account.refreshTokenEnc) : null,
    obtainedAt: account.tokenObtainedAt ?? new Date(0),
    externalId: account.externalId,
    scopes: account.scopes ? account.scopes.split(/[\s,]+/).filter(Boolean) : undefined,
  };
}

/** A refusal that retrying cannot change. */
export function isFinalRefusal(error: PlatformError): boolean {
  return error.kind !== 'transient' && error.kind !== 'rate_limited';
}

/** What a final refusal makes of the attempt: only the user can fix a revoked token or a missing scope. */
export function refusalOutcome(error: PlatformError): 'reauth_required' | 'failed' {
  return error.kind === 'auth_revoked' || error.kind === 'permission_missing' ? 'reauth_required' : 'failed';
}

/** Final refusals get their attempt row now; retryable ones when their retries run out (recordRefreshFailure). */
async function recordFinalRefusal(
  db: Knex,
  input: RefreshAccountTokenInput,
  error: PlatformError,
): Promise<void> {
  if (!isFinalRefusal(error)) return;
  await insertRefreshAttempt(db, {
    accountId: input.accountId,
    platform: error.platform,
    outcome: refusalOutcome(error),
    errorCode: error.code,
    trigger: input.trigger,
  });
}

export interface RefreshFailureRecord {
  /** failed: still active (token valid), failures counted. expired: the token is dead, owner notified. */
  outcome: 'failed' | 'expired';
  consecutiveFailures: number;
  /** Notifications waiting for their webhook (token_expired, token_expiring). */
  notificationIds: string[];
  /** null when the account is gone. */
  platform: Platform | null;
}

/**
 * A refresh whose retries ran out (transient errors, rate limits, timeouts). While the token is still valid
 * the account stays active and `consecutive_failures` grows (the next run retries); a token that actually
 * expired makes the account `expired` and its owner is notified. An Instagram token that keeps failing and
 * expires within REFRESH_WARN_DAYS gets a `token_expiring` warning, once.
 */
export async function recordRefreshFailure(
  deps: Pick<TokenRefreshDeps, 'db' | 'now' | 'warnDays' | 'webhookUrl'>,
  input: { accountId: string; errorCode: string; trigger: RefreshTrigger },
): Promise<RefreshFailureRecord> {
  return deps.db.transaction(async (trx) => {
    const account = await lockAccount(trx, input.accountId);
    if (!account) return { outcome: 'failed', consecutiveFailures: 0, notificationIds: [], platform: null };
    const now = deps.now();
    const failures = account.consecutiveFailures + 1;
    const attempt = {
      accountId: account.id,
      platform: account.platform,
      errorCode: input.errorCode,
      trigger: input.trigger,
    };
    // The token died while the refresh kept failing (expiredTokenCode: what decides it on each platform).
    if (account.status === 'active' && expiredTokenCode(account, now)) {
      const notification = await openIncident(trx, account, {
        status: 'expired',
        kind: 'token_expired',
        errorCode: input.errorCode,
        now,
        alsoSet: { consecutive_failures: failures },
      });
      await insertRefreshAttempt(trx, { ...attempt, outcome: 'expired' });
      return {
        outcome: 'expired',
        consecutiveFailures: failures,
        notificationIds: idsAwaitingWebhook(notification, deps.webhookUrl),
        platform: account.platform,
      };
    }
    await updateAccount(trx, account, { consecutive_failures: failures, last_error_code: input.errorCode });
    await insertRefreshAttempt(trx, { ...attempt, outcome: 'failed' });
    const warning =
      account.accessExpiresAt && account.platform === 'instagram'
        ? await warnExpiringOnce(trx, account, {
            tokenKind: 'access',
            expiresAt: account.accessExpiresAt,
            now,
            warnDays: deps.warnDays,
          })
        : null;
    return {
      outcome: 'failed',
      consecutiveFailures: failures,
      notificationIds: idsAwaitingWebhook(warning, deps.webhookUrl),
      platform: account.platform,
    };
  });
}

export interface DueForRefreshPage {
  /** ISO; accounts whose access token expires before it are due, fixed by the first page. */
  cutoff: string;
  /** ISO; the clock when this page was read. */
  asOf: string;
  accounts: DueAccount[];
}

/** One page of a fleet run: the first page fixes the cutoff (now + windowDays), later pages pass it back. */
export async function findAccountsDueForRefresh(
  deps: Pick<TokenRefreshDeps, 'db' | 'now'>,
  input: { cutoff?: string; windowDays: number; after: RefreshFleetCursor | null; limit: number },
): Promise<DueForRefreshPage> {
  const now = deps.now();
  const cutoff = input.cutoff
    ? new Date(input.cutoff)
    : new Date(now.getTime() + input.windowDays * 86_400_000);
  const accounts = await listDueForRefresh(deps.db, {
    cutoff,
    after: input.after?.id ?? null,
    limit: input.limit,
  });
  return { cutoff: cutoff.toISOString(), asOf: now.toISOString(), accounts };
}
