import type { RetryPolicy } from '@temporalio/workflow';
import { WEBHOOK_REJECTED_FAILURE_TYPE } from './contract';

/**
 * Every retry policy of socialsync's activities, each with the reason for its numbers. Retries are
 * server-side timers: an attempt waiting for its retry holds no worker slot.
 */

/**
 * Database reads and writes (settings, due-account pages, account state changes): 1 s doubling to a minute,
 * 30 attempts, so a PostgreSQL restart of up to about half an hour (1+2+...+60 s x 30) is waited out.
 */
export const DATABASE_RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 30,
};

/** A refresh's own failures (platform errors, unclassified ones) are final from this attempt on. */
export const REFRESH_OWN_ERROR_ATTEMPTS = 6;

/**
 * A token refresh (one platform call under the account's row lock): 2 s, 6 s, 18 s, 54 s, 162 s between the
 * first 6 attempts (about 4 minutes), long enough to ride out a platform blip, short enough that a fleet run
 * does not stall on a platform outage; the next run retries. A rate limit's Retry-After replaces the backoff
 * for that attempt. Attempts 7 to 9 (486 s, then 10 minutes twice) are for PostgreSQL being unavailable
 * only (activities/to-failure.ts makes the refresh's own failures final at attempt 6): about 32 minutes in all.
 */
export const REFRESH_RETRY: RetryPolicy = {
  initialInterval: '2s',
  backoffCoefficient: 3,
  maximumInterval: '10 minutes',
  maximumAttempts: 9,
};

/** The syncAccount policy's first interval, also waited after a failed batch item before its retry. */
export const SYNC_FIRST_RETRY_MS = 1_000;

/**
 * An account sync's own failures (transient platform errors, unclassified ones) are final from this attempt
 * on: retried after 1 s, 2 s and 4 s, then the account counts as failed and the next fleet run retries it.
 */
export const SYNC_OWN_ERROR_ATTEMPTS = 4;

/**
 * One account's sync (a rate limit is a result, waited out by the workflow). The attempts after
 * SYNC_OWN_ERROR_ATTEMPTS are for PostgreSQL or Redis being unavailable only: 1 s doubling to 30 s, 50
 * attempts, about 23 minutes of outage waited out with server-side timers (no worker slot held), and back to
 * work at most 30 s after the dependency is. The fleet's own page reads wait about as long (DATABASE_RETRY).
 */
export const SYNC_ACCOUNT_RETRY: RetryPolicy = {
  initialInterval: SYNC_FIRST_RETRY_MS,
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 50,
};

/**
 * An account refused by the platform itself (a 429, Meta's per-account codes) again and again waits at least
 * 1 s, 2 s, 4 s... up to 64 s (about one TikTok window) between its attempts, even when the endpoint's pause
 * is shorter: a platform that keeps refusing calls our own log does not explain (another client of the app)
 * then meets a few retries that thin out, not one from every waiting account each second.
 */
export function rateLimitedAccountBackoffMs(refusals: number): number {
  return Math.min(64_000, 1_000 * 2 ** Math.max(0, refusals - 1));
}

/**
 * The fleet's batched first attempts fail as a whole only when their worker dies or times out; a retry keeps
 * its leases (same owner). After 3 attempts every account of the batch is retried alone.
 */
export const SYNC_BATCH_RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumAttempts: 3,
};

/**
 * One webhook POST: 10 s doubling up to 1 h, 20 attempts, so a receiver may be down for about half a day
 * before the delivery is given up; a 4xx refusal other than 408 and 429 is final.
 */
export const WEBHOOK_RETRY: RetryPolicy = {
  initialInterval: '10s',
  backoffCoefficient: 2,
  maximumInterval: '1 hour',
  maximumAttempts: 20,
  nonRetryableErrorTypes: [WEBHOOK_REJECTED_FAILURE_TYPE],
};
