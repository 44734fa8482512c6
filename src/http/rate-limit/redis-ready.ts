import type { Redis } from 'ioredis';

/**
 * Without an offline queue, commands sent while the client is still connecting fail at once, so requests
 * in the first milliseconds after start-up would take the store-error path. Waiting for `ready` (bounded:
 * Redis may really be down, and the limiters handle that) closes the gap. Resolves to whether it is ready.
 */
export async function waitUntilReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => finish(false), timeoutMs);
    const onReady = () => finish(true);
    function finish(ready: boolean) {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    }
    redis.on('ready', onReady);
  });
}
