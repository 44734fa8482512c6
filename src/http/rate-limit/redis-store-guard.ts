import type { Redis } from 'ioredis';

/**
 * Decides whether the limiters may ask Redis, so that a slow answer is not taken for an outage:
 * - the connection's state first: while the client is not `ready` (refused, reconnecting) nothing is sent and
 *   the limiters fall back at once (the client has no offline queue: a command would fail at once anyway);
 * - a circuit breaker: FAILURES_TO_OPEN consecutive failed commands (errors or missed deadlines) open it for
 *   OPEN_MS, during which nothing is sent; then one request probes, and a success closes it. A reconnect
 *   closes it too;
 * - a deadline per command that a busy event loop cannot trip: when the timer fires (possibly late, after the
 *   answer already sat in the socket), the answer gets one more I/O phase before the command counts as missed.
 * Measured before this guard (npm run test:faults): with a fleet sync on the same 2 cores, a 100 ms deadline
 * on ioredis's own timer fired for answers that had arrived, and 300 concurrent requests against a limit of
 * 100 admitted up to 288 (50 logins against 5: up to 40).
 */
export interface RedisStoreGuard {
  /** Runs one command, or throws StoreUnavailableError without sending it. */
  run<T>(command: () => Promise<T>): Promise<T>;
  state(): 'closed' | 'open' | 'half_open';
}

/** Three misses in a row: one slow answer is not an outage, three are. */
export const FAILURES_TO_OPEN = 3;
/** How long an open breaker sends nothing before one request probes Redis again. */
export const OPEN_MS = 1_000;

export class StoreUnavailableError extends Error {
  constructor(reason: 'not_connected' | 'breaker_open' | 'deadline_missed') {
    super(`rate limit store unavailable: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}

export interface RedisStoreGuardOptions {
  redis: Pick<Redis, 'status' | 'on'>;
  /** RATE_LIMIT_REDIS_TIMEOUT_MS: the most a request waits for Redis's answer. */
  deadlineMs: number;
  now?: () => number;
}

export function createRedisStoreGuard({
  redis,
  deadlineMs,
  now = Date.now,
}: RedisStoreGuardOptions): RedisStoreGuard {
  let consecutiveFailures = 0;
  let openUntil = 0;
  let probing = false;
  redis.on('ready', () => {
    consecutiveFailures = 0;
  });
  const isOpen = () => consecutiveFailures >= FAILURES_TO_OPEN;

  return {
    async run(command) {
      if (redis.status !== 'ready') throw new StoreUnavailableError('not_connected');
      let probe = false;
      if (isOpen()) {
        if (now() < openUntil || probing) throw new StoreUnavailableError('breaker_open');
        probing = probe = true;
      }
      try {
        const result = await withDeadline(command(), deadlineMs);
        consecutiveFailures = 0;
        return result;
      } catch (error) {
        consecutiveFailures++;
        if (isOpen()) openUntil = now() + OPEN_MS;
        throw error;
      } finally {
        if (probe) probing = false;
      }
    },
    state: () => (!isOpen() ? 'closed' : now() < openUntil || probing ? 'open' : 'half_open'),
  };
}

/**
 * Rejects with `deadline_missed` when `promise` has not settled `ms` after the call. The timer's callback
 * runs before the poll phase of its loop iteration, so an answer that arrived while the loop was busy is
 * still unread then: setImmediate lets that poll phase run first, and only an answer still missing after it
 * is a miss.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new StoreUnavailableError('deadline_missed'));
      });
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
