import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Platform } from '../platforms/types';
import {
  budgetsFor,
  budgetWindowMs,
  RATE_LIMIT_PAUSE_FLOOR_MS,
  type EndpointCalls,
  type PacingSettings,
} from './pacing';

/**
 * Platform call budgets shared by every worker: one Redis sorted set per platform endpoint holding the calls
 * charged in the last budget window (a sliding-window log, exact where a token bucket would let a burst
 * through), plus pause keys at three scopes: the platform (Instagram code 4, usage headers), one endpoint (a
 * 429 from it: TikTok counts per endpoint) and one account (Meta's per-user codes). Everything happens in Lua
 * scripts on Redis's own clock, so workers with skewed clocks still agree.
 */

export type BudgetRefusalReason = 'budget_spent' | 'platform_paused' | 'endpoint_paused' | 'account_paused';

export type BudgetDecision =
  { granted: true } | { granted: false; waitMs: number; reason: BudgetRefusalReason };

export interface SyncBudget {
  /**
   * Charges calls about to be made (all or nothing), or says how long to wait: the longest pause among the
   * platform's, the endpoints' and the account's, else the time until the window log has room. Never waits.
   */
  reserve(platform: Platform, calls: readonly EndpointCalls[], accountId?: string): Promise<BudgetDecision>;
  /** Nobody reserves calls on this platform for `ms` (a longer pause already set wins). */
  pausePlatform(platform: Platform, ms: number): Promise<void>;
  /** Nobody reserves calls for this account for `ms` (a longer pause already set wins). */
  pauseAccount(platform: Platform, accountId: string, ms: number): Promise<void>;
  /**
   * A 429 from `endpoint`: pauses that endpoint alone, for the platform's Retry-After when it sent one, else
   * until the oldest of the calls that fill our window log leaves the window: with the log at the limit, its
   * oldest call; with fewer calls logged, our own calls explain no refusal and only the floor is waited
   * (RATE_LIMIT_PAUSE_FLOOR_MS; never more than one window). A 429 without Retry-After while the endpoint is
   * already paused (a call that was in flight when the pause began) leaves the pause as it is. Returns the
   * time left in the endpoint's pause.
   */
  pauseEndpointAfterRateLimit(
    platform: Platform,
    endpoint: string,
    retryAfterMs: number | null,
  ): Promise<number>;
}

export interface SyncBudgetDeps {
  redis: Redis;
  keyPrefix: string;
  settings: PacingSettings;
}

/** Reason codes the reserve script returns, in the order of PAUSE_REASONS. */
const PAUSE_REASONS: readonly BudgetRefusalReason[] = [
  'platform_paused',
  'endpoint_paused',
  'account_paused',
];

// Pause keys hold "<until ms>" or "<until ms>:<started ms>"; Lua's tonumber on the leading digits reads both.
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// KEYS: ARGV[3] pause keys, then window sets. ARGV[1] window ms, ARGV[2] charge id, ARGV[3] pause key count,
// then one reason code per pause key (1-based index into PAUSE_REASONS), then limit,count per window set.
// Returns { granted (0|1), waitMs, reason (0 none, 1 budget spent, 2.. pause reason index + 1) }.
const RESERVE_SCRIPT = `${NOW}
local window = tonumber(ARGV[1])
local pauses = tonumber(ARGV[3])
local pauseWait, pauseReason = 0, 0
for i = 1, pauses do
  local value = redis.call('GET', KEYS[i])
  if value then
    local left = tonumber(string.match(value, '^%d+')) - now
    if left > pauseWait then pauseWait, pauseReason = left, tonumber(ARGV[3 + i]) + 1 end
  end
end
if pauseWait > 0 then return {0, pauseWait, pauseReason} end
local base = 3 + pauses
local wait = 0
for i = pauses + 1, #KEYS do
  local j = i - pauses - 1
  local limit = tonumber(ARGV[base + j * 2 + 1])
  local count = tonumber(ARGV[base + j * 2 + 2])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local excess = redis.call('ZCARD', KEYS[i]) + count - limit
  if excess > 0 then
    local freedBy = redis.call('ZRANGE', KEYS[i], excess - 1, excess - 1, 'WITHSCORES')
    local w = tonumber(freedBy[2]) + window - now + 1
    if w > wait then wait = w end
  end
end
if wait > 0 then return {0, wait, 1} end
for i = pauses + 1, #KEYS do
  local j = i - pauses - 1
  local count = tonumber(ARGV[base + j * 2 + 2])
  for c = 1, count do redis.call('ZADD', KEYS[i], now, ARGV[2] .. ':' .. c) end
  redis.call('PEXPIRE', KEYS[i], window + 1000)
end
return {1, 0, 0}
`;

// KEYS[1] pause key, ARGV[1] pause ms. Keeps the later of the current and the requested end.
const PAUSE_SCRIPT = `${NOW}
local untilMs = now + tonumber(ARGV[1])
local value = redis.call('GET', KEYS[1])
local current = value and tonumber(string.match(value, '^%d+')) or 0
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', ARGV[1]) end
return untilMs
`;

