import type { Config } from '../config';
import type { Platform } from '../platforms/types';

/**
 * How many platform calls one account sync makes, per endpoint, and the call budgets that bound them.
 * Pure: the Redis budget (budget.ts) enforces these numbers, the fleet workflow paces to them.
 */

/** Endpoint names as the platform clients label them (PlatformError.endpoint). */
export const SYNC_ENDPOINTS = {
  instagram: { profile: 'GET /me', media: 'GET /me/media' },
  tiktok: { profile: 'GET /v2/user/info/', media: 'POST /v2/video/list/' },
} as const;

/**
 * What one media page holds at most when asked for a full page: TikTok video/list 20
 * (docs/platforms.md#tiktok-video-list); Instagram /me/media is asked for min(posts limit, 100) items, so the
 * default 25 posts fit one page (docs/platforms.md#instagram-media).
 */
const MEDIA_PAGE_SIZE: Record<Platform, number> = { instagram: 100, tiktok: 20 };

/** TikTok counts per endpoint in a sliding minute (docs/platforms.md#tiktok-rate-limits). */
export const PLATFORM_WINDOW_MS = 60_000;

/**
 * Our window is 2 s longer than the platform's: a call is counted when its budget is reserved and reaches
 * the platform up to a few calls' latency later, so a platform window of arrivals fits inside ours.
 * Costs 3 % of a one-minute quota and buys zero 429s.
 */
export const BUDGET_WINDOW_MARGIN_MS = 2_000;

/**
 * A 429 without Retry-After pauses its endpoint until the oldest call of our window log leaves the window,
 * never less than this: a platform that refuses while our log is old still gets a breath before the next try.
 */
export const RATE_LIMIT_PAUSE_FLOOR_MS = 1_000;

/** The two calls of a sync, by kind; SYNC_ENDPOINTS names them per platform. */
export type EndpointKind = 'profile' | 'media';

/** Calls one account sync made (each charged to the budget before it was made), per endpoint kind. */
export interface AccountCalls {
  profile: number;
  media: number;
}

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
export function pacingSettingsFromConfig(
  sync: Config['sync'],
  platformWindowMs = PLATFORM_WINDOW_MS,
): PacingSettings {
  const scale = platformWindowMs / 60_000;
  return {
    postsLimit: sync.postsLimit,
    requestsPerWindow: {
      tiktok: Math.max(1, Math.floor(sync.tiktokRequestsPerMinute * scale)),
      instagram:
        sync.instagramRequestsPerMinute > 0
          ? Math.max(1, Math.floor(sync.instagramRequestsPerMinute * scale))
          : 0,
    },
    platformWindowMs,
  };
}

export function budgetWindowMs(settings: PacingSettings): number {
  return settings.platformWindowMs + BUDGET_WINDOW_MARGIN_MS;
}

/** Per-endpoint budgets; empty when the platform has no app-wide cap (Instagram's default). */
export function budgetsFor(platform: Platform, settings: PacingSettings): EndpointBudget[] {
  const limit = settings.requestsPerWindow[platform];
  if (limit <= 0) return [];
  const endpoints = SYNC_ENDPOINTS[platform];
  return [endpoints.profile, endpoints.media].map((endpoint) => ({ endpoint, limit }));
}

/**
 * Media calls one sync is expected to make once the profile's media count is known, reserved together: full
 * pages through those items (TikTok's video_count counts the public videos video/list returns), up to the
 * posts limit. Before the profile is read (mediaCount null): full pages up to the limit. A platform may answer
 * shorter pages (docs/platforms.md#tiktok-video-list): every page beyond this estimate is charged to the budget
 * on its own before it is asked for.
 */
export function expectedMediaCalls(
  platform: Platform,
  postsLimit: number,
  mediaCount: number | null,
): number {
  const listed = mediaCount === null ? postsLimit : Math.min(postsLimit, Math.max(0, mediaCount));
  return Math.max(1, Math.ceil(listed / MEDIA_PAGE_SIZE[platform]));
}

/** What the fleet workflow paces with (it cannot read configuration): limits per budget window. */
export interface PlatformBudgetPlan {
  windowMs: number;
  profileLimit: number;
  mediaLimit: number;
  /** Calls of one account before anything is known about it. */
  worstCase: { profile: number; media: number };
}

export function platformBudgetPlan(platform: Platform, settings: PacingSettings): PlatformBudgetPlan | null {
  const limit = settings.requestsPerWindow[platform];
  if (limit <= 0) return null;
  return {
    windowMs: budgetWindowMs(settings),
    profileLimit: limit,
    mediaLimit: limit,
    worstCase: { profile: 1, media: expectedMediaCalls(platform, settings.postsLimit, null) },
  };
}

/** What the fleet workflow reads once at its start (a workflow cannot read configuration). */
export interface SyncSettings {
  minAgeHours: number;
  concurrency: number;
  postsLimit: number;
  /** A configurable minimum time between two dispatches (SYNC_MIN_SPACING_MS, default 0). */
  minSpacingMs: number;
  /** The shared call budgets per platform; null: no app-wide cap (Instagram by default). */
  budgets: Record<Platform, PlatformBudgetPlan | null>;
}

export function syncSettings(sync: Config['sync'], pacing: PacingSettings): SyncSettings {
  return {
    minAgeHours: sync.minAgeHours,
    concurrency: sync.concurrency,
    postsLimit: sync.postsLimit,
    minSpacingMs: sync.minSpacingMs,
    budgets: {
      instagram: platformBudgetPlan('instagram', pacing),
      tiktok: platformBudgetPlan('tiktok', pacing),
    },
  };
}
