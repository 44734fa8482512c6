import type { EntityManager } from '@mikro-orm/postgresql';
import type { PlatformError } from '../src/platforms/errors';
import type { Platform } from '../src/platforms/types';
import type { RefreshAccountTokenInput } from '../workflows/shared';
import { activityLogger } from './activity-context';
import { insertRefreshAttempt, readAccountExpiry } from './accounts-store';
import { toActivityFailure } from './platform-failure';
import { isDue } from './tokens-rules';
import type { ActivityDeps } from './index';
import {
  createLockedRefresh,
  type LockedDecision,
  type RefreshAccountTokenActivityResult,
} from './tokens-under-lock';

export type { RefreshAccountTokenActivityResult } from './tokens-under-lock';

type Deps = Pick<ActivityDeps, 'config' | 'logger' | 'orm' | 'cipher' | 'platforms' | 'metrics' | 'now'>;

export function createTokenActivities(deps: Deps) {
  const clock = deps.now ?? (() => new Date());
  const refreshUnderLock = createLockedRefresh(deps, clock);

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
      // Name and code only: a database driver's message quotes the failed SQL with its values (ciphertexts).
      log.warn(
        { err: { name: (error as Error).name, code: (error as { code?: unknown }).code } },
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

  return { refreshAccountToken };
}
