import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { TokenCipherError } from '../src/crypto/token-cipher';
import { isPlatformError, type PlatformError } from '../src/platforms/errors';
import {
  PLATFORM_FAILURE_TYPES,
  TOKEN_UNREADABLE_FAILURE_TYPE,
  type FailureDetails,
} from '../workflows/contract';

/**
 * The one place where errors become Temporal retry semantics (docs/architecture.md):
 * - auth_revoked, permission_missing, invalid_request: non-retryable, with an explicit `type` the workflow
 *   branches on (only the user can fix the first two; the last is our bug and retrying cannot help);
 * - rate_limited: retryable with `nextRetryDelay` = the platform's Retry-After, so the wait is a server-side
 *   retry timer and no worker slot is held while waiting;
 * - transient: retryable with the activity's exponential backoff;
 * - an undecryptable stored token: non-retryable (a key configuration problem, not the user's);
 * - anything else (database hiccup, lock timeout): retried by the policy, typed by its class as Temporal
 *   would type it, but stripped of its message (internalFailure);
 * - a Temporal failure (e.g. a cancellation): rethrown as is.
 * Messages are built from codes only: a platform message might quote a token.
 */
export function toActivityFailure(error: unknown): unknown {
  if (isPlatformError(error)) return platformFailure(error);
  if (error instanceof TokenCipherError) {
    return ApplicationFailure.create({
      type: TOKEN_UNREADABLE_FAILURE_TYPE,
      message: 'stored token cannot be decrypted with the configured keys',
      nonRetryable: true,
      details: [{ code: 'TOKEN_UNREADABLE' }],
    });
  }
  if (error instanceof TemporalFailure) return error;
  return internalFailure(error);
}

/**
 * The database driver's message quotes the failed statement with its values (for the refresh's write: the
 * newly encrypted tokens), and a failure's message and stack end up in the workflow history. What is kept:
 * the class name (the failure type Temporal would give it, which the workflows use as the error code), the
 * error's own code (SQLSTATE, ECONNRESET...) and the stack frames.
 */
function internalFailure(error: unknown): ApplicationFailure {
  // Duck-typed: an error from another realm (Node internals under jest's vm) fails `instanceof Error`.
  const thrown =
    typeof error === 'object' && error !== null ? (error as { code?: unknown; stack?: unknown }) : null;
  const type = thrown?.constructor?.name || 'Error';
  const message = typeof thrown?.code === 'string' ? `${type} (${thrown.code})` : type;
  const failure = ApplicationFailure.create({ type, message });
  const frames =
    typeof thrown?.stack === 'string' ? thrown.stack.split('\n').filter((line) => /^\s+at /.test(line)) : [];
  failure.stack = [`${type}: ${message}`, ...frames].join('\n');
  return failure;
}

function platformFailure(error: PlatformError): ApplicationFailure {
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
        // No Retry-After: let the activity's backoff decide.
        nextRetryDelay: error.retryAfterMs != null ? Math.max(error.retryAfterMs, 1) : undefined,
      });
    case 'transient':
      return ApplicationFailure.create({ type, message, details: [details] });
    default:
      return ApplicationFailure.create({ type, message, details: [details], nonRetryable: true });
  }
}
