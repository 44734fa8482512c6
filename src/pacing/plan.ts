import type { Config } from '../config';
import type { Platform } from '../platforms/types';

/**
 * How many platform calls one account sync makes, per endpoint, and the call budgets that bound them.
 * Pure: the Redis budget (redis-budget.ts) enforces these numbers, the fleet workflow paces to them.
 */

/** Endpoint names as the platform clients label them (PlatformError.endpoint). */
export const SYNC_ENDPOINTS = {
  instagram: { profile: 'GET /me', media: 'GET /me/media' },
  tiktok: { profile: 'GET /v2/user/info/', media: 'POST /v2/video/list/' },
} as const;

/** TikTok video/list returns at most 20 videos a call (contract 2.6); Instagram /me/media up to 100. */
const MEDIA_PAGE_SIZE: Record<Platform, number> = { instagram: 100, tiktok: 20 };

/** TikTok counts per endpoint in a sliding minute (contract 2.8). */
export const PLATFORM_WINDOW_MS = 60_000;

/**
 * Our window is 2 s longer than the platform's: a call is counted when its budget is reserved and reaches
 * the platform up to a few calls' latency later, so a platform window of arrivals fits inside ours.
 * Costs 3 % of a one-minute quota and buys zero 429s.
 */
export const BUDGET_WINDOW_MARGIN_MS = 2_000;

/**
 * The fleet dispatches 3 % under what the budget sustains: dispatches leave in batches (one timer per batch),
 * and a batch that lands on a full window only costs a short wait, but a steady 100 % would make that the
 * norm. With the window margin this paces TikTok at ~94 % of the platform's quota.
 */
export const PACING_HEADROOM = 0.97;

export interface PacingSettings {
  postsLimit: number;
  /** Calls allowed per platform window and endpoint, across every worker; 0: no app-wide cap. */
  requestsPerWindow: Record<Platform, number>;
  platformWindowMs: number;
}

export interface EndpointCalls {
  endpoint: string;
  calls: number;
}

export interface EndpointBudget {
  endpoint: string;
  limit: number;
}

/** Configuration speaks per minute; tests of the whole stack may shrink the window to seconds. */
export function pacingSettingsFromConfig(sync: Config['sync'], platformWindowMs = PLATFORM_WINDOW_MS): PacingSettings {
  const scale = platformWindowMs / 60_000;
  return {
    postsLimit: sync.postsLimit,
    requestsPerWindow: {
      tiktok: Math.max(1, Math.floor(sync.tiktokRequestsPerMinute * scale)),
      instagram: sync.instagramRequestsPerMinute > 0 ? Math.max(1, Math.floor(sync.instagramRequestsPerMinute * scale)) : 0,
    },
    platformWindowMs,
  };
}

export function budgetWindowMs(settings: PacingSettings): number {
  return settings.platformWindowMs + BUDGET_WINDOW_MARGIN_MS;
}

/** Calls of one full account sync: one profile call, then media pages of the platform's maximum size. */
export function callsPerAccount(platform: Platform, postsLimit: number): EndpointCalls[] {
  const endpoints = SYNC_ENDPOINTS[platform];
  return [
    { endpoint: endpoints.profile, calls: 1 },
    { endpoint: endpoints.media, calls: Math.max(1, Math.ceil(postsLimit / MEDIA_PAGE_SIZE[platform])) },
  ];
}

/** Per-endpoint budgets; empty when the platform has no app-wide cap (Instagram's default). */
export function budgetsFor(platform: Platform, settings: PacingSettings): EndpointBudget[] {
  const limit = settings.requestsPerWindow[platform];
  if (limit <= 0) return [];
  const endpoints = SYNC_ENDPOINTS[platform];
  return [endpoints.profile, endpoints.media].map((endpoint) => ({ endpoint, limit }));
}

/**
 * Accounts per minute the fleet dispatches at (the tightest endpoint decides), or null when uncapped.
 * TikTok at 600/min with 25 posts: video/list needs 2 calls an account, so 300 a minute, ~282 after the
 * window margin and the headroom.
 */
export function accountsPerMinute(platform: Platform, settings: PacingSettings): number | null {
  const budgets = budgetsFor(platform, settings);
  if (budgets.length === 0) return null;
  const calls = callsPerAccount(platform, settings.postsLimit);
  const perWindow = Math.min(
    ...budgets.map((budget) => budget.limit / (calls.find((entry) => entry.endpoint === budget.endpoint)?.calls ?? 1)),
  );
  return perWindow * (60_000 / budgetWindowMs(settings)) * PACING_HEADROOM;
}
