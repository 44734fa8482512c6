import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import type { Redis } from 'ioredis';
import { TokenCipherError } from '../src/crypto/token-cipher';
import { isDatabaseUnavailable } from '../src/db/unavailable';
import { isPlatformError, type PlatformError } from '../src/platforms/errors';
import { isRedisUnavailable } from '../src/redis/unavailable';
import {
  DEPENDENCY_UNAVAILABLE_FAILURE_TYPE,
  FAILURE_CODES,
  INTERNAL_FAILURE_TYPE,
  PLATFORM_FAILURE_TYPES,
  TOKEN_UNREADABLE_FAILURE_TYPE,
  type FailureDetails,
} from '../workflows/contract';

/** What the mapping needs to know about the running attempt (activities/context.ts fills it in). */
export interface FailureContext {
  /** 1 for the first attempt. */
  attempt?: number;
  /**
   * From this attempt on, a failure of the work's own (a platform error, an unclassified error) is final:
   * the activity's retry policy allows more attempts only to wait out a dependency outage
   * (workflows/retry.ts). Omitted: the policy alone decides.
   */
  ownErrorAttempts?: number;
  /** The worker's Redis client: its connection state tells whether a failed command means Redis is down. */
  redis?: Pick<Redis, 'status'>;
}

/**
 * The one place where errors become Temporal retry semantics (docs/architecture.md):
 * - auth_revoked, permission_missing, invalid_request: non-retryable, with an explicit `type` the workflow
 *   branches on (only the user can fix the first two; the last is our bug and retrying cannot help);
 * - rate_limited: retryable with `nextRetryDelay` = the platform's Retry-After, so the wait is a server-side
 *   retry timer and no worker slot is held while waiting;
 * - transient: retryable with the activity's exponential backoff;
 * - PostgreSQL or Redis unavailable (src/db/unavailable.ts, src/redis/unavailable.ts): DependencyUnavailable
 *   with code DATABASE_UNAVAILABLE or REDIS_UNAVAILABLE, retried on the policy's whole schedule: an outage is
 *   waited out with server-side timers, and it is never the account's failure;
 * - an undecryptable stored token: non-retryable (a key configuration problem, not the user's);
 * - anything else (a bug, a codeless driver error): InternalError with code INTERNAL_ERROR, retried by the
 *   policy, stripped of its message;
 * - a Temporal failure (e.g. a cancellation, or one this function already built): rethrown as is.
 * Platform and unclassified failures become final at `context.ownErrorAttempts`.
 * Messages are built from codes only: a platform message might quote a token, a driver's quotes SQL values.
 */
export function toActivityFailure(error: unknown, context: FailureContext = {}): unknown {
  if (error instanceof TemporalFailure) return error;
  if (isPlatformError(error)) return platformFailure(error, isLastOwnAttempt(context));
  if (error instanceof TokenCipherError) {
    return ApplicationFailure.create({
      type: TOKEN_UNREADABLE_FAILURE_TYPE,
      message: 'stored token cannot be decrypted with the configured keys',
      nonRetryable: true,
      details: [{ code: FAILURE_CODES.tokenUnreadable }],
    });
  }
  if (isDatabaseUnavailable(error))
    return dependencyFailure(error, 'PostgreSQL', FAILURE_CODES.databaseUnavailable);
  if (context.redis && isRedisUnavailable(error, context.redis))
    return dependencyFailure(error, 'Redis', FAILURE_CODES.redisUnavailable);
  return internalFailure(error, isLastOwnAttempt(context));
}

function isLastOwnAttempt({ attempt = 1, ownErrorAttempts }: FailureContext): boolean {
  return ownErrorAttempts !== undefined && attempt >= ownErrorAttempts;
}

function dependencyFailure(error: unknown, dependency: string, code: string): ApplicationFailure {
  return strippedFailure(error, {
    type: DEPENDENCY_UNAVAILABLE_FAILURE_TYPE,
    message: `${dependency} unavailable${driverCode(error)}`,
    details: [{ code }],
  });
}

/**
 * The database driver's message quotes the failed statement with its values (for the refresh's write: the
 * newly encrypted tokens), and a failure's message and stack end up in the workflow history. What is kept:
 * the class name and the error's own code (SQLSTATE, ECONNRESET...) in the message, and the stack frames.
 */
function internalFailure(error: unknown, final: boolean): ApplicationFailure {
  return strippedFailure(error, {
    type: INTERNAL_FAILURE_TYPE,
    message: `${className(error)}${driverCode(error)}`,
    details: [{ code: FAILURE_CODES.internal }],
    nonRetryable: final,
  });
}

function strippedFailure(
  error: unknown,
  options: { type: string; message: string; details: FailureDetails[]; nonRetryable?: boolean },
): ApplicationFailure {
  const failure = ApplicationFailure.create(options);
  const stack = (error as { stack?: unknown } | null)?.stack;
  const frames = typeof stack === 'string' ? stack.split('\n').filter((line) => /^\s+at /.test(line)) : [];
  failure.stack = [`${options.type}: ${options.message}`, ...frames].join('\n');
  return failure;
}

// Duck-typed: an error from another realm (Node internals under jest's vm) fails `instanceof Error`.
function className(error: unknown): string {
  return (typeof error === 'object' && error !== null && error.constructor?.name) || 'Error';
}

function driverCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}

function platformFailure(error: PlatformError, final: boolean): ApplicationFailure {
  const details: FailureDetails = {
    platform: error.platform,
    kind: error.kind,
    code: error.code,
    endpoint: error.endpoint,
    httpStatus: error.httpStatus,
    requestId: error.requestId,
  };
  const message = `${error.platform} ${error.endpoint}: ${error.kind} (${error.code})`;
  const type = PLATFORM_FAILURE_TYPES[error.kind];
  switch (error.kind) {
    case 'rate_limited':
      return ApplicationFailure.create({
        type,
        message,
        details: [details],
        nonRetryable: final,
        // No Retry-After: let the activity's backoff decide.
        nextRetryDelay: error.retryAfterMs != null ? Math.max(error.retryAfterMs, 1) : undefined,
      });
    case 'transient':
      return ApplicationFailure.create({ type, message, details: [details], nonRetryable: final });
    default:
      return ApplicationFailure.create({ type, message, details: [details], nonRetryable: true });
  }
}
