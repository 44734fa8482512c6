import { Redis } from 'ioredis';

export interface RedisOptions {
  url: string;
  /** Deadline per command; the API's limiters use ~100 ms so a Redis outage never hangs a request. */
  commandTimeoutMs?: number;
  lazyConnect?: boolean;
}

/**
 * No offline queue: while Redis is down commands fail at once instead of piling up for seconds
 * (koa-ratelimit's default client turns an outage into ~10-second hangs).
 */
export function createRedis({ url, commandTimeoutMs, lazyConnect = false }: RedisOptions): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    lazyConnect,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}
