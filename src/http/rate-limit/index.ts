import type { Redis } from 'ioredis';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { AppContext } from '../context';
import type { ApiMetrics } from '../metrics';
import { POLICY_BEHAVIOUR, POLICY_NAMES, type PolicyName } from './policies';
import { createRedisStoreGuard } from './redis-store-guard';
import { createResilientLimiter } from './resilient-limiter';

export { POLICY_BEHAVIOUR, POLICY_NAMES, type PolicyName } from './policies';
export { RATE_LIMIT_MESSAGE } from './resilient-limiter';
export { waitUntilReady } from './redis-ready';

export type RateLimiters = Record<PolicyName, Middleware>;

export interface RateLimitersDeps {
  rateLimits: Config['rateLimits'];
  /** The limiters' own client (no offline queue). null = in-process store only. */
  redis: Redis | null;
  keyPrefix: string;
  metrics: ApiMetrics;
  logger: Logger;
}

/** The six policies, ready to mount; upload and chat have no routes yet but are built, exported and tested. */
export function createRateLimiters(deps: RateLimitersDeps): RateLimiters {
  const redis = deps.rateLimits.memoryFallback ? null : deps.redis;
  if (!redis)
    deps.logger.warn('rate limiters use an in-process store: correct only for a single API process');
  // One guard per client: the breaker reflects the store's health, whichever policy met the failures.
  const guard = redis ? createRedisStoreGuard({ redis, deadlineMs: deps.rateLimits.redisTimeoutMs }) : null;
  const entries = POLICY_NAMES.map((policy) => {
    const behaviour = POLICY_BEHAVIOUR[policy];
    const { max, windowSeconds } = deps.rateLimits[policy];
    const limiter = createResilientLimiter({
      policy,
      max,
      windowSeconds,
      behaviour,
      key: behaviour.key === 'ip' ? clientIpKey : userKey,
      // Cron jobs (X-Cron-Secret) start syncs for many accounts on purpose: not a user's burst.
      skip: policy === 'social' ? (ctx) => ctx.state.cron === true : undefined,
      redis,
      guard,
      namespace: `${deps.keyPrefix}ratelimit:${policy}`,
      metrics: deps.metrics,
      logger: deps.logger,
    });
    return [policy, limiter] as const;
  });
  return Object.fromEntries(entries) as RateLimiters;
}

function clientIpKey(ctx: AppContext): string {
  return `ip:${ctx.state.clientIp}`;
}

/** Per-user policies run after authentication; an anonymous caller (should none slip through) is keyed by IP. */
function userKey(ctx: AppContext): string {
  return ctx.state.user ? `user:${ctx.state.user.id}` : clientIpKey(ctx);
}
