import type { EntityManager } from '@mikro-orm/postgresql';
import type { Platform } from '../src/db/entities';
import type { RefreshTrigger } from '../workflows/shared';
import { activityLogger } from './activity-context';
import { openIncident, warnExpiringOnce } from './accounts-incidents';
import { insertRefreshAttempt, lockAccount, updateAccount } from './accounts-store';
import type { ActivityDeps } from './index';
import { awaitsWebhook, idsAwaitingWebhook } from './notifications-store';
import { expiredTokenCode } from './tokens-rules';

export interface MarkAccountReauthRequiredInput {
  accountId: string;
  /** The platform's code, e.g. `TT_invalid_grant`, `IG_190_460`. */
  errorCode: string;
}

export interface MarkAccountReauthRequiredResult {
  /** This incident's notification (created now or earlier); null when the account is gone or not active. */
  notificationId: string | null;
  /** True when NOTIFY_WEBHOOK_URL is set and the notification has not been delivered yet. */
  deliver: boolean;
}

export interface RecordRefreshFailureInput {
  accountId: string;
  errorCode: string;
  trigger: RefreshTrigger;
}

export interface RecordRefreshFailureResult {
  /** failed: still active (token valid), failures counted. expired: the token is dead, owner notified. */
  outcome: 'failed' | 'expired';
  consecutiveFailures: number;
  /** Notifications waiting for their webhook (token_expired, token_expiring). */
  notificationIds: string[];
}

type Deps = Pick<ActivityDeps, 'config' | 'logger' | 'orm' | 'metrics' | 'now'>;

/** Account-state changes shared by the refresh and sync workflows. Each is idempotent under retries. */
export function createAccountActivities(deps: Deps) {
  const clock = deps.now ?? (() => new Date());

  /**
   * The platform revoked access: the account becomes `reauth_required` with the error code, and its owner
   * gets one notification per incident (a retry or a second caller finds the same notification).
   */
  async function markAccountReauthRequired(
    input: MarkAccountReauthRequiredInput,
  ): Promise<MarkAccountReauthRequiredResult> {
    const log = activityLogger(deps.logger, { accountId: input.accountId });
    return deps.orm.em.fork().transactional(async (tx) => {
      const account = await lockAccount(tx as EntityManager, input.accountId);
      // Already expired or disconnected: the owner knows, a re-auth notice would be noise.
      if (!account || (account.status !== 'active' && account.status !== 'reauth_required')) {
        return { notificationId: null, deliver: false };
      }
      const notification = await openIncident(tx as EntityManager, account, {
        status: 'reauth_required',
        kind: 'reauth_required',
        errorCode: input.errorCode,
        now: clock(),
      });
      if (notification.created)
        log.info(
          { platform: account.platform, errorCode: input.errorCode },
          'account needs re-authorisation',
        );
      return {
        notificationId: notification.id,
        deliver: awaitsWebhook(notification, deps.config.notifications.webhookUrl),
      };
    });
  }

  /**
   * A refresh whose retries ran out (transient errors, rate limits, timeouts). While the token is still valid
   * the account stays active and `consecutiveFailures` grows (the next run retries); a token that actually
   * expired makes the account `expired` and its owner is notified. An Instagram token that keeps failing and
   * expires within REFRESH_WARN_DAYS gets a `token_expiring` warning, once.
   */
  async function recordRefreshFailure(input: RecordRefreshFailureInput): Promise<RecordRefreshFailureResult> {
    const log = activityLogger(deps.logger, { accountId: input.accountId, trigger: input.trigger });
    const result = await deps.orm.em.fork().transactional(async (txManager) => {
      const tx = txManager as EntityManager;
      const account = await lockAccount(tx, input.accountId);
      if (!account)
        return { outcome: 'failed' as const, consecutiveFailures: 0, notificationIds: [], platform: null };
      const now = clock();
      const failures = account.consecutiveFailures + 1;
      // The token died while the refresh kept failing (expiredTokenCode: what decides it on each platform).
      if (account.status === 'active' && expiredTokenCode(account, now)) {
        const notification = await openIncident(tx, account, {
          status: 'expired',
          kind: 'token_expired',
          errorCode: input.errorCode,
          now,
          alsoSet: { consecutive_failures: failures },
        });
        await insertRefreshAttempt(tx, {
          accountId: account.id,
          platform: account.platform,
          outcome: 'expired',
          errorCode: input.errorCode,
          trigger: input.trigger,
        });
        return {
          outcome: 'expired' as const,
          consecutiveFailures: failures,
          notificationIds: idsAwaitingWebhook(notification, deps.config.notifications.webhookUrl),
          platform: account.platform,
        };
      }
      await updateAccount(tx, account, { consecutive_failures: failures, last_error_code: input.errorCode });
      await insertRefreshAttempt(tx, {
        accountId: account.id,
        platform: account.platform,
        outcome: 'failed',
        errorCode: input.errorCode,
        trigger: input.trigger,
      });
      const warning =
        account.accessExpiresAt && account.platform === 'instagram'
          ? await warnExpiringOnce(tx, account, {
              tokenKind: 'access',
              expiresAt: account.accessExpiresAt,
              now,
              warnDays: deps.config.refresh.warnDays,
            })
          : null;
      return {
        outcome: 'failed' as const,
        consecutiveFailures: failures,
        notificationIds: idsAwaitingWebhook(warning, deps.config.notifications.webhookUrl),
        platform: account.platform,
      };
    });
    const { platform, ...rest } = result;
    deps.metrics.refreshAttempts.inc({
      platform: platform ?? 'unknown',
      outcome: rest.outcome,
      reason: input.errorCode,
    });
    log.warn(
      {
        platform,
        outcome: rest.outcome,
        errorCode: input.errorCode,
        consecutiveFailures: rest.consecutiveFailures,
      },
      'token refresh failed',
    );
    return rest;
  }

  /** Sets the accounts-by-status gauge from the database (end of every fleet run); returns the counts. */
  async function countAccountsByStatus(): Promise<
    Array<{ platform: Platform; status: string; count: number }>
  > {
    const rows = await deps.orm.em
      .fork()
      .execute<Array<{ platform: Platform; status: string; count: string }>>(
        'select platform, status, count(*) as count from social_accounts group by platform, status',
      );
    deps.metrics.accountsByStatus.reset();
    const counts = rows.map((row) => ({
      platform: row.platform,
      status: row.status,
      count: Number(row.count),
    }));
    for (const row of counts)
      deps.metrics.accountsByStatus.set({ platform: row.platform, status: row.status }, row.count);
    return counts;
  }

  return { markAccountReauthRequired, recordRefreshFailure, countAccountsByStatus };
}
