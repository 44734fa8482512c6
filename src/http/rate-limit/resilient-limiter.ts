import type { Redis } from 'ioredis';
import type { Context, Middleware, Next } from 'koa';
import ratelimit from 'koa-ratelimit';
import type { Logger } from 'pino';
import type { AppContext } from '../context';
import type { ApiMetrics } from '../metrics';
import { appendRateLimitHeaders } from './headers';
import type { PolicyBehaviour, PolicyName } from './policies';
import type { RedisStoreGuard } from './redis-store-guard';

export const RATE_LIMIT_MESSAGE = 'Too many requests. Please try again later.';
/** One warning per policy per 10 s while Redis is failing: every request is still counted in metrics. */
const STORE_ERROR_LOG_INTERVAL_MS = 10_000;
/**
 * The in-process fallback store is swept of expired windows once it holds this many keys, at most once per
 * interval: with more live keys than that (10,000 clients inside one window), a sweep on every request would
 * walk the whole map each time and delete nothing.
 */
const MEMORY_SWEEP_THRESHOLD = 10_000;
const MEMORY_SWEEP_INTERVAL_MS = 10_000;

export interface ResilientLimiterOptions {
  policy: PolicyName;
  max: number;
  windowSeconds: number;
  behaviour: PolicyBehaviour;
  key: (ctx: AppContext) => string;
  skip?: (ctx: AppContext) => boolean;
  /** null: the in-process store only (RATE_LIMIT_MEMORY_FALLBACK, or no Redis in `npm run dev`). */
  redis: Redis | null;
  /** Whether Redis may be asked (connection state, breaker, deadline); one per client, shared by the policies. */
  guard: RedisStoreGuard | null;
  /** Redis keys are `<namespace>:<key>`; the namespace starts with REDIS_KEY_PREFIX. */
  namespace: string;
  metrics: ApiMetrics;
  logger: Logger;
}

type Outcome = 'allowed' | 'limited';

/** koa-ratelimit's in-process entry: `remaining` as the next decision will see it, `reset` in UNIX seconds. */
interface MemoryEntry {
  id: string;
  reset: number;
  remaining: number;
  total: number;
}

/**
 * koa-ratelimit (sliding window in Redis, one atomic Lua script per request), wrapped so that:
 * - a Redis failure never hangs or fails a request: Redis is asked only while the guard allows it
 *   (redis-store-guard.ts: connection ready, breaker closed, a deadline a busy event loop cannot trip), and
 *   store errors are caught here, then handled per policy (POLICY_BEHAVIOUR);
 * - a policy that falls back to memory keeps, for each key, the last count Redis answered: a fallback starts
 *   from where Redis was, not from zero;
 * - refusals answer 429 with the documented body and a whole-second Retry-After of at least 1;
 * - every answer carries the IETF RateLimit-Policy / RateLimit fields next to koa-ratelimit's X-RateLimit-*.
 */
export function createResilientLimiter(options: ResilientLimiterOptions): Middleware {
  const { policy, max, windowSeconds, behaviour, metrics } = options;
  const memoryStore = new Map<string, MemoryEntry>();
  let lastSweepAt = 0;
  const sweepExpired = () => {
    if (memoryStore.size < MEMORY_SWEEP_THRESHOLD || Date.now() - lastSweepAt < MEMORY_SWEEP_INTERVAL_MS)
      return;
    lastSweepAt = Date.now();
    const nowSeconds = lastSweepAt / 1000;
    for (const [key, entry] of memoryStore) if (entry.reset < nowSeconds) memoryStore.delete(key);
  };
  const common = {
    duration: windowSeconds * 1000,
    max,
    namespace: options.namespace,
    id: (ctx: Context) => options.key(ctx as AppContext),
  };
  const mirror =
    behaviour.onStoreError === 'memory'
      ? (key: string, [remaining, reset, total]: RedisAnswer) => {
          sweepExpired(); // mirrored keys accumulate while Redis is healthy
          memoryStore.set(key, { id: key, reset, remaining, total });
        }
      : undefined;
  const redisLimiter =
    options.redis && options.guard
      ? ratelimit({ ...common, driver: 'redis', db: guardedStore(options.redis, options.guard, mirror) })
      : null;
  const memoryLimiter = ratelimit({ ...common, driver: 'memory', db: memoryStore });
  const count = (outcome: string) => metrics.rateLimitDecisions.inc({ policy, outcome });
  const logStoreError = throttledWarning(options.logger, policy);

  async function runMemory(ctx: AppContext, next: Next, prefix: string): Promise<void> {
    sweepExpired();
    await runLimiter(memoryLimiter, ctx, next, options, (outcome) => count(`${prefix}${outcome}`));
  }

  return async function rateLimitMiddleware(ctx: Context, next: Next): Promise<void> {
    const appCtx = ctx as AppContext;
    if (options.skip?.(appCtx)) {
      count('skipped');
      return next();
    }
    if (!redisLimiter) return runMemory(appCtx, next, '');
    try {
      await runLimiter(redisLimiter, appCtx, next, options, count);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      logStoreError(error.cause);
      if (behaviour.onStoreError === 'allow') {
        count('store_error_allowed');
        return next();
      }
      return runMemory(appCtx, next, 'fallback_');
    }
  };
}

