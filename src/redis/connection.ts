import { Redis } from 'ioredis';

export interface RedisOptions {
  url: string;
  lazyConnect?: boolean;
}

/**
 * No offline queue: while Redis is down commands fail at once instead of piling up for seconds
 * (koa-ratelimit's default client turns an outage into ~10-second hangs). No command timeout: ioredis's is a
 * plain timer, which a busy event loop fires after the answer has arrived; the API's limiters bound their
 * wait themselves (src/http/rate-limit/redis-store-guard.ts).
 */
export function createRedis({ url, lazyConnect = false }: RedisOptions): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
}