// KEYS[1] endpoint pause key, KEYS[2] its window set. ARGV[1] Retry-After ms (-1: none), ARGV[2] window ms,
// ARGV[3] floor ms, ARGV[4] the endpoint's limit (0: no budget, so no log: wait a whole window).
// Returns the ms left in the endpoint's pause.
const RATE_LIMIT_PAUSE_SCRIPT = `${NOW}
local retryAfter = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local floor = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local value = redis.call('GET', KEYS[1])
local current = value and tonumber(string.match(value, '^%d+')) or 0
local untilMs
if retryAfter >= 0 then
  untilMs = now + retryAfter
else
  if current > now then return current - now end
  local wait = window
  if limit > 0 then
    -- The call that fills the window is the (count - limit + 1)-th oldest: once it leaves, our own calls
    -- leave room again. With fewer than the limit logged there is none to wait for: just the floor.
    local count = redis.call('ZCOUNT', KEYS[2], now - window, '+inf')
    wait = 0
    if count >= limit then
      local filling = redis.call('ZRANGEBYSCORE', KEYS[2], now - window, '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
      wait = tonumber(filling[2]) + window - now
    end
  end
  untilMs = now + math.min(window, math.max(floor, wait))
end
if untilMs > current then
  redis.call('SET', KEYS[1], untilMs .. ':' .. now, 'PX', untilMs - now)
  current = untilMs
end
return current - now
`;

type BudgetRedis = Redis & {
  syncBudgetReserve(...args: (string | number)[]): Promise<[number, number, number]>;
  syncBudgetPause(...args: (string | number)[]): Promise<number>;
  syncBudgetRateLimitPause(...args: (string | number)[]): Promise<number>;
};

export function createSyncBudget({ redis, keyPrefix, settings }: SyncBudgetDeps): SyncBudget {
  const scripted = defineScripts(redis);
  const base = (platform: Platform) => `${keyPrefix}pacing:${platform}`;
  const keys = {
    platformPause: (platform: Platform) => `${base(platform)}:paused-until`,
    endpointPause: (platform: Platform, endpoint: string) =>
      `${base(platform)}:${slug(endpoint)}:paused-until`,
    accountPause: (platform: Platform, accountId: string) =>
      `${base(platform)}:account:${accountId}:paused-until`,
    window: (platform: Platform, endpoint: string) => `${base(platform)}:${slug(endpoint)}`,
  };
  const windowMs = budgetWindowMs(settings);

  return {
    async reserve(platform, calls, accountId) {
      const asked = calls.filter((entry) => entry.calls > 0);
      const pauses: [string, BudgetRefusalReason][] = [
        [keys.platformPause(platform), 'platform_paused'],
        ...asked.map((entry): [string, BudgetRefusalReason] => [
          keys.endpointPause(platform, entry.endpoint),
          'endpoint_paused',
        ]),
        ...(accountId
          ? [[keys.accountPause(platform, accountId), 'account_paused'] as [string, BudgetRefusalReason]]
          : []),
      ];
      const budgets = budgetsFor(platform, settings).flatMap((budget) => {
        const count = asked.find((entry) => entry.endpoint === budget.endpoint)?.calls ?? 0;
        if (count > budget.limit)
          throw new Error(`${count} calls on ${budget.endpoint} exceed its budget of ${budget.limit}`);
        return count > 0 ? [{ key: keys.window(platform, budget.endpoint), limit: budget.limit, count }] : [];
      });
      const [granted, waitMs, reason] = await scripted.syncBudgetReserve(
        pauses.length + budgets.length,
        ...pauses.map(([key]) => key),
        ...budgets.map((budget) => budget.key),
        windowMs,
        randomUUID(),
        pauses.length,
        ...pauses.map(([, pauseReason]) => PAUSE_REASONS.indexOf(pauseReason) + 1),
        ...budgets.flatMap((budget) => [budget.limit, budget.count]),
      );
      if (granted === 1) return { granted: true };
      return { granted: false, waitMs, reason: reason === 1 ? 'budget_spent' : PAUSE_REASONS[reason - 2] };
    },
    async pausePlatform(platform, ms) {
      await scripted.syncBudgetPause(1, keys.platformPause(platform), Math.max(1, Math.ceil(ms)));
    },
    async pauseAccount(platform, accountId, ms) {
      await scripted.syncBudgetPause(1, keys.accountPause(platform, accountId), Math.max(1, Math.ceil(ms)));
    },
    async pauseEndpointAfterRateLimit(platform, endpoint, retryAfterMs) {
      const limit = budgetsFor(platform, settings).find((budget) => budget.endpoint === endpoint)?.limit ?? 0;
      return scripted.syncBudgetRateLimitPause(
        2,
        keys.endpointPause(platform, endpoint),
        keys.window(platform, endpoint),
        retryAfterMs === null ? -1 : Math.max(1, Math.ceil(retryAfterMs)),
        windowMs,
        RATE_LIMIT_PAUSE_FLOOR_MS,
        limit,
      );
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
  if (typeof scripted.syncBudgetRateLimitPause !== 'function')
    redis.defineCommand('syncBudgetRateLimitPause', { lua: RATE_LIMIT_PAUSE_SCRIPT });
  return scripted;
}

/** `POST /v2/video/list/` -> `post-v2-video-list`: readable keys for operators. */
function slug(endpoint: string): string {
  return endpoint
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
