import type { Redis } from 'ioredis';
import MaxRetriesPerRequestError from 'ioredis/built/errors/MaxRetriesPerRequestError';

/**
 * Whether a failed Redis command failed because Redis is unavailable to this client. Decided from the
 * connection's state, not from message text: socialsync's clients have no offline queue, so while the
 * connection is not `ready` ioredis refuses every command at once; a command cut by a dropping connection
 * fails with MaxRetriesPerRequestError.
 */
export function isRedisUnavailable(error: unknown, client: Pick<Redis, 'status'>): boolean {
  return client.status !== 'ready' || error instanceof MaxRetriesPerRequestError;
}
