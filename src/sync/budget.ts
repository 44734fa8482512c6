import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Platform } from '../platforms/types';
import { budgetsFor, budgetWindowMs, type EndpointCalls, type PacingSettings } from './pacing';

/**
 * Platform call budgets shared by every worker: one Redis sorted set per platform endpoint holding the
 * reservations of the last budget window (a sliding-window log, exact where a token bucket would let a
 * burst through), plus a per-platform pause key set when a platform says "slow down". Everything happens in
 * one Lua script on Redis's own clock, so workers with skewed clocks still agree.
 */

export type BudgetDecision =
  { granted: true } | { granted: false; waitMs: number; reason: 'budget_spent' | 'platform_paused' };

export interface SyncBudget {
  /** Reserves every call of one account sync at once (all or nothing); never waits. */
  reserve(platform: Platform, calls: readonly EndpointCalls[]): Promise<BudgetDecision>;
  /** Nobody reserves calls on this platform for `ms` (a longer pause already set wins). */
  pausePlatform(platform: Platform, ms: number): Promise<void>;
}

export interface SyncBudgetDeps {
  redis: Redis;
  keyPrefix: string;
  settings: PacingSettings;
}

// KEYS[1] pause key, KEYS[2..] window sets. ARGV[1] window ms, ARGV[2] reservation id, then limit,count pairs.
// Returns { granted (0|1), waitMs, reason (0 none, 1 budget spent, 2 paused) }.
const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pausedUntil = tonumber(redis.call('GET', KEYS[1]) or '0')
if pausedUntil > now then return {0, pausedUntil - now, 2} end
local window = tonumber(ARGV[1])
local wait = 0
for i = 2, #KEYS do
  local limit = tonumber(ARGV[(i - 2) * 2 + 3])
  local count = tonumber(ARGV[(i - 2) * 2 + 4])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local excess = redis.call('ZCARD', KEYS[i]) + count - limit
  if excess > 0 then
    local freedBy = redis.call('ZRANGE', KEYS[i], excess - 1, excess - 1, 'WITHSCORES')
    local w = tonumber(freedBy[2]) + window - now + 1
    if w > wait then wait = w end
  end
end
if wait > 0 then return {0, wait, 1} end
for i = 2, #KEYS do
  local count = tonumber(ARGV[(i - 2) * 2 + 4])
  for j = 1, count do redis.call('ZADD', KEYS[i], now, ARGV[2] .. ':' .. j) end
  redis.call('PEXPIRE', KEYS[i], window + 1000)
end
return {1, 0, 0}
`;

// KEYS[1] pause key, ARGV[1] pause ms. Keeps the later of the current and the requested end.
const PAUSE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', ARGV[1]) end
return untilMs
`;

type BudgetRedis = Redis & {
  syncBudgetReserve(...args: (string | number)[]): Promise<[number, number, number]>;
  syncBudgetPause(...args: (string | number)[]): Promise<number>;
};

export function createSyncBudget({ redis, keyPrefix, settings }: SyncBudgetDeps): SyncBudget {
  const scripted = defineScripts(redis);
  const pauseKey = (platform: Platform) => `${keyPrefix}pacing:${platform}:paused-until`;
  const windowKey = (platform: Platform, endpoint: string) =>
    `${keyPrefix}pacing:${platform}:${slug(endpoint)}`;

  return {
    async reserve(platform, calls) {
      const budgets = budgetsFor(platform, settings).flatMap((budget) => {
        const count = calls.find((entry) => entry.endpoint === budget.endpoint)?.calls ?? 0;
        if (count > budget.limit)
          throw new Error(`${count} calls on ${budget.endpoint} exceed its budget of ${budget.limit}`);
        return count > 0 ? [{ key: windowKey(platform, budget.endpoint), limit: budget.limit, count }] : [];
      });
      const keys = [pauseKey(platform), ...budgets.map((budget) => budget.key)];
      const limits = budgets.flatMap((budget) => [budget.limit, budget.count]);
      const [granted, waitMs, reason] = await scripted.syncBudgetReserve(
        keys.length,
        ...keys,
        budgetWindowMs(settings),
        randomUUID(),
        ...limits,
      );
      if (granted === 1) return { granted: true };
      return { granted: false, waitMs, reason: reason === 2 ? 'platform_paused' : 'budget_spent' };
    },
    async pausePlatform(platform, ms) {
      await scripted.syncBudgetPause(1, pauseKey(platform), Math.max(1, Math.ceil(ms)));
    },
  };
}

function defineScripts(redis: Redis): BudgetRedis {
  const scripted = redis as BudgetRedis;
  // defineCommand caches the script (EVALSHA) and is idempotent per name on one connection.
  if (typeof scripted.syncBudgetReserve !== 'function')
    redis.defineCommand('syncBudgetReserve', { lua: RESERVE_SCRIPT });
  if (typeof scripted.syncBudgetPause !== 'function')
    redis.defineCommand('syncBudgetPause', { lua: PAUSE_SCRIPT });
  return scripted;
}

/** `POST /v2/video/list/` -> `post-v2-video-list`: readable keys for operators. */
function slug(endpoint: string): string {
  return endpoint
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
