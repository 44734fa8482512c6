import { isPlatformError } from '../src/platforms/errors';
import {
  findAccountsDueForRefresh as findDuePage,
  isFinalRefusal,
  recordRefreshFailure as recordFailure,
  refreshAccountToken as refresh,
  refusalOutcome,
  type DueForRefreshPage,
  type RefreshFailureRecord,
  type RefreshTokenResult,
  type TokenRefreshDeps,
} from '../src/tokens/refresh';
import type { RefreshAccountTokenInput, RefreshFleetCursor, RefreshTrigger } from '../workflows/contract';
import { REFRESH_OWN_ERROR_ATTEMPTS } from '../workflows/retry';
import { activityLogger, currentAttempt } from './context';
import type { ActivityDeps } from './deps';
import { toActivityFailure } from './to-failure';

/**
 * The token-refresh activities: the refresh itself (src/tokens/refresh.ts) with its log lines, metrics and
 * failure mapping, the failure record after retries ran out, and the fleet run's settings and pages.
 */

export interface RefreshFleetSettings {
  windowDays: number;
  concurrency: number;
  spacingMs: number;
}

export interface FindAccountsDueForRefreshInput {
  /** ISO; accounts whose access token expires before it are due. Omitted: now + windowDays (first page). */
  cutoff?: string;
  windowDays: number;
  after: RefreshFleetCursor | null;
  limit: number;
}

export interface RecordRefreshFailureInput {
  accountId: string;
  errorCode: string;
  trigger: RefreshTrigger;
}

export type RecordRefreshFailureResult = Omit<RefreshFailureRecord, 'platform'>;

export function createTokenActivities(deps: ActivityDeps) {
  const refreshDeps: TokenRefreshDeps = {
    db: deps.orm.em.getKnex(),
    cipher: deps.cipher,
    platforms: deps.platforms,
    now: deps.now,
    warnDays: deps.config.refresh.warnDays,
    webhookUrl: deps.config.notifications.webhookUrl,
  };

  /**
   * Refreshes one account's token, serialised system-wide by the account's row lock. Platform refusals are
   * thrown as ApplicationFailures (to-failure.ts); expected outcomes are returned.
   */
  async function refreshAccountToken(input: RefreshAccountTokenInput): Promise<RefreshTokenResult> {
    const log = activityLogger(deps.logger, { accountId: input.accountId, trigger: input.trigger });
    const started = Date.now();
    const observeDuration = (platform: string, outcome: string) =>
      deps.metrics.refreshDuration.observe({ platform, outcome }, (Date.now() - started) / 1000);
    let result: RefreshTokenResult;
    try {
      result = await refresh(refreshDeps, input);
    } catch (error) {
      if (isPlatformError(error)) {
        observeDuration(error.platform, error.kind);
        const outcome = isFinalRefusal(error) ? refusalOutcome(error) : 'retrying';
        deps.metrics.refreshAttempts.inc({ platform: error.platform, outcome, reason: error.code });
        log.warn({ platform: error.platform, error: error.toJSON() }, 'token refresh refused by platform');
      } else {
        // Name and code only: a database driver's message quotes the failed SQL with its values (ciphertexts).
        const { name, code } = error as { name?: unknown; code?: unknown };
        log.warn({ err: { name, code } }, 'token refresh attempt failed');
      }
      throw toActivityFailure(error, {
        attempt: currentAttempt(),
        ownErrorAttempts: REFRESH_OWN_ERROR_ATTEMPTS,
      });
    }
    if (result.outcome === 'not_due') {
      // Not an attempt: a just-in-time check before every TikTok sync would drown the real numbers.
      log.debug({ platform: result.platform }, 'token refresh not due');
      return result;
    }
    const platform = result.platform ?? 'unknown';
    deps.metrics.refreshAttempts.inc({ platform, outcome: result.outcome, reason: result.errorCode ?? 'ok' });
    observeDuration(platform, result.outcome);
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

  /** After a refresh's retries ran out: the account's failure count, or its expiry and the owner's notice. */
  async function recordRefreshFailure(input: RecordRefreshFailureInput): Promise<RecordRefreshFailureResult> {
    const log = activityLogger(deps.logger, { accountId: input.accountId, trigger: input.trigger });
    const { platform, ...result } = await recordFailure(refreshDeps, input);
    deps.metrics.refreshAttempts.inc({
      platform: platform ?? 'unknown',
      outcome: result.outcome,
      reason: input.errorCode,
    });
    log.warn(
      {
        platform,
        outcome: result.outcome,
        errorCode: input.errorCode,
        consecutiveFailures: result.consecutiveFailures,
      },
      'token refresh failed',
    );
    return result;
  }

  /** The configured defaults, read by a fleet run once (a workflow cannot read configuration). */
  async function getRefreshFleetSettings(): Promise<RefreshFleetSettings> {
    const { windowDays, concurrency, spacingMs } = deps.config.refresh;
    return { windowDays, concurrency, spacingMs };
  }

  /** One page of active accounts due for a refresh (ids and platform only), in id order after the cursor. */
  async function findAccountsDueForRefresh(
    input: FindAccountsDueForRefreshInput,
  ): Promise<DueForRefreshPage> {
    return findDuePage(refreshDeps, input);
  }

  return { refreshAccountToken, recordRefreshFailure, getRefreshFleetSettings, findAccountsDueForRefresh };
}
