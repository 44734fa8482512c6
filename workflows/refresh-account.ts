import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  proxyActivities,
  TimeoutFailure,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { notifyAccountReauthRequired, startNotificationDeliveries } from './notify';
import {
  REAUTH_FAILURE_TYPES,
  type RefreshAccountTokenInput,
  type RefreshAccountTokenResult,
} from './shared';

/**
 * Transient platform errors: 2 s, 6 s, 18 s, 54 s, 162 s between the 6 attempts (about 4 minutes): long enough
 * to ride out a blip, short enough that a fleet run does not stall on an outage; the next run retries.
 * A rate limit's Retry-After replaces the backoff for that attempt (nextRetryDelay, a server-side timer).
 */
export const REFRESH_RETRY_POLICY: RetryPolicy = {
  initialInterval: '2s',
  backoffCoefficient: 3,
  maximumInterval: '10 minutes',
  maximumAttempts: 6,
};

const { refreshAccountToken } = proxyActivities<Pick<Activities, 'refreshAccountToken'>>({
  // Waiting for another refresher's row lock (lock_timeout 30 s) plus one platform call (10 s timeout).
  startToCloseTimeout: '90s',
  retry: REFRESH_RETRY_POLICY,
});

const { recordRefreshFailure } = proxyActivities<Pick<Activities, 'recordRefreshFailure'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

/**
 * Refreshes one account's token from any workflow (fleet run, just-in-time before a sync, on demand) and
 * applies the failure handling; expected platform outcomes are returned, never thrown:
 * auth_revoked/permission_missing -> reauth_required + one notification; retries exhausted -> failure
 * counted (or `expired` + notification when the token actually died). Only cancellation is rethrown.
 */
export async function refreshAccountTokenDurably(
  input: RefreshAccountTokenInput,
): Promise<RefreshAccountTokenResult> {
  const { accountId } = input;
  try {
    const result = await refreshAccountToken(input);
    await startNotificationDeliveries(result.notificationIds);
    return withoutUndefined({
      accountId,
      outcome: result.outcome,
      errorCode: result.errorCode,
      accessExpiresAt: result.accessExpiresAt,
    });
  } catch (error) {
    if (isCancellation(error) || !(error instanceof ActivityFailure)) throw error;
    const { type, code } = describeFailure(error);
    if (REAUTH_FAILURE_TYPES.includes(type)) {
      await notifyAccountReauthRequired(accountId, code);
      log.warn('account needs re-authorisation', { accountId, errorCode: code });
      return { accountId, outcome: 'reauth_required', errorCode: code };
    }
    const recorded = await recordRefreshFailure({ accountId, errorCode: code, trigger: input.trigger });
    await startNotificationDeliveries(recorded.notificationIds);
    log.warn('token refresh failed', { accountId, errorCode: code, outcome: recorded.outcome });
    return { accountId, outcome: recorded.outcome, errorCode: code };
  }
}

/**
 * On-demand refresh of one account (API, admin, CLI), started with the id from
 * makeRefreshAccountTokenWorkflowId(accountId) so two requests for the same account share one run.
 */
export async function refreshAccountTokenWorkflow(
  input: RefreshAccountTokenInput,
): Promise<RefreshAccountTokenResult> {
  return refreshAccountTokenDurably(input);
}

/** The failure's type and a stable code from its details (codes only: failures never carry tokens). */
function describeFailure(error: ActivityFailure): { type: string; code: string } {
  const cause = error.cause;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { code?: unknown } | undefined;
    const type = cause.type ?? 'Error';
    return { type, code: typeof detail?.code === 'string' ? detail.code : type };
  }
  if (cause instanceof TimeoutFailure) return { type: 'Timeout', code: 'ACTIVITY_TIMEOUT' };
  return { type: 'Unknown', code: 'ACTIVITY_FAILED' };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}