/** async-ratelimiter's script answer: remaining before this request, reset (UNIX seconds), limit. */
type RedisAnswer = [number, number, number];
type RatelimiterCommand = (key: string, ...args: unknown[]) => Promise<RedisAnswer>;

/**
 * The Redis client as koa-ratelimit's Redis driver (async-ratelimiter) uses it: `defineCommand` once, then
 * its `ratelimiter` script per request. The script runs through the guard, and each answer is handed to
 * `onAnswer` with its key (`<namespace>:<id>`, the in-process store's key as well).
 */
function guardedStore(
  redis: Redis,
  guard: RedisStoreGuard,
  onAnswer?: (key: string, answer: RedisAnswer) => void,
): Redis {
  const store = {
    defineCommand: (name: string, definition: { numberOfKeys: number; lua: string }) =>
      redis.defineCommand(name, definition),
    get ratelimiter(): RatelimiterCommand | undefined {
      const command = (redis as Redis & { ratelimiter?: RatelimiterCommand }).ratelimiter;
      if (!command) return undefined;
      return async (key, ...args) => {
        const answer = await guard.run(() => command.call(redis, key, ...args));
        onAnswer?.(key, answer);
        return answer;
      };
    },
  };
  return store as unknown as Redis;
}

class StoreError extends Error {
  constructor(cause: unknown) {
    super('rate limit store failed', { cause });
  }
}

/**
 * Runs one koa-ratelimit middleware. Anything thrown before it calls `next` is the store failing (it does
 * nothing else first) and becomes a StoreError; errors from downstream pass through untouched. The decision
 * is reported before the rest of the request runs, so a handler's error cannot hide it.
 */
async function runLimiter(
  limiter: Middleware,
  ctx: AppContext,
  next: Next,
  options: ResilientLimiterOptions,
  onDecision: (outcome: Outcome) => void,
): Promise<void> {
  let passed = false;
  try {
    await limiter(ctx, async () => {
      passed = true;
      addIetfHeaders(ctx, options);
      onDecision('allowed');
      await next();
    });
  } catch (error) {
    if (passed) throw error;
    throw new StoreError(error);
  }
  if (passed) return;
  addIetfHeaders(ctx, options);
  refuse(ctx);
  onDecision('limited');
}

function addIetfHeaders(ctx: AppContext, { policy, max, windowSeconds }: ResilientLimiterOptions): void {
  appendRateLimitHeaders(ctx, policy, {
    max,
    windowSeconds,
    remaining: Number(ctx.response.get('X-RateLimit-Remaining')) || 0,
    resetInSeconds: secondsUntil(Number(ctx.response.get('X-RateLimit-Reset'))),
  });
}

/** koa-ratelimit already set 429 and a plain-text body; replace them with the documented answer. */
function refuse(ctx: AppContext): void {
  const retryAfter = Math.max(1, secondsUntil(Number(ctx.response.get('X-RateLimit-Reset'))));
  ctx.status = 429;
  ctx.set('Retry-After', String(retryAfter));
  ctx.body = { error: 'RATE_LIMIT_EXCEEDED', message: RATE_LIMIT_MESSAGE, retryAfter };
}

/** koa-ratelimit's reset is a UNIX time in seconds. */
function secondsUntil(resetEpochSeconds: number): number {
  if (!Number.isFinite(resetEpochSeconds)) return 0;
  return Math.max(0, Math.ceil(resetEpochSeconds - Date.now() / 1000));
}

function throttledWarning(logger: Logger, policy: PolicyName): (cause: unknown) => void {
  let lastLoggedAt = 0;
  return (cause) => {
    if (Date.now() - lastLoggedAt < STORE_ERROR_LOG_INTERVAL_MS) return;
    lastLoggedAt = Date.now();
    logger.warn(
      { policy, err: cause instanceof Error ? cause.message : String(cause) },
      'rate limit store unavailable',
    );
  };
}
