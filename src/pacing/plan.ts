import type { Config } from '../config';
import type { Platform } from '../platforms/types';

/**
 * How many platform calls one account sync makes, per endpoint, and the call budgets that bound them.
 * Pure: the Redis budget (redis-budget.ts) enforces these numbers, the fleet workflow paces to them.
 */

/** Endpoint names as the platform clients label them (PlatformError.endpoint, metrics). */
export const SYNC_ENDPOINTS = {
  instagram: { profile: 'GET /me', media: 'GET /me/media' },
  tiktok: { profile: 'GET /v2/user/info/', media: 'POST /v2/video/list/' },
} as const;

/** TikTok video/list returns at most 20 videos a call (contract 2.6); Instagram /me/media up to 100. */
const MEDIA_PAGE_SIZE: Record<Platform, number> = { instagram: 100, tiktok: 20 };

/**
 * The platforms count per endpoint in a sliding minute (TikTok, contract 2.8). Our window is 2 s longer: a
 * call is counted when its budget is reserved, and reaches the platform up to a few calls' latency later, so
 * a 60 s window of arrivals fits inside 62 s of reservations. Costs 3 % of the quota, buys zero 429s.
 */
export const BUDGET_WINDOW_MS = 62_000;

export interface EndpointCalls {
  endpoint: string;
  calls: number;
}

export interface EndpointBudget {
  endpoint: string;
  /** Calls allowed per BUDGET_WINDOW_MS across every worker. */
  limit: number;
}

export type SyncPacingConfig = Pick<
  Config['sync'],
  'postsLimit' | 'tiktokRequestsPerMinute' | 'instagramRequestsPerMinute'
>;

/** Calls of one full account sync: one profile call, then media pages of the platform's maximum size. */
export function callsPerAccount(platform: Platform, postsLimit: number): EndpointCalls[] {
  const endpoints = SYNC_ENDPOINTS[platform];
  return [
    { endpoint: endpoints.profile, calls: 1 },
    { endpoint: endpoints.media, calls: Math.max(1, Math.ceil(postsLimit / MEDIA_PAGE_SIZE[platform])) },
  ];
}

/** Per-endpoint budgets; empty when the platform has no app-wide cap (Instagram's default, 0). */
export function budgetsFor(platform: Platform, config: SyncPacingConfig): EndpointBudget[] {
  const perMinute = platform === 'tiktok' ? config.tiktokRequestsPerMinute : config.instagramRequestsPerMinute;
  if (perMinute <= 0) return [];
  const endpoints = SYNC_ENDPOINTS[platform];
  return [endpoints.profile, endpoints.media].map((endpoint) => ({ endpoint, limit: perMinute }));
}

/**
 * The fleet dispatches 3 % under what the budget sustains: dispatches leave in batches (one timer per batch),
 * and a batch that lands on a full window only costs a short wait, but a steady 100 % would make that the
 * norm. With the 62 s window this paces TikTok at ~94 % of the platform's quota.
 */
export const PACING_HEADROOM = 0.97;

/**
 * Accounts per minute the fleet dispatches at (the tightest endpoint decides), or null when uncapped.
 * TikTok at 600/min with 25 posts: video/list needs 2 calls an account, so 300 a minute before the window
 * margin and the headroom (about 282).
 */
export function accountsPerMinute(platform: Platform, config: SyncPacingConfig): number | null {
  const budgets = budgetsFor(platform, config);
  if (budgets.length === 0) return null;
  const calls = callsPerAccount(platform, config.postsLimit);
  const perEndpoint = budgets.map((budget) => {
    const needed = calls.find((entry) => entry.endpoint === budget.endpoint)?.calls ?? 0;
    return needed === 0 ? Infinity : budget.limit / needed;
  });
  return Math.min(...perEndpoint) * (60_000 / BUDGET_WINDOW_MS) * PACING_HEADROOM;
}
