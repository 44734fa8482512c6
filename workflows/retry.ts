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

/**
 * A token refresh (one platform call under the account's row lock): 2 s, 6 s, 18 s, 54 s, 162 s between the
 * 6 attempts (about 4 minutes), long enough to ride out a blip, short enough that a fleet run does not stall
 * on an outage; the next run retries. A rate limit's Retry-After replaces the backoff for that attempt.
 */
export const REFRESH_RETRY: RetryPolicy = {
  initialInterval: '2s',
  backoffCoefficient: 3,
  maximumInterval: '10 minutes',
  maximumAttempts: 6,
};

/** The syncAccount policy's first interval, also waited after a failed batch item before its retry. */
export const SYNC_FIRST_RETRY_MS = 1_000;

/**
 * One account's sync: transient platform errors are retried after 1 s, 2 s and 4 s, then the account counts
 * as failed and the next fleet run retries it (a rate limit is a result, waited out by the workflow).
 */
export const SYNC_ACCOUNT_RETRY: RetryPolicy = {
  initialInterval: SYNC_FIRST_RETRY_MS,
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 4,
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
